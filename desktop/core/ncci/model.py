"""Frozen data for CMS's NCCI edits: PTP pair edits, MUE unit limits, the table versions they come from,
and the choice of a table by date of service.

Nothing here reads files (see :mod:`desktop.core.ncci.reader`) or imports Qt. The lookups are dictionary
look-ups built once per table, so the engine may ask them for every procedure of every encounter.

Dates are whole days, both ends included. A PTP edit is in force from its ``effective`` date (``None``: in
force in its table's quarter, start not known) through its ``deletion`` date (``None``: not deleted).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import field
from datetime import date, timedelta
from typing import Literal, get_args

from desktop.core.frozen import frozen
from desktop.core.problems import Location

TableKind = Literal["practitioner", "outpatient_hospital"]
TableContent = Literal["ptp", "mue"]
ModifierIndicator = Literal[0, 1, 9]
Mai = Literal[1, 2, 3]

TABLE_KINDS: tuple[TableKind, ...] = get_args(TableKind)
TABLE_CONTENTS: tuple[TableContent, ...] = get_args(TableContent)
MODIFIER_INDICATORS: tuple[ModifierIndicator, ...] = get_args(ModifierIndicator)
MAIS: tuple[Mai, ...] = get_args(Mai)

KIND_LABELS: dict[TableKind, str] = {"practitioner": "practitioner", "outpatient_hospital": "outpatient hospital"}
MODIFIER_INDICATOR_LABELS: dict[ModifierIndicator, str] = {
    0: "never billed together",
    1: "billed together only with a modifier for a distinct service",
    9: "not applicable (no edit in force)",
}
MAI_LABELS: dict[Mai, str] = {
    1: "line edit",
    2: "date-of-service edit, policy",
    3: "date-of-service edit, clinical",
}

# A CPT or HCPCS code as CMS's tables write them: five characters, e.g. 64405, 0213T, 0001U, 0002M, G0260.
CODE_RE = re.compile(r"^(?:[0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")
QUARTER_RE = re.compile(r"^([0-9]{4})Q([1-4])$")

_DAY = timedelta(days=1)


# ---------------------------------------------------------------------------------------------------------
# Quarters


def quarter_start(when: date) -> date:
    """The first day of the calendar quarter ``when`` falls in."""
    return date(when.year, 3 * ((when.month - 1) // 3) + 1, 1)


def quarter_end(start: date) -> date:
    """The last day of the quarter that starts on ``start`` (any day of the quarter will do)."""
    first = quarter_start(start)
    month = first.month + 3
    nxt = date(first.year + 1, month - 12, 1) if month > 12 else date(first.year, month, 1)
    return nxt - _DAY


def quarter_label(start: date) -> str:
    """``2024Q3`` for any day of July to September 2024."""
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


def parse_quarter(text: str) -> date | None:
    """The first day of quarter ``2024Q3`` (case-insensitive), or None if ``text`` is not such a label."""
    m = QUARTER_RE.match(text.strip().upper())
    if m is None:
        return None
    return date(int(m.group(1)), 3 * (int(m.group(2)) - 1) + 1, 1)


# ---------------------------------------------------------------------------------------------------------
# Rows and versions


@frozen
class PtpEdit:
    """One procedure-to-procedure edit: ``column_2`` is not paid with ``column_1`` on the same day, unless
    the modifier indicator is 1 and a modifier for a distinct service applies (0: never; 9: no edit)."""

    column_1: str
    column_2: str
    effective: date | None
    deletion: date | None
    modifier_indicator: ModifierIndicator
    rationale: str
    location: Location

    def in_force(self, when: date) -> bool:
        """True if the edit applies on ``when`` (an unknown start counts as in force)."""
        return (self.effective is None or self.effective <= when) and (
            self.deletion is None or when <= self.deletion)

    def other(self, code: str) -> str:
        """The code of the pair that is not ``code``."""
        return self.column_2 if code == self.column_1 else self.column_1

    @property
    def pair_label(self) -> str:
        return f"{self.column_1}/{self.column_2}"


@frozen
class Mue:
    """One medically unlikely edit: at most ``value`` units of ``code`` (per line for MAI 1, per day of
    service for MAI 2 and 3). ``effective`` is the first day of the quarter whose table gave the value."""

    code: str
    value: int
    mai: Mai
    rationale: str
    effective: date
    location: Location

    @property
    def mai_label(self) -> str:
        return MAI_LABELS[self.mai]


@frozen
class NcciVersion:
    """Which CMS table a set of rows comes from: practitioner or outpatient hospital, PTP or MUE, CMS's
    version (``30.2``; MUE tables are named by their quarter, ``2024Q3``), the quarter it covers, the
    source id that cites it, and the file and origin (built-in data or a pack's name) it was read from."""

    kind: TableKind
    table: TableContent
    version: str
    quarter_start: date
    quarter_end: date
    source: str
    file: str
    rows: int
    origin: str = "built-in"
    source_at: Location | None = None  # where tables.yaml names the source (for a problem found later)
    scope_codes: frozenset[str] | None = None
    scope_paired_with: frozenset[str] | None = None
    partial: bool = False  # some of CMS's parts of the table were not imported: no pair can read "no edit"

    def covers(self, when: date) -> bool:
        return self.quarter_start <= when <= self.quarter_end

    def knows_code(self, code: str) -> bool:
        """True if the table would hold ``code``'s rows: the whole CMS table (no scope), or a table filtered
        to codes (``scope_codes``) that include it."""
        return self.scope_codes is None or code in self.scope_codes

    def knows_pair(self, a: str, b: str) -> bool:
        """True if the table would hold an edit between ``a`` and ``b`` if CMS had one, so that finding none
        means there is none: both codes are in its scope and, where the table holds only the pairs of some
        codes (``scope_paired_with``, the imaging codes of the built-in extract), one of them is such a code."""
        return not self.partial and self.in_scope(a, b)

    def in_scope(self, a: str, b: str) -> bool:
        """True if a row of ``a`` and ``b`` belongs in this table at all (its codes are within ``scope``); unlike
        :meth:`knows_pair` it holds for a table cut short too."""
        if not (self.knows_code(a) and self.knows_code(b)):
            return False
        return self.scope_paired_with is None or a in self.scope_paired_with or b in self.scope_paired_with

    @property
    def quarter(self) -> str:
        return quarter_label(self.quarter_start)

    @property
    def label(self) -> str:
        """``NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30)``."""
        name = f"v{self.version}" if self.table == "ptp" else self.version
        return (f"NCCI {self.table.upper()} {KIND_LABELS[self.kind]} {name} "
                f"({self.quarter_start.isoformat()} to {self.quarter_end.isoformat()})")

    @property
    def key(self) -> tuple[TableKind, TableContent, date]:
        """Tables with the same key replace each other when packs are merged."""
        return self.kind, self.table, self.quarter_start


def _end_key(edit: PtpEdit) -> tuple[date, date]:
    return edit.deletion or date.max, edit.effective or date.min


@frozen
class PtpTable:
    """One quarter's PTP edits of one kind, indexed by ordered pair and by code."""

    version: NcciVersion
    edits: tuple[PtpEdit, ...]
    by_pair: dict[tuple[str, str], tuple[PtpEdit, ...]] = field(repr=False, compare=False)
    by_code: dict[str, tuple[PtpEdit, ...]] = field(repr=False, compare=False)

    @classmethod
    def build(cls, version: NcciVersion, edits: Iterable[PtpEdit]) -> PtpTable:
        rows = tuple(edits)
        pairs: dict[tuple[str, str], list[PtpEdit]] = {}
        codes: dict[str, list[PtpEdit]] = {}
        for edit in rows:
            pairs.setdefault((edit.column_1, edit.column_2), []).append(edit)
            codes.setdefault(edit.column_1, []).append(edit)
            if edit.column_2 != edit.column_1:
                codes.setdefault(edit.column_2, []).append(edit)
        # Rows of one pair, earliest end first: where the start of a row is not known, the row that ends
        # first is taken to cover the dates up to its deletion (see ordered_pair).
        return cls(version, rows, {k: tuple(sorted(v, key=_end_key)) for k, v in pairs.items()},
                   {k: tuple(v) for k, v in codes.items()})

    def ordered_pair(self, column_1: str, column_2: str, when: date) -> PtpEdit | None:
        """The edit with exactly this column order in force on ``when``. Where several rows of the pair
        could be in force (their starts are not known), the one that ends first."""
        for edit in self.by_pair.get((column_1, column_2), ()):
            if edit.in_force(when):
                return edit
        return None


@frozen
class MueTable:
    """One quarter's MUEs of one kind, by code."""

    version: NcciVersion
    by_code: dict[str, Mue]

    @classmethod
    def build(cls, version: NcciVersion, mues: Iterable[Mue]) -> MueTable:
        return cls(version, {m.code: m for m in mues})


@frozen
class NcciTables:
    """The PTP and MUE tables of one kind that answer for one date of service (either may be missing)."""

    kind: TableKind
    ptp: PtpTable | None = None
    mue_table: MueTable | None = None

    @property
    def versions(self) -> tuple[NcciVersion, ...]:
        return tuple(t.version for t in (self.ptp, self.mue_table) if t is not None)

    @property
    def empty(self) -> bool:
        return self.ptp is None and self.mue_table is None

    @property
    def label(self) -> str:
        """Every version, e.g. ``NCCI PTP practitioner v30.2 (...); NCCI MUE practitioner 2024Q3 (...)``."""
        return "; ".join(v.label for v in self.versions) or f"no NCCI table for {KIND_LABELS[self.kind]} claims"

    def covers(self, when: date) -> bool:
        """True if there is a table and the quarter of every table here includes ``when``."""
        return not self.empty and all(v.covers(when) for v in self.versions)

    def knows_pair(self, a: str, b: str) -> bool:
        """True if the PTP table would hold an edit between ``a`` and ``b``: then :meth:`pair` returning None
        means CMS has no such edit; else the pair was not checked (say so, never "no edit")."""
        return self.ptp is not None and self.ptp.version.knows_pair(a, b)

    def knows_code(self, code: str) -> bool:
        """True if the MUE table would hold ``code``'s MUE: then :meth:`mue` returning None means CMS has none."""
        return self.mue_table is not None and self.mue_table.version.knows_code(code)

    def pair(self, a: str, b: str, when: date) -> PtpEdit | None:
        """An edit between ``a`` and ``b`` in either column order, in force on ``when``; the edit keeps
        CMS's column order (``column_1`` is the code that is paid). ``a`` as column 1 is tried first."""
        if self.ptp is None or a == b:
            return None
        return self.ptp.ordered_pair(a, b, when) or self.ptp.ordered_pair(b, a, when)

    def edits_for(self, code: str, when: date) -> tuple[PtpEdit, ...]:
        """Every edit naming ``code`` (in either column) in force on ``when``: one per ordered pair."""
        if self.ptp is None:
            return ()
        out: list[PtpEdit] = []
        seen: set[tuple[str, str]] = set()
        for edit in self.ptp.by_code.get(code, ()):
            key = (edit.column_1, edit.column_2)
            if key in seen:
                continue
            chosen = self.ptp.ordered_pair(*key, when)
            if chosen is not None:
                seen.add(key)
                out.append(chosen)
        return tuple(out)

    def mue(self, code: str) -> Mue | None:
        """The MUE of ``code`` in this quarter's table, or None (no MUE, or no MUE table)."""
        if self.mue_table is None:
            return None
        return self.mue_table.by_code.get(code)


@frozen
class NcciChoice:
    """The tables chosen for a date of service, and whether that date is outside their quarter (then the
    caller warns: the edits may have changed)."""

    when: date
    tables: NcciTables
    outside_quarter: bool

    @property
    def warning(self) -> str | None:
        """The sentence to show when the date of service is outside the tables' quarter, else None."""
        if self.tables.empty:
            return (f"No NCCI table for {KIND_LABELS[self.tables.kind]} claims is installed; pair edits and "
                    "unit limits were not checked.")
        if not self.outside_quarter:
            return None
        return (f"Date of service {self.when.isoformat()} is outside the quarter of {self.tables.label}; "
                "the edits may differ on that date. Import the NCCI files of that quarter.")


def _choose(versions: Sequence[NcciVersion], when: date) -> NcciVersion | None:
    if not versions:
        return None
    covering = [v for v in versions if v.covers(when)]
    if covering:
        return covering[-1]
    earlier = [v for v in versions if v.quarter_start <= when]
    if earlier:
        return max(earlier, key=lambda v: v.quarter_start)
    return min(versions, key=lambda v: v.quarter_start)


@frozen
class NcciData:
    """Every NCCI table GuideCode has (built-in and from packs), to choose from by date of service."""

    ptp_tables: tuple[PtpTable, ...] = ()
    mue_tables: tuple[MueTable, ...] = ()

    @property
    def versions(self) -> tuple[NcciVersion, ...]:
        return (*(t.version for t in self.ptp_tables), *(t.version for t in self.mue_tables))

    def for_date(self, kind: TableKind, when: date) -> NcciChoice:
        """The tables of ``kind`` whose quarter covers ``when``; else the nearest earlier quarter's; else the
        earliest. PTP and MUE tables are chosen separately (a pack may bring only one of them)."""
        ptp_by = {t.version: t for t in self.ptp_tables if t.version.kind == kind}
        mue_by = {t.version: t for t in self.mue_tables if t.version.kind == kind}
        ptp_v = _choose(sorted(ptp_by, key=lambda v: v.quarter_start), when)
        mue_v = _choose(sorted(mue_by, key=lambda v: v.quarter_start), when)
        tables = NcciTables(kind, ptp_by[ptp_v] if ptp_v else None, mue_by[mue_v] if mue_v else None)
        return NcciChoice(when, tables, not tables.covers(when))

    def merged(self, other: NcciData) -> NcciData:
        """These tables with ``other``'s added; a table of ``other`` replaces the one here with the same
        kind, content and quarter (a data pack's full CMS table replaces the built-in extract)."""
        ptp = {t.version.key: t for t in self.ptp_tables}
        ptp.update({t.version.key: t for t in other.ptp_tables})
        mue = {t.version.key: t for t in self.mue_tables}
        mue.update({t.version.key: t for t in other.mue_tables})
        return NcciData(tuple(sorted(ptp.values(), key=lambda t: t.version.key)),
                        tuple(sorted(mue.values(), key=lambda t: t.version.key)))
