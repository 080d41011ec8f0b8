"""GuideCode's own on-disk format for NCCI tables (``docs/ncci.md``): reading with every problem located, and
writing.

An ``ncci/`` folder (in the built-in data or in a data pack) holds::

    tables.yaml                        one entry per table: kind, table (ptp | mue), version, quarter,
                                       source id, file, rows
    ptp-practitioner-v30.2.csv         column_1,column_2,effective,deletion,modifier_indicator,rationale
    mue-practitioner-2024q3.csv        code,value,mai,rationale,effective

Every problem is collected and named ``file:line: entry: what is wrong`` (files relative to the data folder,
``ncci/tables.yaml``). Files are bounded: a file over its size limit, a link or a special file (a FIFO, a
device) is refused before it is opened for reading.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from desktop.core.ncci.model import (
    CODE_RE,
    MAIS,
    MODIFIER_INDICATORS,
    TABLE_CONTENTS,
    TABLE_KINDS,
    Mai,
    ModifierIndicator,
    Mue,
    MueTable,
    NcciData,
    NcciVersion,
    PtpEdit,
    PtpTable,
    TableContent,
    TableKind,
    parse_quarter,
    quarter_end,
    quarter_label,
)
from desktop.core.problems import Location, Problem

NCCI_DIR = "ncci"
TABLES_FILE = "tables.yaml"
MAX_TABLES_BYTES = 256 * 1024
MAX_CSV_BYTES = 8 * 1024 * 1024  # the same limit as a data pack's files (desktop.core.packs)
MAX_PROBLEMS_PER_FILE = 50

PTP_COLUMNS = ("column_1", "column_2", "effective", "deletion", "modifier_indicator", "rationale")
MUE_COLUMNS = ("code", "value", "mai", "rationale", "effective")
TOP_KEYS = ("tables", "notes")
TABLE_KEYS = ("kind", "table", "version", "quarter", "source", "file", "rows", "scope", "note")
SCOPE_KEYS = ("codes", "paired_with")
MAX_VERSION_CHARS = 24

NcciResult = tuple[NcciData | None, list[Problem]]


# ---------------------------------------------------------------------------------------------------------
# Bounded reading


def read_bounded(path: Path, label: str, limit: int, problems: list[Problem], *,
                 follow_links: bool = False) -> bytes | None:
    """The bytes of ``path``, or None after recording why not: missing, a link (unless ``follow_links``),
    not a regular file (a FIFO, a device, a folder: refused before opening, so reading never blocks), or
    larger than ``limit`` bytes."""
    try:
        st = os.stat(path) if follow_links else os.lstat(path)
    except FileNotFoundError:
        problems.append(Problem(label, 1, "", "file is missing"))
        return None
    except OSError as exc:
        problems.append(Problem(label, 1, "", f"cannot read the file: {exc.strerror or exc}"))
        return None
    if stat.S_ISLNK(st.st_mode):
        problems.append(Problem(label, 1, "", "is a link; only plain files are read"))
        return None
    if not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO, device or socket"
        problems.append(Problem(label, 1, "", f"is {what}, not a regular file; refused"))
        return None
    if st.st_size > limit:
        problems.append(Problem(label, 1, "", f"file is larger than {size_text(limit)} ({size_text(st.st_size)}); "
                                "refused"))
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        problems.append(Problem(label, 1, "", f"cannot read the file: {exc.strerror or exc}"))
        return None
    if len(data) > limit:
        problems.append(Problem(label, 1, "", f"file is larger than {size_text(limit)}; refused"))
        return None
    return data


def size_text(n: int) -> str:
    """A size for a message: ``200 bytes``, ``256 KB``, ``8 MB``."""
    if n < 1024:
        return f"{n} bytes"
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB"
    return f"{n / 1024:.0f} KB"


def decode_utf8(raw: bytes, label: str, problems: list[Problem]) -> str | None:
    """UTF-8 text (a leading byte-order mark is dropped), or None after naming the line of the bad byte."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problems.append(Problem(label, line, "", f"file is not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        problems.append(Problem(label, line, "", "file holds binary data (a NUL byte), not text"))
        return None
    return text.removeprefix("\ufeff")


# ---------------------------------------------------------------------------------------------------------
# Cells


