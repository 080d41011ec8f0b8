"""Layout that fits: the window's minimum size, the search list's width at 1024x700 and 1280x720 (e.g.
1920x1080 at 150 %), long labels that elide instead of widening the window, and saved geometry or splitter
state that does not fit being ignored."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QByteArray, QRect
from PySide6.QtWidgets import QApplication

from desktop.core.model import PackInfo
from desktop.ui import settings as keys
from desktop.ui.main_window import MainWindow
from desktop.ui.search_pane import READABLE_ROW
from desktop.ui.settings import Settings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SIZES = [(1024, 700), (1280, 720)]


def open_at(qtbot, window: MainWindow, width: int, height: int) -> MainWindow:  # type: ignore[no-untyped-def]
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.size().width() == width and window.size().height() == height)
    return window


def readable_width(window: MainWindow) -> int:
    return window.search.proc_view.fontMetrics().horizontalAdvance(READABLE_ROW)


def assert_fits(window: MainWindow, width: int, height: int) -> None:
    hint = window.minimumSizeHint()
    assert hint.width() <= width and hint.height() <= height, hint
    assert window.width() == width and window.height() == height  # the window really is that small
    view = window.search.proc_view
    assert view.width() >= readable_width(window)  # "64405   Nerve block, greater occipital ne…" fits
    for pane in (window.search, window.editor, window.answer):
        left = pane.mapTo(window, pane.rect().topLeft())
        assert pane.isVisible() and left.x() >= 0 and left.x() + pane.width() <= width, pane.objectName()
        assert pane.width() >= pane.minimumSizeHint().width(), pane.objectName()
    assert window.answer.copy_button.isVisible()
    button = window.answer.copy_button
    assert button.mapTo(window, button.rect().bottomRight()).y() <= height


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_window_works_at_1024x700_and_1280x720(qtbot, catalog, ui_settings, width: int, height: int) -> None:
    w = open_at(qtbot, MainWindow(catalog, ui_settings), width, height)
    w.add_procedure("64405")
    w.add_procedure("62311")  # an error banner too
    w.add_procedure("62282")
    assert_fits(w, width, height)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_answer_is_never_wider_than_its_pane(qtbot, catalog, ui_settings, width: int, height: int) -> None:
    """Cards that cite many sources wrap their source chips (desktop.ui.widgets.FlowLayout) instead of making
    the answer wider than its scroll area, which would cut off the right of every card and message."""
    from datetime import date

    w = open_at(qtbot, MainWindow(catalog, ui_settings), width, height)
    w.set_date(date(2026, 3, 16))
    w.set_setting("asc")
    w.set_payer("medicare")
    for code in ("64405", "62311", "64483"):  # the 77002 line cites four sources, the 62311 card has Replace
        w.add_procedure(code)
    qtbot.waitUntil(lambda: w.answer.scroll_area.widget().width() > 0)
    viewport = w.answer.scroll_area.viewport()
    content = w.answer.scroll_area.widget()
    assert content.minimumSizeHint().width() <= viewport.width()
    assert content.width() <= viewport.width()
    for widget in (*w.answer.cards, *w.answer.messages):
        right = widget.mapTo(viewport, widget.rect().topRight()).x()
        assert right < viewport.width(), (widget.objectName(), right, viewport.width())
    chips = next(c for c in w.answer.cards if c.item.kind == "line").sources
    assert len(chips.chips) >= 4 and all(chip.isVisible() for chip in chips.chips)


def test_a_long_data_pack_label_elides_instead_of_widening_the_window(qtbot, catalog, ui_settings) -> None:
    w = open_at(qtbot, MainWindow(catalog, ui_settings), 1024, 700)
    before = (w.minimumSizeHint(), w.search.proc_view.width())
    packs = (*catalog.packs, PackInfo("North Valley Orthopaedic and Spine Associates payer notes for 2026, "
                                      "commercial and workers' compensation", "2026.3-final-revision", 2026, False))
    w.set_catalog(replace(catalog, packs=packs))
    assert len(w.answer.data_version.text()) > 150
    assert w.minimumSizeHint() == before[0]
    assert w.width() == 1024 and w.search.proc_view.width() == before[1]
    assert w.answer.data_version.is_elided()
    assert w.answer.data_version.toolTip().startswith(w.answer.data_version.text())  # whole in the tooltip
    assert_fits(w, 1024, 700)


def test_saved_geometry_that_does_not_fit_the_screen_is_not_restored(qtbot, catalog, tmp_path) -> None:
    big = MainWindow(catalog, Settings.at(tmp_path / "a.ini"))
    qtbot.addWidget(big)
    screen = big.screen().availableGeometry()
    big.setGeometry(QRect(screen.x(), screen.y(), screen.width() * 2, screen.height() * 2))  # saved at scale 2
    settings = Settings.at(tmp_path / "b.ini")
    settings.write(keys.GEOMETRY, big.saveGeometry())
    again = MainWindow(catalog, settings)
    qtbot.addWidget(again)
    assert again.width() <= screen.width() and again.height() <= screen.height()  # shrunk to this screen
    assert again.geometry() != big.geometry()
    fitting = Settings.at(tmp_path / "c.ini")
    small = MainWindow(catalog, Settings.at(tmp_path / "d.ini"))
    qtbot.addWidget(small)
    small.setGeometry(QRect(screen.x() + 10, screen.y() + 10, small.minimumSizeHint().width(),
                            small.minimumSizeHint().height()))
    fitting.write(keys.GEOMETRY, small.saveGeometry())
    kept = MainWindow(catalog, fitting)
    qtbot.addWidget(kept)
    assert kept.size() == small.size()  # one that fits is restored


def test_a_saved_splitter_cannot_squeeze_the_search_list(qtbot, catalog, tmp_path) -> None:
    first = open_at(qtbot, MainWindow(catalog, Settings.at(tmp_path / "GuideCode.ini")), 1280, 720)
    first.splitter.setSizes([120, 500, 660])
    state = first.splitter.saveState()
    settings = Settings.at(tmp_path / "GuideCode.ini")
    settings.write(keys.SPLITTER, QByteArray(state))
    second = open_at(qtbot, MainWindow(catalog, settings), 1280, 720)
    assert second.search.proc_view.width() >= readable_width(second)
    assert_fits(second, 1280, 720)


def test_truncated_names_have_a_tooltip(qtbot, catalog, ui_settings) -> None:
    from PySide6.QtCore import Qt

    w = open_at(qtbot, MainWindow(catalog, ui_settings), 1024, 700)
    w.add_procedure("64405")
    idx = w.editor.enc_model.index(0)
    assert catalog.get("64405").name in idx.data(Qt.ItemDataRole.ToolTipRole)
    w.search.search_edit.setText("64405")
    assert catalog.get("64405").name in w.search.proc_model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    card = next(c for c in w.answer.cards if c.item.kind == "procedure")
    assert card.context.toolTip() == card.context.text()


def test_the_list_keeps_its_height_while_the_preview_changes(qtbot, catalog, ui_settings) -> None:
    """The preview under the list is one line for some codes and two for others; the list above must not
    jump (nor be laid out and repainted again) as the highlight moves between them."""
    w = open_at(qtbot, MainWindow(catalog, ui_settings), 1280, 720)
    view, label = w.search.proc_view, w.search.preview_label
    seen: dict[int, tuple[str, int]] = {}
    for row in range(min(60, w.search.proc_model.rowCount())):
        w.search.select_row(row)
        QApplication.processEvents()  # the posted layout request
        lines = 1 if label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width() else 2
        seen.setdefault(lines, (label.text(), view.height()))
    assert {1, 2} <= set(seen), seen  # both kinds of preview were shown
    assert len({height for _text, height in seen.values()}) == 1, seen
