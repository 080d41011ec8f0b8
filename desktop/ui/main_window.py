"""GuideCode's main window: search a procedure, build the encounter, read the live answer.

Three panes, left to right:

1. **Search** — a line edit over a list of every code (:class:`ProcedureListModel`, filtered by the
   pure :class:`desktop.core.search.SearchIndex`). Up/Down move the highlight, Enter adds it.
2. **Encounter** — date of service, setting, payer and modality; the procedures added so far; and, for
   the selected one, units, side, a modality override and the spinal-region checklist.
3. **Answer** — :class:`AnswerPanel`, recomputed on every change by ``desktop.core.engine.resolve``.

Everything can be driven from code too (``add_procedure``, ``set_modality``, ``displayed_lines`` ...) so
tests and ``--self-test`` exercise the same signal paths a coder does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QByteArray,
    QDate,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QMenu,
    QPushButton,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME, __version__
from desktop.core.engine import REGION_LABEL, resolve
from desktop.core.model import (
    MODALITIES,
    MODALITY_LABELS,
    PAYER_LABELS,
    PAYERS,
    REGIONS,
    SETTING_LABELS,
    SETTINGS,
    Catalog,
    CodeRecord,
    Encounter,
    Laterality,
    Modality,
    Payer,
    ProcedureEntry,
    Region,
    Resolution,
    Setting,
)
from desktop.core.search import SearchIndex
from desktop.paths import resource
from desktop.ui import settings as keys
from desktop.ui.answer_panel import AnswerPanel
from desktop.ui.models import (
    LATERALITY_LABELS,
    ElidingDelegate,
    EncounterModel,
    ProcedureListModel,
    RecordRole,
    RegionModel,
)
from desktop.ui.present import TSV_MIME, lines_text, lines_tsv, procedure_headline, summary_html
from desktop.ui.settings import Settings

if TYPE_CHECKING:  # imported where used: each Qt class costs start-up time the first time it is touched
    from PySide6.QtCore import QMimeData
    from PySide6.QtGui import QPagedPaintDevice, QPaintEvent, QTextDocument

log = logging.getLogger(__name__)

_NAV_KEYS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}
_ENTER_KEYS = {Qt.Key.Key_Return, Qt.Key.Key_Enter}
_CLEAR_KEY = QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Backspace)


def _combo(name: str, accessible: str, items: list[tuple[str, object]]) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    box.setAccessibleName(accessible)
    for text, data in items:
        box.addItem(text, data)
    return box


def _select_data(box: QComboBox, data: object) -> None:
    n = box.findData(data)
    if n < 0:
        raise ValueError(f"{box.objectName()}: no choice {data!r}")
    box.setCurrentIndex(n)


def _mime(text: str, tsv: str) -> QMimeData:
    """Clipboard data: ``text`` as text/plain and ``tsv`` as text/tab-separated-values."""
    from PySide6.QtCore import QMimeData  # when first copied, not at start-up

    mime = QMimeData()
    mime.setText(text)
    mime.setData(TSV_MIME, QByteArray(tsv.encode("utf-8")))
    return mime


class ProcedureListView(QListView):
    """The list of procedures; ``first_painted`` is emitted once, as its first paint begins. Start-up leaves
    what the window does not need to appear until then (``StartupFinisher`` in desktop/ui/main.py), and
    packaging/bench_startup.py measures launch -> this moment. Overriding ``paintEvent`` here is cheaper than
    an event filter on ``viewport()``: wrapping the viewport for Python the first time costs ~8 ms."""

    first_painted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.painted = False

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.painted:
            self.painted = True
            self.first_painted.emit()
        super().paintEvent(event)


class MainWindow(QMainWindow):
    """The GuideCode window over one catalog; ``settings`` keeps its geometry and last choices."""

    def __init__(self, catalog: Catalog, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.settings = settings
        self._index = SearchIndex(catalog.records)
        self._loading_detail = False
        self._last: tuple[Encounter, Resolution] | None = None
        self._preview_cache: dict[tuple[object, ...], str] = {}
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self.setAccessibleName(f"{APP_NAME} main window")
        icon = QIcon()
        for size in (16, 24, 32, 48, 64, 128, 256, 512):  # every size drawn, so each DPI gets a sharp one
            path = resource(f"icons/guidecode-{size}.png")
            if path.is_file():
                icon.addFile(str(path))
        if not icon.isNull():
            self.setWindowIcon(icon)

        self._build_search_pane()
        self._build_encounter_pane()
        self.answer = AnswerPanel(catalog)
        self._build_answer_pane()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.search_pane)
        self.splitter.addWidget(self.encounter_pane)
        self.splitter.addWidget(self.answer_pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 4)
        self.setCentralWidget(self.splitter)
        self._build_menus()
        self.statusBar().setObjectName("statusBar")

        self._restore_settings()
        self._connect()
        self._on_encounter_choice()
        self.proc_model.set_query("")
        self._select_search_row(0)
        self._load_detail()
        self.refresh()

    def finish_startup(self) -> None:
        """What waits until the window has painted once (desktop/ui/main.py): the search's word indexes,
        so the first keystroke does not build them."""
        self._index.prepare()

    # Construction -------------------------------------------------------------------------------
    def _build_search_pane(self) -> None:
        pane = QWidget()
        pane.setObjectName("searchPane")
        box = QVBoxLayout(pane)
        box.setContentsMargins(8, 8, 4, 8)
        self.search_label = QLabel("&Search procedures:")
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("searchEdit")
        self.search_edit.setAccessibleName("Search procedures")
        self.search_edit.setAccessibleDescription(
            "Type a code prefix, or words of the name or a lay term in any order. Up and Down move the "
            "highlight, Enter adds the highlighted procedure to the encounter.")
        self.search_edit.setPlaceholderText("Code, name or lay term \u2014 644, occipital, si joint")
        self.search_edit.setClearButtonEnabled(True)
        for button in self.search_edit.findChildren(QToolButton):  # the clear button Qt adds
            button.setAccessibleName("Clear the search")
            button.setToolTip("Clear the search")
        self.search_edit.setMaxLength(200)
        self.search_label.setBuddy(self.search_edit)
        self.proc_model = ProcedureListModel(self._index, date.today(), self)
        self.proc_view = ProcedureListView()
        self.proc_view.setObjectName("procedureList")
        self.proc_view.setAccessibleName("Matching procedures")
        # The model hands the view FETCH_BATCH rows at a time (fetchMore on scrolling): QListView's layout
        # asks the model for every row's index (QListViewPrivate::isHidden), one Python call per row, so
        # showing all 10,000 matches at once costs ~5-10 ms per keystroke (bench/bench_search.py).
        self.proc_view.setModel(self.proc_model)
        self.proc_view.setUniformItemSizes(True)  # O(1) layout for 10k rows (packaging.md §1.5)
        self.proc_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.proc_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.proc_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.proc_view.setItemDelegate(ElidingDelegate(self.proc_view))
        self.proc_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.proc_view.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.count_label = QLabel()
        self.count_label.setObjectName("searchCount")
        self.count_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.preview_label = QLabel()
        self.preview_label.setObjectName("searchPreview")
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextFormat(Qt.TextFormat.PlainText)
        self.add_button = QPushButton("&Add to encounter")
        self.add_button.setObjectName("addButton")
        self.add_button.setAccessibleName("Add the highlighted procedure to the encounter")
        self.add_button.setToolTip("Add the highlighted procedure (Enter, or double-click it)")
        box.addWidget(self.search_label)
        box.addWidget(self.search_edit)
        box.addWidget(self.proc_view, 1)
        box.addWidget(self.count_label)
        box.addWidget(self.preview_label)
        box.addWidget(self.add_button)
        self.search_pane = pane

    def _build_encounter_pane(self) -> None:
        pane = QWidget()
        pane.setObjectName("encounterPane")
        outer = QVBoxLayout(pane)
        outer.setContentsMargins(4, 8, 4, 8)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.date_edit = QDateEdit()
        self.date_edit.setObjectName("dateEdit")
        self.date_edit.setAccessibleName("Date of service")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("MM/dd/yyyy")
        self.date_edit.setDateRange(QDate(1990, 1, 1), QDate(2099, 12, 31))
        self.date_edit.setDate(QDate.currentDate())
        self.setting_combo = _combo("settingCombo", "Place of service setting",
                                    [(SETTING_LABELS[s], s) for s in SETTINGS])
        self.payer_combo = _combo("payerCombo", "Payer", [(PAYER_LABELS[p], p) for p in PAYERS])
        self.modality_combo = _combo("modalityCombo", "Imaging modality for the encounter",
                                     [(MODALITY_LABELS[m], m) for m in MODALITIES])
        self._form_row(form, "&Date of service:", self.date_edit)
        self._form_row(form, "Se&tting:", self.setting_combo)
        self._form_row(form, "Pa&yer:", self.payer_combo)
        self._form_row(form, "&Modality:", self.modality_combo)
        outer.addLayout(form)

        self.enc_label = QLabel("&Procedures in this encounter:")
        self.enc_model = EncounterModel(self)
        self.enc_view = QListView()
        self.enc_view.setObjectName("encounterList")
        self.enc_view.setAccessibleName("Procedures in this encounter")
        self.enc_view.setAccessibleDescription("Delete removes the selected procedure.")
        self.enc_view.setModel(self.enc_model)
        self.enc_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.enc_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.enc_view.setItemDelegate(ElidingDelegate(self.enc_view))
        self.enc_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.enc_label.setBuddy(self.enc_view)
        outer.addWidget(self.enc_label)
        outer.addWidget(self.enc_view, 2)
        buttons = QHBoxLayout()
        self.remove_button = QPushButton("Remo&ve")
        self.remove_button.setObjectName("removeButton")
        self.remove_button.setAccessibleName("Remove the selected procedure")
        self.remove_button.setToolTip("Remove the selected procedure (Delete)")
        self.clear_button = QPushButton("C&lear encounter")
        self.clear_button.setObjectName("clearButton")
        self.clear_button.setAccessibleName("Clear the encounter")
        self.clear_button.setToolTip("Remove every procedure (Ctrl+Backspace)")
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        outer.addLayout(buttons)

        self.detail_box = QGroupBox("Selected procedure")
        self.detail_box.setObjectName("detailBox")
        self.detail_box.setAccessibleName("Selected procedure")
        detail = QFormLayout(self.detail_box)
        self.units_spin = QSpinBox()
        self.units_spin.setObjectName("unitsSpin")
        self.units_spin.setAccessibleName("Units of the selected procedure")
        self.units_spin.setRange(1, 99)
        self.side_combo = _combo("sideCombo", "Side of the selected procedure",
                                 [("Not stated", None)] + [(LATERALITY_LABELS[s], s) for s in LATERALITY_LABELS])
        self.override_combo = _combo("modalityOverrideCombo", "Modality for the selected procedure only",
                                     [("Same as encounter", None)] + [(MODALITY_LABELS[m], m) for m in MODALITIES])
        self.region_model = RegionModel(self)
        self.region_view = QListView()
        self.region_view.setObjectName("regionList")
        self.region_view.setAccessibleName("Spinal regions of the selected procedure")
        self.region_view.setAccessibleDescription("Space ticks a region; Ctrl+1 to Ctrl+4 toggle cervical, "
                                                  "thoracic, lumbar, sacral.")
        self.region_view.setModel(self.region_model)
        self.region_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        rows = max(1, self.region_view.sizeHintForRow(0))
        self.region_view.setFixedHeight(rows * len(REGIONS) + 2 * self.region_view.frameWidth() + 4)
        self.region_hint = QLabel("Ctrl+1 cervical \u00b7 Ctrl+2 thoracic \u00b7 Ctrl+3 lumbar \u00b7 Ctrl+4 sacral")
        self.region_hint.setObjectName("regionHint")
        self.region_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._form_row(detail, "&Units:", self.units_spin)
        self._form_row(detail, "S&ide:", self.side_combo)
        self._form_row(detail, "M&odality here:", self.override_combo)
        self._form_row(detail, "Re&gions:", self.region_view)
        detail.addRow("", self.region_hint)
        outer.addWidget(self.detail_box)
        self.encounter_pane = pane

    def _build_answer_pane(self) -> None:
        pane = QWidget()
        pane.setObjectName("answerPane")
        box = QVBoxLayout(pane)
        box.setContentsMargins(4, 8, 8, 8)
        box.addWidget(self.answer, 1)
        row = QHBoxLayout()
        self.copy_button = QPushButton("&Copy lines")
        self.copy_button.setObjectName("copyButton")
        self.copy_button.setAccessibleName("Copy the guidance lines")
        self.copy_button.setToolTip("Copy the lines as text, plus a tab-separated copy for a practice-management "
                                    "system (Ctrl+C)")
        self.print_button = QPushButton("P&rint or PDF\u2026")
        self.print_button.setObjectName("printButton")
        self.print_button.setAccessibleName("Print a one-page summary")
        self.print_button.setToolTip("Print the one-page summary, or save it as PDF (Ctrl+P)")
        row.addStretch(1)
        row.addWidget(self.copy_button)
        row.addWidget(self.print_button)
        box.addLayout(row)
        self.answer_pane = pane

    @staticmethod
    def _form_row(form: QFormLayout, text: str, field: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(field)
        form.addRow(label, field)
        return label

    def _action(self, menu: QMenu, text: str, slot: Callable[[], object],
                shortcuts: list[QKeySequence] | None = None, name: str = "") -> QAction:
        action = QAction(text, self)
        if name:
            action.setObjectName(name)
        if shortcuts:
            action.setShortcuts(shortcuts)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)  # active wherever the focus is in the window
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        self.file_menu.setObjectName("fileMenu")
        self._file_anchor = self.file_menu.addSeparator()
        self.quit_action = self._action(self.file_menu, "&Quit", self.close,
                                        [QKeySequence(QKeySequence.StandardKey.Quit)], "quitAction")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.audit_action = self.add_file_action("&Audit claims file\u2026", self._open_audit)

        edit = bar.addMenu("&Edit")
        edit.setObjectName("editMenu")
        self.copy_action = self._action(edit, "&Copy lines", self.copy_lines,
                                        [QKeySequence(QKeySequence.StandardKey.Copy)], "copyAction")
        self.copy_tsv_action = self._action(edit, "Copy lines &tab-separated", self.copy_lines_tsv,
                                            [QKeySequence("Ctrl+Shift+C")], "copyTsvAction")
        edit.addSeparator()
        self.find_action = self._action(edit, "&Find procedure", self.focus_search,
                                        [QKeySequence(QKeySequence.StandardKey.Find), QKeySequence("Ctrl+L")],
                                        "findAction")
        self.print_action = self._action(edit, "&Print summary\u2026", self.print_summary,
                                         [QKeySequence(QKeySequence.StandardKey.Print)], "printAction")
        self.pdf_action = self._action(edit, "Save summary as P&DF\u2026", self.save_pdf_dialog,
                                       [QKeySequence("Ctrl+Shift+P")], "pdfAction")

        enc = bar.addMenu("E&ncounter")
        enc.setObjectName("encounterMenu")
        self.add_action = self._action(enc, "&Add highlighted procedure\tEnter", self.add_highlighted, None,
                                       "addAction")
        self.remove_action = self._action(enc, "&Remove selected procedure", self.remove_selected, None,
                                          "removeAction")
        self.clear_action = self._action(enc, "C&lear encounter", self.clear_encounter, [_CLEAR_KEY],
                                         "clearAction")
        enc.addSeparator()
        self.region_actions: dict[Region, QAction] = {}
        for n, region in enumerate(REGIONS, start=1):
            self.region_actions[region] = self._action(
                enc, f"Toggle {REGION_LABEL[region].lower()} region", partial(self.toggle_region, region),
                [QKeySequence(f"Ctrl+{n}")], f"toggle_{region}")

        help_menu = bar.addMenu("&Help")
        help_menu.setObjectName("helpMenu")
        self.about_action = self._action(help_menu, "&About GuideCode", self.show_about, None, "aboutAction")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

        # Delete removes the selected procedure while the encounter list has the focus.
        for seq in (QKeySequence.StandardKey.Delete, QKeySequence(Qt.Key.Key_Backspace)):
            shortcut = QShortcut(QKeySequence(seq), self.enc_view)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.remove_selected)

    def add_file_action(self, text: str, slot: Callable[[], object],
                        shortcut: QKeySequence | str | None = None) -> QAction:
        """Add an entry to the File menu above Quit, e.g. ``add_file_action("Import data pack…", f)``."""
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.file_menu.insertAction(self._file_anchor, action)
        self.addAction(action)
        return action

    def _open_audit(self) -> None:
        # Imported on first use: the audit dialog and core are not needed to show the window.
        from desktop.ui.audit_dialog import show_audit_dialog

        show_audit_dialog(self, self.catalog)

    def _connect(self) -> None:
        self.search_edit.textChanged.connect(self._on_search_text)
        self.search_edit.installEventFilter(self)
        self.proc_view.installEventFilter(self)
        self.proc_view.doubleClicked.connect(self._on_proc_double_clicked)
        self.proc_view.selectionModel().currentChanged.connect(self._on_highlight_changed)
        self.add_button.clicked.connect(self.add_highlighted)
        self.date_edit.dateChanged.connect(self._on_date_changed)
        self.setting_combo.currentIndexChanged.connect(self._on_encounter_choice)
        self.payer_combo.currentIndexChanged.connect(self._on_encounter_choice)
        self.modality_combo.currentIndexChanged.connect(self._on_encounter_choice)
        self.enc_view.selectionModel().currentChanged.connect(self._load_detail)
        self.enc_model.rowsInserted.connect(self._update_buttons)
        self.enc_model.rowsRemoved.connect(self._update_buttons)
        self.enc_model.modelReset.connect(self._update_buttons)
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button.clicked.connect(self.clear_encounter)
        self.units_spin.valueChanged.connect(self._on_detail_changed)
        self.side_combo.currentIndexChanged.connect(self._on_detail_changed)
        self.override_combo.currentIndexChanged.connect(self._on_detail_changed)
        self.region_model.itemChanged.connect(self._on_region_item_changed)
        self.copy_button.clicked.connect(self.copy_lines)
        self.print_button.clicked.connect(self.print_summary)

    def _restore_settings(self) -> None:
        _select_data(self.setting_combo, self.settings.setting)
        _select_data(self.payer_combo, self.settings.payer)
        _select_data(self.modality_combo, self.settings.modality)
        geometry = self.settings.read(keys.GEOMETRY)
        if geometry.isEmpty() or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        splitter = self.settings.read(keys.SPLITTER)
        if splitter.isEmpty() or not self.splitter.restoreState(splitter):
            self.splitter.setSizes([420, 420, 540])
        if self.settings.was_corrupt:
            self.statusBar().showMessage("The settings file could not be read; defaults are used.", 10000)

    def save_settings(self) -> None:
        self.settings.write(keys.GEOMETRY, self.saveGeometry())
        self.settings.write(keys.SPLITTER, self.splitter.saveState())
        self.settings.write(keys.SETTING, self.setting())
        self.settings.write(keys.PAYER, self.payer())
        self.settings.write(keys.MODALITY, self.modality())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        super().closeEvent(event)

    # Keyboard -------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search_edit:
            if event.type() == QEvent.Type.ShortcutOverride:
                assert isinstance(event, QKeyEvent)
                # WORKAROUND: QLineEdit claims Ctrl+C and Ctrl+Backspace even with nothing selected; let
                # the window's Copy lines / Clear encounter shortcuts have them unless text is selected.
                if event.matches(QKeySequence.StandardKey.Copy) and not self.search_edit.hasSelectedText():
                    return True
                if QKeySequence(event.keyCombination()) == _CLEAR_KEY:
                    return True
            elif event.type() == QEvent.Type.KeyPress:
                assert isinstance(event, QKeyEvent)
                if event.key() in _NAV_KEYS and event.modifiers() == Qt.KeyboardModifier.NoModifier:
                    self._move_highlight(Qt.Key(event.key()))
                    return True
                if event.key() in _ENTER_KEYS:
                    self.add_highlighted()
                    return True
        elif watched is self.proc_view and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in _ENTER_KEYS:
                self.add_highlighted()
                return True
        return super().eventFilter(watched, event)

    def _move_highlight(self, key: Qt.Key) -> None:
        model = self.proc_model
        if model.rowCount() == 0:
            return
        current = self.proc_view.currentIndex().row()
        page = max(1, self.proc_view.viewport().height() // max(1, self.proc_view.sizeHintForRow(0)) - 1)
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -page, Qt.Key.Key_PageDown: page}[key]
        target = max(0, current + step if current >= 0 else 0)
        while target >= model.rowCount() and model.canFetchMore(QModelIndex()):
            model.fetchMore(QModelIndex())
        self._select_search_row(min(model.rowCount() - 1, target))

    @Slot()
    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    # Search ---------------------------------------------------------------------------------------
    @Slot(str)
    def _on_search_text(self, text: str) -> None:
        """One keystroke: filter the list, highlight the best match, recompute the answer."""
        self.proc_model.set_query(text)
        self._select_search_row(0)
        self.refresh()

    def _select_search_row(self, row: int) -> None:
        count = self.proc_model.rowCount()
        sel = self.proc_view.selectionModel()
        if count == 0:
            sel.clear()
            self._on_highlight_changed()
        else:
            idx = self.proc_model.index(row)
            sel.setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect)  # autoScroll shows it
        total = self.proc_model.total
        matches = self.proc_model.match_count
        self.count_label.setText(f"{matches:,} of {total:,} codes" if self.proc_model.query.strip()
                                 else f"{total:,} codes")

    @Slot()
    def _on_highlight_changed(self, *_: object) -> None:
        rec = self.highlighted_record()
        if rec is None:
            self.preview_label.setText("No match. Try a code prefix (644), a name word or a lay term."
                                       if self.proc_model.query.strip() else "")
            self.add_button.setEnabled(False)
            return
        self.add_button.setEnabled(True)
        self.preview_label.setText(self._preview(rec.code))

    def _preview(self, code: str) -> str:
        """What the highlighted code alone would give with the current choices (from the engine)."""
        enc = Encounter(self.date_of_service(), self.setting(), self.payer(), self.modality(),
                        (ProcedureEntry(code),))
        key = (enc,)
        text = self._preview_cache.get(key)
        if text is None:
            res = resolve(self.catalog, enc)
            result = res.procedures[0]
            verdict = procedure_headline(self.catalog, result, enc.date_of_service)
            if result.state == "separate" and res.guidance_lines:
                verdict = f"with {MODALITY_LABELS[result.modality].lower()} \u2192 " + ", ".join(
                    line.display for line in res.guidance_lines)
            text = f"Enter adds {code} \u2014 {verdict}"
            if len(self._preview_cache) > 256:
                self._preview_cache.clear()
            self._preview_cache[key] = text
        return text

    def highlighted_record(self) -> CodeRecord | None:
        idx = self.proc_view.currentIndex()
        return idx.data(RecordRole) if idx.isValid() else None

    @Slot()
    def _on_proc_double_clicked(self, *_: object) -> None:
        self.add_highlighted()

    @Slot()
    def add_highlighted(self) -> None:
        rec = self.highlighted_record()
        if rec is None:
            self.statusBar().showMessage("Nothing highlighted to add.", 4000)
            return
        self.add_procedure(rec.code)
        self.search_edit.selectAll()

    # Encounter ------------------------------------------------------------------------------------
    def add_procedure(self, code: str, *, units: int = 1, laterality: Laterality | None = None,
                      modality: Modality | None = None, regions: tuple[Region, ...] | None = None) -> int:
        """Add ``code`` to the encounter and select it; returns its row. Raises KeyError if unknown."""
        rec = self.catalog.get(code.strip().upper())
        if rec is None:
            raise KeyError(f"{code} is not in the catalog")
        if regions is None:
            # A code that can only be in one region has it ticked already; others wait for the coder.
            regions = rec.regions if rec.spinal and len(rec.regions) == 1 else ()
        row = self.enc_model.add(rec, units=units, laterality=laterality, modality=modality,
                                 regions=tuple(regions))
        self.select_procedure(row)
        self.statusBar().showMessage(f"Added {rec.code}.", 3000)
        self.refresh()
        return row

    def select_procedure(self, row: int) -> None:
        idx = self.enc_model.index(row)
        self.enc_view.selectionModel().setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def selected_row(self) -> int:
        idx = self.enc_view.currentIndex()
        return idx.row() if idx.isValid() else -1

    @Slot()
    def remove_selected(self) -> None:
        row = self.selected_row()
        if row < 0:
            return
        self.remove_procedure(row)

    def remove_procedure(self, row: int) -> None:
        code = self.enc_model.row(row).code
        self.enc_model.remove(row)
        if self.enc_model.rowCount():
            self.select_procedure(min(row, self.enc_model.rowCount() - 1))
        self._load_detail()
        self.statusBar().showMessage(f"Removed {code}.", 3000)
        self.refresh()

    @Slot()
    def clear_encounter(self) -> None:
        n = self.enc_model.rowCount()
        self.enc_model.clear()
        self._load_detail()
        if n:
            self.statusBar().showMessage(f"Encounter cleared ({n} procedure{'s' if n != 1 else ''}).", 4000)
        self.refresh()

    def set_date(self, when: date) -> None:
        self.date_edit.setDate(QDate(when.year, when.month, when.day))

    def set_setting(self, setting: Setting) -> None:
        _select_data(self.setting_combo, setting)

    def set_payer(self, payer: Payer) -> None:
        _select_data(self.payer_combo, payer)

    def set_modality(self, modality: Modality) -> None:
        """The encounter's modality (each procedure may override it)."""
        _select_data(self.modality_combo, modality)

    def _current_row_or(self, row: int | None) -> int:
        n = self.selected_row() if row is None else row
        if not 0 <= n < self.enc_model.rowCount():
            raise IndexError("no such procedure in the encounter")
        if n != self.selected_row():
            self.select_procedure(n)
        return n

    def set_units(self, units: int, row: int | None = None) -> None:
        self._current_row_or(row)
        self.units_spin.setValue(units)

    def set_laterality(self, laterality: Laterality | None, row: int | None = None) -> None:
        self._current_row_or(row)
        _select_data(self.side_combo, laterality)

    def set_procedure_modality(self, modality: Modality | None, row: int | None = None) -> None:
        self._current_row_or(row)
        _select_data(self.override_combo, modality)

    def set_region(self, region: Region, checked: bool, row: int | None = None) -> None:
        """Tick or untick a region of a procedure through the checklist, as a click would."""
        self._current_row_or(row)
        item = self.region_model.region_item(region)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def toggle_region(self, region: Region) -> None:
        if self.selected_row() < 0:
            self.statusBar().showMessage("Select a procedure first.", 3000)
            return
        if not self.enc_model.row(self.selected_row()).record.spinal:
            self.statusBar().showMessage("Regions apply to spinal procedures only.", 3000)
            return
        self.region_model.toggle(region)

    @Slot()
    def _load_detail(self, *_: object) -> None:
        """Show the selected procedure's units, side, modality and regions in the detail box."""
        row = self.selected_row()
        self._loading_detail = True
        try:
            if row < 0:
                self.detail_box.setEnabled(False)
                self.detail_box.setTitle("Selected procedure")
                self.units_spin.setValue(1)
                self.side_combo.setCurrentIndex(0)
                self.override_combo.setCurrentIndex(0)
                self.region_model.set_checked((), enabled=False)
                self.region_view.setEnabled(False)
                return
            data = self.enc_model.row(row)
            self.detail_box.setEnabled(True)
            self.detail_box.setTitle(f"Selected procedure: {data.code}")
            self.units_spin.setValue(data.units)
            _select_data(self.side_combo, data.laterality)
            _select_data(self.override_combo, data.modality)
            spinal = data.record.spinal
            self.region_model.set_checked(data.regions, enabled=spinal)
            self.region_view.setEnabled(spinal)
            self.region_hint.setText(
                "Ctrl+1 cervical \u00b7 Ctrl+2 thoracic \u00b7 Ctrl+3 lumbar \u00b7 Ctrl+4 sacral" if spinal
                else f"{data.code} is not a spinal procedure: no region to tick.")
        finally:
            self._loading_detail = False
            self._update_buttons()

    @Slot()
    def _update_buttons(self, *_: object) -> None:
        has_rows = self.enc_model.rowCount() > 0
        self.clear_button.setEnabled(has_rows)
        self.remove_button.setEnabled(self.selected_row() >= 0)

    @Slot()
    def _on_detail_changed(self, *_: object) -> None:
        if self._loading_detail:
            return
        row = self.selected_row()
        if row < 0:
            return
        self.enc_model.update(row, units=self.units_spin.value(), laterality=self.side_combo.currentData(),
                              modality=self.override_combo.currentData())
        self.refresh()

    @Slot()
    def _on_region_item_changed(self, *_: object) -> None:
        if self._loading_detail or self.region_model.updating:
            return
        row = self.selected_row()
        if row < 0:
            return
        self.enc_model.update(row, regions=self.region_model.checked())
        self.refresh()

    @Slot()
    def _on_date_changed(self, *_: object) -> None:
        highlighted = self.highlighted_record()
        self.proc_model.set_date(self.date_of_service())
        row = self.proc_model.row_of(highlighted.code) if highlighted is not None else 0
        self._select_search_row(max(row, 0))
        self._on_highlight_changed()
        self.refresh()

    @Slot()
    def _on_encounter_choice(self, *_: object) -> None:
        self.override_combo.setItemText(0, f"Same as encounter ({MODALITY_LABELS[self.modality()]})")
        self._on_highlight_changed()
        self.refresh()

    # State ----------------------------------------------------------------------------------------
    def date_of_service(self) -> date:
        q = self.date_edit.date()
        return date(q.year(), q.month(), q.day())

    def setting(self) -> Setting:
        return self.setting_combo.currentData()  # type: ignore[no-any-return]

    def payer(self) -> Payer:
        return self.payer_combo.currentData()  # type: ignore[no-any-return]

    def modality(self) -> Modality:
        return self.modality_combo.currentData()  # type: ignore[no-any-return]

    def encounter(self) -> Encounter:
        return Encounter(self.date_of_service(), self.setting(), self.payer(), self.modality(),
                         self.enc_model.entries())

    def resolution(self) -> Resolution:
        """The resolution on screen (as last computed by :meth:`refresh`)."""
        if self._last is None:
            self.refresh()
        assert self._last is not None
        return self._last[1]

    @Slot()
    def refresh(self) -> None:
        """Recompute the answer with the engine and show it if it changed."""
        enc = self.encounter()
        res = resolve(self.catalog, enc)
        self._last = (enc, res)
        self.answer.show_answer(enc, res)
        has_lines = bool(res.guidance_lines)
        self.copy_action.setEnabled(has_lines)
        self.copy_tsv_action.setEnabled(has_lines)
        self.copy_button.setEnabled(has_lines)

    def displayed_lines(self) -> list[str]:
        """The guidance lines as the panel shows them, e.g. ``["77003-26 ×1", "77003-26-59 ×1"]``."""
        return self.answer.displayed_lines()

    def lines_text(self) -> str:
        """The displayed guidance lines, one per line (empty when there is nothing to bill)."""
        return "\n".join(self.displayed_lines())

    def answer_text(self) -> str:
        """Everything the answer panel displays, one label per line."""
        return self.answer.displayed_text()

    def set_catalog(self, catalog: Catalog) -> None:
        """Switch to another catalog (e.g. after importing a data pack), keeping the encounter."""
        self.catalog = catalog
        self._index = SearchIndex(catalog.records)
        self._preview_cache.clear()
        self.proc_model.set_index(self._index)
        self.enc_model.replace_records(catalog.get)
        self.answer.set_catalog(catalog)
        self._select_search_row(0)
        self._load_detail()
        self.refresh()

    # Copy, print, about ---------------------------------------------------------------------------
    def clipboard_mime(self) -> QMimeData:
        """text/plain: the display lines; text/tab-separated-values: code, 4 modifiers, units."""
        res = self.resolution()
        return _mime(lines_text(res), lines_tsv(res))

    @Slot()
    def copy_lines(self) -> None:
        res = self.resolution()
        if not res.guidance_lines:
            self.statusBar().showMessage("Nothing to copy: no imaging-guidance line to bill.", 4000)
            return
        QGuiApplication.clipboard().setMimeData(self.clipboard_mime())
        n = len(res.guidance_lines)
        self.statusBar().showMessage(f"Copied {n} line{'s' if n != 1 else ''}.", 4000)

    @Slot()
    def copy_lines_tsv(self) -> None:
        """Tab-separated as plain text too, for systems that only paste text."""
        res = self.resolution()
        if not res.guidance_lines:
            self.statusBar().showMessage("Nothing to copy: no imaging-guidance line to bill.", 4000)
            return
        tsv = lines_tsv(res)
        QGuiApplication.clipboard().setMimeData(_mime(tsv, tsv))
        self.statusBar().showMessage("Copied the lines tab-separated (code, 4 modifiers, units).", 4000)

    def summary_document(self, printer: QPagedPaintDevice) -> QTextDocument:
        """The summary laid out for ``printer``'s page, shrunk until it fits on one page."""
        from PySide6.QtGui import QTextDocument

        enc, res = self._last if self._last is not None else (self.encounter(), self.resolution())
        page = printer.pageLayout().paintRectPixels(printer.logicalDpiX())
        doc = QTextDocument()
        doc.documentLayout().setPaintDevice(printer)
        font_pt = 10.0
        while True:
            doc.setHtml(summary_html(self.catalog, enc, res, app_version=__version__, printed_on=date.today(),
                                     font_pt=font_pt))
            doc.setTextWidth(page.width())
            if doc.size().height() <= page.height() or font_pt <= 6.0:
                return doc
            font_pt -= 0.5

    def render_summary(self, printer: QPagedPaintDevice) -> None:
        from PySide6.QtCore import QMarginsF
        from PySide6.QtGui import QPageLayout, QPainter

        printer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
        doc = self.summary_document(printer)
        painter = QPainter()
        if not painter.begin(printer):
            raise OSError("could not start printing")
        try:
            doc.drawContents(painter)
        finally:
            painter.end()

    def save_pdf(self, path: Path | str) -> Path:
        """Write the one-page summary to ``path`` as PDF, atomically, without Qt's print support (no CUPS
        connection): desktop/ui/pdf_export.py."""
        from desktop.ui import pdf_export

        return pdf_export.save_pdf(path, self.render_summary, title="GuideCode summary",
                                   creator=f"{APP_NAME} {__version__}")

    @Slot()
    def print_summary(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print the GuideCode summary")
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self.render_summary(printer)
            self.statusBar().showMessage("Summary sent to the printer.", 4000)

    @Slot()
    def save_pdf_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, "Save the summary as PDF", "guidecode-summary.pdf",
                                              "PDF files (*.pdf)")
        if path:
            try:
                self.save_pdf(path)
            except OSError as exc:  # a full or read-only disk: the file that was there is kept
                self.statusBar().showMessage(f"The PDF could not be saved: {exc.strerror or exc}.", 10000)
                return
            self.statusBar().showMessage(f"Saved {path}.", 5000)

    @Slot()
    def show_about(self) -> None:
        from desktop.ui.about import AboutDialog

        dialog = AboutDialog(self.catalog, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
