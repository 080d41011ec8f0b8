"""GuideCode's main window: search a procedure, build the encounter, read the live answer.

Three panes, left to right, each its own class wired here by signals (the shape of Vorta's main window):

1. :class:`~desktop.ui.search_pane.SearchPane` — the search box over every code; says which code to add.
2. :class:`~desktop.ui.encounter_editor.EncounterEditor` — date, setting, payer, modality and the
   procedures, every edit an undo step; says when the encounter changed.
3. :class:`~desktop.ui.answer_panel.AnswerPanel` — the answer, recomputed by ``desktop.core.engine.resolve``
   on every change; asks to replace a code or to show a source.

The window owns the menus, the clipboard, printing, the saved work (autosave, Save as / Open, recent
encounters, favourites; :mod:`desktop.core.saved_work`) and the settings. The data-pack and descriptor
features reach it through :class:`desktop.ui.window_api.WindowHost` only.

Everything can be driven from code too (``add_procedure``, ``set_modality``, ``displayed_lines`` ...) so
tests and ``--self-test`` exercise the same signal paths a coder does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QLocale, QRect, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import QListView, QMainWindow, QMenu, QSplitter, QWidget

from desktop import APP_NAME, __version__
from desktop.core.dates import US_STYLE, DateStyle, style_from_pattern
from desktop.core.engine import REGION_LABEL, resolve
from desktop.core.model import (
    MODALITY_LABELS,
    PAYER_LABELS,
    REGIONS,
    SETTING_LABELS,
    Catalog,
    CodeRecord,
    Encounter,
    Laterality,
    Message,
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
from desktop.ui.encounter_editor import EncounterEditor
from desktop.ui.present import (
    COPY_FORM_LABELS,
    COPY_FORMS,
    TSV_MIME,
    CopyForm,
    claim_lines,
    claim_notes,
    ncci_status_text,
    procedure_headline,
    row_problems,
    summary_html,
)
from desktop.ui.search_pane import SearchPane
from desktop.ui.settings import Settings
from desktop.ui.widgets import FittedLabel, select_data

if TYPE_CHECKING:  # imported where used: each Qt class costs start-up time the first time it is touched
    from PySide6.QtCore import QMimeData
    from PySide6.QtGui import QPagedPaintDevice, QTextDocument

    from desktop.core.saved_work import WorkStore
    from desktop.ui.present import Copy
    from desktop.ui.source_dialog import SourceDialog

log = logging.getLogger(__name__)

#: The default window size, shrunk to fit the screen; the window works down to 1024x700.
DEFAULT_SIZE = QSize(1280, 800)
AUTOSAVE_DELAY_MS = 400


def locale_date_style(locale: QLocale | None = None) -> DateStyle:
    """The date style of the locale's short date (the C/POSIX locale has none a coder would use: US)."""
    loc = locale or QLocale()
    if loc.language() == QLocale.Language.C:
        return US_STYLE
    return style_from_pattern(loc.dateFormat(QLocale.FormatType.ShortFormat))


def _mime(copy: Copy, plain_tsv: bool = False) -> QMimeData:
    """Clipboard data: text/plain (ASCII), text/tab-separated-values and text/html."""
    from PySide6.QtCore import QMimeData  # when first copied, not at start-up

    mime = QMimeData()
    mime.setText(copy.tsv if plain_tsv else copy.text)
    mime.setData(TSV_MIME, QByteArray(copy.tsv.encode("utf-8")))
    if copy.html and not plain_tsv:
        mime.setHtml(copy.html)
    return mime


def fits(rect: QRect, screen: QRect) -> bool:
    """Whether a window at ``rect`` is wholly on ``screen`` (its available geometry)."""
    return screen.contains(rect)