def parse_iso_date(text: str) -> date | None:
    """``YYYY-MM-DD`` (exactly), else None."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return repr(value) if len(value) < 60 else repr(value[:57] + "...")
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class _Sink:
    """Problems of one file, capped so that a garbled file of a million lines gives a readable answer."""

    def __init__(self, problems: list[Problem], label: str) -> None:
        self.problems = problems
        self.label = label
        self.count = 0

    @property
    def full(self) -> bool:
        return self.count >= MAX_PROBLEMS_PER_FILE

    def add(self, line: int, entry: str, message: str) -> None:
        self.count += 1
        if self.count < MAX_PROBLEMS_PER_FILE:
            self.problems.append(Problem(self.label, line, entry, message))
        elif self.count == MAX_PROBLEMS_PER_FILE:
            self.problems.append(Problem(self.label, line, entry, f"{message} (stopped after "
                                         f"{MAX_PROBLEMS_PER_FILE} problems in this file)"))


# ---------------------------------------------------------------------------------------------------------
# tables.yaml


def _table_entries(raw: bytes, label: str, problems: list[Problem]) -> list[Any]:
    from desktop.core.yamlsrc import LineMap, YamlSyntaxError, parse_yaml

    text = decode_utf8(raw, label, problems)
    if text is None:
        return []
    try:
        data = parse_yaml(text)
    except YamlSyntaxError as exc:
        problems.append(Problem(label, exc.line, "", f"not valid YAML: {exc.message}"))
        return []
    if not isinstance(data, LineMap):
        problems.append(Problem(label, 1, "", "tables.yaml must be a mapping with the key 'tables'"))
        return []
    for key in data:
        if key not in TOP_KEYS:
            problems.append(Problem(label, data.line_of(key), "", f"unknown key {key!r}"))
    if "notes" in data and not isinstance(data["notes"], str):
        problems.append(Problem(label, data.line_of("notes"), "", "'notes' must be text"))
    tables = data.get("tables")
    if "tables" not in data:
        problems.append(Problem(label, data.line, "", "missing required key 'tables' (a list of tables)"))
        return []
    if not isinstance(tables, list):
        problems.append(Problem(label, data.line_of("tables"), "", f"'tables' must be a list of tables, got "
                                f"{_describe(tables)}"))
        return []
    out: list[Any] = []
    for i, item in enumerate(tables, 1):
        if not isinstance(item, LineMap):
            problems.append(Problem(label, data.line_of("tables"), f"table {i}",
                                    f"each table must be a mapping of keys, got {_describe(item)}"))
        else:
            out.append(item)
    return out


def _read_table_entry(item: Any, index: int, label: str, problems: list[Problem],
                      sources: Collection[str] | None, origin: str) -> NcciVersion | None:
    entry = f"table {index}"
    before = len(problems)

    def problem(key: str | None, message: str) -> None:
        problems.append(Problem(label, item.line_of(key) if key else item.line, entry, message))

    for key in item:
        if key not in TABLE_KEYS:
            problem(key, f"unknown key {key!r}")

    def text(key: str, required: bool = True) -> str:
        if key not in item:
            if required:
                problem(None, f"missing required key {key!r}")
            return ""
        value = item[key]
        if not isinstance(value, str):
            hint = f' (quote it: "{value}")' if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
            problem(key, f"{key!r} must be text, got {_describe(value)}{hint}")
            return ""
        if required and not value.strip():
            problem(key, f"{key!r} must not be empty")
        return value.strip()

    kind = text("kind")
    if kind and kind not in TABLE_KINDS:
        problem("kind", f"'kind' must be one of {', '.join(TABLE_KINDS)}; got {kind!r}")
    table = text("table")
    if table and table not in TABLE_CONTENTS:
        problem("table", f"'table' must be one of {', '.join(TABLE_CONTENTS)}; got {table!r}")
    version = text("version")
    if len(version) > MAX_VERSION_CHARS or "\n" in version:
        problem("version", f"'version' must be one line of at most {MAX_VERSION_CHARS} characters")
    quarter_text = text("quarter")
    start = parse_quarter(quarter_text) if quarter_text else None
    if quarter_text and start is None:
        problem("quarter", f"'quarter' must be written like 2024Q3 (year, Q, 1-4); got {quarter_text!r}")
    source = text("source")
    if source and sources is not None and source not in sources:
        problem("source", f"source {source!r} is not in sources.yaml")
    file = text("file")
    if file and ("/" in file or "\\" in file or file.startswith(".") or not file.endswith(".csv")):
        problem("file", f"'file' must be the name of a .csv file beside tables.yaml; got {file!r}")
    rows = item.get("rows")
    if "rows" not in item:
        problem(None, "missing required key 'rows' (the number of rows of the file, to catch a cut file)")
    elif isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        problem("rows", f"'rows' must be a whole number of rows, got {_describe(rows)}")
    text("note", required=False)
    scope_codes, paired_with = _read_scope(item, problem, table)
    if len(problems) > before or start is None or not isinstance(rows, int):
        return None
    kind_v: TableKind = kind  # type: ignore[assignment]  # checked against TABLE_KINDS above
    table_v: TableContent = table  # type: ignore[assignment]  # checked against TABLE_CONTENTS above
    return NcciVersion(kind_v, table_v, version, start, quarter_end(start), source, file, rows, origin,
                       Location(label, item.line_of("source")), scope_codes, paired_with)


def _read_scope(item: Any, problem: Callable[[str | None, str], None],
                table: str) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """``scope``: the codes a filtered table was cut to (absent: the whole CMS table)."""
    from desktop.core.yamlsrc import LineMap

    if "scope" not in item:
        return None, None
    scope = item["scope"]
    if not isinstance(scope, LineMap):
        problem("scope", f"'scope' must be a mapping with 'codes' (and for a PTP table 'paired_with'), got "
                f"{_describe(scope)}")
        return None, None
    for key in scope:
        if key not in SCOPE_KEYS:
            problem("scope", f"unknown key {key!r} in 'scope'")

    def codes(key: str) -> frozenset[str] | None:
        if key not in scope:
            return None
        value = scope[key]
        if not isinstance(value, list) or not value:
            problem("scope", f"'scope: {key}' must be a list of codes")
            return None
        bad = [v for v in value if not isinstance(v, str) or not CODE_RE.match(v)]
        if bad:
            problem("scope", f"'scope: {key}' holds {_describe(bad[0])}, not a quoted CPT/HCPCS code")
            return None
        return frozenset(value)

    scope_codes = codes("codes")
    if "codes" not in scope:
        problem("scope", "'scope' needs 'codes': the codes the table was filtered to")
    paired_with = codes("paired_with")
    if paired_with is not None and table == "mue":
        problem("scope", "'scope: paired_with' is only for a PTP table")
    if paired_with is not None and scope_codes is not None and not paired_with <= scope_codes:
        problem("scope", "'scope: paired_with' must be among 'scope: codes'")
    return scope_codes, paired_with


# ---------------------------------------------------------------------------------------------------------
# The CSV files


class _CsvRows:
    """(first line of the record, fields) for every record of a CSV text; ``line`` is where the reader is
    (the line of a CSV syntax error)."""

    def __init__(self, text: str) -> None:
        self.reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        self.start = 1
        self.rows = self._rows()

    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        for row in self.reader:
            yield self.start, row
            self.start = self.reader.line_num + 1

    @property
    def line(self) -> int:
        """The first line of the record being read (where a CSV syntax error is reported)."""
        return self.start


def _check_header(rows: Iterator[tuple[int, list[str]]], columns: Sequence[str], sink: _Sink) -> bool:
    for _line, row in rows:
        if tuple(c.strip() for c in row) != tuple(columns):
            sink.add(1, "", f"the first line must be the header {','.join(columns)}; got {','.join(row)[:80]!r}")
            return False
        return True
    sink.add(1, "", f"the file is empty; it must start with the header {','.join(columns)}")
    return False


def parse_ptp_csv(text: str, version: NcciVersion, label: str, problems: list[Problem]) -> list[PtpEdit] | None:
    """The edits of one PTP file in GuideCode's format, or None if any row is wrong (every problem named)."""
    sink = _Sink(problems, label)
    reader = _CsvRows(text)
    edits: list[PtpEdit] = []
    try:
        if not _check_header(reader.rows, PTP_COLUMNS, sink):
            return None
        for line, row in reader.rows:
            if sink.full:
                break
            if not row or row == [""]:
                sink.add(line, "", "empty line; remove it")
                continue
            edit = _ptp_row(row, line, version, label, sink)
            if edit is not None:
                edits.append(edit)
    except csv.Error as exc:
        sink.add(reader.line, "", f"not valid CSV (in the record that starts here): {exc}")
    _check_ptp_duplicates(edits, sink)
    return edits if sink.count == 0 else None


