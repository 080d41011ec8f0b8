"""The Help menu's pages: keyboard shortcuts (generated from the window's real actions, so the page cannot
drift from them), what the confidence badges mean, and the data sources page (``docs/data-sources.md``,
bundled). Imported when a page is first opened."""

from __future__ import annotations

import html
from collections.abc import Iterable

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMenu, QMenuBar, QTextBrowser, QVBoxLayout, QWidget

from desktop import APP_NAME
from desktop.paths import bundled_doc
from desktop.ui.present import BADGE_HELP, BADGE_TEXT, Badge

DATA_SOURCES_DOC = "data-sources.md"


def _plain(text: str) -> str:
    """An action's text as the menu shows it: no mnemonic ampersand, no tab-separated hint."""
    return text.split("\t")[0].replace("&&", "\0").replace("&", "").replace("\0", "&")


def _menu_rows(menu: QMenu, path: str) -> Iterable[tuple[str, str]]:
    for action in menu.actions():
        if action.isSeparator():
            continue
        sub = action.menu()
        if isinstance(sub, QMenu):
            yield from _menu_rows(sub, f"{path} \u2192 {_plain(action.text())}")
            continue
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts() if not k.isEmpty()]
        hint = action.text().split("\t")[1] if "\t" in action.text() else ""
        if hint:
            keys.append(hint)
        if keys:
            name = action.property("helpText") or _plain(action.text())  # Undo's text names the last edit
            yield ", ".join(keys), f"{path} \u2192 {name}"


def shortcut_rows(menu_bar: QMenuBar, extra: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """(keys, what they do) for every menu action that has a shortcut, in menu order, then ``extra`` (the
    keys the panes handle themselves: their ``KEYS``)."""
    rows: list[tuple[str, str]] = []
    for top in menu_bar.actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            rows += _menu_rows(menu, _plain(top.text()))
    rows += list(extra)
    return rows


def shortcuts_html(rows: list[tuple[str, str]]) -> str:
    e = html.escape
    body = "".join(f"<tr><td><b>{e(keys)}</b></td><td>{e(what)}</td></tr>" for keys, what in rows)
    return (f"<h2>{APP_NAME} keyboard shortcuts</h2>"
            "<p>Every menu entry below is also reached with Alt and its underlined letter; every field has an "
            "Alt+letter too (the underlined letter of its label).</p>"
            f"<table cellspacing='0' cellpadding='4'>{body}</table>")


def badges_html() -> str:
    e = html.escape
    order: tuple[Badge, ...] = ("high", "medium", "low", "unsourced")
    rows = "".join(f"<tr><td><b>{e(BADGE_TEXT[b])}</b></td><td>{e(BADGE_HELP[b])}</td></tr>" for b in order)
    return (f"<h2>What the confidence badges mean</h2>"
            "<p>Every guidance line and every per-procedure verdict carries a badge saying how well its sources "
            "support it. The sources are the ids under it (click one for its title, kind, reliability and "
            "address).</p>"
            f"<table cellspacing='0' cellpadding='4'>{rows}</table>"
            "<p>An error (a code that cannot be billed on the date, an unknown code) carries no badge: it is not "
            "a rule, it is a problem to fix first. A statement with no source is never shown as HIGH.</p>"
            "<p>Where sources disagree, the answer shows the preferred one with low confidence and a warning "
            "naming the other and its source. Where no source confirms a rule, GuideCode says UNCONFIRMED and "
            "gives no guidance line.</p>")


def data_sources_markdown() -> str:
    path = bundled_doc(DATA_SOURCES_DOC)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        return f"# Data sources\n\nThe bundled page `{DATA_SOURCES_DOC}` could not be read: {exc}"


class HelpDialog(QDialog):
    """One help page (HTML or Markdown) in a read-only browser; web links open in the coder's browser."""

    def __init__(self, title: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(f"{APP_NAME}: {title}")
        self.browser = QTextBrowser()
        self.browser.setObjectName(f"{name}Text")
        self.browser.setAccessibleName(title)
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._on_anchor)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(760, 560)

    def set_html(self, text: str) -> None:
        self.browser.setHtml(text)

    def set_markdown(self, text: str) -> None:
        self.browser.setMarkdown(text)

    @Slot(QUrl)
    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)  # the coder's own click; GuideCode does not fetch it
        elif url.hasFragment() and not url.scheme():
            self.browser.scrollToAnchor(url.fragment())


def open_help(parent: QWidget, page: str, menu_bar: QMenuBar | None = None,
              extra_keys: Iterable[tuple[str, str]] = ()) -> HelpDialog:
    """Open ``page`` ("shortcuts", "badges" or "sources") over ``parent``, non-modal."""
    titles = {"shortcuts": ("Keyboard shortcuts", "shortcutsDialog"),
              "badges": ("What the confidence badges mean", "badgesDialog"),
              "sources": ("Data sources", "dataSourcesDialog")}
    title, name = titles[page]
    dialog = HelpDialog(title, name, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if page == "shortcuts":
        assert menu_bar is not None
        dialog.set_html(shortcuts_html(shortcut_rows(menu_bar, extra_keys)))
    elif page == "badges":
        dialog.set_html(badges_html())
    else:
        dialog.set_markdown(data_sources_markdown())
    dialog.open()
    return dialog

