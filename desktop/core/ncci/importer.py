"""CMS's quarterly NCCI release files → a dated data pack of the rows GuideCode can use (``docs/ncci.md``).

1. :func:`read_release` reads the files (:mod:`desktop.core.ncci.cms`), checks every row, keeps the PTP
   rows whose two codes GuideCode has records for and the MUE rows of such codes (an edit can only apply
   when both of its codes are on the encounter, and GuideCode answers only for codes it knows), and works out
   which table it is: practitioner or outpatient hospital, CMS's version and the quarter, from the file
   names (``ccipra-v302r0-f1``: practitioner, version 30.2; ``…2024q3…``; ``MCR_MUE_…_Eff_07-01-2024``) and
   the MUE header, or from the options when the names do not say. Version 30.2 is the quarter from
   2024-07-01: CMS numbers PTP versions by year (30 = 2024) and quarter (.0 to .3).
2. :func:`write_pack` writes a data pack folder: ``pack.yaml`` (checksums), ``sources.yaml`` (one source per
   table, citing the CMS files it came from), ``README.md`` and ``ncci/`` in GuideCode's format. The folder
   is built beside the target and renamed into place only once it is complete and reads back without a
   problem, so a refused import leaves nothing behind.
3. ``import-ncci --install`` (desktop/commands/import_ncci.py) installs that folder with the data-pack
   import (:func:`desktop.core.packs.install.import_pack`), which validates the pack again on the data as
   installed and changes nothing if it fails. (The data packs read this package, so this package does not
   import them.)
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar, cast

from desktop.core.atomicfile import write_text_atomic
from desktop.core.ncci.cms import CmsRead, CmsTable, read_cms_files
from desktop.core.ncci.model import (
    KIND_LABELS,
    Mue,
    NcciVersion,
    PtpEdit,
    TableContent,
    TableKind,
    parse_quarter,
    quarter_end,
    quarter_label,
    quarter_start,
)
from desktop.core.ncci.reader import (
    NCCI_DIR,
    TABLES_FILE,
    mue_csv,
    mue_file_name,
    ptp_clash,
    ptp_csv,
    ptp_file_name,
    read_ncci_dir,
    tables_yaml,
)
from desktop.core.problems import Location, Problem
from desktop.core.sha import sha256

T = TypeVar("T")

PTP_PARTS = 4  # CMS publishes each quarter's PTP table in four parts, f1 to f4 (2024 to 2026 releases)
PTP_URL = "https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/medicare-ncci-procedure-procedure-ptp-edits"
MUE_URL = "https://www.cms.gov/medicare/coding-billing/national-correct-coding-initiative-ncci-edits/medicare-ncci-medically-unlikely-edits"
_KIND_TAG: dict[TableKind, str] = {"practitioner": "PRA", "outpatient_hospital": "OPH"}

_PTP_NAME = re.compile(r"cci(pra|oph)[-_ ]?v([0-9]{2})([0-9])r([0-9]+)(?:[-_ ]?f([0-9]+))?", re.IGNORECASE)
_QUARTER_NAME = re.compile(r"(20[0-9]{2})[-_ ]?q([1-4])(?![0-9])", re.IGNORECASE)
_MUE_DATE = re.compile(r"(?<![0-9])([0-9]{2})-([0-9]{2})-(20[0-9]{2})(?![0-9])")


class ImportProblems(Exception):
    """The release files cannot be imported; ``problems`` lists every reason (nothing was written)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"the NCCI files cannot be imported ({len(self.problems)} problem(s))")


@dataclass(frozen=True)
class ImportOptions:
    """What the command line says about the files, for what their names do not say (or to check it)."""

    kind: TableKind | None = None
    version: str | None = None
    quarter: date | None = None
    partial: bool = False


@dataclass(frozen=True)
class ImportedTable:
    """One table of the pack: its version entry, the rows kept, how many rows the CMS files had, from
    which files, and how many identical rows were read twice and kept once."""

    version: NcciVersion
    text: str
    rows_read: int
    inputs: tuple[str, ...]
    repeated: int = 0

    @property
    def summary(self) -> str:
        line = (f"{self.version.label}: {self.version.rows:,} rows kept of {self.rows_read:,} read (the rows "
                f"whose codes GuideCode has records for), from {', '.join(self.inputs)}")
        if self.repeated:
            line += f"; {self.repeated:,} identical rows were read twice and kept once"
        return line