def _ptp_row(row: list[str], line: int, version: NcciVersion, label: str, sink: _Sink) -> PtpEdit | None:
    if len(row) != len(PTP_COLUMNS):
        sink.add(line, "", f"expected {len(PTP_COLUMNS)} fields ({','.join(PTP_COLUMNS)}), found {len(row)}")
        return None
    c1, c2, eff_text, del_text, mod_text, rationale = row
    entry = f"{c1}/{c2}"
    before = sink.count
    for name, code in (("column_1", c1), ("column_2", c2)):
        if not CODE_RE.match(code):
            sink.add(line, entry, f"{name} {code!r} is not a CPT/HCPCS code (5 characters, e.g. 64405, 0213T)")
    if c1 == c2 and CODE_RE.match(c1):
        sink.add(line, entry, "column_1 and column_2 are the same code")
    effective = parse_iso_date(eff_text) if eff_text else None
    if eff_text and effective is None:
        sink.add(line, entry, f"effective must be a date written YYYY-MM-DD or empty (start not known); "
                 f"got {eff_text!r}")
    deletion = parse_iso_date(del_text) if del_text else None
    if del_text and deletion is None:
        sink.add(line, entry, f"deletion must be a date written YYYY-MM-DD or empty (not deleted); got {del_text!r}")
    if effective and deletion and deletion < effective:
        sink.add(line, entry, f"deletion {deletion} is before effective {effective}")
    if effective and effective > version.quarter_end:
        sink.add(line, entry, f"effective {effective} is after the end of the table's quarter "
                 f"({version.quarter_end}); such an edit belongs to a later table")
    if mod_text not in ("0", "1", "9"):
        sink.add(line, entry, f"modifier_indicator must be 0, 1 or 9; got {mod_text!r}")
    if sink.count == before and not version.knows_pair(c1, c2):
        sink.add(line, entry, "the pair is outside the table's 'scope' in tables.yaml")
    if sink.count > before:
        return None
    indicator: ModifierIndicator = MODIFIER_INDICATORS[("0", "1", "9").index(mod_text)]
    return PtpEdit(c1, c2, effective, deletion, indicator, rationale.strip(), Location(label, line))


