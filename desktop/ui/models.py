"""Qt item models for the window: the searchable procedure list, the encounter's procedures and the
spinal-region checklist.

Views read records through the named roles below (``index.data(RecordRole)``), never by row number, so
a filtered or reordered list can never hand back the wrong code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractListModel, QByteArray, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from desktop.core.engine import REGION_LABEL
from desktop.core.frozen import frozen
from desktop.core.model import (
    MODALITY_LABELS,
    REGIONS,
    CodeRecord,
    Laterality,
    Modality,
    ProcedureEntry,
    Region,
)
from desktop.core.search import SearchIndex, validity_note

if TYPE_CHECKING:
    from PySide6.QtGui import QBrush

_USER = Qt.ItemDataRole.UserRole.value
RecordRole = _USER + 1  # the CodeRecord
CodeRole = _USER + 2  # its code, e.g. "64405"
ValidRole = _USER + 3  # bool: valid on the model's date of service
NoteRole = _USER + 4  # "deleted 2019 → use 77002", or "" when valid
EntryRole = _USER + 10  # the encounter row as a ProcedureEntry
RowRole = _USER + 11  # the EncounterRow itself
ProblemRole = _USER + 12  # "error" / "warning" when the answer has a problem with the row, else ""
RegionRole = _USER + 20  # the region name ("cervical") of a checklist item

#: Text of an encounter row the answer has an error about (reads on light and dark backgrounds).
ERROR_COLOUR = "#D93025"

_ModelIndex = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole.value
_INVALID = QModelIndex()
#: Rows handed to the view at a time: a reset costs O(rows shown), whatever the number of matches; the
#: view fetches the next batch when scrolled to the bottom (Qt's canFetchMore/fetchMore protocol).
FETCH_BATCH = 200
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_LIST_ROLES = frozenset({_DISPLAY, _FOREGROUND, _FONT, _TOOLTIP, _ACCESSIBLE, RecordRole, CodeRole, ValidRole,
                         NoteRole})
LATERALITY_LABELS: dict[Laterality, str] = {"left": "Left", "right": "Right", "bilateral": "Bilateral"}


def not_valid_brush() -> QBrush:
    """The text of a code not valid on the date of service: the palette's disabled text."""
    return QGuiApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)