@dataclass(frozen=True)
class NcciImport:
    """Everything a pack is written from: the kind, the quarter, the tables and the files left out."""

    kind: TableKind
    quarter_start: date
    tables: tuple[ImportedTable, ...]
    skipped: tuple[str, ...] = ()

    @property
    def contents(self) -> str:
        return " + ".join(t.version.table.upper() for t in self.tables)

    @property
    def name(self) -> str:
        """The pack's name: one pack per kind, quarter and contents, so importing again replaces it."""
        return f"CMS NCCI {KIND_LABELS[self.kind]} {quarter_label(self.quarter_start)} {self.contents}"

    @property
    def version(self) -> str:
        return ", ".join(f"PTP {t.version.version}" if t.version.table == "ptp" else f"MUE {t.version.version}"
                         for t in self.tables)

    @property
    def summary(self) -> list[str]:
        return [t.summary for t in self.tables]


# ---------------------------------------------------------------------------------------------------------
# What the files are


@dataclass(slots=True)
class _Facts:
    """What one file's name and header say about it (None: it does not say)."""

    label: str
    table: TableContent
    kind: TableKind | None = None
    version: str | None = None
    quarter: date | None = None
    part: int | None = None
    notes: list[str] = field(default_factory=list)


def _facts(table: CmsTable) -> _Facts:
    assert table.table is not None
    facts = _Facts(table.label, table.table)
    name = table.label
    flat = re.sub(r"[^a-z0-9]", "", name.lower())
    m = _QUARTER_NAME.search(name)
    if m:
        facts.quarter = date(int(m.group(1)), 3 * (int(m.group(2)) - 1) + 1, 1)
    if table.table == "ptp":
        p = _PTP_NAME.search(name)
        if p:
            facts.kind = "practitioner" if p.group(1).lower() == "pra" else "outpatient_hospital"
            major, minor, revision = int(p.group(2)), int(p.group(3)), int(p.group(4))
            facts.version = f"{major}.{minor}" + (f" r{revision}" if revision else "")
            facts.part = int(p.group(5)) if p.group(5) else None
            if facts.quarter is None:
                facts.quarter = version_quarter(facts.version)
        elif "practitioner" in flat:
            facts.kind = "practitioner"
        elif "hospital" in flat:
            facts.kind = "outpatient_hospital"
    else:
        facts.kind = table.header_kind
        if facts.quarter is None:
            d = _MUE_DATE.search(name)
            if d:
                month, day, year = int(d.group(1)), int(d.group(2)), int(d.group(3))
                if day == 1 and month in (1, 4, 7, 10):
                    facts.quarter = date(year, month, 1)
                else:
                    facts.notes.append(f"the date {d.group(0)} in the file name is not the first day of a quarter")
    return facts


def version_quarter(version: str) -> date | None:
    """The quarter of a CMS PTP version: 30.2 is the quarter from 2024-07-01 (CMS numbers versions by year,
    30 = 2024, and quarter, .0 to .3); None for a version not written that way."""
    m = re.match(r"^([0-9]{2})\.([0-3])(?: r[0-9]+)?$", version.strip())
    if m is None:
        return None
    return date(1994 + int(m.group(1)), 3 * int(m.group(2)) + 1, 1)


def _agree(values: Iterable[tuple[str, T | None]], what: str, problems: list[Problem]) -> tuple[T | None, str]:
    """The one value the files agree on (None if none says), and the file that says it."""
    first: tuple[str, T] | None = None
    for label, value in values:
        if value is None:
            continue
        if first is None:
            first = (label, value)
        elif value != first[1]:
            problems.append(Problem(label, 1, "", f"the {what} is {_show(value)} here but {_show(first[1])} in "
                                    f"{first[0]}: import the files of one CMS release at a time"))
    return (first[1], first[0]) if first else (None, "")


def _show(value: object) -> str:
    if isinstance(value, date):
        return quarter_label(value)
    return str(value).replace("_", " ")