def _check_ptp_duplicates(edits: Sequence[PtpEdit], sink: _Sink) -> None:
    by_pair: dict[tuple[str, str], list[PtpEdit]] = {}
    for edit in edits:
        by_pair.setdefault((edit.column_1, edit.column_2), []).append(edit)
    for rows in by_pair.values():
        for i, b in enumerate(rows):
            for a in rows[:i]:
                clash = ptp_clash(a, b)
                if clash:
                    sink.add(b.location.line, b.pair_label, f"repeats the edit at line {a.location.line} ({clash})")
                    break


def ptp_clash(a: PtpEdit, b: PtpEdit) -> str:
    """Why two rows of one ordered pair cannot both stand, or '' if they can."""
    if a.effective is None or b.effective is None:
        if a.deletion == b.deletion:
            return "same deletion date and a start that is not known"
        return ""
    a_end, b_end = a.deletion or date.max, b.deletion or date.max
    if a.effective <= b_end and b.effective <= a_end:
        return "their dates overlap"
    return ""


def parse_mue_csv(text: str, version: NcciVersion, label: str, problems: list[Problem]) -> list[Mue] | None:
    """The MUEs of one file in GuideCode's format, or None if any row is wrong (every problem named)."""
    sink = _Sink(problems, label)
    reader = _CsvRows(text)
    mues: list[Mue] = []
    seen: dict[str, int] = {}
    try:
        if not _check_header(reader.rows, MUE_COLUMNS, sink):
            return None
        for line, row in reader.rows:
            if sink.full:
                break
            if not row or row == [""]:
                sink.add(line, "", "empty line; remove it")
                continue
            mue = _mue_row(row, line, version, label, sink)
            if mue is None:
                continue
            if mue.code in seen:
                sink.add(line, mue.code, f"code {mue.code} has a second MUE (first at line {seen[mue.code]})")
                continue
            seen[mue.code] = line
            mues.append(mue)
    except csv.Error as exc:
        sink.add(reader.line, "", f"not valid CSV (in the record that starts here): {exc}")
    return mues if sink.count == 0 else None