class ProcedureListModel(QAbstractListModel):
    """The catalog's records matching the current search, ranked by :class:`SearchIndex`.

    Filtering and ranking happen in the pure index, then one model reset: a QSortFilterProxyModel cannot
    rank without a Python ``lessThan`` and its fixed-string filter is a substring match, not "every
    word, any order" (``bench/bench_search.py`` measures both). The reset hands the view the first
    ``FETCH_BATCH`` matches; scrolling to the bottom fetches the next batch, so a keystroke costs the
    same with 100 or 10,000 matches and no match is ever out of reach. Records not valid on the date of
    service stay listed, greyed and italic, with the reason first ("64402   [deleted 2023 → use ...]").
    """

    def __init__(self, index: SearchIndex, when: date, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._index = index
        self._when = when
        self._rows: list[int] = index.search("", when)
        self._loaded = min(FETCH_BATCH, len(self._rows))
        self._changing = False
        self._query = ""
        self._notes: dict[int, str | None] = {}
        self._italic = QFont()
        self._italic.setItalic(True)
        self._favourites: tuple[str, ...] = ()
        self._fav_set: frozenset[str] = frozenset()
        self._painted: dict[int, str] = {}  # position -> its display text (for a date, favourites, catalog)

    # Qt overrides -------------------------------------------------------------------------------
    def rowCount(self, parent: _ModelIndex = _INVALID) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self._loaded

    def canFetchMore(self, parent: _ModelIndex) -> bool:
        return not parent.isValid() and self._loaded < len(self._rows)

    def fetchMore(self, parent: _ModelIndex) -> None:
        if parent.isValid() or self._changing or self._loaded >= len(self._rows):
            return
        more = min(FETCH_BATCH, len(self._rows) - self._loaded)
        self._changing = True  # no nested fetch from a listener of these insert signals
        try:
            self.beginInsertRows(_INVALID, self._loaded, self._loaded + more - 1)
            self._loaded += more
            self.endInsertRows()
        finally:
            self._changing = False

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        # Called for every painted row and role: plain-int role checks, and an early exit for the roles
        # this model never sets (decoration, check state, alignment, ...).
        if role not in _LIST_ROLES:
            return None
        row = index.row()
        if not 0 <= row < self._loaded or index.column() != 0 or not index.isValid():
            return None
        pos = self._rows[row]
        rec = self._index.records[pos]
        if role == _DISPLAY:
            return self._display(pos, rec)
        if role == _FOREGROUND:
            if self._note(pos) is None:
                return None
            return not_valid_brush()
        if role == _FONT:
            return self._italic if self._note(pos) is not None else None
        if role == RecordRole:
            return rec
        if role == CodeRole:
            return rec.code
        if role == ValidRole:
            return self._note(pos) is None
        if role == NoteRole:
            return self._note(pos) or ""
        if role == _TOOLTIP:
            parts = [f"{rec.code}: {rec.name_on(self._when)}"]
            if rec.terms:
                parts.append("Also searched as: " + ", ".join(rec.terms))
            note = self._note(pos)
            parts.append(f"Not billable on this date of service: {note}" if note else "Enter adds it")
            if rec.code in self._fav_set:
                parts.append("\u2605 A favourite: pinned at the top of the list")
            return "\n".join(parts)
        # AccessibleTextRole
        note = self._note(pos)
        return f"{rec.code} {rec.name_on(self._when)}" + (f", {note}" if note else "")

    def flags(self, index: _ModelIndex) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        for role, name in ((RecordRole, b"record"), (CodeRole, b"code"), (ValidRole, b"valid"), (NoteRole, b"note")):
            names[role] = QByteArray(name)
        return names

    # API ----------------------------------------------------------------------------------------
    @property
    def query(self) -> str:
        return self._query

    @property
    def total(self) -> int:
        """Records in the catalog."""
        return len(self._index)

    @property
    def match_count(self) -> int:
        """Records matching the query (the view holds the first of them and fetches more on scrolling)."""
        return len(self._rows)

    def _show(self, rows: list[int]) -> None:
        self.beginResetModel()
        self._rows = rows
        self._loaded = min(FETCH_BATCH, len(rows))
        # A listener that calls fetchMore while modelReset is still being delivered (Qt's model tester
        # does) would make listeners connected after it see rowsInserted before modelReset; refuse until
        # the change has reached everyone. Views fetch later, from their event loop.
        self._changing = True
        try:
            self.endResetModel()
        finally:
            self._changing = False

    def _search(self, text: str) -> list[int]:
        rows = self._index.search(text, self._when)
        if self._favourites and not text.strip():
            # Pinned at the top of the list at rest only: with a query the ranking stays, so that typing a
            # code and pressing Enter always adds that code.
            pinned = [self._index.position_of(c) for c in self._favourites]
            pins = [p for p in pinned if p is not None]
            taken = set(pins)
            rows = pins + [p for p in rows if p not in taken]
        return rows

    def set_favourites(self, codes: tuple[str, ...]) -> None:
        """Pin ``codes`` (in that order) at the top of the unfiltered list and star them everywhere."""
        if codes == self._favourites:
            return
        self._favourites = codes
        self._fav_set = frozenset(codes)
        self._painted.clear()
        rows = self._search(self._query)
        if rows != self._rows:
            self._show(rows)
        elif self._loaded:
            self.dataChanged.emit(self.index(0), self.index(self._loaded - 1))

    @property
    def favourites(self) -> tuple[str, ...]:
        return self._favourites

    def set_query(self, text: str) -> int:
        """Show the records matching ``text``, best first; returns how many match."""
        rows = self._search(text)
        self._query = text
        if rows != self._rows:
            self._show(rows)
        return len(rows)

    def set_date(self, when: date) -> None:
        """Re-grey (and re-rank: not-valid codes last in their tier) the list for another date of service."""
        if when == self._when:
            return
        self._when = when
        self._notes.clear()
        self._painted.clear()
        rows = self._search(self._query)
        if rows != self._rows:
            self._show(rows)
        elif self._loaded:
            self.dataChanged.emit(self.index(0), self.index(self._loaded - 1))

    def set_index(self, index: SearchIndex) -> None:
        """Swap in another catalog's index (after a data pack is loaded), keeping the query."""
        self._index = index
        self._notes.clear()
        self._painted.clear()
        self._show(self._search(self._query))

    def record_at(self, row: int) -> CodeRecord | None:
        if 0 <= row < self._loaded:
            return self._index.records[self._rows[row]]
        return None

    def row_of(self, code: str) -> int:
        """The row of ``code`` among the matches (fetched into the view if need be), or -1."""
        for row, pos in enumerate(self._rows):
            if self._index.records[pos].code == code:
                while self._loaded <= row:
                    self.fetchMore(_INVALID)
                return row
        return -1

    def paint_row(self, row: int) -> tuple[str, bool]:
        """What :class:`ProcedureDelegate` draws for a loaded ``row``: its display text and whether the code
        is valid on the date of service (else greyed and italic). One call per painted row instead of one
        per role."""
        pos = self._rows[row]
        text = self._painted.get(pos)
        if text is None:
            text = self._painted[pos] = self._display(pos, self._index.records[pos])
        return text, self._note(pos) is None

    def _display(self, pos: int, rec: CodeRecord) -> str:
        # The note first, so a narrow list elides the name, never the note.
        note = self._note(pos)
        star = "\u2605 " if rec.code in self._fav_set else ""
        name = rec.name_on(self._when)  # the name that matches the rule shown on that date
        return f"{star}{rec.code}   [{note}]   {name}" if note else f"{star}{rec.code}   {name}"

    def _note(self, pos: int) -> str | None:
        if pos not in self._notes:
            self._notes[pos] = validity_note(self._index.records[pos], self._when)
        return self._notes[pos]


@frozen
class EncounterRow:
    """One procedure in the encounter being built, with what the coder set for it."""

    record: CodeRecord
    units: int = 1
    laterality: Laterality | None = None
    modality: Modality | None = None  # None: the encounter's modality
    regions: tuple[Region, ...] = ()
    modifiers: tuple[str, ...] = ()  # as entered in an opened encounter file (the window has no field for them)

    @property
    def code(self) -> str:
        return self.record.code

    def entry(self) -> ProcedureEntry:
        regions = tuple(r for r in REGIONS if r in self.regions) if self.record.spinal else ()
        return ProcedureEntry(self.record.code, self.units, self.modifiers, self.modality, regions, self.laterality)

    def summary(self) -> str:
        bits = [f"\u00d7{self.units}"]
        if self.modifiers:
            bits.append("modifiers " + " ".join(self.modifiers))
        if self.record.spinal:
            bits.append(", ".join(REGION_LABEL[r].lower() for r in REGIONS if r in self.regions)
                        or "no region ticked")
        if self.laterality:
            bits.append(LATERALITY_LABELS[self.laterality].lower())
        if self.modality:
            bits.append(f"{MODALITY_LABELS[self.modality]} (this procedure)")
        return " \u00b7 ".join(bits)


class EncounterModel(QAbstractListModel):
    """The procedures of the encounter, in the order they were added."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[EncounterRow] = []
        self._marks: dict[int, tuple[str, str]] = {}  # row -> (severity, what the answer says about it)
        self._icons: dict[str, QIcon] = {}
        self._when: date | None = None  # the date of service: records are named as on that date

    def rowCount(self, parent: _ModelIndex = _INVALID) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or index.column() != 0:
            return None
        row = self._rows[index.row()]
        mark = self._marks.get(index.row())
        name = row.record.name_on(self._when) if self._when is not None else row.record.name
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{row.code}   {row.summary()}   \u2014 {name}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            lead = f"{mark[0].capitalize()}: " if mark else ""
            return f"{lead}{row.code}   {row.summary()}   \u2014 {name}"
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{row.code}: {name}\n{row.summary()}"
            return f"{tip}\n\n{mark[1]}" if mark else tip
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(mark[0]) if mark else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(ERROR_COLOUR) if mark and mark[0] == "error" else None
        if role == ProblemRole:
            return mark[0] if mark else ""
        if role == RowRole:
            return row
        if role == EntryRole:
            return row.entry()
        if role == CodeRole:
            return row.code
        if role == RecordRole:
            return row.record
        return None

    def flags(self, index: _ModelIndex) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        for role, name in ((RowRole, b"row"), (EntryRole, b"entry"), (CodeRole, b"code"), (RecordRole, b"record")):
            names[role] = QByteArray(name)
        return names

    def _icon(self, severity: str) -> QIcon:
        icon = self._icons.get(severity)
        if icon is None:
            from PySide6.QtWidgets import QApplication, QStyle  # QStyle costs start-up time; only marks use it

            pixmap = (QStyle.StandardPixmap.SP_MessageBoxCritical if severity == "error"
                      else QStyle.StandardPixmap.SP_MessageBoxWarning)
            icon = self._icons[severity] = QApplication.style().standardIcon(pixmap)
        return icon

    def set_date(self, when: date) -> None:
        """Name the records as on ``when`` (a code's name can change with its meaning)."""
        if when == self._when:
            return
        self._when = when
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))

    def set_marks(self, marks: dict[int, tuple[str, str]]) -> None:
        """Mark the rows an error or warning of the answer is about: row -> (severity, the messages)."""
        if marks == self._marks:
            return
        changed = set(marks) | set(self._marks)
        self._marks = dict(marks)
        for n in sorted(changed):
            if 0 <= n < len(self._rows):
                idx = self.index(n)
                self.dataChanged.emit(idx, idx)

    def marks(self) -> dict[int, tuple[str, str]]:
        return dict(self._marks)

    def rows(self) -> tuple[EncounterRow, ...]:
        return tuple(self._rows)

    def set_rows(self, rows: tuple[EncounterRow, ...]) -> None:
        """Show ``rows`` (undo, redo, opening a file): one changed row is updated in place, else a reset."""
        old = self._rows
        if rows == tuple(old):
            return
        if len(rows) == len(old):
            diff = [n for n, (a, b) in enumerate(zip(old, rows, strict=True)) if a != b]
            self._rows = list(rows)
            for n in diff:
                idx = self.index(n)
                self.dataChanged.emit(idx, idx)
            return
        if len(rows) == len(old) + 1 and tuple(old) == rows[:len(old)]:
            n = len(old)
            self.beginInsertRows(_INVALID, n, n)
            self._rows = list(rows)
            self.endInsertRows()
            return
        self.beginResetModel()
        self._marks = {}
        self._rows = list(rows)
        self.endResetModel()

    def entries(self) -> tuple[ProcedureEntry, ...]:
        return tuple(r.entry() for r in self._rows)

    def row(self, n: int) -> EncounterRow:
        return self._rows[n]

    def add(self, record: CodeRecord, **fields: object) -> int:
        n = len(self._rows)
        self.beginInsertRows(_INVALID, n, n)
        self._rows.append(EncounterRow(record, **fields))  # type: ignore[arg-type]
        self.endInsertRows()
        return n

    def remove(self, n: int) -> None:
        if not 0 <= n < len(self._rows):
            return
        self.beginRemoveRows(_INVALID, n, n)
        del self._rows[n]
        self.endRemoveRows()

    def clear(self) -> None:
        if not self._rows:
            return
        self.beginResetModel()
        self._rows.clear()
        self.endResetModel()

    def update(self, n: int, **changes: object) -> None:
        """Change fields of row ``n`` (units, laterality, modality, regions)."""
        new = replace(self._rows[n], **changes)  # type: ignore[arg-type]
        if new == self._rows[n]:
            return
        self._rows[n] = new
        idx = self.index(n)
        self.dataChanged.emit(idx, idx)

    def replace_records(self, lookup: Callable[[str], CodeRecord | None]) -> None:
        """Point rows at fresh records after the catalog changed (``lookup(code) -> CodeRecord | None``)."""
        for n, row in enumerate(self._rows):
            rec = lookup(row.code)
            if rec is not None and rec is not row.record:
                self._rows[n] = replace(row, record=rec)
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))