class MainWindow(QMainWindow):
    """The GuideCode window over one catalog; ``settings`` keeps its geometry and last choices, ``store`` (the
    user data folder's saved work) the autosave, recent encounters and favourites (None: nothing is kept).

    Signals:
        highlight_changed(): the search list's highlighted procedure changed.
        answer_changed(): the answer on screen was recomputed (after any change of the encounter).
    """

    highlight_changed = Signal()
    answer_changed = Signal()

    def __init__(self, catalog: Catalog, settings: Settings, parent: QWidget | None = None, *,
                 store: WorkStore | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self.settings = settings
        self.store = store
        self.date_style = locale_date_style()
        self.copy_form: CopyForm = settings.copy_form
        self._descriptors: dict[str, str] | None = None
        self._index = SearchIndex(catalog.records)
        self._last: tuple[Encounter, Resolution] | None = None
        self._preview_cache: dict[tuple[object, ...], str] = {}
        self._favourites: tuple[str, ...] = ()
        self._recent: list[Encounter] = []
        self._source_dialog: SourceDialog | None = None
        self._autosave_failed = False
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

        today = date.today()
        self.search = SearchPane(self._index, today)
        self.editor = EncounterEditor(self.date_style, today)
        self.answer = AnswerPanel(catalog)
        self.answer.date_style = self.date_style
        self.answer.copy_form = self.copy_form
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        for n, (pane, stretch) in enumerate(((self.search, 3), (self.editor, 3), (self.answer, 4))):
            self.splitter.addWidget(pane)
            self.splitter.setStretchFactor(n, stretch)
        self.setCentralWidget(self.splitter)
        self._build_menus()
        self.statusBar().setObjectName("statusBar")
        # Which NCCI tables answer for the date of service, and a warning sign when it is outside their quarter.
        self.ncci_status = FittedLabel()
        self.ncci_status.setObjectName("ncciStatus")
        self.statusBar().addPermanentWidget(self.ncci_status)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self._autosave_timer.timeout.connect(self.autosave_now)

        self._restore_settings()
        self._connect()
        self._update_preview()
        self.refresh()

    def finish_startup(self, store: WorkStore | None = None) -> None:
        """What waits until the window has painted once (desktop/ui/main.py): the search's word indexes, so
        the first keystroke does not build them, the procedure list's cached row painting
        (desktop/ui/list_paint.py), and the saved work (favourites, recent encounters, the
        encounter autosaved last time) of ``store`` (or of the store given to the constructor)."""
        self._index.prepare()
        self.search.use_cached_paint()
        if store is not None:
            self.store = store
        if self.store is not None:
            self._load_saved_work()

    # WindowHost (desktop/ui/window_api.py) ------------------------------------------------------------
    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def widget(self) -> QWidget:
        return self

    def procedure_view(self) -> QListView:
        return self.search.proc_view

    def add_search_widget(self, widget: QWidget) -> None:
        self.search.add_below_preview(widget)

    def add_answer_widget(self, widget: QWidget) -> None:
        self.answer.add_below_answer(widget)

    def set_search_descriptors(self, descriptors: Mapping[str, str] | None) -> None:
        self._descriptors = dict(descriptors) if descriptors else None
        self._rebuild_index()

    def _rebuild_index(self) -> None:
        self._index = SearchIndex(self._catalog.records, self._descriptors)
        self._index.prepare()
        self.search.set_index(self._index)

    # Construction -------------------------------------------------------------------------------
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
        stack = self.editor.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setObjectName("undoAction")
        self.undo_action.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Undo))
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setObjectName("redoAction")
        redo_keys = [QKeySequence("Ctrl+Shift+Z")]
        redo_keys += [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo) if k not in redo_keys]
        self.redo_action.setShortcuts(redo_keys)
        self.undo_action.setProperty("helpText", "Undo the last encounter edit")
        self.redo_action.setProperty("helpText", "Redo the encounter edit undone")
        for action in (self.undo_action, self.redo_action):
            edit.addAction(action)
            self.addAction(action)
        edit.addSeparator()
        self.copy_action = self._action(edit, "&Copy lines", self.copy_lines,
                                        [QKeySequence(QKeySequence.StandardKey.Copy)], "copyAction")
        self.copy_tsv_action = self._action(edit, "Copy lines &tab-separated", self.copy_lines_tsv,
                                            [QKeySequence("Ctrl+Shift+C")], "copyTsvAction")
        form_menu = edit.addMenu("Copy &format")
        form_menu.setObjectName("copyFormMenu")
        group = QActionGroup(self)
        self.copy_form_actions: dict[CopyForm, QAction] = {}
        for form in COPY_FORMS:
            act = QAction(COPY_FORM_LABELS[form], self)
            act.setObjectName(f"copyForm_{form}")
            act.setCheckable(True)
            act.setChecked(form == self.copy_form)
            act.triggered.connect(partial(self.set_copy_form, form))
            group.addAction(act)
            form_menu.addAction(act)
            self.copy_form_actions[form] = act
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
        self.new_action = self._action(enc, "&New encounter (clears this one)", self.clear_encounter,
                                       [QKeySequence(QKeySequence.StandardKey.New)], "newEncounterAction")
        self.clear_action = self.new_action
        self.open_action = self._action(enc, "&Open encounter\u2026", self.open_encounter_dialog,
                                        [QKeySequence(QKeySequence.StandardKey.Open)], "openEncounterAction")
        self.save_as_action = self._action(enc, "&Save encounter as\u2026", self.save_encounter_dialog,
                                           [QKeySequence(QKeySequence.StandardKey.Save)], "saveEncounterAction")
        self.recent_menu = enc.addMenu("Recent &encounters")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        enc.addSeparator()
        self.add_action = self._action(enc, "&Add highlighted procedure\tEnter", self.add_highlighted, None,
                                       "addAction")
        self.remove_action = self._action(enc, "&Remove selected procedure\tDelete", self.remove_selected, None,
                                          "removeAction")
        enc.addSeparator()
        self.region_actions: dict[Region, QAction] = {}
        for n, region in enumerate(REGIONS, start=1):
            self.region_actions[region] = self._action(
                enc, f"Toggle {REGION_LABEL[region].lower()} region", partial(self.toggle_region, region),
                [QKeySequence(f"Ctrl+{n}")], f"toggle_{region}")
        enc.addSeparator()
        self.favourite_action = self._action(enc, "&Pin or unpin the highlighted code", self.toggle_favourite,
                                             [QKeySequence("Ctrl+D")], "favouriteAction")
        self.unpin_all_action = self._action(enc, "Unpin all favourite codes", self.clear_favourites, None,
                                             "unpinAllAction")

        help_menu = bar.addMenu("&Help")
        help_menu.setObjectName("helpMenu")
        self.shortcuts_action = self._action(help_menu, "&Keyboard shortcuts", partial(self.show_help, "shortcuts"),
                                             [QKeySequence(QKeySequence.StandardKey.HelpContents)],
                                             "shortcutsAction")
        self.badges_action = self._action(help_menu, "What the &confidence badges mean",
                                          partial(self.show_help, "badges"), None, "badgesAction")
        self.sources_action = self._action(help_menu, "&Data sources", partial(self.show_help, "sources"), None,
                                           "dataSourcesAction")
        help_menu.addSeparator()
        self.about_action = self._action(help_menu, "&About GuideCode", self.show_about, None, "aboutAction")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

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
        self.search.add_requested.connect(self._on_add_requested)
        self.search.highlight_changed.connect(self._update_preview)
        self.search.highlight_changed.connect(self.highlight_changed)
        self.editor.changed.connect(self._on_encounter_changed)
        self.editor.choices_changed.connect(self._on_choices_changed)
        self.editor.date_changed.connect(self.search.set_date)
        self.editor.status.connect(self._show_status)
        self.editor.undo_stack.indexChanged.connect(self._on_undo_index)
        self.answer.copy_button.clicked.connect(self.copy_lines)
        self.answer.print_button.clicked.connect(self.print_summary)
        self.answer.replace_requested.connect(self.replace_code)
        self.answer.source_requested.connect(self.show_source)

    def _restore_settings(self) -> None:
        self.editor.set_initial_choices(self.settings.setting, self.settings.payer, self.settings.modality)
        self._restore_geometry()
        if self.settings.was_corrupt:
            self.statusBar().showMessage("The settings file could not be read; defaults are used.", 10000)

    def _available_geometry(self) -> QRect:
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 800)

    def _restore_geometry(self) -> None:
        """The saved geometry if it fits the screen the window is on now; else the default size, shrunk to
        that screen (a window saved on a large monitor, or at another scale, must not open off screen)."""
        available = self._available_geometry()
        geometry = self.settings.read(keys.GEOMETRY)
        if geometry.isEmpty() or not self.restoreGeometry(geometry) or not fits(self.geometry(), available):
            if not geometry.isEmpty():
                log.info("saved window geometry does not fit the screen %s; default size used", available)
            # Not below the layout's minimum: Qt keeps a top-level window at least that size by itself (asking
            # for minimumSizeHint here would lay every pane out once more before the first paint).
            width = min(DEFAULT_SIZE.width(), available.width() - 32)
            height = min(DEFAULT_SIZE.height(), available.height() - 48)
            self.resize(width, height)
            x = available.x() + max(0, (available.width() - width) // 2)
            y = available.y() + max(0, (available.height() - height) // 2)
            self.move(x, y)
        state = self.settings.read(keys.SPLITTER)
        if state.isEmpty() or not self.splitter.restoreState(state):
            width = self.width()
            self.splitter.setSizes([width * 3 // 10, width * 3 // 10, width * 4 // 10])

    def save_settings(self) -> None:
        self.settings.write(keys.GEOMETRY, self.saveGeometry())
        self.settings.write(keys.SPLITTER, self.splitter.saveState())
        self.settings.write(keys.SETTING, self.setting())
        self.settings.write(keys.PAYER, self.payer())
        self.settings.write(keys.MODALITY, self.modality())
        self.settings.write(keys.COPY_FORM, self.copy_form)
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_settings()
        if self.store is not None:
            self.autosave_now()
            self._remember_recent(self.encounter())
        super().closeEvent(event)

    # Signals from the panes ----------------------------------------------------------------------
    @Slot(str, int)
    def _show_status(self, text: str, timeout: int) -> None:
        self.statusBar().showMessage(text, timeout)

    @Slot(str)
    def _on_add_requested(self, code: str) -> None:
        if not code:
            self.statusBar().showMessage("Nothing highlighted to add.", 4000)
            return
        self.add_procedure(code)

    @Slot()
    def _on_encounter_changed(self) -> None:
        self.refresh()
        if self.store is not None:
            self._autosave_timer.start()

    @Slot()
    def _on_choices_changed(self) -> None:
        self._update_preview()

    @Slot(int)
    def _on_undo_index(self, _index: int) -> None:
        # Ctrl+Z in the search box now undoes this edit, not the typing that came before it.
        self.search.forget_text_history()

    @Slot()
    def _update_preview(self) -> None:
        rec = self.search.highlighted_record()
        self.search.set_preview(self._preview(rec.code) if rec is not None else self.search.no_match_text())

    def _preview(self, code: str) -> str:
        """What the highlighted code alone would give with the current choices (from the engine)."""
        enc = Encounter(self.date_of_service(), self.setting(), self.payer(), self.modality(),
                        (ProcedureEntry(code),))
        key = (enc, self.date_style)
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

    # Search ---------------------------------------------------------------------------------------
    @Slot()
    def focus_search(self) -> None:
        self.search.focus()

    def highlighted_record(self) -> CodeRecord | None:
        return self.search.highlighted_record()

    @Slot()
    def add_highlighted(self) -> None:
        self.search.add_highlighted()

    # Encounter ------------------------------------------------------------------------------------
    def add_procedure(self, code: str, *, units: int = 1, laterality: Laterality | None = None,
                      modality: Modality | None = None, regions: tuple[Region, ...] | None = None) -> int:
        """Add ``code`` to the encounter and select it; returns its row. Raises KeyError if unknown."""
        rec = self.catalog.get(code.strip().upper())
        if rec is None:
            raise KeyError(f"{code} is not in the catalog")
        return self.editor.add_record(rec, units=units, laterality=laterality, modality=modality, regions=regions)

    def select_procedure(self, row: int) -> None:
        self.editor.select_row(row)

    def selected_row(self) -> int:
        return self.editor.selected_row()

    @Slot()
    def remove_selected(self) -> None:
        self.editor.remove_selected()

    def remove_procedure(self, row: int) -> None:
        self.editor.remove_row(row)

    @Slot()
    def clear_encounter(self) -> None:
        """New encounter: clear this one (undoable), keeping it in the recent list."""
        self._remember_recent(self.encounter())
        self.editor.clear()

    @Slot(int, str)
    def replace_code(self, row: int, code: str) -> None:
        """The Replace button: ``code`` in place of the procedure in ``row`` (undoable)."""
        rec = self.catalog.get(code)
        if rec is None or not 0 <= row < len(self.editor.rows()):
            self.statusBar().showMessage(f"{code} cannot be put in the encounter: it is not in the data.", 6000)
            return
        self.editor.replace_code(row, rec)

    def set_date(self, when: date) -> None:
        self.editor.set_date(when)

    def set_setting(self, setting: Setting) -> None:
        select_data(self.editor.setting_combo, setting)

    def set_payer(self, payer: Payer) -> None:
        select_data(self.editor.payer_combo, payer)

    def set_modality(self, modality: Modality) -> None:
        """The encounter's modality (each procedure may override it)."""
        select_data(self.editor.modality_combo, modality)

    def set_images_recorded(self, value: bool | None) -> None:
        """The Images recorded box (ultrasound): True yes, False no, None not stated; as a coder picks it."""
        from desktop.ui.encounter_editor import recorded_choice

        select_data(self.editor.images_combo, recorded_choice(value))

    def _current_row_or(self, row: int | None) -> int:
        n = self.selected_row() if row is None else row
        if not 0 <= n < len(self.editor.rows()):
            raise IndexError("no such procedure in the encounter")
        if n != self.selected_row():
            self.select_procedure(n)
        return n

    def set_laterality(self, laterality: Laterality | None, row: int | None = None) -> None:
        """The side of a procedure, chosen in the Side box as a coder would."""
        self._current_row_or(row)
        select_data(self.editor.side_combo, laterality)

    def set_region(self, region: Region, checked: bool, row: int | None = None) -> None:
        """Tick or untick a region of a procedure through the checklist, as a click would."""
        self._current_row_or(row)
        item = self.editor.region_model.region_item(region)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def toggle_region(self, region: Region) -> None:
        self.editor.toggle_region(region)

    # State ----------------------------------------------------------------------------------------
    def date_of_service(self) -> date:
        return self.editor.date_of_service()

    def setting(self) -> Setting:
        return self.editor.setting()

    def payer(self) -> Payer:
        return self.editor.payer()

    def modality(self) -> Modality:
        return self.editor.modality()

    def encounter(self) -> Encounter:
        return self.editor.encounter()

    def resolution(self) -> Resolution:
        """The resolution on screen (as last computed by :meth:`refresh`)."""
        if self._last is None:
            self.refresh()
        assert self._last is not None
        return self._last[1]

    def _invalid_date_resolution(self) -> Resolution:
        problem = self.editor.date_field.problem() or "not a date"
        text = (f"The date of service is not valid ({problem}); no answer is given until it is a date "
                f"({self.date_style.placeholder}).")
        return Resolution((), (), (Message("error", text),), self.catalog.data_version, self.catalog.packs)

    @Slot()
    def refresh(self) -> None:
        """Recompute the answer with the engine and show it if it changed."""
        enc = self.encounter()
        res = resolve(self.catalog, enc) if self.editor.date_is_valid() else self._invalid_date_resolution()
        self._last = (enc, res)
        self.answer.show_answer(enc, res)
        self.editor.enc_model.set_marks(row_problems(enc, res, self.date_style))
        can_copy = bool(claim_lines(res) or claim_notes(self.catalog, enc, res))
        self.copy_action.setEnabled(can_copy)
        self.copy_tsv_action.setEnabled(can_copy)
        self.answer.copy_button.setEnabled(can_copy)
        text, tip = ncci_status_text(self.catalog, enc.date_of_service, self.date_style)
        if text != self.ncci_status.text():
            self.ncci_status.setText(text)
        self.ncci_status.set_help(tip)
        self.answer_changed.emit()

    def displayed_lines(self) -> list[str]:
        """The guidance lines as the panel shows them, e.g. ``["77003-26 ×1", "77003-26-59 ×1"]``."""
        return self.answer.displayed_lines()

    def answer_text(self) -> str:
        """Everything the answer panel displays, one label per line."""
        return self.answer.displayed_text()

    def set_catalog(self, catalog: Catalog) -> None:
        """Switch to another catalog (e.g. after importing a data pack), keeping the encounter."""
        self._catalog = catalog
        self._preview_cache.clear()
        self._rebuild_index()
        self.editor.enc_model.replace_records(catalog.get)
        self.answer.set_catalog(catalog)
        self.refresh()

    # Copy, print ----------------------------------------------------------------------------------
    def clipboard_copy(self) -> Copy:
        """What Copy puts on the clipboard now (desktop.ui.present.copy_for)."""
        from desktop.ui.present import copy_for

        enc, res = self.encounter(), self.resolution()
        return copy_for(self.catalog, enc, res, self.copy_form, self.date_style)

    def clipboard_mime(self) -> QMimeData:
        """text/plain: ASCII claim lines and notes; text/tab-separated-values: the claim lines; text/html."""
        return _mime(self.clipboard_copy())

    def _copied(self, copy: Copy, what: str) -> None:
        notes = len(copy.text.splitlines()) - copy.lines - (1 if copy.warning else 0)
        parts = [f"{copy.lines} claim line{'s' if copy.lines != 1 else ''}"] if copy.lines else []
        if notes and what == "text":
            parts.append(f"{notes} note{'s' if notes != 1 else ''}")
        text = f"Copied {' and '.join(parts) or 'nothing'}" + (" (tab-separated)." if what == "tsv" else ".")
        if copy.warning:
            text = f"WARNING: the answer has an error; the copy starts with a warning line. {text}"
        self.statusBar().showMessage(text, 8000 if copy.warning else 4000)

    @Slot()
    def copy_lines(self) -> None:
        copy = self.clipboard_copy()
        if copy.empty:
            self.statusBar().showMessage("Nothing to copy: no claim line and no note in this answer.", 4000)
            return
        QGuiApplication.clipboard().setMimeData(_mime(copy))
        self._copied(copy, "text")

    @Slot()
    def copy_lines_tsv(self) -> None:
        """Tab-separated as plain text too, for systems that only paste text."""
        copy = self.clipboard_copy()
        if not copy.tsv:
            self.statusBar().showMessage("Nothing to copy: no claim line in this answer.", 4000)
            return
        QGuiApplication.clipboard().setMimeData(_mime(copy, plain_tsv=True))
        self._copied(copy, "tsv")

    def set_copy_form(self, form: CopyForm) -> None:
        """Claim fields (``64483 50 1``) or the display form (``64483-50 x1``) for Copy and the panel."""
        self.copy_form = form
        self.copy_form_actions[form].setChecked(True)
        self.answer.copy_form = form
        self.refresh()

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
                                     font_pt=font_pt, style=self.date_style, form=self.copy_form))
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

    def _print_warning(self) -> None:
        if self.resolution().has_errors:
            self.statusBar().showMessage("WARNING: the answer has an error; the summary starts with a warning "
                                         "line.", 8000)

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
            self._print_warning()

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
            self._print_warning()

    # Sources and help -----------------------------------------------------------------------------
    @Slot(str, str)
    def show_source(self, source_id: str, cited_by: str) -> SourceDialog:
        """The source panel for ``source_id`` (clicked in the answer), with the rule text citing it."""
        from desktop.ui.source_dialog import SourceDialog

        if self._source_dialog is None:
            self._source_dialog = SourceDialog(self)
        self._source_dialog.show_source(self.catalog, source_id, cited_by)
        return self._source_dialog

    def show_help(self, page: str) -> QWidget:
        from desktop.ui.help import open_help

        extra = (*self.search.KEYS, *self.editor.KEYS)
        return open_help(self, page, self.menuBar(), extra)

    @Slot()
    def show_about(self) -> None:
        from desktop.ui.about import AboutDialog

        dialog = AboutDialog(self.catalog, self, saved_in=self.store.data_dir if self.store else None,
                             when=self.date_of_service())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # Saved work -----------------------------------------------------------------------------------
    def _load_saved_work(self) -> None:
        assert self.store is not None
        today = date.today()
        favourites, problem = self.store.favourites()
        self._favourites = favourites
        self.search.set_favourites(favourites)
        self._recent, recent_problem = self.store.recent(today=today)
        restored = self.store.load_autosave(today=today)
        for text in (problem, recent_problem, restored.problem):
            if text:
                log.warning("saved work: %s", text)
                self.statusBar().showMessage(f"{text[0].upper()}{text[1:]}.", 15000)
        enc = restored.encounter
        if enc is not None and enc.procedures and self.load_encounter(enc, "Restore the last encounter",
                                                                      undoable=False):
            self.statusBar().showMessage(
                f"Restored the encounter you were working on ({self.date_style.format(enc.date_of_service)}, "
                f"{len(enc.procedures)} procedure{'s' if len(enc.procedures) != 1 else ''}). Encounter "
                "\u2192 New encounter starts a new one.", 15000)

    def load_encounter(self, encounter: Encounter, what: str, *, undoable: bool = True) -> bool:
        """Show ``encounter`` (opened, recent or restored). A code the data does not have refuses it whole,
        with a message, and nothing changes. Returns whether it was shown."""
        missing = [p.code for p in encounter.procedures if self.catalog.get(p.code) is None]
        if missing:
            text = (f"{what}: not done, GuideCode's data has no code {', '.join(dict.fromkeys(missing))} "
                    "(a data pack that had it may be off). Nothing was changed.")
            self.statusBar().showMessage(text, 15000)
            log.warning("%s", text)
            return False
        records = {p.code: rec for p in encounter.procedures if (rec := self.catalog.get(p.code)) is not None}
        if undoable and self.editor.rows():
            self._remember_recent(self.encounter())
        self.editor.load_encounter(encounter, records, what)
        if not undoable:
            self.editor.undo_stack.clear()
        return True

    @Slot()
    def autosave_now(self) -> None:
        """Write the encounter to the user data folder now (also on every edit, after a short pause)."""
        self._autosave_timer.stop()
        if self.store is None:
            return
        try:
            self.store.save_autosave(self.encounter())
        except OSError as exc:
            log.warning("autosave failed: %s", exc)
            if not self._autosave_failed:
                self.statusBar().showMessage(f"The encounter could not be autosaved ({exc.strerror or exc}).", 10000)
            self._autosave_failed = True
        else:
            self._autosave_failed = False

    def _remember_recent(self, encounter: Encounter) -> None:
        if self.store is None or not encounter.procedures:
            return
        try:
            self._recent = self.store.push_recent(encounter, today=date.today())
        except OSError as exc:
            log.warning("recent encounters not saved: %s", exc)

    def recent_encounters(self) -> list[Encounter]:
        return list(self._recent)

    def recent_label(self, encounter: Encounter) -> str:
        codes = ", ".join(p.code + (f"-{'-'.join(p.modifiers)}" if p.modifiers else "") +
                          (f" ({p.laterality})" if p.laterality else "") for p in encounter.procedures[:5])
        more = f" +{len(encounter.procedures) - 5}" if len(encounter.procedures) > 5 else ""
        return (f"{self.date_style.format(encounter.date_of_service)}  {codes}{more}  \u00b7 "
                f"{SETTING_LABELS[encounter.setting]} \u00b7 {PAYER_LABELS[encounter.payer]}")

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        if not self._recent:
            empty = self.recent_menu.addAction("No recent encounter" if self.store else
                                               "No recent encounter (not kept in this window)")
            empty.setEnabled(False)
            return
        for n, enc in enumerate(self._recent, start=1):
            act = self.recent_menu.addAction(f"&{n % 10} {self.recent_label(enc)}")
            act.triggered.connect(partial(self.open_recent, n - 1))

    def open_recent(self, n: int) -> bool:
        enc = self._recent[n]
        return self.load_encounter(enc, "Open a recent encounter")

    @Slot()
    def open_encounter_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        start = str(self.store.data_dir) if self.store is not None else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open an encounter", start, "GuideCode encounters (*.json)")
        if path:
            self.open_encounter(Path(path))

    def open_encounter(self, path: Path) -> bool:
        """Open an encounter file (the ``resolve`` input format) as one undo step; a bad file changes nothing."""
        from desktop.core.encounter_json import EncounterError
        from desktop.core.saved_work import load_encounter_file

        try:
            enc = load_encounter_file(path, today=date.today())
        except (OSError, EncounterError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._refuse_file(f"{path.name} was not opened: {reason}. Nothing was changed.")
            return False
        if not self.load_encounter(enc, f"Open {path.name}"):
            return False
        self.statusBar().showMessage(f"Opened {path.name} (Ctrl+Z goes back to the encounter before).", 6000)
        return True

    def _refuse_file(self, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        log.warning("%s", text)
        self.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, f"{APP_NAME}: encounter not opened", text,
                          QMessageBox.StandardButton.Close, self)
        box.setObjectName("encounterRefusedBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    @Slot()
    def save_encounter_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        start = self.store.data_dir / "encounters" if self.store is not None else Path()
        suggested = start / f"encounter-{self.date_of_service().isoformat()}.json"
        path, _ = QFileDialog.getSaveFileName(self, "Save the encounter (codes, dates and settings only)",
                                              str(suggested), "GuideCode encounters (*.json)")
        if path:
            self.save_encounter(Path(path if path.endswith(".json") else path + ".json"))

    def save_encounter(self, path: Path) -> bool:
        from desktop.core.saved_work import save_encounter_file

        enc = self.encounter()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_encounter_file(path, enc)
        except OSError as exc:
            self.statusBar().showMessage(f"{path.name} was not saved: {exc.strerror or exc}.", 15000)
            log.warning("saving %s failed: %s", path, exc)
            return False
        self._remember_recent(enc)
        self.statusBar().showMessage(f"Saved {path} (codes, dates and settings only).", 6000)
        return True

    # Favourites -----------------------------------------------------------------------------------
    def favourites(self) -> tuple[str, ...]:
        return self._favourites

    def set_favourites(self, codes: tuple[str, ...]) -> None:
        if self.store is not None:
            try:
                codes = self.store.set_favourites(codes)
            except OSError as exc:
                self.statusBar().showMessage(f"Favourites not saved: {exc.strerror or exc}.", 8000)
        self._favourites = tuple(codes)
        self.search.set_favourites(self._favourites)

    @Slot()
    def toggle_favourite(self) -> None:
        rec = self.highlighted_record()
        if rec is None:
            self.statusBar().showMessage("Highlight a code in the list to pin it.", 4000)
            return
        if rec.code in self._favourites:
            self.set_favourites(tuple(c for c in self._favourites if c != rec.code))
            self.statusBar().showMessage(f"Unpinned {rec.code}.", 4000)
        else:
            self.set_favourites((*self._favourites, rec.code))
            self.statusBar().showMessage(f"Pinned {rec.code}: it heads the list when the search box is empty.",
                                         5000)

    @Slot()
    def clear_favourites(self) -> None:
        self.set_favourites(())
        self.statusBar().showMessage("No favourite code is pinned now.", 4000)
