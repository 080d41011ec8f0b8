"""Data packs in the window: File → Import data pack…, File → Data packs…, and the status-bar notice.

:class:`PacksController` owns the user data folder's packs for one window. It loads the catalog
(:func:`desktop.core.packs.load_report`), switches the window to a new catalog after every change
(``MainWindow.set_catalog``), and says in the status bar which data answers and which packs were skipped.
Importing validates the pack fully first; a refused pack opens :class:`PackProblemsDialog` listing every
problem and nothing changes. The window itself only calls :func:`attach`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME, app_logging
from desktop.core import packs
from desktop.core.loader import Problem
from desktop.core.model import Catalog
from desktop.userdirs import ENV_USER_DIR, user_data_dir

log = logging.getLogger(__name__)


def gui_data_dir(data_dir: Path | None = None) -> Path:
    """The folder the window keeps packs in: ``--data-dir``, else ``GUIDECODE_USER_DIR``, else Qt's
    ``AppDataLocation`` (the same folder :func:`desktop.userdirs.user_data_dir` computes without Qt)."""
    if data_dir is not None:
        return data_dir
    if os.environ.get(ENV_USER_DIR, "").strip():
        return user_data_dir()
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location) if location else user_data_dir()


def problems_text(problems: list[Problem] | tuple[Problem, ...]) -> str:
    return "\n".join(str(p) for p in problems)


class PackProblemsDialog(QDialog):
    """A pack that was refused (or skipped), with every problem as ``file:line: entry: message``."""

    def __init__(self, title: str, intro: str, problems: list[Problem] | tuple[Problem, ...],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("packProblemsDialog")
        self.setWindowTitle(title)
        self.problems = tuple(problems)
        self.intro = QLabel(intro)
        self.intro.setObjectName("packProblemsIntro")
        self.intro.setWordWrap(True)
        self.text = QPlainTextEdit(problems_text(self.problems))
        self.text.setObjectName("packProblemsText")
        self.text.setAccessibleName("Problems found in the data pack")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(760, 360)


class PacksDialog(QDialog):
    """The installed packs: on/off, version, code set, effective dates, state; import and remove."""

    COLUMNS = ("On", "Pack", "Version", "Code set", "Effective", "State")

    def __init__(self, controller: PacksController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("packsDialog")
        self.setWindowTitle(f"{APP_NAME}: data packs")
        self.summary = QLabel()
        self.summary.setObjectName("packsSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("packsTable")
        self.table.setAccessibleName("Installed data packs")
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.details = QPlainTextEdit()
        self.details.setObjectName("packDetails")
        self.details.setAccessibleName("Problems of the selected pack")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setMaximumHeight(140)
        self.import_button = QPushButton("&Import data pack\u2026")
        self.import_button.setObjectName("importPackButton")
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setObjectName("removePackButton")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.import_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("Problems of the selected pack:"))
        layout.addWidget(self.details)
        layout.addLayout(row)
        self.import_button.clicked.connect(controller.import_pack_dialog)
        self.remove_button.clicked.connect(self._remove_selected)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(self._show_selected)
        controller.changed.connect(self.refresh)
        self._filling = False
        self.refresh()
        self.resize(820, 420)

    @Slot()
    def refresh(self) -> None:
        report = self.controller.report
        self._filling = True
        try:
            self.summary.setText(f"{APP_NAME} answers with: {report.catalog.version_label}.\n"
                                 f"Packs are kept in {self.controller.data_dir}.")
            self.table.setRowCount(len(report.packs))
            for row, status in enumerate(report.packs):
                on = QTableWidgetItem()
                on.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                on.setCheckState(Qt.CheckState.Checked if status.enabled else Qt.CheckState.Unchecked)
                on.setData(Qt.ItemDataRole.UserRole, status.folder)
                on.setData(Qt.ItemDataRole.AccessibleTextRole, "on" if status.enabled else "off")
                m = status.manifest
                cells = [
                    m.name if m else status.folder,
                    m.version if m else "?",
                    str(m.code_set_year) if m else "?",
                    m.effective_label if m else "?",
                    self._state(status),
                ]
                self.table.setItem(row, 0, on)
                for col, text in enumerate(cells, 1):
                    item = QTableWidgetItem(text)
                    item.setData(Qt.ItemDataRole.UserRole, status.folder)
                    self.table.setItem(row, col, item)
            self.table.resizeColumnsToContents()
            self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        finally:
            self._filling = False
        if report.packs and not self.table.selectedItems():
            self.table.selectRow(0)
        self._show_selected()

    @staticmethod
    def _state(status: packs.PackStatus) -> str:
        if not status.enabled:
            return "off"
        if status.applied:
            return "in use"
        return f"skipped ({len(status.problems)} problem{'s' if len(status.problems) != 1 else ''})"

    def selected_folder(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def row_of(self, folder: str) -> int:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == folder:
                return row
        raise KeyError(folder)

    def set_checked(self, folder: str, on: bool) -> None:
        item = self.table.item(self.row_of(folder), 0)
        assert item is not None
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    @Slot()
    def _show_selected(self) -> None:
        folder = self.selected_folder()
        status = next((s for s in self.controller.report.packs if s.folder == folder), None)
        self.remove_button.setEnabled(status is not None)
        if status is None:
            self.details.setPlainText("")
        elif status.problems:
            self.details.setPlainText(problems_text(status.problems))
        elif not status.enabled:
            self.details.setPlainText("This pack is off; tick it to use it.")
        else:
            self.details.setPlainText("No problems: this pack is in use.")

    @Slot(QTableWidgetItem)
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        folder = str(item.data(Qt.ItemDataRole.UserRole))
        self.controller.set_enabled(folder, item.checkState() == Qt.CheckState.Checked)

    @Slot()
    def _remove_selected(self) -> None:
        folder = self.selected_folder()
        if folder is None:
            return
        answer = QMessageBox.question(self, f"{APP_NAME}: remove data pack",
                                      f"Remove the data pack in folder \u201c{folder}\u201d? GuideCode will answer "
                                      "without it. You can import it again later.")
        if answer == QMessageBox.StandardButton.Yes:
            self.controller.remove(folder)


class PacksController(QObject):
    """The window's data packs: load, import, turn on/off, remove; keeps the window's catalog current."""

    changed = Signal()

    def __init__(self, window: Any, data_dir: Path, report: packs.LoadReport, base: Catalog | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.data_dir = data_dir
        self.report = report
        self._base = base
        self.last_dialog: PackProblemsDialog | None = None  # the latest refusal, kept for tests and re-reading
        self.packs_dialog: PacksDialog | None = None
        self.status_label = QLabel()
        self.status_label.setObjectName("dataStatus")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        window.statusBar().addPermanentWidget(self.status_label)
        self.import_action = window.add_file_action("&Import data pack\u2026", self.import_pack_dialog)
        self.import_action.setObjectName("importPackAction")
        self.packs_action = window.add_file_action("Data &packs\u2026", self.show_packs_dialog)
        self.packs_action.setObjectName("dataPacksAction")
        self._show_status(initial=True)

    # Loading --------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load the data again from the data folder and switch the window to it."""
        self.report = packs.load_report(self.data_dir, self._base, missing_ok=True)
        if self.window.catalog != self.report.catalog:
            self.window.set_catalog(self.report.catalog)
        self._show_status()
        self.changed.emit()

    def _show_status(self, *, initial: bool = False) -> None:
        catalog = self.report.catalog
        app_logging.context["data"] = catalog.version_label
        skipped = [s for s in self.report.packs if s.enabled and not s.applied]
        text = f"Data: {catalog.version_label}"
        if skipped:
            text += (f" \u2014 \u26a0 data pack skipped: {', '.join(s.title for s in skipped)} "
                     "(File \u2192 Data packs\u2026)")
        elif self.report.problems:
            text += f" \u2014 \u26a0 {self.report.problems[0].message}; built-in data only"
        for problem in self.report.problems:
            log.warning("data pack problem: %s", problem)
        self.status_label.setText(text)
        self.status_label.setToolTip(problems_text(self.report.problems) or "Every enabled data pack is in use.")
        if initial and self.report.problems:
            self.window.statusBar().showMessage(
                "Some data packs could not be used; GuideCode answers without them. File \u2192 Data packs\u2026 "
                "lists the problems.", 15000)

    # Actions --------------------------------------------------------------------------------------
    @Slot()
    def import_pack_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Import data pack: choose the pack folder "
                                                  "(it holds pack.yaml)")
        if folder:
            self.import_from(Path(folder))

    def import_from(self, source: Path) -> bool:
        """Validate and install the pack in ``source``; refuse it with every problem listed if invalid."""
        try:
            result = packs.import_pack(source, self.data_dir, base=self._base)
        except packs.PackRefused as refused:
            log.warning("data pack %s refused: %d problem(s)", source, len(refused.problems))
            self._show_problems(PackProblemsDialog(
                f"{APP_NAME}: data pack not imported",
                f"The data pack in {source} was not imported: it has {len(refused.problems)} "
                f"problem{'s' if len(refused.problems) != 1 else ''}. Nothing was changed; GuideCode still "
                f"answers with {self.report.catalog.version_label}.",
                refused.problems, self._dialog_parent()))
            return False
        except OSError as exc:
            log.exception("could not install data pack %s", source)
            self._show_problems(PackProblemsDialog(f"{APP_NAME}: data pack not imported",
                                                   f"The data pack could not be copied into {self.data_dir}: {exc}",
                                                   [], self._dialog_parent()))
            return False
        self.reload()
        m = result.manifest
        verb = "updated" if result.replaced else "imported"
        self.window.statusBar().showMessage(
            f"Data pack {m.name} {m.version} {verb}. Answers now use: {self.report.catalog.version_label}.", 15000)
        log.info("data pack %s %s %s into %s", m.name, m.version, verb, self.data_dir / "packs" / result.folder)
        return True

    def _dialog_parent(self) -> QWidget:
        """Over the Data packs dialog when it is open (importing from it), else over the window."""
        if self.packs_dialog is not None and self.packs_dialog.isVisible():
            return self.packs_dialog
        return self.window  # type: ignore[no-any-return]

    def _show_problems(self, dialog: PackProblemsDialog) -> None:
        if self.last_dialog is not None:
            self.last_dialog.deleteLater()
        self.last_dialog = dialog
        dialog.open()  # window-modal, does not block the caller

    @Slot()
    def show_packs_dialog(self) -> PacksDialog:
        if self.packs_dialog is not None:
            self.packs_dialog.deleteLater()
        self.packs_dialog = PacksDialog(self, self.window)
        self.packs_dialog.open()
        return self.packs_dialog

    def set_enabled(self, folder: str, enabled: bool) -> None:
        packs.set_enabled(self.data_dir, folder, enabled)
        self.reload()

    def remove(self, folder: str) -> None:
        packs.remove_pack(self.data_dir, folder)
        self.reload()


def load_for_window(data_dir: Path | None) -> tuple[Path, packs.LoadReport]:
    """The window's data folder and what loading it gave. Raises DataError if the built-in data is broken.
    The user data folder may not exist yet; a ``--data-dir`` that does not exist is reported."""
    folder = gui_data_dir(data_dir)
    return folder, packs.load_report(folder, missing_ok=data_dir is None)


def attach(window: Any, data_dir: Path, report: packs.LoadReport) -> PacksController:
    """Add the data-pack menu entries and the status-bar notice to ``window`` (a MainWindow)."""
    controller = PacksController(window, data_dir, report)
    window.packs = controller
    return controller
