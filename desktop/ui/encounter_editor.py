"""The encounter editor: date of service, setting, payer and modality (and, when ultrasound is used, whether
its images were recorded); the procedures added so far; and, for the selected one, units, side, a modality
override and the spinal-region checklist.

Every edit of the encounter (add, remove, replace, units, side, modality, regions, setting, payer, images
recorded, clear, opening a file) is a command on the editor's :class:`QUndoStack` (Edit → Undo / Redo). A
command holds the whole :class:`EditorState` before and after, so undoing is showing the state before; a run
of edits of the same field of the same procedure (typing 12 units) merges into one step. The date of service
is not an undo step: it is typed, and a half-typed date is not an edit worth undoing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import cast

from PySide6.QtCore import QItemSelectionModel, QSize, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QPalette, QShortcut, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.core.dates import DateStyle
from desktop.core.engine import LATERALITY_MODIFIERS
from desktop.core.frozen import frozen
from desktop.core.model import (
    MODALITIES,
    MODALITY_LABELS,
    PAYER_LABELS,
    PAYERS,
    REGIONS,
    SETTING_LABELS,
    SETTINGS,
    CodeRecord,
    Encounter,
    Laterality,
    Modality,
    Payer,
    Recorded,
    Region,
    Setting,
)
from desktop.ui.models import LATERALITY_LABELS, ElidingDelegate, EncounterModel, EncounterRow, RegionModel
from desktop.ui.widgets import ERROR_COLOUR, DateField, combo, form_row, select_data

_REGION_HINT = "Ctrl+1 cervical \u00b7 Ctrl+2 thoracic \u00b7 Ctrl+3 lumbar \u00b7 Ctrl+4 sacral"
#: The "Images recorded" box: the encounter's ``images_recorded`` (None: not stated), as rules.yaml's
#: documentation rules read it ("yes", "no", "unstated").
IMAGES_CHOICES: tuple[tuple[str, Recorded], ...] = (("Not stated", "unstated"), ("Yes", "yes"), ("No", "no"))
_IMAGES_VALUE: dict[Recorded, bool | None] = {"unstated": None, "yes": True, "no": False}
_IMAGES_HELP = ("Were the ultrasound images permanently recorded, with a report of the localization? Ultrasound "
                "guidance is billable only then. No: the guidance line is not billed, and a code with ultrasound "
                "built in (20611, 20606, 20604) falls back to its code without imaging. Not stated: the answer "
                "reminds you.")


def recorded_choice(value: bool | None) -> Recorded:
    return "unstated" if value is None else ("yes" if value else "no")


def uses_ultrasound(modality: Modality, rows: tuple[EncounterRow, ...]) -> bool:
    """Whether the encounter uses ultrasound: its modality, or a procedure's own."""
    return modality == "ultrasound" or any(r.modality == "ultrasound" for r in rows)


@frozen
class EditorState:
    """Everything an undo step restores: the procedures, the encounter's choices, the selected row, and
    whether the ultrasound images were recorded (None: not stated)."""

    rows: tuple[EncounterRow, ...]
    setting: Setting
    payer: Payer
    modality: Modality
    current: int = -1
    images_recorded: bool | None = None


class EncounterEdit(QUndoCommand):
    """One undoable edit: shows ``after`` on redo (and when pushed), ``before`` on undo. Edits with the same
    ``merge_key`` in a row (typing units into the same procedure) merge into one step."""

    _MERGE_ID = 1501

    def __init__(self, editor: EncounterEditor, text: str, before: EditorState, after: EditorState,
                 merge_key: tuple[object, ...] | None = None) -> None:
        super().__init__(text)
        self.editor = editor
        self.before = before
        self.after = after
        self.merge_key = merge_key

    def id(self) -> int:
        return self._MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt override
        if not isinstance(other, EncounterEdit) or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        if self.after.rows == self.before.rows:
            self.setObsolete(True)  # typed back to where it was: no step left to undo
        return True

    def redo(self) -> None:
        self.editor.show_state(self.after)

    def undo(self) -> None:
        self.editor.show_state(self.before)