def _settle(found: T | None, where: str, option: T | None, what: str, flag: str,
            problems: list[Problem], first_label: str) -> T | None:
    if option is not None and found is not None and option != found:
        problems.append(Problem(where, 1, "", f"the file says the {what} is {_show(found)}, but {flag} says "
                                f"{_show(option)}"))
        return None
    value = found if found is not None else option
    if value is None:
        problems.append(Problem(first_label, 1, "", f"cannot tell the {what} from the file name; give {flag}"))
    return value


def _check_parts(facts: Sequence[_Facts], options: ImportOptions, problems: list[Problem]) -> None:
    parts: dict[int, str] = {}
    for f in facts:
        if f.part is None:
            continue
        if f.part in parts:
            problems.append(Problem(f.label, 1, "", f"part f{f.part} of the PTP table is given twice (also "
                                    f"{parts[f.part]}); give each part once, in one format"))
        parts.setdefault(f.part, f.label)
    if not parts:
        return
    top = max(max(parts), PTP_PARTS)
    missing = [n for n in range(1, top + 1) if n not in parts]
    if missing and not options.partial:
        problems.append(Problem(facts[0].label, 1, "", f"part(s) {', '.join(f'f{n}' for n in missing)} of the PTP "
                                f"table are missing: CMS publishes each quarter in {PTP_PARTS} parts (f1 to "
                                f"f{PTP_PARTS}) and every part holds edits GuideCode needs; give them all, or "
                                "--partial to import only these parts"))


# ---------------------------------------------------------------------------------------------------------
# Reading


def _source_id(kind: TableKind, start: date, table: TableContent, text: str) -> str:
    return f"L-NCCI-{_KIND_TAG[kind]}-{quarter_label(start)}-{table.upper()}-{sha256(text.encode()).hexdigest()[:8]}"


def _ptp_table(tables: Sequence[CmsTable], kind: TableKind, version: str, start: date, known: frozenset[str],
               problems: list[Problem]) -> ImportedTable | None:
    end = quarter_end(start)
    by_key: dict[tuple[str, str, date | None], PtpEdit] = {}
    repeated = 0
    for table in tables:
        for row in table.ptp:
            edit = PtpEdit(row.column_1, row.column_2, row.effective, row.deletion, row.modifier_indicator,
                           row.rationale, Location(table.label, row.line))
            if row.effective > end:
                problems.append(Problem(table.label, row.line, edit.pair_label, f"the edit takes effect on "
                                        f"{row.effective}, after the quarter {quarter_label(start)} ends: is this "
                                        "file of a later quarter?"))
                continue
            key = (edit.column_1, edit.column_2, edit.effective)
            other = by_key.get(key)
            if other is None:
                by_key[key] = edit
            elif (other.deletion, other.modifier_indicator, other.rationale) == (
                    edit.deletion, edit.modifier_indicator, edit.rationale):
                repeated += 1
            else:
                problems.append(Problem(table.label, row.line, edit.pair_label, f"the same edit is at "
                                        f"{other.location} with other values"))
    by_pair: dict[tuple[str, str], list[PtpEdit]] = {}
    for edit in by_key.values():
        by_pair.setdefault((edit.column_1, edit.column_2), []).append(edit)
    for rows in by_pair.values():
        for i, b in enumerate(rows):
            for a in rows[:i]:
                clash = ptp_clash(a, b)
                if clash:
                    problems.append(Problem(b.location.file, b.location.line, b.pair_label,
                                            f"the edit at {a.location} has the same pair ({clash})"))
    edits = list(by_key.values())
    text = ptp_csv(edits)
    v = NcciVersion(kind, "ptp", version, start, end, _source_id(kind, start, "ptp", text),
                    ptp_file_name(kind, version), len(edits), scope_codes=known)
    return ImportedTable(v, text, sum(t.rows_read for t in tables), tuple(t.label for t in tables), repeated)


