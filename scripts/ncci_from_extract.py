"""Developer script: write the built-in NCCI tables (resources/data/ncci/) from a CMS NCCI extract.

    .venv/bin/python scripts/ncci_from_extract.py EXTRACT_DIR [--out resources/data/ncci] [--check]

EXTRACT_DIR holds the public-domain extract of CMS's practitioner tables for the quarter from 2024-07-01
that the project checks against (its README says where each file came from):

- ``ncci_ptp_practitioner_guidance_pairs_2024q3.csv``: PTP edits with one imaging code on one side;
  columns column_1, column_2, ..., deletion_date, modifier_indicator, ptp_edit_rationale, in_2024q3_v30_2;
- ``ncci_mue_practitioner_2024q3.csv``: hcpcs_code, mue_value, mai, mue_rationale.

The conversion (docs/ncci.md, "The built-in tables"):

1. every PTP row whose two codes both have a record in GuideCode's built-in data, and that the extract marks
   as present in v30.2, is kept as it is: the pair in CMS's column order, the deletion date, the modifier
   indicator and CMS's rationale. The extract has no effective dates, so ``effective`` is left empty
   ("in force in the table's quarter, start not known");
2. every MUE row of a code that has a record in GuideCode's built-in data is kept: value, MAI, rationale,
   with ``effective`` 2024-07-01 (the table's quarter: CMS's MUE files carry no per-code dates);
3. each table's ``scope`` (tables.yaml) names the codes it answers for: the extract's filter (its
   ``ncci_ptp_codes_covered.csv``) cut to GuideCode's codes, and for PTP the imaging codes one side of each
   pair is; a pair or code outside the scope is "not checked", never "no edit";
4. the extract's columns and values are checked on the way (an unexpected header, value or flag stops the
   script); the written folder is read back with GuideCode's own reader and compared row by row.

``--check`` writes nothing: it exits 1 if the folder differs from what the extract gives.
The repository names no machine path: the extract's folder is always given on the command line.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop.core.data import load_builtin  # noqa: E402
from desktop.core.model import Location  # noqa: E402
from desktop.core.ncci.model import MAIS, MODIFIER_INDICATORS, Mue, NcciVersion, PtpEdit, quarter_end  # noqa: E402
from desktop.core.ncci.reader import (  # noqa: E402
    mue_csv,
    mue_file_name,
    ptp_csv,
    ptp_file_name,
    read_ncci_dir,
    tables_yaml,
)

PTP_FILE = "ncci_ptp_practitioner_guidance_pairs_2024q3.csv"
COVERED_FILE = "ncci_ptp_codes_covered.csv"
COVERED_COLUMNS = ["code", "role", "guidecode_kind"]
MUE_FILE = "ncci_mue_practitioner_2024q3.csv"
PTP_COLUMNS = ["column_1", "column_2", "guidance_code", "other_code", "other_kind", "guidance_is_column",
               "deletion_date", "modifier_indicator", "ptp_edit_rationale", "in_2024q3_v30_2", "in_2024q2_v30_1"]
MUE_COLUMNS = ["hcpcs_code", "mue_value", "mai", "mue_rationale", "guidecode_kind"]
QUARTER = date(2024, 7, 1)
PTP_VERSION = "30.2"
PTP_SOURCE = "X-NCCI-PTP-302"
MUE_VERSION = "2024Q3"
MUE_SOURCE = "X-NCCI-MUE-2024Q3"

COMMENT = """\
GuideCode's built-in NCCI tables (format: docs/ncci.md). Written by scripts/ncci_from_extract.py from a
public-domain extract of CMS's practitioner tables for the quarter from 2024-07-01, and checked against it
by tests/test_ncci_shared_extract.py. Do not edit by hand: re-run the script.
PTP (CMS NCCI PTP practitioner v30.2): every edit between two codes of scope/codes of which one is an imaging
code of scope/paired_with. MUE: the MUE of every code of scope/codes that CMS lists. A pair or a code outside
a table's scope was not checked (not "no edit"). scope/codes: the codes of the extract's filter that GuideCode
had records for. No outpatient-hospital table is built in; import CMS's files (python -m desktop import-ncci)."""


def fail(message: str) -> None:
    raise SystemExit(f"ncci_from_extract: {message}")