class EncounterEditor(QWidget):
    """The middle pane. Drive it from code with :meth:`add_record`, :meth:`remove_row`, :meth:`replace_code`,
    :meth:`clear`, :meth:`load_encounter` ... (each one undoable step), read it with :meth:`encounter`.

    Signals:
        changed(): the encounter changed (any edit, undo or redo, or the date of service).
        choices_changed(): the date, setting, payer or modality changed (the search preview depends on them).
        date_changed(date): a new valid date of service.
        date_validity_changed(bool): the date field holds a date, or stopped holding one.
        status(str, int): a message for the status bar and how long to show it (ms).
    """

    changed = Signal()
    choices_changed = Signal()
    date_changed = Signal(object)
    date_validity_changed = Signal(bool)
    status = Signal(str, int)

    KEYS: tuple[tuple[str, str], ...] = (
        ("Delete or Backspace (in the encounter list)", "remove the selected procedure"),
        ("Space (in the region list)", "tick the current region"),
        ("t, 3/10/2016, 03102016, 2016-03-10 (in the date field)", "today, or that date; Escape goes back to "
         "the last valid date"),
    )

    def __init__(self, date_style: DateStyle, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("encounterPane")
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setObjectName("encounterUndoStack")
        self._showing = False
        self._choices: tuple[Setting, Payer, Modality] = ("office", "other", "fluoroscopy")
        self._images: bool | None = None  # images_recorded as last recorded (the box may show a newer choice)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 8, 4, 8)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.date_field = DateField(date_style, today)
        self.date_edit = self.date_field.edit
        self.date_problem = QLabel()
        self.date_problem.setObjectName("dateProblem")
        self.date_problem.setWordWrap(True)
        self.date_problem.setTextFormat(Qt.TextFormat.PlainText)
        palette = self.date_problem.palette()
        palette.setColor(QPalette.ColorRole.WindowText, ERROR_COLOUR)
        self.date_problem.setPalette(palette)
        self.date_problem.hide()
        self.setting_combo = combo("settingCombo", "Place of service setting",
                                   [(SETTING_LABELS[s], s) for s in SETTINGS])
        self.payer_combo = combo("payerCombo", "Payer", [(PAYER_LABELS[p], p) for p in PAYERS])
        self.modality_combo = combo("modalityCombo", "Imaging modality for the encounter",
                                    [(MODALITY_LABELS[m], m) for m in MODALITIES])
        form_row(form, "&Date of service:", self.date_field, self.date_edit)
        form.addRow("", self.date_problem)
        form_row(form, "Se&tting:", self.setting_combo)
        form_row(form, "Pa&yer:", self.payer_combo)
        form_row(form, "&Modality:", self.modality_combo)
        self.images_combo = combo("imagesRecordedCombo", "Ultrasound images recorded, with a report",
                                  list(IMAGES_CHOICES))
        self.images_combo.setToolTip(_IMAGES_HELP)
        self.images_combo.setAccessibleDescription(_IMAGES_HELP)
        self.images_label = form_row(form, "Images recorded:", self.images_combo)
        self.images_label.setToolTip(_IMAGES_HELP)
        self._form = form
        form.setRowVisible(self.images_combo, False)  # shown when the encounter uses ultrasound
        outer.addLayout(form)

        self.enc_label = QLabel("&Procedures in this encounter:")
        self.enc_model = EncounterModel(self)
        self.enc_view = QListView()
        self.enc_view.setObjectName("encounterList")
        self.enc_view.setAccessibleName("Procedures in this encounter")
        self.enc_view.setAccessibleDescription("Delete removes the selected procedure. A row with a problem "
                                               "in the answer is marked, and its tooltip says what.")
        self.enc_view.setModel(self.enc_model)
        self.enc_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.enc_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.enc_view.setItemDelegate(ElidingDelegate(self.enc_view))
        self.enc_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.enc_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.enc_view.setMinimumHeight(self.enc_view.fontMetrics().height() * 3 + 8)
        mark = self.enc_view.fontMetrics().height()  # the error / warning mark of a row: as tall as its text
        self.enc_view.setIconSize(QSize(mark, mark))
        self.enc_label.setBuddy(self.enc_view)
        outer.addWidget(self.enc_label)
        outer.addWidget(self.enc_view, 2)
        buttons = QHBoxLayout()
        self.remove_button = QPushButton("Remo&ve")
        self.remove_button.setObjectName("removeButton")
        self.remove_button.setAccessibleName("Remove the selected procedure")
        self.remove_button.setToolTip("Remove the selected procedure (Delete); Ctrl+Z brings it back")
        self.clear_button = QPushButton("C&lear encounter")
        self.clear_button.setObjectName("clearButton")
        self.clear_button.setAccessibleName("Clear the encounter")
        self.clear_button.setToolTip("Remove every procedure (Encounter \u2192 New encounter); Ctrl+Z brings "
                                     "them back")
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        outer.addLayout(buttons)

        self.detail_box = QGroupBox("Selected procedure")
        self.detail_box.setObjectName("detailBox")
        self.detail_box.setAccessibleName("Selected procedure")
        detail = QFormLayout(self.detail_box)
        detail.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.units_spin = QSpinBox()
        self.units_spin.setObjectName("unitsSpin")
        self.units_spin.setAccessibleName("Units of the selected procedure")
        self.units_spin.setRange(1, 99)
        self.side_combo = combo("sideCombo", "Side of the selected procedure",
                                [("Not stated", None)] + [(LATERALITY_LABELS[s], s) for s in LATERALITY_LABELS])
        self.override_combo = combo("modalityOverrideCombo", "Modality for the selected procedure only",
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
        self.region_hint = QLabel(_REGION_HINT)
        self.region_hint.setObjectName("regionHint")
        self.region_hint.setWordWrap(True)
        self.region_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        form_row(detail, "&Units:", self.units_spin)
        form_row(detail, "S&ide:", self.side_combo)
        form_row(detail, "M&odality here:", self.override_combo)
        form_row(detail, "Re&gions:", self.region_view)
        detail.addRow("", self.region_hint)
        outer.addWidget(self.detail_box)

        # Delete removes the selected procedure while the encounter list has the focus.
        for seq in (QKeySequence.StandardKey.Delete, QKeySequence(Qt.Key.Key_Backspace)):
            shortcut = QShortcut(QKeySequence(seq), self.enc_view)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.remove_selected)

        self.enc_model.set_date(today)
        self.date_field.date_changed.connect(self._on_date_changed)
        self.date_field.validity_changed.connect(self._on_date_validity)
        for box in (self.setting_combo, self.payer_combo, self.modality_combo):
            box.currentIndexChanged.connect(self._on_choice_changed)
        self.images_combo.currentIndexChanged.connect(self._on_images_changed)
        self.enc_view.selectionModel().currentChanged.connect(self._load_detail)
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button.clicked.connect(self.clear)
        self.units_spin.valueChanged.connect(self._on_units_changed)
        self.side_combo.currentIndexChanged.connect(self._on_side_changed)
        self.override_combo.currentIndexChanged.connect(self._on_override_changed)
        self.region_model.itemChanged.connect(self._on_region_item_changed)
        self.remember_initial_choices()
        self._load_detail()

    # State ------------------------------------------------------------------------------------------
    def date_of_service(self) -> date:
        """The last valid date entered (:meth:`date_is_valid` says whether the field holds it now)."""
        return self.date_field.current_date()

    def date_is_valid(self) -> bool:
        return self.date_field.is_valid()

    def setting(self) -> Setting:
        return cast(Setting, self.setting_combo.currentData())

    def payer(self) -> Payer:
        return cast(Payer, self.payer_combo.currentData())

    def modality(self) -> Modality:
        return cast(Modality, self.modality_combo.currentData())

    def images_recorded(self) -> bool | None:
        """Whether the ultrasound images were recorded with a report: True, False, None (not stated)."""
        return _IMAGES_VALUE[cast(Recorded, self.images_combo.currentData())]

    def images_row_visible(self) -> bool:
        return self._form.isRowVisible(self.images_combo)

    def encounter(self) -> Encounter:
        return Encounter(self.date_of_service(), self.setting(), self.payer(), self.modality(),
                         self.enc_model.entries(), self.images_recorded())

    def rows(self) -> tuple[EncounterRow, ...]:
        return self.enc_model.rows()

    def selected_row(self) -> int:
        idx = self.enc_view.currentIndex()
        return idx.row() if idx.isValid() else -1

    def state(self) -> EditorState:
        """The state as last recorded (while the coder changes a combo, it still has the old choice)."""
        return EditorState(self.enc_model.rows(), *self._choices, self.selected_row(), self._images)

    def show_state(self, state: EditorState) -> None:
        """Show ``state`` in every widget (what undo and redo do); emits ``changed`` once."""
        self._showing = True
        try:
            self.enc_model.set_rows(state.rows)
            for box, value in ((self.setting_combo, state.setting), (self.payer_combo, state.payer),
                               (self.modality_combo, state.modality)):
                if box.currentData() != value:
                    select_data(box, value)
            self._choices = (state.setting, state.payer, state.modality)
            if self.images_recorded() != state.images_recorded:
                select_data(self.images_combo, recorded_choice(state.images_recorded))
            self._images = state.images_recorded
            self._update_override_label()
            self._update_images_row(state)
            n = len(state.rows)
            current = state.current if 0 <= state.current < n else (n - 1 if n else -1)
            self.select_row(current)
            self._load_detail()
        finally:
            self._showing = False
        self.choices_changed.emit()
        self.changed.emit()

    def _push(self, text: str, after: EditorState, merge_key: tuple[object, ...] | None = None) -> None:
        before = self.state()
        if after.rows == before.rows and (after.setting, after.payer, after.modality, after.images_recorded) == (
                before.setting, before.payer, before.modality, before.images_recorded):
            if after.current != before.current:
                self.select_row(after.current)
            return
        self.undo_stack.push(EncounterEdit(self, text, before, after, merge_key))

    # Edits (each one undo step) -------------------------------------------------------------------------
    def add_record(self, record: CodeRecord, *, units: int = 1, laterality: Laterality | None = None,
                   modality: Modality | None = None, regions: tuple[Region, ...] | None = None,
                   modifiers: tuple[str, ...] = ()) -> int:
        """Add ``record`` to the encounter and select it; returns its row."""
        if regions is None:
            # A code that can only be in one region has it ticked already; others wait for the coder.
            regions = record.regions if record.spinal and len(record.regions) == 1 else ()
        row = EncounterRow(record, units, laterality, modality, tuple(regions), modifiers)
        rows = (*self.enc_model.rows(), row)
        self._push(f"Add {record.code}", replace(self.state(), rows=rows, current=len(rows) - 1))
        self.status.emit(f"Added {record.code}.", 3000)
        return len(rows) - 1

    @Slot()
    def remove_selected(self) -> None:
        row = self.selected_row()
        if row >= 0:
            self.remove_row(row)

    def remove_row(self, row: int) -> None:
        rows = list(self.enc_model.rows())
        code = rows.pop(row).code
        self._push(f"Remove {code}", replace(self.state(), rows=tuple(rows), current=min(row, len(rows) - 1)))
        self.status.emit(f"Removed {code} (Ctrl+Z brings it back).", 4000)

    @Slot()
    def clear(self) -> None:
        n = self.enc_model.rowCount()
        if not n:
            return
        self._push("Clear the encounter", replace(self.state(), rows=(), current=-1, images_recorded=None))
        self.status.emit(f"Encounter cleared ({n} procedure{'s' if n != 1 else ''}); Ctrl+Z brings "
                         f"{'them' if n != 1 else 'it'} back.", 6000)

    def replace_code(self, row: int, record: CodeRecord) -> None:
        """Put ``record`` in place of the procedure in ``row``, keeping what still applies to it."""
        old = self.enc_model.row(row)
        regions = tuple(r for r in old.regions if not record.regions or r in record.regions) if record.spinal else ()
        if record.spinal and not regions and len(record.regions) == 1:
            regions = record.regions
        new = replace(old, record=record, regions=regions)
        rows = list(self.enc_model.rows())
        rows[row] = new
        self._push(f"Replace {old.code} with {record.code}", replace(self.state(), rows=tuple(rows), current=row))
        self.status.emit(f"Replaced {old.code} with {record.code} (Ctrl+Z undoes it).", 5000)

    def load_encounter(self, encounter: Encounter, records: dict[str, CodeRecord], text: str) -> None:
        """Show ``encounter`` (an opened file, a recent one) as one undo step; ``records`` has every code.
        The date of service is set too (not an undo step)."""
        rows: list[EncounterRow] = []
        for entry in encounter.procedures:
            side = set(entry.modifiers) & LATERALITY_MODIFIERS
            laterality = entry.laterality
            mods = entry.modifiers
            if laterality is None and side:
                # The window shows the side, not the modifiers it came from: 50, RT, LT become the side.
                laterality = "bilateral" if "50" in side or {"RT", "LT"} <= side else (
                    "right" if "RT" in side else "left")
                mods = tuple(m for m in entry.modifiers if m not in LATERALITY_MODIFIERS)
            rows.append(EncounterRow(records[entry.code], entry.units, laterality, entry.modality,
                                     entry.regions, mods))
        self.set_date(encounter.date_of_service)
        self._push(text, EditorState(tuple(rows), encounter.setting, encounter.payer, encounter.modality,
                                     0 if rows else -1, encounter.images_recorded))

    def set_units(self, units: int, row: int) -> None:
        self._change(row, "Units", {"units": units}, ("units", row))

    def set_laterality(self, laterality: Laterality | None, row: int) -> None:
        self._change(row, "Side", {"laterality": laterality})

    def set_procedure_modality(self, modality: Modality | None, row: int) -> None:
        self._change(row, "Modality", {"modality": modality})

    def set_regions(self, regions: tuple[Region, ...], row: int) -> None:
        self._change(row, "Regions", {"regions": regions})

    def _change(self, row: int, what: str, fields: dict[str, object], merge_key: tuple[object, ...] | None = None
                ) -> None:
        rows = list(self.enc_model.rows())
        old = rows[row]
        rows[row] = replace(old, **fields)  # type: ignore[arg-type]
        self._push(f"{what} of {old.code}", replace(self.state(), rows=tuple(rows), current=row), merge_key)

    # The date of service (not an undo step) -----------------------------------------------------------
    def set_date(self, when: date) -> None:
        self.date_field.set_date(when)

    @Slot(object)
    def _on_date_changed(self, when: date) -> None:
        self.enc_model.set_date(when)
        self.date_changed.emit(when)
        self.choices_changed.emit()
        self.changed.emit()

    @Slot(bool)
    def _on_date_validity(self, valid: bool) -> None:
        problem = self.date_field.problem()
        self.date_problem.setVisible(not valid)
        self.date_problem.setText(f"Not a date of service: {problem}. No answer is given until it is one."
                                  if problem else "")
        self.date_validity_changed.emit(valid)
        self.changed.emit()

    # Widgets -> edits -----------------------------------------------------------------------------------
    @Slot()
    def _on_choice_changed(self, *_: object) -> None:
        if self._showing:
            return
        before = self.state()  # still the last recorded choices: the combo shows the new one already
        after = replace(before, setting=self.setting(), payer=self.payer(), modality=self.modality())
        self._update_override_label()
        if after != before:
            self.undo_stack.push(EncounterEdit(self, "Encounter choices", before, after))

    @Slot()
    def _on_images_changed(self, *_: object) -> None:
        if self._showing:
            return
        self.set_images_recorded(self.images_recorded())

    def set_images_recorded(self, value: bool | None) -> None:
        """Whether the ultrasound images were recorded with a report (None: not stated); one undo step."""
        before = self.state()
        if before.images_recorded == value:
            return
        what = {None: "not stated", True: "yes", False: "no"}[value]
        self.undo_stack.push(EncounterEdit(self, f"Images recorded: {what}", before,
                                           replace(before, images_recorded=value)))

    def _update_images_row(self, state: EditorState) -> None:
        """The Images recorded box is shown while the encounter uses ultrasound (its answer depends on it)."""
        show = uses_ultrasound(state.modality, state.rows)
        if show != self.images_row_visible():
            self._form.setRowVisible(self.images_combo, show)

    def remember_initial_choices(self) -> None:
        """Take the choices shown now as the start, not as an edit."""
        self._choices = (self.setting(), self.payer(), self.modality())
        self._update_override_label()
        self._update_images_row(self.state())

    def set_initial_choices(self, setting: Setting, payer: Payer, modality: Modality) -> None:
        """Start with these choices (the saved settings): shown, not an undo step."""
        showing = self._showing
        self._showing = True
        try:
            select_data(self.setting_combo, setting)
            select_data(self.payer_combo, payer)
            select_data(self.modality_combo, modality)
        finally:
            self._showing = showing
        self.remember_initial_choices()

    @Slot(int)
    def _on_units_changed(self, value: int) -> None:
        row = self.selected_row()
        if self._showing or row < 0 or self.enc_model.row(row).units == value:
            return
        self.set_units(value, row)

    @Slot()
    def _on_side_changed(self, *_: object) -> None:
        row = self.selected_row()
        if self._showing or row < 0 or self.enc_model.row(row).laterality == self.side_combo.currentData():
            return
        self.set_laterality(self.side_combo.currentData(), row)

    @Slot()
    def _on_override_changed(self, *_: object) -> None:
        row = self.selected_row()
        if self._showing or row < 0 or self.enc_model.row(row).modality == self.override_combo.currentData():
            return
        self.set_procedure_modality(self.override_combo.currentData(), row)

    @Slot()
    def _on_region_item_changed(self, *_: object) -> None:
        if self._showing or self.region_model.updating:
            return
        row = self.selected_row()
        if row < 0:
            return
        regions = self.region_model.checked()
        if regions != self.enc_model.row(row).regions:
            self.set_regions(regions, row)

    def toggle_region(self, region: Region) -> None:
        row = self.selected_row()
        if row < 0:
            self.status.emit("Select a procedure first.", 3000)
            return
        if not self.enc_model.row(row).record.spinal:
            self.status.emit("Regions apply to spinal procedures only.", 3000)
            return
        self.region_model.toggle(region)

    def select_row(self, row: int) -> None:
        sel = self.enc_view.selectionModel()
        if row < 0:
            sel.clearCurrentIndex()
            sel.clearSelection()
            self._load_detail()
            return
        idx = self.enc_model.index(row)
        sel.setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _update_override_label(self) -> None:
        self.override_combo.setItemText(0, f"Same as encounter ({MODALITY_LABELS[self.modality()]})")

    @Slot()
    def _load_detail(self, *_: object) -> None:
        """Show the selected procedure's units, side, modality and regions in the detail box."""
        row = self.selected_row()
        showing = self._showing
        self._showing = True
        try:
            if row < 0:
                self.detail_box.setEnabled(False)
                self.detail_box.setTitle("Selected procedure")
                self.units_spin.setValue(1)
                self.side_combo.setCurrentIndex(0)
                self.override_combo.setCurrentIndex(0)
                self.region_model.set_checked((), enabled=False)
                self.region_view.setEnabled(False)
                self.region_hint.setText(_REGION_HINT)
            else:
                data = self.enc_model.row(row)
                self.detail_box.setEnabled(True)
                self.detail_box.setTitle(f"Selected procedure: {data.code}")
                self.units_spin.setValue(data.units)
                select_data(self.side_combo, data.laterality)
                select_data(self.override_combo, data.modality)
                spinal = data.record.spinal
                self.region_model.set_checked(data.regions, enabled=spinal)
                self.region_view.setEnabled(spinal)
                self.region_hint.setText(_REGION_HINT if spinal
                                         else f"{data.code} is not a spinal procedure: no region to tick.")
        finally:
            self._showing = showing
        self.clear_button.setEnabled(self.enc_model.rowCount() > 0)
        self.remove_button.setEnabled(row >= 0)