def _mue_table(tables: Sequence[CmsTable], kind: TableKind, start: date, known: frozenset[str],
               problems: list[Problem]) -> ImportedTable | None:
    by_code: dict[str, Mue] = {}
    repeated = 0
    for table in tables:
        for row in table.mue:
            mue = Mue(row.code, row.value, row.mai, row.rationale, start, Location(table.label, row.line))
            other = by_code.get(mue.code)
            if other is None:
                by_code[mue.code] = mue
            elif (other.value, other.mai, other.rationale) == (mue.value, mue.mai, mue.rationale):
                repeated += 1
            else:
                problems.append(Problem(table.label, row.line, mue.code, f"a second MUE for {mue.code} (the first "
                                        f"is at {other.location}, with other values)"))
    text = mue_csv(by_code.values())
    version = quarter_label(start)
    v = NcciVersion(kind, "mue", version, start, quarter_end(start), _source_id(kind, start, "mue", text),
                    mue_file_name(kind, start), len(by_code), scope_codes=known)
    return ImportedTable(v, text, sum(t.rows_read for t in tables), tuple(t.label for t in tables), repeated)


#: How many code look-ups pass between two calls of ``read_release``'s ``progress`` (a PTP row is one or two).
PROGRESS_EVERY = 16384


def _counting(known: frozenset[str], progress: Callable[[int], None]) -> Callable[[str], bool]:
    """``known.__contains__`` that calls ``progress(look-ups so far)`` every :data:`PROGRESS_EVERY` look-ups."""
    count = 0

    def keep(code: str) -> bool:
        nonlocal count
        count += 1
        if count % PROGRESS_EVERY == 0:
            progress(count)
        return code in known

    return keep


def read_release(paths: Iterable[Path], codes: Collection[str],
                 options: ImportOptions = ImportOptions(), *,
                 progress: Callable[[int], None] | None = None) -> NcciImport:
    """Read CMS release files and keep the rows about ``codes``. Raises :class:`ImportProblems` listing
    every problem (a malformed file, files of different releases, a version or quarter that cannot be
    told) if any; nothing is written here.

    ``progress``, if given, is called with the number of code look-ups so far while the rows are checked
    (the window's import shows it); an exception it raises (the window's Cancel) stops the reading and
    comes out of this function, with nothing written."""
    known = frozenset(codes)
    keep = known.__contains__ if progress is None else _counting(known, progress)
    read: CmsRead = read_cms_files(paths, keep)
    problems = read.all_problems
    tables = [t for t in read.tables if t.table is not None]
    if not tables and not problems:
        problems.append(Problem("(input)", 1, "", "no NCCI table was found in the files given"))
    if problems:
        raise ImportProblems(problems)
    facts = [_facts(t) for t in tables]
    for f in facts:
        problems.extend(Problem(f.label, 1, "", note) for note in f.notes)
    first = facts[0].label
    kind_found, kind_where = _agree(((f.label, f.kind) for f in facts), "table kind", problems)
    kind: TableKind | None = _settle(cast("TableKind | None", kind_found), kind_where, options.kind,
                   "table kind (practitioner or outpatient hospital)", "--kind", problems, first)
    ptp_facts = [f for f in facts if f.table == "ptp"]
    ptp_tables = [t for t in tables if t.table == "ptp"]
    mue_tables = [t for t in tables if t.table == "mue"]
    version: str | None = None
    if ptp_facts:
        version_found, version_where = _agree(((f.label, f.version) for f in ptp_facts), "PTP version", problems)
        version = _settle(version_found, version_where, options.version, "CMS version of the PTP table",
                          "--version", problems, ptp_facts[0].label)
        _check_parts(ptp_facts, options, problems)
    elif options.version is not None:
        problems.append(Problem(first, 1, "", "--version names the PTP table's version, but no PTP file was given"))
    quarter_found, quarter_where = _agree(((f.label, f.quarter) for f in facts), "quarter", problems)
    if quarter_found is None and options.quarter is None and version is not None:
        quarter_found, quarter_where = version_quarter(version), first  # --version 30.2: the quarter from 2024-07-01
    start = _settle(quarter_found, quarter_where, options.quarter, "quarter", "--quarter", problems, first)
    if problems or kind is None or start is None:
        raise ImportProblems(problems)
    out: list[ImportedTable] = []
    if ptp_tables:
        assert version is not None
        ptp = _ptp_table(ptp_tables, kind, version, start, known, problems)
        if ptp is not None:
            out.append(ptp)
    if mue_tables:
        mue = _mue_table(mue_tables, kind, start, known, problems)
        if mue is not None:
            out.append(mue)
    if problems:
        raise ImportProblems(problems)
    return NcciImport(kind, start, tuple(out), tuple(read.skipped))


