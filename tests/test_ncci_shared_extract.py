"""Deliberately reads the shared NCCI extract at ../shared/data/ncci relative to the repository (or ../../shared).

(``../../shared`` is where the folder is seen from a git worktree one level below the main checkout.)

The extract is a public-domain subset of CMS's practitioner NCCI tables for the quarter from 2024-07-01
(PTP v30.2, MUEs) and of the fee-schedule (PFS) indicators 2020-2024; its README says where it comes from.
The repository does not copy it: this test checks what the repository holds against it.

1. The built-in NCCI tables (resources/data/ncci/) equal the extract for every row they carry, and carry
   every extract row whose two codes (PTP) or whose code (MUE) GuideCode has a record for.
2. The PC/TC and add-on flags of the built-in records agree with the PFS indicators of every release in
   which the code is listed (PC/TC indicator 1 = 26/TC split; global days ZZZ = add-on), and so does every
   record's bilateral category (docs/fact-base/bilateral-indicators.md: 1 -> modifier 50, 0/2/9 -> no sides),
   outside the sourced ``BILATERAL_EXCEPTIONS``.
3. No engine answer contradicts the NCCI tables outside the sourced ``EXCEPTIONS`` (the count and list are
   printed; before the rule book applied the edits there were 23, after the per-encounter units 11): a
   guidance line billed plainly for a pair NCCI bundles (indicator 0, or 1 without a distinct-procedure
   modifier where CMS needs one), more units of a code on one claim than its MUE, and two guidance
   codes with an edit between them on one claim without the modifier. Encounters: for each procedure and each
   modality, a one-procedure Medicare encounter on 2024-08-01 (and one with every region of a multi-region
   spinal procedure ticked); for each pair of guidance codes with an edit, two procedures that need them.
   ``EXCEPTIONS`` is where a contradiction that a source justifies is listed with that source.

Set GUIDECODE_NCCI_EXTRACT to read the extract from another folder. Without the extract the test skips and
says why.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest

from desktop.core.data import load_builtin
from desktop.core.engine import resolve
from desktop.core.model import MODALITIES, Catalog, Encounter, GuidanceLine, Modality, ProcedureEntry, Resolution
from desktop.core.ncci.model import NcciTables

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = [ROOT.parent / "shared" / "data" / "ncci", ROOT.parent.parent / "shared" / "data" / "ncci"]
PTP_FILE = "ncci_ptp_practitioner_guidance_pairs_2024q3.csv"
MUE_FILE = "ncci_mue_practitioner_2024q3.csv"
PFS_FILE = "pfs_rvu_indicators_2020_2024.csv"
WHEN = date(2024, 8, 1)
DISTINCT = frozenset({"59", "XE", "XS", "XP", "XU"})

# Contradictions justified by a source, as (kind, key) -> "source ids: why". Empty today: the coordinator
# adds entries as the engine applies the edits (issue 13) and asserts the rest is 0.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def extract_dir() -> Path | None:
    env = os.environ.get("GUIDECODE_NCCI_EXTRACT")
    for folder in ([Path(env)] if env else CANDIDATES):
        if (folder / PTP_FILE).is_file():
            return folder
    return None


EXTRACT = extract_dir()
pytestmark = pytest.mark.skipif(
    EXTRACT is None, reason="the shared NCCI extract is not here (../shared/data/ncci beside the repository, or "
    "GUIDECODE_NCCI_EXTRACT): the built-in NCCI tables cannot be checked against CMS's on this machine")


def rows(name: str) -> list[dict[str, str]]:
    assert EXTRACT is not None
    with (EXTRACT / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------------------------------------------------
# 1. The built-in tables equal the extract


def test_the_built_in_ptp_edits_equal_the_extract(catalog: Catalog) -> None:
    data = load_builtin().ncci
    builtin = sorted((e.column_1, e.column_2, str(e.deletion or ""), e.modifier_indicator, e.rationale)
                     for t in data.ptp_tables for e in t.edits)
    assert all(e.effective is None for t in data.ptp_tables for e in t.edits)  # the extract has no start dates
    extract_rows = [r for r in rows(PTP_FILE) if r["in_2024q3_v30_2"] == "Y"]
    wanted = sorted((r["column_1"], r["column_2"], r["deletion_date"], int(r["modifier_indicator"]),
                     r["ptp_edit_rationale"]) for r in extract_rows
                    if r["column_1"] in catalog.by_code and r["column_2"] in catalog.by_code)
    extra = Counter(builtin) - Counter(wanted)
    missing = Counter(wanted) - Counter(builtin)
    assert not extra, f"built-in PTP rows that the extract does not have: {sorted(extra)[:20]}"
    assert not missing, f"extract PTP rows about GuideCode codes that the built-in data lacks: {sorted(missing)[:20]}"
    assert len(builtin) > 500
    assert [(v.version, v.quarter) for t in data.ptp_tables for v in [t.version]] == [("30.2", "2024Q3")]


def test_the_scope_of_the_built_in_tables_is_the_extract_s_filter(catalog: Catalog) -> None:
    """A pair or code outside the scope reads as "not checked": the scope must be exactly what the extract
    covers (its filter) among GuideCode's codes, so that inside it "no edit" is CMS's answer."""
    covered = rows("ncci_ptp_codes_covered.csv")
    known = {r["code"] for r in covered} & set(catalog.by_code)
    imaging = {r["code"] for r in covered if r["role"] == "guidance"} & known
    data = load_builtin().ncci
    assert [(v.table, v.scope_codes, v.scope_paired_with) for v in data.versions] == [
        ("ptp", known, imaging), ("mue", known, None)]
    assert {"77002", "77003", "76942", "77012", "77021", "76000", "77001"} <= imaging


def test_the_built_in_mues_equal_the_extract(catalog: Catalog) -> None:
    data = load_builtin().ncci
    builtin = {m.code: (m.value, m.mai, m.rationale, m.effective) for t in data.mue_tables for m in t.by_code.values()}
    wanted = {r["hcpcs_code"]: (int(r["mue_value"]), int(r["mai"]), r["mue_rationale"], date(2024, 7, 1))
              for r in rows(MUE_FILE) if r["hcpcs_code"] in catalog.by_code}
    assert builtin == wanted
    assert len(builtin) > 100


# ---------------------------------------------------------------------------------------------------------
# 2. PC/TC and add-on flags agree with the fee schedule


def test_pc_tc_and_add_on_flags_agree_with_the_fee_schedule(catalog: Catalog) -> None:
    disagree: list[str] = []
    checked = 0
    for r in rows(PFS_FILE):
        rec = catalog.get(r["hcpcs_code"])
        if rec is None or r["mod"] != "":
            continue
        checked += 1
        if rec.add_on != (r["global_days"] == "ZZZ"):
            disagree.append(f"{rec.code} add_on {rec.add_on}, {r['release']} global days {r['global_days']}")
        if rec.guidance is not None and rec.guidance.pc_tc_split != (r["pctc_ind"] == "1"):
            disagree.append(f"{rec.code} pc_tc_split {rec.guidance.pc_tc_split}, {r['release']} PC/TC indicator "
                            f"{r['pctc_ind']}")
    assert disagree == []
    guidance = [rec.code for rec in catalog.records if rec.kind == "guidance"]
    assert {"76942", "77002", "77003", "77012", "77021", "76000", "77001"} <= set(guidance)
    assert checked > 500


# PFS bilateral-surgery indicator -> the categories that agree with it, and the report the Medicare rule of the
# category must give (docs/data-format.md, "bilateral"; docs/fact-base/bilateral-indicators.md). Indicator 3
# (each side paid in full) is on no procedure record; imaging and guidance records get no line of their own, so
# they are not_applicable whatever their indicator.
BILATERAL_BY_INDICATOR: dict[str, tuple[frozenset[str], str]] = {
    "1": (frozenset({"modifier_50", "addon_conflict"}), "one_line_50"),  # addon_conflict: add-ons only
    "0": (frozenset({"not_applicable", "sides_paid_as_one"}), "no_sides"),
    "2": (frozenset({"not_applicable"}), "no_sides"),
    "9": (frozenset({"not_bilateral", "not_applicable"}), "no_sides"),
}
# Records whose category the indicator does not settle, code -> "source ids: why". Each stays unconfirmed.
BILATERAL_EXCEPTIONS: dict[str, str] = {
    "64486": "S100: indicator 1 (64486-50 at 150%), but the both-sides TAP code 64488 is valued as bilateral "
             "(indicator 2); which of the two a both-sides block takes is not settled",
    "64487": "S100: indicator 1, but the both-sides TAP catheter code 64489 is valued as bilateral (indicator 2); "
             "as 64486",
    "G0260": "S100: status E (not paid under the PFS) and indicator 9: the fee schedule says nothing about how "
             "the facility reports both sides",
}


def release_day(release: str) -> date:
    """``RVU24C_JUL`` -> 2024-07-01, ``RVU20A_JAN`` -> 2020-01-01."""
    return date(2000 + int(release[3:5]), 7 if release.endswith("_JUL") else 1, 1)


def bilateral_disagreements(catalog: Catalog, pfs: list[dict[str, str]]) -> list[str]:
    """Every record whose bilateral category (and the report of its Medicare rule) disagrees with the PFS
    bilateral indicator of a release that lists the code, outside ``BILATERAL_EXCEPTIONS``."""
    out: list[str] = []
    for r in pfs:
        rec = catalog.get(r["hcpcs_code"])
        if rec is None or r["mod"] != "":
            continue
        what = f"{rec.code} bilateral {rec.bilateral}, {r['release']} bilateral indicator {r['bilat_surg']}"
        if rec.kind != "procedure":
            if rec.bilateral != "not_applicable":
                out.append(f"{what}: a {rec.kind} record gets no line of its own, so not_applicable")
            continue
        if rec.code in BILATERAL_EXCEPTIONS:
            if rec.bilateral != "unconfirmed":
                out.append(f"{what}: settled, so drop it from BILATERAL_EXCEPTIONS")
            continue
        allowed, report = BILATERAL_BY_INDICATOR.get(r["bilat_surg"], (frozenset(), ""))
        if rec.bilateral not in allowed or (rec.bilateral == "addon_conflict" and not rec.add_on):
            out.append(f"{what}: the indicator wants {' or '.join(sorted(allowed)) or 'a sourced exception'}")
            continue
        rule = catalog.rules.bilateral_for(rec.bilateral, "medicare", release_day(r["release"]))
        if rule is None or rule.report != report:
            out.append(f"{what}: the Medicare rule reports {rule.report if rule else 'nothing'}, the indicator "
                       f"means {report}")
        if "S100" not in rec.bilateral_sources:
            out.append(f"{what}: bilateral_sources must cite the fee schedule (S100)")
    return sorted(set(out))


def test_bilateral_categories_agree_with_the_fee_schedule_indicators(catalog: Catalog,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    pfs = rows(PFS_FILE)
    assert bilateral_disagreements(catalog, pfs) == []
    listed = {r["hcpcs_code"] for r in pfs if r["mod"] == ""}
    procedures = [rec for rec in catalog.records if rec.kind == "procedure" and rec.code in listed]
    open_ = sorted(rec.code for rec in procedures if rec.bilateral == "unconfirmed")
    assert open_ == sorted(BILATERAL_EXCEPTIONS)
    for why in BILATERAL_EXCEPTIONS.values():  # each exception names its source
        ids = why.split(":", 1)[0].split(", ")
        assert ids and all(s in catalog.sources for s in ids), why
    assert len(procedures) > 100
    with capsys.disabled():
        print(f"\nbilateral categories checked against the PFS indicators: {len(procedures)} procedure records; "
              f"unconfirmed: {sum(rec.bilateral == 'unconfirmed' for rec in catalog.records)} in all, "
              f"{len(open_)} of them listed by the fee schedule (sourced exceptions: {', '.join(open_)})")


def test_the_bilateral_check_finds_a_category_the_indicator_contradicts(catalog: Catalog) -> None:
    """The checker itself: 20552 (indicator 0) made modifier_50, 64405 (indicator 1) made not_bilateral, an
    exception settled, and a settled record without S100 are each found."""
    pfs = [r for r in rows(PFS_FILE) if r["release"] == "RVU24C_JUL"]
    by_code = dict(catalog.by_code)
    by_code["20552"] = replace(by_code["20552"], bilateral="modifier_50")
    by_code["64405"] = replace(by_code["64405"], bilateral="not_bilateral")
    by_code["G0260"] = replace(by_code["G0260"], bilateral="modifier_50", bilateral_sources=("S100",))
    by_code["64450"] = replace(by_code["64450"], bilateral_sources=())
    changed = replace(catalog, by_code=by_code, records=tuple(by_code.values()))
    found = bilateral_disagreements(changed, pfs)
    assert [f.split(":")[0] for f in found] == [
        "20552 bilateral modifier_50, RVU24C_JUL bilateral indicator 0",
        "64405 bilateral not_bilateral, RVU24C_JUL bilateral indicator 1",
        "64450 bilateral modifier_50, RVU24C_JUL bilateral indicator 1",
        "G0260 bilateral modifier_50, RVU24C_JUL bilateral indicator 9"]
    assert bilateral_disagreements(catalog, pfs) == []


# ---------------------------------------------------------------------------------------------------------
# 3. Where today's answers contradict the NCCI tables (counted, not yet asserted)


@dataclass(frozen=True)
class Contradiction:
    kind: str  # "bundled", "units", "guidance pair"
    key: str
    text: str


def line_contradictions(tables: NcciTables, procedures: dict[str, Modality], res: Resolution,
                        what: str) -> list[Contradiction]:
    """What NCCI says against one resolution: ``procedures`` are its procedure codes (with their modality)."""
    out: list[Contradiction] = []
    lines = list(res.guidance_lines)
    for line in lines:
        for proc in line.for_codes:
            edit = tables.pair(proc, line.code, WHEN)
            if edit is None or edit.modifier_indicator == 9:
                continue
            bypassed = (edit.modifier_indicator == 1 and edit.column_2 == line.code
                        and bool(DISTINCT & set(line.modifiers)))
            if not bypassed:
                out.append(Contradiction("bundled", f"{proc}+{line.code}", (
                    f"{what}: {line.display} billed for {proc}, but CMS NCCI PTP practitioner v30.2 has the edit "
                    f"{edit.pair_label}, indicator {edit.modifier_indicator} ({edit.rationale})")))
    units: Counter[str] = Counter()
    for line in lines:
        units[line.code] += line.units
        mue = tables.mue(line.code)
        if mue is not None and mue.mai == 1 and line.units > mue.value:
            out.append(Contradiction("units", f"{'+'.join(procedures)}:{line.code}", (
                f"{what}: {line.display} on one line, but the MUE of {line.code} is {mue.value} per line (MAI 1)")))
    for code, n in units.items():
        mue = tables.mue(code)
        if mue is not None and mue.mai in (2, 3) and n > mue.value:
            out.append(Contradiction("units", f"{'+'.join(procedures)}:{code}", (
                f"{what}: {n} units of {code} on the claim ({', '.join(ln.display for ln in lines if ln.code == code)}"
                f"), but its MUE is {mue.value} per day (MAI {mue.mai}, {mue.mai_label}; CMS NCCI MUE practitioner "
                "2024-07-01)")))
    for i, a in enumerate(lines):
        for b in lines[i + 1:]:
            if a.code == b.code:
                continue
            edit = tables.pair(a.code, b.code, WHEN)
            if edit is None or edit.modifier_indicator == 9:
                continue
            col2 = a if a.code == edit.column_2 else b
            if edit.modifier_indicator == 0 or not DISTINCT & set(col2.modifiers):
                out.append(Contradiction("guidance pair", edit.pair_label, (
                    f"{what}: {a.display} and {b.display} on one claim, but the edit {edit.pair_label} (indicator "
                    f"{edit.modifier_indicator}, {edit.rationale}) denies {edit.column_2} without a "
                    "distinct-procedure modifier")))
    return out


def resolve_medicare(catalog: Catalog, entries: list[ProcedureEntry], modality: Modality = "fluoroscopy",
                     setting: str = "office") -> Resolution:
    return resolve(catalog, Encounter(WHEN, setting, "medicare", modality, tuple(entries)))  # type: ignore[arg-type]


def find_contradictions(catalog: Catalog) -> tuple[list[Contradiction], int]:
    tables = load_builtin().ncci.for_date("practitioner", WHEN).tables
    found: list[Contradiction] = []
    resolved = 0
    imaging = [m for m in MODALITIES if m != "none"]
    plain: dict[str, list[tuple[str, Modality]]] = {}
    for rec in catalog.records:
        if rec.kind != "procedure" or not rec.valid_on(WHEN):
            continue
        variants: list[tuple[str, ...]] = [()]
        if rec.spinal and len(rec.regions) > 1:
            variants.append(rec.regions)
        for modality in imaging:
            for regions in variants:
                entry = ProcedureEntry(rec.code, regions=regions)  # type: ignore[arg-type]
                res = resolve_medicare(catalog, [entry], modality)
                resolved += 1
                what = f"{rec.code} with {modality}" + (f", regions {'/'.join(regions)}" if regions else "")
                found += line_contradictions(tables, {rec.code: modality}, res, what)
                if not regions:
                    for line in res.guidance_lines:
                        plain.setdefault(line.code, []).append((rec.code, modality))
    codes = sorted(plain)
    for i, g1 in enumerate(codes):
        for g2 in codes[i + 1:]:
            if tables.pair(g1, g2, WHEN) is None:
                continue
            (p1, m1), (p2, m2) = plain[g1][0], plain[g2][0]
            if p1 == p2:
                continue
            res = resolve_medicare(catalog, [ProcedureEntry(p1, modality=m1), ProcedureEntry(p2, modality=m2)])
            resolved += 1
            found += line_contradictions(tables, {p1: m1, p2: m2}, res, f"{p1} with {m1} + {p2} with {m2}")
    named = [  # the README's example and issue 11's two-region case
        ([ProcedureEntry("64405"), ProcedureEntry("62281"), ProcedureEntry("62282")], "asc"),
        ([ProcedureEntry("62281", regions=("cervical",)), ProcedureEntry("62282", regions=("lumbar",))], "asc"),
    ]
    for entries, setting in named:
        res = resolve_medicare(catalog, entries, setting=setting)
        resolved += 1
        label = " + ".join(e.code + (f" {'/'.join(e.regions)}" if e.regions else "") for e in entries)
        found += line_contradictions(tables, {e.code: "fluoroscopy" for e in entries}, res,
                                     f"{label}, fluoroscopy, {setting}")
    unique: dict[tuple[str, str], Contradiction] = {}
    for c in found:
        unique.setdefault((c.kind, c.key), c)
    return [c for k, c in sorted(unique.items()) if k not in EXCEPTIONS], resolved


def test_the_contradiction_check_finds_what_it_looks_for(catalog: Catalog) -> None:
    """The checker itself, on made-up answers: a plain 77002 line for 64449 (an open indicator-1 edit), two
    77003 lines (MUE 1), and 77002 + 77003 without a modifier are found; the same with XS on the column-two
    line and one unit is not."""
    tables = load_builtin().ncci.for_date("practitioner", WHEN).tables

    def answer(*lines: GuidanceLine) -> Resolution:
        return Resolution(lines, (), (), catalog.data_version)

    def line(code: str, mods: tuple[str, ...] = (), for_codes: tuple[str, ...] = ("62281",)) -> GuidanceLine:
        return GuidanceLine(code, 1, mods, for_codes, None, "", (), "high")

    bad = answer(line("77002", for_codes=("64449",)), line("77003"), line("77003", ("XS",)))
    kinds = sorted(c.kind for c in line_contradictions(tables, {"64449": "fluoroscopy"}, bad, "made up"))
    assert kinds == ["bundled", "guidance pair", "units"]
    good = answer(line("77002", for_codes=("64405",)), line("77003", ("XS",)))
    assert line_contradictions(tables, {"64405": "fluoroscopy"}, good, "made up") == []


def test_no_answer_contradicts_ncci_outside_the_sourced_exceptions(catalog: Catalog,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    found, resolved = find_contradictions(catalog)
    assert resolved > 400
    by_kind = Counter(c.kind for c in found)
    with capsys.disabled():
        print(f"\nNCCI contradictions in today's answers ({resolved} encounters resolved, Medicare, {WHEN}): "
              f"{len(found)} ({', '.join(f'{k} {n}' for k, n in sorted(by_kind.items()))}); sourced exceptions: "
              f"{len(EXCEPTIONS)}")
        for c in found:
            print(f"  [{c.kind}] {c.text}")
    assert found == []
