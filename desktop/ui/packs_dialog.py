"""The data-pack dialogs: File → Data packs… (:class:`PacksDialog`) and a refused pack's problems
(:class:`PackProblemsDialog`). :mod:`desktop.ui.packs_control` opens them; this module is imported when the
first one opens, not at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt, SignalInstance, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
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

from desktop import APP_NAME
from desktop.core.loader import Problem
from desktop.core.packs import report as packs
from desktop.ui.present import problems_text


class PackStore(Protocol):
    """What the packs dialog needs of the window's data packs (:class:`desktop.ui.packs_control.PacksController`):
    the current load report and folder, a signal after every change, and the actions."""

    report: packs.LoadReport
    data_dir: Path

    @property
    def changed(self) -> SignalInstance: ...

    def import_pack_dialog(self) -> None: ...

    def set_enabled(self, folder: str, enabled: bool) -> bool: ...

    def remove(self, folder: str) -> bool: ...


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

    def __init__(self, controller: PackStore, parent: QWidget | None = None) -> None:
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