class RegionModel(QStandardItemModel):
    """The four spinal regions as checkable items; ``itemChanged`` reports a tick."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.updating = False
        for n, region in enumerate(REGIONS, start=1):
            item = QStandardItem(f"{REGION_LABEL[region]}")
            item.setData(region, RegionRole)
            item.setCheckable(True)
            item.setEditable(False)
            item.setToolTip(f"Tick if the {region} region was injected (Ctrl+{n})")
            item.setData(f"{REGION_LABEL[region]} region", Qt.ItemDataRole.AccessibleTextRole)
            self.appendRow(item)

    def region_item(self, region: Region) -> QStandardItem:
        item = self.item(REGIONS.index(region))
        assert item is not None
        return item

    def checked(self) -> tuple[Region, ...]:
        out: list[Region] = []
        for n, region in enumerate(REGIONS):
            item = self.item(n)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(region)
        return tuple(out)

    def set_checked(self, regions: tuple[Region, ...], enabled: bool) -> None:
        """Show a procedure's regions without reporting them back as ticks."""
        self.updating = True
        try:
            for n, region in enumerate(REGIONS):
                item = self.item(n)
                assert item is not None
                state = Qt.CheckState.Checked if region in regions else Qt.CheckState.Unchecked
                if item.checkState() != state:
                    item.setCheckState(state)
                if item.isEnabled() != enabled:
                    item.setEnabled(enabled)
        finally:
            self.updating = False

    def toggle(self, region: Region) -> None:
        item = self.region_item(region)
        if not item.isEnabled():
            return
        checked = item.checkState() == Qt.CheckState.Checked
        item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)


class ElidingDelegate(QStyledItemDelegate):
    """Rows as wide as the view, so long names end in "…" instead of growing a horizontal scroll bar (a
    list view stretches items to the viewport but never narrows them below their size hint)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _ModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(1, hint.height())

