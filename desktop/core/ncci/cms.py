"""CMS's quarterly NCCI release files, read as CMS publishes them (layouts: ``docs/ncci.md``).

- **PTP edits** (practitioner ``ccipra-vNNNrN-fN``, outpatient hospital ``ccioph-…``): a zip per part
  holding the table as tab-delimited text (``.txt``/``.TXT``) and as a spreadsheet (``.xlsx``). Above the
  data: a copyright line, a title line (``Column1/Column2 Edits``), then a header split over several rows
  (``Column 1 | Column 2 | *=in existence | Effective | Deletion | Modifier | PTP Edit Rationale``, continued
  by ``prior to 1996 | Date | Date *=no data | 0=not allowed 1=allowed 9=not applicable``). Data rows: two
  codes, ``*`` or nothing (the edit existed before 1996), the effective date ``YYYYMMDD``, the deletion date
  ``YYYYMMDD`` or ``*`` (not deleted), the modifier indicator 0/1/9 and CMS's rationale.
- **MUEs** (``MCR_MUE_PractitionerServices_Eff_MM-DD-YYYY``, ``…OutpatientHospitalServices…``): a zip
  holding the table as ``.csv`` and ``.xlsx``. Above the data: CMS's copyright and disclaimer (one quoted
  cell over several lines in the CSV, or none in some quarters), then the header ``HCPCS/CPT Code |
  Practitioner Services MUE Values | MUE Adjudication Indicator | MUE Rationale``. The indicator is written
  with its meaning: ``1 Line Edit``, ``2 Date of Service Edit: Policy``, ``3 Date of Service Edit: Clinical``.

The header is found by its words, not by a fixed line number, so a quarter with one disclaimer line more or
less still reads; anything else that is not as described (a missing or reordered column, a bad code, date
or indicator, a cut line, a damaged archive) is a problem named ``file:line: entry: what is wrong``, where
``file`` is ``archive.zip/member`` for a file inside a zip and ``line`` is the spreadsheet row for ``.xlsx``.
Everything is bounded: input files and archive members over a size limit, special files (FIFOs, devices)
and archives of too many members are refused before they are read. The spreadsheet reader uses only the
standard library (``zipfile`` and ``xml.etree``: shared strings, inline strings, numbers).
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import IO, Literal
from xml.etree import ElementTree

from desktop.core.ncci.model import CODE_RE, MAIS, MODIFIER_INDICATORS, Mai, ModifierIndicator, TableContent, TableKind
from desktop.core.ncci.reader import size_text
from desktop.core.problems import Problem

MAX_INPUT_BYTES = 1024 * 1024 * 1024  # a file or an uncompressed archive member (a PTP part is ~0.1 GB)
MAX_XML_SIDE_BYTES = 64 * 1024 * 1024  # a spreadsheet's shared strings, workbook and relations
MAX_MEMBERS = 64
MAX_LINE_CHARS = 64 * 1024
MAX_COLUMNS = 64
HEADER_SEARCH_ROWS = 40
MAX_PROBLEMS_PER_FILE = 50
DATA_SUFFIXES = (".txt", ".csv", ".xlsx")
MAI_TEXT: dict[int, str] = {1: "line edit", 2: "date of service edit: policy", 3: "date of service edit: clinical"}

KeepCode = Callable[[str], bool]
Source = Literal["txt", "csv", "xlsx"]


@dataclass(frozen=True, slots=True)
class CmsPtpRow:
    """One row of a CMS PTP file, checked; ``line``: its line (text) or row (spreadsheet)."""

    column_1: str
    column_2: str
    effective: date
    deletion: date | None
    modifier_indicator: ModifierIndicator
    rationale: str
    line: int


@dataclass(frozen=True, slots=True)
class CmsMueRow:
    """One row of a CMS MUE file, checked."""

    code: str
    value: int
    mai: Mai
    rationale: str
    line: int


@dataclass(slots=True)
class CmsTable:
    """What one CMS file gave: which table it is, the kept rows (those ``keep`` accepts), how many data rows
    it had in all, and its problems. ``header_kind``: the kind the MUE header names (PTP headers do not)."""

    label: str
    table: TableContent | None = None
    header_kind: TableKind | None = None
    ptp: list[CmsPtpRow] = field(default_factory=list)
    mue: list[CmsMueRow] = field(default_factory=list)
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    count: int = 0
    last_line: int = 0

    def problem(self, line: int, entry: str, message: str) -> None:
        self.count += 1
        if self.count < MAX_PROBLEMS_PER_FILE:
            self.problems.append(Problem(self.label, line, entry, message))
        elif self.count == MAX_PROBLEMS_PER_FILE:
            self.problems.append(Problem(self.label, line, entry, f"{message} (stopped after "
                                         f"{MAX_PROBLEMS_PER_FILE} problems in this file)"))

    @property
    def full(self) -> bool:
        return self.count >= MAX_PROBLEMS_PER_FILE


@dataclass(slots=True)
class CmsRead:
    """Everything read from the files given: one :class:`CmsTable` per data file, the archive members that
    were left out (with why), and problems that concern a whole file (not readable, not an archive...)."""

    tables: list[CmsTable] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(p for t in self.tables for p in t.problems)]


class _Stop(Exception):
    """A file cannot be read further: ``line`` and ``message`` say where and why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


