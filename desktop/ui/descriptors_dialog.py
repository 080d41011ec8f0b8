"""Licensed CPT descriptors in the window: File → Load CPT descriptors… and where they are shown.

An office that holds an AMA CPT licence loads its CSV (see :mod:`desktop.core.descriptors`). Malformed
rows are listed by line in :class:`DescriptorProblemsDialog`, and the good rows are kept only if the
person confirms. The stored descriptors are shown beside GuideCode's own name:

- in the procedure list's tooltip and under the highlighted procedure (``descriptorPreview``);
- in the answer pane, one row per code of the encounter (``descriptorStrip``);

always with the AMA notice, and the descriptor text is searchable (ranked after GuideCode's own words).
Nothing here edits the window's own widgets: :func:`attach` adds labels to its panes and an event filter
for the list's tooltips, through :class:`desktop.ui.window_api.WindowHost`.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QHelpEvent, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.core import descriptors as core
from desktop.core.packs.locking import os_reason
from desktop.ui.models import RecordRole
from desktop.ui.window_api import WindowHost

log = logging.getLogger(__name__)


class DescriptorProblemsDialog(QDialog):
    """Rows that could not be read, by line; *Keep N good rows* or *Cancel* (nothing is stored)."""

    def __init__(self, file_name: str, result: core.ParseResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("descriptorProblemsDialog")
        self.setWindowTitle(f"{APP_NAME}: problems in {file_name}")
        self.parsed = result
        n_bad, n_good = len(result.problems), len(result.good)
        if n_good:
            intro = (f"{n_bad} row{'s' if n_bad != 1 else ''} of {file_name} could not be used (listed below). "
                     f"{n_good} row{'s' if n_good != 1 else ''} are good. Keep the good rows, or cancel and fix "
                     "the file first?")
        else:
            intro = f"No row of {file_name} could be used; nothing was loaded."
        self.intro = QLabel(intro)
        self.intro.setObjectName("descriptorProblemsIntro")
        self.intro.setWordWrap(True)
        self.text = QPlainTextEdit("\n".join(str(p) for p in result.problems))
        self.text.setObjectName("descriptorProblemsText")
        self.text.setAccessibleName("Rows that could not be used")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox()
        self.keep_button: QPushButton | None = None
        if n_good:
            self.keep_button = buttons.addButton(f"&Keep {n_good} good row{'s' if n_good != 1 else ''}",
                                                 QDialogButtonBox.ButtonRole.AcceptRole)
            self.keep_button.setObjectName("keepGoodRowsButton")
            self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        else:
            self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.cancel_button.setObjectName("cancelDescriptorsButton")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(720, 360)


class DescriptorsController(QObject):
    """Loads, stores and shows the office's descriptors for one window."""

    def __init__(self, window: WindowHost, data_dir: Path) -> None:
        super().__init__(window.widget())
        self.window = window
        self.data_dir = data_dir
        self.pending: DescriptorProblemsDialog | None = None
        # The menu first: whatever the stored file holds, Load and Remove stay reachable.
        self.load_action = window.add_file_action("Load CPT &descriptors\u2026", self.load_dialog)
        self.load_action.setObjectName("loadDescriptorsAction")
        self.remove_action = window.add_file_action("Remove CPT descriptors", self.remove)
        self.remove_action.setObjectName("removeDescriptorsAction")
        self.descriptors, problems = core.load_saved(data_dir)  # never raises: a damaged file is one problem
        self.stored_problem = problems[0].message if problems else None
        for problem in problems:
            log.warning("licensed descriptors not shown: %s", problem)
            window.statusBar().showMessage(f"The stored CPT descriptors could not be read ({problem.message}).",
                                           15000)
        self.remove_action.setEnabled(self.descriptors is not None or bool(problems))

        self.preview = QLabel()
        self.preview.setObjectName("descriptorPreview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        window.add_search_widget(self.preview)

        self.strip = QFrame()
        self.strip.setObjectName("descriptorStrip")
        self.strip.setFrameShape(QFrame.Shape.StyledPanel)
        strip_box = QVBoxLayout(self.strip)
        strip_box.setContentsMargins(8, 6, 8, 6)
        self.strip_text = QLabel()
        self.strip_text.setObjectName("descriptorText")
        self.strip_text.setWordWrap(True)
        self.strip_text.setTextFormat(Qt.TextFormat.PlainText)
        self.strip_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = QLabel(core.AMA_NOTICE)
        self.notice.setObjectName("amaNotice")
        self.notice.setWordWrap(True)
        self.notice.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        strip_box.addWidget(self.strip_text)
        strip_box.addWidget(self.notice)
        window.add_answer_widget(self.strip)

        window.procedure_view().viewport().installEventFilter(self)
        window.highlight_changed.connect(self.update_preview)
        window.answer_changed.connect(self.update_strip)
        self.update_views()
        if self.descriptors is not None:
            self._search_descriptors()

    # Showing ------------------------------------------------------------------------------------------
    def descriptor(self, code: str) -> str | None:
        return self.descriptors.get(code) if self.descriptors is not None else None

    def tooltip_text(self, code: str, base: str) -> str:
        """The list's tooltip: the window's own text, then the licensed descriptor and the notice."""
        text = self.descriptor(code)
        if text is None:
            return base
        return (f"<p>{html.escape(base).replace(chr(10), '<br>')}</p><p><b>CPT\u00ae {code}:</b> "
                f"{html.escape(text)}</p><p><i>{html.escape(core.AMA_NOTICE)}</i></p>")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent) and self.descriptors is not None:
            view = self.window.procedure_view()
            index = view.indexAt(event.pos())
            rec = index.data(RecordRole) if index.isValid() else None
            if rec is not None and self.descriptor(rec.code) is not None:
                base = str(index.data(Qt.ItemDataRole.ToolTipRole) or f"{rec.code}: {rec.name}")
                QToolTip.showText(event.globalPos(), self.tooltip_text(rec.code, base), view)
                return True
        return super().eventFilter(watched, event)

    @Slot()
    def update_preview(self, *_: object) -> None:
        rec = self.window.highlighted_record()
        text = self.descriptor(rec.code) if rec is not None else None
        self.preview.setVisible(text is not None)
        if rec is not None and text is not None:
            self.preview.setText(f"CPT\u00ae {rec.code}: {text}\n{core.AMA_NOTICE}")
        else:
            self.preview.setText("")

    @Slot()
    def update_strip(self, *_: object) -> None:
        rows: list[str] = []
        seen: set[str] = set()
        for entry in self.window.encounter().procedures:
            if entry.code in seen:
                continue
            seen.add(entry.code)
            text = self.descriptor(entry.code)
            if text is None:
                continue
            rec = self.window.catalog.get(entry.code)
            when = self.window.encounter().date_of_service
            own = rec.name_on(when) if rec is not None else "not in GuideCode's data"
            rows.append(f"{entry.code}  GuideCode: {own}\n        CPT\u00ae: {text}")
        for line in self.window.resolution().guidance_lines:
            text = self.descriptor(line.code)
            if text is None or line.code in seen:
                continue
            seen.add(line.code)
            rec = self.window.catalog.get(line.code)
            name = rec.name_on(self.window.encounter().date_of_service) if rec else line.code
            rows.append(f"{line.code}  GuideCode: {name}\n        CPT\u00ae: {text}")
        self.strip.setVisible(bool(rows))
        self.strip_text.setText("\n".join(rows))

    def update_views(self) -> None:
        self.remove_action.setEnabled(self.descriptors is not None or self.stored_problem is not None)
        self.update_preview()
        self.update_strip()

    def _search_descriptors(self) -> None:
        """Make the stored descriptor text searchable in the window (or no longer, once removed)."""
        self.window.set_search_descriptors(dict(self.descriptors.descriptors) if self.descriptors else None)

    # Loading ------------------------------------------------------------------------------------------
    @Slot()
    def load_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self.window.widget(), "Load CPT descriptors (CSV: code, descriptor)", "",
                                              "CSV files (*.csv *.txt);;All files (*)")
        if name:
            self.load_from(Path(name))

    def load_from(self, path: Path) -> core.ParseResult:
        """Parse ``path``; store it at once if every row is good, else ask (see the module docstring)."""
        result = core.parse_file(path)
        if not result.problems:
            self._store(result, path.name)
            return result
        log.warning("descriptor file %s: %d problem(s), %d good row(s)", path, len(result.problems),
                    len(result.good))
        dialog = DescriptorProblemsDialog(path.name, result, self.window.widget())
        if self.pending is not None:
            self.pending.deleteLater()
        self.pending = dialog
        dialog.accepted.connect(lambda: self._store(result, path.name))
        dialog.rejected.connect(lambda: self.window.statusBar().showMessage(
            f"Nothing loaded from {path.name}; the descriptors shown are unchanged.", 8000))
        dialog.open()
        return result

    def _store(self, result: core.ParseResult, source_name: str) -> None:
        if not result.good:
            return
        try:
            core.save(self.data_dir, result.good, source_name)
        except OSError as exc:  # a full or read-only disk: the descriptors stored before are kept as they were
            log.warning("descriptors from %s not stored: %s", source_name, exc)
            self.window.statusBar().showMessage(f"The CPT descriptors from {source_name} could not be stored: "
                                                f"{os_reason(exc)}. The descriptors shown are unchanged.", 15000)
            return
        self.stored_problem = None
        self.descriptors, _ = core.load_saved(self.data_dir)
        self.update_views()
        self._search_descriptors()
        n = len(result.good)
        self.window.statusBar().showMessage(f"Loaded {n} CPT descriptor{'s' if n != 1 else ''} from {source_name}. "
                                            f"{core.AMA_NOTICE}.", 15000)

    @Slot()
    def remove(self) -> None:
        try:
            core.remove_saved(self.data_dir)
        except OSError as exc:
            self.window.statusBar().showMessage(f"The CPT descriptors could not be removed: {os_reason(exc)}.",
                                                15000)
            return
        self.stored_problem = None
        self.descriptors = None
        self.update_views()
        self._search_descriptors()
        self.window.statusBar().showMessage("CPT descriptors removed; GuideCode shows its own names only.", 8000)


def attach(window: WindowHost, data_dir: Path) -> DescriptorsController:
    """Add File → Load CPT descriptors… and the descriptor views to ``window``; the controller is a child of
    the window (it lives as long as the window does)."""
    return DescriptorsController(window, data_dir)