def parse_quarter_option(text: str) -> date | None:
    """``--quarter``: ``2024Q3``, or the quarter's first day ``2024-07-01``; None if it is neither."""
    start = parse_quarter(text)
    if start is not None:
        return start
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return day if day == quarter_start(day) else None


# ---------------------------------------------------------------------------------------------------------
# Writing the pack


def _yaml(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _sources_yaml(imp: NcciImport) -> str:
    lines = ["# The sources of this pack: the CMS files each NCCI table was imported from (docs/ncci.md)."]
    for t in imp.tables:
        v = t.version
        what = ("procedure-to-procedure (PTP) edits" if v.table == "ptp" else "medically unlikely edits (MUEs)")
        name = f"version {v.version}" if v.table == "ptp" else "table"
        title = (f"CMS, Medicare NCCI {what}, {KIND_LABELS[v.kind]} {name}, quarter {v.quarter_start} to "
                 f"{v.quarter_end}: the {v.rows:,} rows about codes GuideCode has records for, of {t.rows_read:,}, "
                 f"imported from {', '.join(t.inputs)}")
        lines += [f"- id: {v.source}", f"  title: {_yaml(title)}", '  kind: "CMS data file (imported)"',
                  '  reliability: "High"', f"  url: {_yaml(PTP_URL if v.table == 'ptp' else MUE_URL)}"]
    return "\n".join(lines) + "\n"


def _readme(imp: NcciImport) -> str:
    lines = [f"# {imp.name}", "", "Written by `python -m desktop import-ncci` from CMS's NCCI release files; the "
             "format is described in GuideCode's docs/ncci.md.", ""]
    lines += [f"- {line}" for line in imp.summary]
    if imp.skipped:
        lines += ["", "Files in the archives that were not read:", ""] + [f"- {s}" for s in imp.skipped]
    return "\n".join(lines) + "\n"


def _pack_yaml(imp: NcciImport, files: dict[str, str]) -> str:
    description = "; ".join(imp.summary)
    lines = [
        "# A GuideCode data pack written by `python -m desktop import-ncci` (docs/ncci.md).",
        f"name: {_yaml(imp.name)}",
        f"version: {_yaml(imp.version)}",
        f"code_set_year: {imp.quarter_start.year}",
        "effective:",
        f"  from: {imp.quarter_start.isoformat()}",
        f"description: {_yaml(description)}",
        "files:",
    ]
    lines += [f"  {rel}: {digest}" for rel, digest in sorted(files.items())]
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    write_text_atomic(path, text)  # whole and fsynced; the folder is renamed into place only when complete


def _fill(folder: Path, imp: NcciImport, builtin_sources: Collection[str]) -> None:
    versions = [t.version for t in imp.tables]
    ncci = folder / NCCI_DIR
    for t in imp.tables:
        _write(ncci / t.version.file, t.text)
    comment = (f"{imp.name}: written by python -m desktop import-ncci from CMS's release files "
               f"(docs/ncci.md).")
    _write(ncci / TABLES_FILE, tables_yaml(versions, comment))
    _write(folder / "sources.yaml", _sources_yaml(imp))
    _write(folder / "README.md", _readme(imp))
    sources = {*builtin_sources, *(v.source for v in versions)}
    data, problems = read_ncci_dir(ncci, sources=sources, origin=imp.name)
    if data is None:  # the importer wrote what its own reader refuses: a bug, never shipped silently
        raise ImportProblems(problems)
    written = ["README.md", "sources.yaml", f"{NCCI_DIR}/{TABLES_FILE}", *(f"{NCCI_DIR}/{v.file}" for v in versions)]
    files = {rel: sha256((folder / rel).read_bytes()).hexdigest() for rel in written}
    _write(folder / "pack.yaml", _pack_yaml(imp, files))


def write_pack(imp: NcciImport, out: Path, builtin_sources: Collection[str] = ()) -> Path:
    """Write the pack folder ``out`` (which must not exist, or be an empty folder). Built beside it and
    renamed into place when complete, so a failure leaves ``out`` as it was. Returns ``out``."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} exists and is not an empty folder; give a new folder for the pack")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.import-{uuid.uuid4().hex}"
    try:
        _fill(staging, imp, builtin_sources)
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out