# ---------------------------------------------------------------------------------------------------------
# Bounded byte streams and text lines


class _Bounded(io.RawIOBase):
    """A read-only stream that stops with :class:`_Stop` once more than ``limit`` bytes came through (an
    archive member may say it is small and unpack to much more)."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        super().__init__()
        self.raw = raw
        self.limit = limit
        self.seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer)
        data = self.raw.read(len(view))
        self.seen += len(data)
        if self.seen > self.limit:
            raise _Stop(1, f"more than {size_text(self.limit)} of data; refused")
        view[:len(data)] = data
        return len(data)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # older CMS files are Windows text


def _lines(stream: IO[bytes]) -> Iterator[str]:
    """Decoded lines (ending kept) of a byte stream: UTF-8, else Windows-1252 line by line; a NUL byte or
    an endless line stops with :class:`_Stop` (a binary or garbled file)."""
    for n, raw in enumerate(iter(lambda: stream.readline(MAX_LINE_CHARS + 1), b""), 1):
        if len(raw) > MAX_LINE_CHARS:
            raise _Stop(n, f"line is longer than {MAX_LINE_CHARS // 1024} KB: not a CMS table (binary or garbled)")
        if b"\x00" in raw:
            raise _Stop(n, "binary data (a NUL byte): not a text table")
        text = _decode(raw)
        if n == 1:
            text = text.removeprefix("\ufeff")
        yield text


def _tab_rows(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    for n, line in enumerate(_lines(stream), 1):
        yield n, line.rstrip("\r\n").split("\t")


def _csv_rows(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(_lines(stream), strict=True)
    start = 1
    try:
        for row in reader:
            yield start, row  # a quoted cell may span lines (CMS's disclaimer does): the record's first line
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _Stop(start, f"not valid CSV (in the record that starts here): {exc}") from exc


# ---------------------------------------------------------------------------------------------------------
# Spreadsheets (.xlsx) with the standard library


_MAIN_NS = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CELL_RE = re.compile(r"^([A-Z]{1,3})([0-9]*)$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_member(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise _Stop(1, f"{name} is larger than {size_text(limit)}; refused")
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise _Stop(1, f"{name} unpacks to more than {size_text(limit)}; refused")
    return data


def _text_of(elem: ElementTree.Element) -> str:
    """The text of a shared or inline string: its ``t``, or the ``t`` of each rich-text run ``r``; phonetic
    runs (``rPh``) are left out."""
    parts: list[str] = []
    for child in elem:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    names = {i.filename.lower(): i.filename for i in zf.infolist()}
    name = names.get("xl/sharedstrings.xml")
    if name is None:
        return []
    root = ElementTree.fromstring(_read_member(zf, name, MAX_XML_SIDE_BYTES))
    return [_text_of(si) for si in root if _local(si.tag) == "si"]


def _first_sheet(zf: zipfile.ZipFile) -> str:
    names = {i.filename.lower(): i.filename for i in zf.infolist()}
    workbook, rels = names.get("xl/workbook.xml"), names.get("xl/_rels/workbook.xml.rels")
    if workbook is not None and rels is not None:
        wb = ElementTree.fromstring(_read_member(zf, workbook, MAX_XML_SIDE_BYTES))
        rel_root = ElementTree.fromstring(_read_member(zf, rels, MAX_XML_SIDE_BYTES))
        targets = {r.get("Id"): r.get("Target", "") for r in rel_root if _local(r.tag) == "Relationship"}
        for elem in wb.iter():
            if _local(elem.tag) == "sheet":
                rid = next((v for k, v in elem.attrib.items() if _local(k) == "id"), None)
                target = targets.get(rid, "")
                if target:
                    path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                    path = PurePosixPath(path).as_posix()
                    found = names.get(path.lower())
                    if found is not None:
                        return found
                break
    fallback = names.get("xl/worksheets/sheet1.xml")
    if fallback is None:
        raise _Stop(1, "not a spreadsheet this reader knows: no worksheet found (xl/worksheets/...)")
    return fallback


def _column_index(ref: str | None, default: int) -> int:
    if not ref:
        return default
    m = _CELL_RE.match(ref)
    if m is None:
        return default
    n = 0
    for ch in m.group(1):
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _number(text: str) -> str:
    """A spreadsheet number as CMS means it: 20240701, not 20240701.0."""
    try:
        value = float(text)
    except ValueError:
        return text
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return text


def _cell_value(cell: ElementTree.Element, strings: list[str], row: int) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = next((c for c in cell if _local(c.tag) == "is"), None)
        return _text_of(inline) if inline is not None else ""
    v = next((c for c in cell if _local(c.tag) == "v"), None)
    text = v.text or "" if v is not None else ""
    if kind == "s":
        if not text.isdigit() or int(text) >= len(strings):
            raise _Stop(row, f"cell {cell.get('r', '?')} points to shared string {text!r}, which does not exist "
                        "(damaged spreadsheet)")
        return strings[int(text)]
    if kind == "n":
        return _number(text)
    if kind == "b":
        return "TRUE" if text == "1" else "FALSE"
    return text  # "str" (a formula's text), "d" (an ISO date), "e" (an error such as #N/A)


def _xlsx_rows(zf: zipfile.ZipFile, limit: int) -> Iterator[tuple[int, list[str]]]:
    strings = _shared_strings(zf)
    sheet = _first_sheet(zf)
    info = zf.getinfo(sheet)
    if info.file_size > limit:
        raise _Stop(1, f"the worksheet is larger than {size_text(limit)}; refused")
    row_number = 0
    with zf.open(info) as raw:
        stream = _Bounded(raw, limit)
        parents: list[ElementTree.Element] = []
        try:
            for event, elem in ElementTree.iterparse(io.BufferedReader(stream), events=("start", "end")):
                name = _local(elem.tag)
                if event == "start":
                    if name == "sheetData":
                        parents.append(elem)
                    continue
                if name != "row":
                    continue
                r = elem.get("r")
                row_number = int(r) if r and r.isdigit() else row_number + 1
                cells: dict[int, str] = {}
                col = -1
                for cell in elem:
                    if _local(cell.tag) != "c":
                        continue
                    col = _column_index(cell.get("r"), col + 1)
                    value = _cell_value(cell, strings, row_number)
                    if col >= MAX_COLUMNS:
                        if value.strip():
                            raise _Stop(row_number, f"a value in column {col + 1}: a CMS table has at most "
                                        f"{MAX_COLUMNS} columns")
                        continue
                    cells[col] = value
                width = max(cells) + 1 if cells else 0
                yield row_number, [cells.get(i, "") for i in range(width)]
                if parents:
                    parents[-1].remove(elem)
                else:
                    elem.clear()
        except ElementTree.ParseError as exc:
            raise _Stop(max(row_number, 1), f"the spreadsheet is damaged or cut short after row {row_number} "
                        f"(XML: {exc})") from exc


# ---------------------------------------------------------------------------------------------------------
# Tables from rows


def _norm(cell: str) -> str:
    text = " ".join(cell.lower().split())
    return re.sub(r"column\s*([12])\b", r"column \1", text)


def _is_blank(row: list[str]) -> bool:
    return not any(c.strip() for c in row)


def _ptp_header_problem(header: list[str]) -> str:
    want = ((2, "existence", "'*=in existence prior to 1996'"), (3, "effective", "'Effective Date'"),
            (4, "deletion", "'Deletion Date'"), (5, "modifier", "'Modifier'"), (6, "rationale", "'PTP Edit Rationale'"))
    if len(header) < 7:
        return (f"the header has {len(header)} columns; a CMS PTP table has 7 (Column 1, Column 2, in existence "
                "before 1996, Effective Date, Deletion Date, Modifier, PTP Edit Rationale)")
    for index, word, name in want:
        if word not in header[index]:
            return f"column {index + 1} of the header should be {name}, found {header[index].strip()[:60]!r}"
    if any(h.strip() for h in header[7:]):
        return f"the header has more than 7 columns: {header[7].strip()[:40]!r} after the rationale"
    return ""


def _mue_header(row: list[str]) -> tuple[TableKind | None, str]:
    cells = [_norm(c) for c in row] + [""] * 4
    problem = ""
    if "mue value" not in cells[1]:
        problem = f"column 2 of the header should be '... MUE Values', found {row[1].strip()[:60]!r}" if len(
            row) > 1 else "the header has 1 column; a CMS MUE table has 4"
    elif "adjudication" not in cells[2]:
        problem = f"column 3 of the header should be 'MUE Adjudication Indicator', found {cells[2][:60]!r}"
    elif "rationale" not in cells[3]:
        problem = f"column 4 of the header should be 'MUE Rationale', found {cells[3][:60]!r}"
    elif any(c.strip() for c in row[4:]):
        problem = "the header has more than 4 columns"
    if problem:
        return None, problem
    if cells[1].startswith("practitioner"):
        return "practitioner", ""
    if cells[1].startswith("outpatient hospital"):
        return "outpatient_hospital", ""
    if cells[1].startswith("dme"):
        return None, ("this is the DME supplier MUE table; GuideCode reads the practitioner and outpatient hospital "
                      "tables")
    return None, f"column 2 of the header does not say which table this is: {row[1].strip()[:60]!r}"


def _code(text: str, xlsx: bool) -> str:
    code = text.strip().upper()
    if xlsx and code.isdigit() and len(code) < 5:
        code = code.zfill(5)  # a spreadsheet number loses leading zeros (01996)
    return code


@lru_cache(maxsize=8192)  # a table has a few thousand distinct dates and hundreds of thousands of rows
def _yyyymmdd(text: str) -> date | None:
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _ptp_row(table: CmsTable, line: int, row: list[str], xlsx: bool, keep: KeepCode) -> None:
    if len(row) == 7:  # the usual well-formed row, checked without building anything
        c1, c2, before_1996, eff, dele, mod, rationale = row
        if (CODE_RE.match(c1) and CODE_RE.match(c2) and c1 != c2 and before_1996 in ("", "*")
                and mod in ("0", "1", "9")):
            effective = _yyyymmdd(eff)
            deletion = None if dele in ("*", "") else _yyyymmdd(dele)
            if effective is not None and (deletion is not None or dele in ("*", "")) and (
                    deletion is None or deletion >= effective):
                table.rows_read += 1
                if keep(c1) and keep(c2):
                    indicator: ModifierIndicator = MODIFIER_INDICATORS[("0", "1", "9").index(mod)]
                    table.ptp.append(CmsPtpRow(c1, c2, effective, deletion, indicator, rationale.strip(), line))
                return
    _ptp_row_checked(table, line, row, xlsx, keep)


def _ptp_row_checked(table: CmsTable, line: int, row: list[str], xlsx: bool, keep: KeepCode) -> None:
    """A row that is not plainly well formed: each field checked and every problem named."""
    cells = [c.strip() for c in row] + [""] * (7 - len(row))
    if len(row) < 6 or (len(row) == 6 and cells[5] == ""):
        table.problem(line, "", f"the row has {len(row)} fields; a PTP row has 7 (the line is cut short?)")
        return
    if any(cells[7:]):
        table.problem(line, "", f"the row has more than 7 fields: {cells[7][:40]!r} after the rationale")
        return
    c1, c2 = _code(cells[0], xlsx), _code(cells[1], xlsx)
    entry = f"{c1}/{c2}"
    before = table.count
    for name, code in (("column 1", c1), ("column 2", c2)):
        if not CODE_RE.match(code):
            table.problem(line, entry, f"{name} {code!r} is not a CPT/HCPCS code (5 characters, e.g. 64405, 0213T)")
    if c1 == c2:
        table.problem(line, entry, "column 1 and column 2 are the same code")
    if cells[2] not in ("", "*"):
        table.problem(line, entry, f"the 'in existence prior to 1996' column must be '*' or empty; got {cells[2]!r}")
    effective = _yyyymmdd(cells[3])
    if effective is None:
        table.problem(line, entry, f"the effective date must be a date written YYYYMMDD; got {cells[3]!r}")
    deletion: date | None = None
    if cells[4] not in ("*", ""):
        deletion = _yyyymmdd(cells[4])
        if deletion is None:
            table.problem(line, entry, f"the deletion date must be a date written YYYYMMDD or '*' (not deleted); "
                          f"got {cells[4]!r}")
    if effective and deletion and deletion < effective:
        table.problem(line, entry, f"the deletion date {deletion} is before the effective date {effective}")
    if cells[5] not in ("0", "1", "9"):
        table.problem(line, entry, f"the modifier indicator must be 0, 1 or 9; got {cells[5]!r}")
    if table.count > before or effective is None:
        return
    table.rows_read += 1
    if keep(c1) and keep(c2):
        mod: ModifierIndicator = MODIFIER_INDICATORS[("0", "1", "9").index(cells[5])]
        table.ptp.append(CmsPtpRow(c1, c2, effective, deletion, mod, cells[6], line))


def _mue_row(table: CmsTable, line: int, row: list[str], xlsx: bool, keep: KeepCode) -> None:
    cells = [c.strip() for c in row] + [""] * (4 - len(row))
    if len(row) < 3:
        table.problem(line, "", f"the row has {len(row)} fields; an MUE row has 4 (the line is cut short?)")
        return
    if any(cells[4:]):
        table.problem(line, "", f"the row has more than 4 fields: {cells[4][:40]!r} after the rationale")
        return
    code = _code(cells[0], xlsx)
    before = table.count
    if not CODE_RE.match(code):
        table.problem(line, code, f"{code!r} is not a CPT/HCPCS code (5 characters, e.g. 64405, 0213T)")
    value = cells[1]
    if not value.isdigit() or len(value) > 6:
        table.problem(line, code, f"the MUE value must be a whole number of units; got {value!r}")
    m = re.match(r"^([0-9])(?:\s+(.*))?$", cells[2])
    if m is None or int(m.group(1)) not in MAIS:
        table.problem(line, code, "the MUE adjudication indicator must be 1 (Line Edit), 2 (Date of Service Edit: "
                      f"Policy) or 3 (Date of Service Edit: Clinical); got {cells[2]!r}")
    elif m.group(2) and _norm(m.group(2)) != MAI_TEXT[int(m.group(1))]:
        table.problem(line, code, f"the MUE adjudication indicator {m.group(1)} means "
                      f"{MAI_TEXT[int(m.group(1))]!r}, but the file says {cells[2]!r}")
    if table.count > before or m is None:
        return
    table.rows_read += 1
    if keep(code):
        mai: Mai = MAIS[int(m.group(1)) - 1]
        table.mue.append(CmsMueRow(code, int(value), mai, cells[3], line))


def _read_table(table: CmsTable, rows: Iterable[tuple[int, list[str]]], xlsx: bool, keep: KeepCode) -> None:
    """Find the header by its words, then check every data row (kept or not), filling ``table``."""
    it = iter(rows)
    header: list[str] | None = None
    header_line = 0
    searched = 0
    for line, row in it:
        table.last_line = line
        if _is_blank(row):
            continue
        searched += 1
        first = _norm(row[0]) if row else ""
        second = _norm(row[1]) if len(row) > 1 else ""
        if first == "column 1" and second == "column 2":
            table.table, header, header_line = "ptp", list(row), line
            break
        if "hcpcs" in first and "code" in first:
            kind, problem = _mue_header(row)
            if problem:
                table.problem(line, "", f"wrong header: {problem}")
                return
            table.table, table.header_kind, header_line = "mue", kind, line
            break
        if searched >= HEADER_SEARCH_ROWS:
            break
    if table.table is None:
        table.problem(1, "", f"no CMS table header in the first {HEADER_SEARCH_ROWS} rows: a PTP file has a row "
                      "'Column 1, Column 2, ...', an MUE file a row 'HCPCS/CPT Code, ... MUE Values, ...'")
        return
    data_started = table.table == "mue"
    for line, row in it:
        table.last_line = line
        if table.full:
            return
        if data_started and row and row[0][:1].isalnum():  # a data row: the row checks cover it
            if table.table == "ptp":
                _ptp_row(table, line, row, xlsx, keep)
            else:
                _mue_row(table, line, row, xlsx, keep)
            continue
        if _is_blank(row):
            continue
        cells = [c.strip() for c in row]
        if table.table == "ptp":
            if not data_started:
                if not cells[0] and (len(cells) < 2 or not cells[1]):
                    assert header is not None
                    header += [""] * (len(row) - len(header))
                    for i, c in enumerate(cells):
                        header[i] = f"{header[i]} {c}".strip() if c else header[i]
                    continue
                data_started = True
                problem = _ptp_header_problem([_norm(h) for h in header or []])
                if problem:
                    table.problem(header_line, "", f"wrong header: {problem}")
                    return
            if not cells[0]:
                table.problem(line, "", "a row without a column 1 code among the data rows")
                continue
            _ptp_row(table, line, row, xlsx, keep)
        else:
            if not cells[0]:
                table.problem(line, "", "a row without a code among the data rows")
                continue
            _mue_row(table, line, row, xlsx, keep)
    if table.table == "ptp" and not data_started and header is not None:
        problem = _ptp_header_problem([_norm(h) for h in header])
        if problem:
            table.problem(header_line, "", f"wrong header: {problem}")


# ---------------------------------------------------------------------------------------------------------
# Files and archives


def _suffix(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def _stem(name: str) -> str:
    return PurePosixPath(name).stem.lower()


def _read_stream(label: str, stream: IO[bytes], source: Source, keep: KeepCode) -> CmsTable:
    table = CmsTable(label)
    try:
        if source == "xlsx":
            try:
                with zipfile.ZipFile(stream) as zf:
                    _read_table(table, _xlsx_rows(zf, MAX_INPUT_BYTES), True, keep)
            except (zipfile.BadZipFile, EOFError, KeyError) as exc:
                raise _Stop(1, f"not a readable .xlsx spreadsheet (damaged or cut short?): {exc}") from exc
        else:
            rows = _tab_rows(stream) if source == "txt" else _csv_rows(stream)
            _read_table(table, rows, False, keep)
    except _Stop as stop:
        table.problem(stop.line, "", stop.message)
    except _DAMAGED as exc:
        table.problem(max(table.last_line, 1), "", f"the archive member is damaged or cut short: {exc}")
    return table


def _regular_file(path: Path, label: str, read: CmsRead) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        read.problems.append(Problem(label, 1, "", "file is missing"))
        return False
    except OSError as exc:
        read.problems.append(Problem(label, 1, "", f"cannot read the file: {exc.strerror or exc}"))
        return False
    if not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO, device or socket"
        read.problems.append(Problem(label, 1, "", f"is {what}, not a regular file; refused"))
        return False
    if st.st_size > MAX_INPUT_BYTES:
        read.problems.append(Problem(label, 1, "", f"file is larger than {size_text(MAX_INPUT_BYTES)} "
                                     f"({size_text(st.st_size)}); refused"))
        return False
    return True


def _source_of(name: str) -> Source | None:
    suffix = _suffix(name)
    if suffix == ".txt":
        return "txt"
    if suffix == ".csv":
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    return None


_PREFERENCE = {".txt": 0, ".csv": 1, ".xlsx": 2}
# What reading a damaged archive member raises (a bad CRC at its end, a cut deflate stream, ...).
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError)


def _read_zip(zf: zipfile.ZipFile, label: str, keep: KeepCode, read: CmsRead, depth: int) -> None:
    infos = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")
             and not PurePosixPath(i.filename).name.startswith(".")]
    if len(infos) > MAX_MEMBERS:
        read.problems.append(Problem(label, 1, "", f"the archive has {len(infos)} files; a CMS release zip has a "
                                     f"few (at most {MAX_MEMBERS} are read)"))
        return
    chosen: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        suffix = _suffix(name)
        if suffix == ".zip" and depth == 0:
            chosen[f"zip:{name}"] = info
            continue
        if suffix not in DATA_SUFFIXES:
            read.skipped.append(f"{label}/{name} (not a table: .txt, .csv or .xlsx)")
            continue
        if "change" in PurePosixPath(name).name.lower():
            read.skipped.append(f"{label}/{name} (a change report, not the table)")
            continue
        stem = _stem(name)
        other = chosen.get(stem)
        if other is None or _PREFERENCE[suffix] < _PREFERENCE[_suffix(other.filename)]:
            if other is not None:
                read.skipped.append(f"{label}/{other.filename} (the same table as {name})")
            chosen[stem] = info
        else:
            read.skipped.append(f"{label}/{name} (the same table as {other.filename})")
    if not chosen:
        read.problems.append(Problem(label, 1, "", "the archive holds no table (.txt, .csv or .xlsx)"))
        return
    for info in sorted(chosen.values(), key=lambda i: i.filename):
        member_label = f"{label}/{info.filename}"
        if info.flag_bits & 0x1:
            read.problems.append(Problem(member_label, 1, "", "the archive member is encrypted; refused"))
            continue
        if info.file_size > MAX_INPUT_BYTES:
            read.problems.append(Problem(member_label, 1, "", f"the archive member unpacks to "
                                         f"{size_text(info.file_size)}, more than {size_text(MAX_INPUT_BYTES)}; "
                                         "refused"))
            continue
        try:
            if _suffix(info.filename) in (".zip", ".xlsx"):
                blob = _read_member(zf, info.filename, MAX_INPUT_BYTES)
                if _suffix(info.filename) == ".zip":
                    with zipfile.ZipFile(io.BytesIO(blob)) as inner:
                        _read_zip(inner, member_label, keep, read, depth + 1)
                    continue
                read.tables.append(_read_stream(member_label, io.BytesIO(blob), "xlsx", keep))
                continue
            with zf.open(info) as raw:
                source = _source_of(info.filename)
                assert source is not None
                bounded = io.BufferedReader(_Bounded(raw, MAX_INPUT_BYTES), buffer_size=1024 * 1024)
                read.tables.append(_read_stream(member_label, bounded, source, keep))
        except _Stop as stop:
            read.problems.append(Problem(member_label, stop.line, "", stop.message))
        except _DAMAGED as exc:
            read.problems.append(Problem(member_label, 1, "", f"the archive member is damaged or cut short: {exc}"))


def read_cms_files(paths: Iterable[Path], keep: KeepCode) -> CmsRead:
    """Read CMS release files (zips, or the .txt/.csv/.xlsx inside them). Every data row is checked; only
    the rows whose codes ``keep`` accepts are kept (a PTP row needs both codes). Problems name the file as
    given (``name.zip/member``) and the line or spreadsheet row."""
    read = CmsRead()
    for path in paths:
        label = path.name
        if not _regular_file(path, label, read):
            continue
        suffix = _suffix(path.name)
        if suffix == ".zip":
            try:
                with zipfile.ZipFile(path) as zf:
                    _read_zip(zf, label, keep, read, 0)
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                read.problems.append(Problem(label, 1, "", "not a readable zip archive (damaged or cut short?): "
                                             f"{exc}"))
            continue
        source = _source_of(path.name)
        if source is None:
            read.problems.append(Problem(label, 1, "", "not a CMS release file: give the .zip CMS publishes, or the "
                                         ".txt, .csv or .xlsx inside it"))
            continue
        try:
            with open(path, "rb") as fh:
                read.tables.append(_read_stream(label, fh, source, keep))
        except OSError as exc:
            read.problems.append(Problem(label, 1, "", f"cannot read the file: {exc.strerror or exc}"))
    return read