def _mue_row(row: list[str], line: int, version: NcciVersion, label: str, sink: _Sink) -> Mue | None:
    if len(row) != len(MUE_COLUMNS):
        sink.add(line, "", f"expected {len(MUE_COLUMNS)} fields ({','.join(MUE_COLUMNS)}), found {len(row)}")
        return None
    code, value_text, mai_text, rationale, eff_text = row
    before = sink.count
    if not CODE_RE.match(code):
        sink.add(line, code, f"code {code!r} is not a CPT/HCPCS code (5 characters, e.g. 64405, 0213T)")
    if not value_text.isdigit() or len(value_text) > 6:
        sink.add(line, code, f"value must be a whole number of units (0 or more); got {value_text!r}")
    if mai_text not in ("1", "2", "3"):
        sink.add(line, code, f"mai must be 1 (line edit), 2 (date of service, policy) or 3 (date of service, "
                 f"clinical); got {mai_text!r}")
    effective = parse_iso_date(eff_text)
    if effective is None:
        sink.add(line, code, f"effective must be a date written YYYY-MM-DD (the first day of the quarter "
                 f"whose table gave the value); got {eff_text!r}")
    elif effective > version.quarter_end:
        sink.add(line, code, f"effective {effective} is after the end of the table's quarter ({version.quarter_end})")
    if sink.count == before and not version.knows_code(code):
        sink.add(line, code, "the code is outside the table's 'scope' in tables.yaml")
    if sink.count > before or effective is None:
        return None
    mai: Mai = MAIS[int(mai_text) - 1]
    return Mue(code, int(value_text), mai, rationale.strip(), effective, Location(label, line))


# ---------------------------------------------------------------------------------------------------------
# A whole ncci/ folder


def parse_ncci(files: Mapping[str, bytes], *, label: Callable[[str], str] | None = None,
               sources: Collection[str] | None = None, origin: str = "built-in") -> NcciResult:
    """The tables of one ``ncci/`` folder given as ``{name inside ncci/: bytes}`` (data packs pass the bytes
    they have checked against their checksums). ``label`` turns a name into the file name problems show
    (default ``ncci/<name>``); ``sources``: the source ids that exist (None: not checked). Returns None
    and the problems if anything is wrong: a folder is used whole or not at all."""
    name = label or (lambda rel: f"{NCCI_DIR}/{rel}")
    problems: list[Problem] = []
    raw = files.get(TABLES_FILE)
    if raw is None:
        problems.append(Problem(name(TABLES_FILE), 1, "", "file is missing (it lists the NCCI tables)"))
        return None, problems
    tables_label = name(TABLES_FILE)
    versions: list[tuple[NcciVersion, int]] = []
    for i, item in enumerate(_table_entries(raw, tables_label, problems), 1):
        version = _read_table_entry(item, i, tables_label, problems, sources, origin)
        if version is not None:
            versions.append((version, item.line_of("rows")))
    seen_keys: dict[tuple[TableKind, TableContent, date], int] = {}
    seen_files: dict[str, int] = {}
    for version, line in versions:
        if version.key in seen_keys:
            problems.append(Problem(tables_label, line, "", f"a second {version.kind} {version.table} table for "
                                    f"{version.quarter} (the first is at line {seen_keys[version.key]})"))
        seen_keys.setdefault(version.key, line)
        if version.file in seen_files:
            problems.append(Problem(tables_label, line, "", f"{version.file} is listed twice"))
        seen_files.setdefault(version.file, line)
    for rel in files if not problems else ():  # a broken tables.yaml is reported, not every file it misses
        if rel != TABLES_FILE and rel not in seen_files:
            problems.append(Problem(name(rel), 1, "", "file is not listed in tables.yaml"))
    ptp_tables: list[PtpTable] = []
    mue_tables: list[MueTable] = []
    for version, rows_line in versions:
        file_label = name(version.file)
        data = files.get(version.file)
        if data is None:
            problems.append(Problem(file_label, 1, "", "file is missing (tables.yaml lists it)"))
            continue
        text = decode_utf8(data, file_label, problems)
        if text is None:
            continue
        if version.table == "ptp":
            edits = parse_ptp_csv(text, version, file_label, problems)
            count = len(edits) if edits is not None else None
            if edits is not None:
                ptp_tables.append(PtpTable.build(version, edits))
        else:
            mues = parse_mue_csv(text, version, file_label, problems)
            count = len(mues) if mues is not None else None
            if mues is not None:
                mue_tables.append(MueTable.build(version, mues))
        if count is not None and count != version.rows:
            problems.append(Problem(tables_label, rows_line, "", f"{version.file} has {count} rows but tables.yaml "
                                    f"says {version.rows} (a cut or edited file?)"))
    if problems:
        return None, problems
    return NcciData(tuple(ptp_tables), tuple(mue_tables)), problems