def read_rows(path: Path, columns: list[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != columns:
            fail(f"{path.name}: unexpected header {reader.fieldnames}")
        return list(reader)


def scope(extract: Path, codes: set[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The codes the built-in tables answer for (the extract's filter, cut to GuideCode's codes) and the
    imaging codes one side of every kept pair is."""
    covered = read_rows(extract / COVERED_FILE, COVERED_COLUMNS)
    if {r["role"] for r in covered} != {"guidance", "other"}:
        fail(f"{COVERED_FILE}: unexpected roles")
    known = frozenset(r["code"] for r in covered) & codes
    imaging = frozenset(r["code"] for r in covered if r["role"] == "guidance") & known
    return known, imaging


def convert(extract: Path, codes: set[str]) -> tuple[list[PtpEdit], list[Mue]]:
    edits: list[PtpEdit] = []
    nowhere = Location("", 0)
    for i, row in enumerate(read_rows(extract / PTP_FILE, PTP_COLUMNS), 2):
        if row["in_2024q3_v30_2"] != "Y":
            fail(f"{PTP_FILE}:{i}: not marked as present in v30.2")
        if row["column_1"] not in codes or row["column_2"] not in codes:
            continue
        deletion = date.fromisoformat(row["deletion_date"]) if row["deletion_date"] else None
        indicator = int(row["modifier_indicator"])
        if indicator not in MODIFIER_INDICATORS:
            fail(f"{PTP_FILE}:{i}: modifier indicator {indicator}")
        edits.append(PtpEdit(row["column_1"], row["column_2"], None, deletion, indicator,  # type: ignore[arg-type]
                             row["ptp_edit_rationale"].strip(), nowhere))
    mues: list[Mue] = []
    for i, row in enumerate(read_rows(extract / MUE_FILE, MUE_COLUMNS), 2):
        if row["hcpcs_code"] not in codes:
            continue
        mai = int(row["mai"])
        if mai not in MAIS or not row["mue_value"].isdigit():
            fail(f"{MUE_FILE}:{i}: MUE value {row['mue_value']!r}, MAI {row['mai']!r}")
        mues.append(Mue(row["hcpcs_code"], int(row["mue_value"]), mai,  # type: ignore[arg-type]
                        row["mue_rationale"].strip(), QUARTER, nowhere))
    return edits, mues


def write(folder: Path, edits: list[PtpEdit], mues: list[Mue], known: frozenset[str],
          imaging: frozenset[str]) -> None:
    ptp_name = ptp_file_name("practitioner", PTP_VERSION)
    mue_name = mue_file_name("practitioner", QUARTER)
    versions = [
        NcciVersion("practitioner", "ptp", PTP_VERSION, QUARTER, quarter_end(QUARTER), PTP_SOURCE, ptp_name,
                    len(edits), scope_codes=known, scope_paired_with=imaging),
        NcciVersion("practitioner", "mue", MUE_VERSION, QUARTER, quarter_end(QUARTER), MUE_SOURCE, mue_name,
                    len(mues), scope_codes=known),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ptp_name).write_text(ptp_csv(edits), encoding="utf-8", newline="")
    (folder / mue_name).write_text(mue_csv(mues), encoding="utf-8", newline="")
    (folder / "tables.yaml").write_text(tables_yaml(versions, COMMENT), encoding="utf-8", newline="")


def ptp_key(e: PtpEdit) -> tuple[str, str, str, str, int, str]:
    return (e.column_1, e.column_2, str(e.effective or ""), str(e.deletion or ""), e.modifier_indicator,
            e.rationale)


def same(folder: Path, edits: list[PtpEdit], mues: list[Mue], sources: set[str], known: frozenset[str],
         imaging: frozenset[str]) -> list[str]:
    data, problems = read_ncci_dir(folder, sources=sources)
    if data is None:
        return [str(p) for p in problems]
    out: list[str] = []
    got_ptp = sorted(map(ptp_key, (e for t in data.ptp_tables for e in t.edits)))
    want_ptp = sorted(map(ptp_key, edits))
    if got_ptp != want_ptp:
        out.append(f"PTP rows differ: {len(got_ptp)} in the folder, {len(want_ptp)} from the extract")
    for v in data.versions:
        want_scope = (known, imaging if v.table == "ptp" else None)
        if (v.scope_codes, v.scope_paired_with) != want_scope:
            out.append(f"the scope of the {v.table} table differs from the extract's filter")
    got_mue = sorted((m.code, m.value, m.mai, m.rationale, m.effective) for t in data.mue_tables
                     for m in t.by_code.values())
    want_mue = sorted((m.code, m.value, m.mai, m.rationale, m.effective) for m in mues)
    if got_mue != want_mue:
        out.append(f"MUE rows differ: {len(got_mue)} in the folder, {len(want_mue)} from the extract")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("extract", type=Path, help="folder of the CMS NCCI extract")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "data" / "ncci")
    parser.add_argument("--check", action="store_true", help="compare only; write nothing")
    ns = parser.parse_args()
    catalog = load_builtin()
    edits, mues = convert(ns.extract, set(catalog.by_code))
    known, imaging = scope(ns.extract, set(catalog.by_code))
    sources = set(catalog.sources)
    if ns.check:
        diff = same(ns.out, edits, mues, sources, known, imaging)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            write(Path(tmp), edits, mues, known, imaging)
            diff = same(Path(tmp), edits, mues, sources, known, imaging)
        if not diff:
            write(ns.out, edits, mues, known, imaging)
            diff = same(ns.out, edits, mues, sources, known, imaging)
    for line in diff:
        print(line, file=sys.stderr)
    print(f"{ns.out}: {len(edits)} PTP edits, {len(mues)} MUEs, scope {len(known)} codes ({len(imaging)} imaging)"
          + (" DIFFER" if diff else " ok"))
    return 1 if diff else 0


if __name__ == "__main__":
    raise SystemExit(main())