def read_ncci_dir(folder: Path, *, label: Callable[[str], str] | None = None,
                  sources: Collection[str] | None = None, origin: str = "built-in") -> NcciResult:
    """Read and check an ``ncci/`` folder (``tables.yaml`` and the files it lists), bounded: each file is
    checked to be a plain file under its size limit before it is opened."""
    name = label or (lambda rel: f"{NCCI_DIR}/{rel}")
    problems: list[Problem] = []
    files: dict[str, bytes] = {}
    raw = read_bounded(folder / TABLES_FILE, name(TABLES_FILE), MAX_TABLES_BYTES, problems)
    if raw is None:
        return None, problems
    files[TABLES_FILE] = raw
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.name == TABLES_FILE or path.name.startswith("."):
                continue
            data = read_bounded(path, name(path.name), MAX_CSV_BYTES, problems)
            if data is not None:
                files[path.name] = data
    if problems:
        return None, problems
    return parse_ncci(files, label=label, sources=sources, origin=origin)


# ---------------------------------------------------------------------------------------------------------
# Writing


def ptp_file_name(kind: TableKind, version: str) -> str:
    return f"ptp-{kind}-v{version.replace(' ', '-')}.csv"


def mue_file_name(kind: TableKind, start: date) -> str:
    return f"mue-{kind}-{quarter_label(start).lower()}.csv"


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def ptp_csv(edits: Iterable[PtpEdit]) -> str:
    """The text of a PTP file in GuideCode's format, rows sorted by pair, then dates."""
    ordered = sorted(edits, key=lambda e: (e.column_1, e.column_2, e.effective or date.min, e.deletion or date.max))
    return _csv_text(PTP_COLUMNS, ((e.column_1, e.column_2, _day(e.effective), _day(e.deletion),
                                    str(e.modifier_indicator), e.rationale) for e in ordered))


def mue_csv(mues: Iterable[Mue]) -> str:
    """The text of an MUE file in GuideCode's format, rows sorted by code."""
    ordered = sorted(mues, key=lambda m: m.code)
    return _csv_text(MUE_COLUMNS, ((m.code, str(m.value), str(m.mai), m.rationale, m.effective.isoformat())
                                   for m in ordered))


def _yaml_text(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid double-quoted YAML scalar


def _code_list(codes: Iterable[str], indent: int = 14, per_line: int = 10) -> str:
    """A YAML flow list of quoted codes, ten to a line."""
    quoted = [f'"{c}"' for c in sorted(codes)]
    rows = [", ".join(quoted[i:i + per_line]) for i in range(0, len(quoted), per_line)]
    return "[" + (",\n" + " " * indent).join(rows) + "]"


def tables_yaml(versions: Sequence[NcciVersion], comment: str, notes: str = "") -> str:
    """The text of ``tables.yaml`` for ``versions`` (``comment``: lines written as YAML comments on top)."""
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    if notes:
        lines.append(f"notes: {_yaml_text(notes)}")
    lines.append("tables:")
    for v in versions:
        lines += [
            f"  - kind: {v.kind}",
            f"    table: {v.table}",
            f"    version: {_yaml_text(v.version)}",
            f"    quarter: {v.quarter}",
            f"    source: {_yaml_text(v.source)}",
            f"    file: {_yaml_text(v.file)}",
            f"    rows: {v.rows}",
        ]
        if v.scope_codes is not None:
            lines += ["    scope:", f"      codes: {_code_list(v.scope_codes)}"]
            if v.scope_paired_with is not None:
                lines.append(f"      paired_with: {_code_list(v.scope_paired_with, indent=20)}")
    return "\n".join(lines) + "\n"
