"""Audit mode (issue 6): claim lines in, one finding per imaging-guidance problem out.

Each finding kind has a test that builds the smallest claims file showing it and, where there is one, a twin
claim billed correctly that must produce no finding of that kind. Expected answers follow the fact base
(docs/fact-base/core.md, section by section as each group below says); the source ids a finding must cite
are in the test names.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.core.audit import (
    KINDS,
    REPORT_COLUMNS,
    AuditInputError,
    AuditOptions,
    AuditReport,
    Finding,
    audit_text,
    map_columns,
    parse_columns_spec,
    write_csv,
)
from desktop.core.model import Catalog
from tests.auditkit import billing

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "claims-sample.csv"
HEADER = "claim_id,date_of_service,place_of_service,code,modifiers,units"


def audit(catalog: Catalog, rows: str, *, header: str = HEADER, **options: Any) -> AuditReport:
    return audit_text(catalog, header + "\n" + rows.strip() + "\n", AuditOptions(**options))


def kinds(report: AuditReport) -> list[str]:
    return [f.kind for f in billing(report)]


def only(report: AuditReport, kind: str) -> Finding:
    found = [f for f in report.findings if f.kind == kind]
    assert len(found) == 1, [(f.kind, f.message) for f in report.findings]
    return found[0]


def assert_cited(catalog: Catalog, f: Finding, *ids: str) -> None:
    """The finding carries a reason, a confidence and these source ids, all of them known to the data."""
    assert f.reason.strip(), f
    assert f.confidence in ("high", "medium", "low"), f
    for sid in ids:
        assert sid in f.sources, (sid, f)
    for sid in f.sources:
        assert sid in catalog.sources, (sid, f)


# --- guidance billed with a code that includes it (docs/fact-base/core.md, "Guidance included in the procedure") ---

def test_s5_s6_77003_with_transforaminal_64483_is_guidance_included(catalog: Catalog) -> None:
    r = audit(catalog, "A,2025-03-03,11,64483,RT,1\nA,2025-03-03,11,77003,,1")
    f = only(r, "guidance_included")
    assert (f.claim_id, f.line, f.severity, f.billed) == ("A", 3, "error", "77003 \u00d71")
    assert "64483" in f.expected and f.modality.startswith("fluoroscopy")
    assert_cited(catalog, f, "S6")
    assert r.has_errors


def test_s1_77003_with_27096_is_guidance_included_and_62273_alone_justifies_it(catalog: Catalog) -> None:
    assert kinds(audit(catalog, "A,2025-03-03,11,27096,,1\nA,2025-03-03,11,77003,,1")) == ["guidance_included"]
    assert_cited(catalog, only(audit(catalog, "A,2025-03-03,11,27096,,1\nA,2025-03-03,11,77003,,1"),
                               "guidance_included"), "S1")
    # a claim where one procedure includes imaging and another takes 77003: the 77003 line is justified
    r = audit(catalog, "A,2025-03-03,11,27096,,1\nA,2025-03-03,11,62273,,1\nA,2025-03-03,11,77003,,1")
    assert "guidance_included" not in kinds(r)


# --- 77003 per level instead of per region (docs/fact-base/core.md, "Guidance codes and units", B1; S3/S4) ---

def test_s3_s4_77003_three_units_for_one_blood_patch_is_per_level_units(catalog: Catalog) -> None:
    r = audit(catalog, "A,2025-03-03,24,62273,,1\nA,2025-03-03,24,77003,26,3")
    f = only(r, "per_level_units")
    assert (f.line, f.severity) == (3, "error")
    assert "\u00d73" in f.message and "lumbar" in f.expected
    assert_cited(catalog, f, "S3", "S4")


def test_s3_77003_on_three_lines_for_one_region_is_per_level_units(catalog: Catalog) -> None:
    rows = "A,2025-03-03,11,62273,,1\n" + "\n".join("A,2025-03-03,11,77003,59,1" for _ in range(3))
    f = only(audit(catalog, rows), "per_level_units")
    assert f.line == 3 and "lines 3, 4, 5" in f.billed


def test_77003_units_up_to_the_regions_the_procedures_can_cover_are_not_per_level(catalog: Catalog) -> None:
    # two blood patches (62273 lists every spinal region) with 77003 on two lines, the second with 59:
    # two regions are inferred from the two 77003 lines, one per procedure line
    rows = ("A,2025-03-03,11,62273,,1\nA,2025-03-03,11,62273,,1\n"
            "A,2025-03-03,11,77003,,1\nA,2025-03-03,11,77003,59,1")
    assert kinds(audit(catalog, rows)) == []
    # one blood patch line of one unit cannot cover two regions
    rows = "A,2025-03-03,11,62273,,1\nA,2025-03-03,11,77003,,1\nA,2025-03-03,11,77003,59,1"
    assert kinds(audit(catalog, rows)) == ["per_level_units"]


# --- 77003 where 77002 belongs (S10, S5) -----------------------------------------------------------------

def test_s10_s5_77003_with_occipital_block_64405_is_wrong_fluoro_code(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-04,11,64405,,1\nA,2025-03-04,11,77003,,1"), "wrong_fluoro_code")
    assert f.severity == "error" and "77002" in f.expected and "77002" in f.message
    assert_cited(catalog, f, "S10")
    assert kinds(audit(catalog, "A,2025-03-04,11,64405,,1\nA,2025-03-04,11,77002,,1")) == []


def test_s12_77003_with_joint_injection_20610_is_wrong_fluoro_code(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-04,11,20610,,1\nA,2025-03-04,11,77003,,1"), "wrong_fluoro_code")
    assert_cited(catalog, f, "S12")


# --- 76000, 77001, deleted and not-yet-valid codes ---------------------------------------------------------

def test_s41_76000_with_an_injection_is_integral_76000(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-04,11,64405,,1\nA,2025-03-04,11,76000,,1"), "integral_76000")
    assert f.severity == "error" and f.line == 3 and "77002" in f.expected
    assert_cited(catalog, f, "S41")


def test_s39_77001_with_a_joint_injection_is_not_guidance_for_procedure(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-04,11,20610,,1\nA,2025-03-04,11,77001,,1"), "not_guidance_for_procedure")
    assert f.severity == "error"
    assert_cited(catalog, f, "S39")


def test_s16_76001_after_2018_is_deleted_code(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-04,11,64405,,1\nA,2025-03-04,11,76001,,1"), "deleted_code")
    assert (f.line, f.severity) == (3, "error") and "2018-12-31" in f.message
    # the same code before its deletion is not a deleted code
    assert "deleted_code" not in kinds(audit(catalog, "A,2017-03-04,11,64405,,1\nA,2017-03-04,11,76001,,1"))


def test_deleted_procedure_code_names_its_replacement(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2018-05-02,11,62311,,1"), "deleted_code")
    assert "62322" in f.expected and "62323" in f.expected and "62322" in f.message


def test_s6_62323_before_cpt_2017_is_code_not_yet_valid(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2016-06-01,22,62323,,1"), "code_not_yet_valid")
    assert f.severity == "error" and "2017-01-01" in f.message
    assert "code_not_yet_valid" not in kinds(audit(catalog, "A,2017-06-01,22,62323,,1"))


# --- modifier 26 (docs/fact-base/core.md, "Guidance codes and units", B13; S25/S24/S23) ----------------------

@pytest.mark.parametrize("pos", ["19", "22", "24"])
def test_s25_facility_guidance_without_26_is_missing_26(catalog: Catalog, pos: str) -> None:
    f = only(audit(catalog, f"A,2025-03-06,{pos},64405,,1\nA,2025-03-06,{pos},77002,,1"), "missing_26")
    assert (f.line, f.severity) == (3, "error") and "77002-26" in f.expected
    assert_cited(catalog, f, "S25", "S24")
    assert kinds(audit(catalog, f"A,2025-03-06,{pos},64405,,1\nA,2025-03-06,{pos},77002,26,1")) == []


def test_s25_office_guidance_with_26_is_unexpected_26(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-06,11,20610,LT,1\nA,2025-03-06,11,77002,26,1"), "unexpected_26")
    assert f.severity == "warning"
    assert_cited(catalog, f, "S25")


# --- a different primary code (S13, S6) -------------------------------------------------------------------

def test_s13_20610_with_76942_is_redirect_primary_to_20611(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-07,11,20610,RT,1\nA,2025-03-07,11,76942,,1"), "redirect_primary")
    assert (f.line, f.severity, f.expected) == (2, "error", "20611")
    assert f.modality.startswith("ultrasound")
    assert_cited(catalog, f, "S13")


def test_s6_62322_with_77003_is_redirect_primary_to_62323(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-07,11,62322,,1\nA,2025-03-07,11,77003,,1"), "redirect_primary")
    assert f.expected == "62323"
    assert_cited(catalog, f, "S6")


# --- 59 / XS (docs/fact-base/core.md, "Modifiers", E1-E3; S19/S49, S4) ---------------------------------------

def test_s4_s19_second_77003_region_without_59_or_xs_is_missing_distinct_modifier(catalog: Catalog) -> None:
    base = "A,2025-03-07,22,62282,,1\nA,2025-03-07,22,62281,,1\nA,2025-03-07,22,77003,26,1\n"
    f = only(audit(catalog, base + "A,2025-03-07,22,77003,26,1"), "missing_distinct_modifier")
    assert (f.line, f.severity) == (5, "error")
    assert_cited(catalog, f, "S19")
    assert kinds(audit(catalog, base + "A,2025-03-07,22,77003,26 59,1")) == []
    # both regions on one line of two units: the further region needs its own line
    f = only(audit(catalog, "A,2025-03-07,22,62282,,1\nA,2025-03-07,22,62281,,1\nA,2025-03-07,22,77003,26,2"),
             "missing_distinct_modifier")
    assert f.line == 4 and "own line" in f.message


def test_medicare_second_77003_region_is_over_the_per_encounter_rule(catalog: Catalog) -> None:
    """docs/fact-base/core.md, "Corrections" (K1, K2): Medicare pays one 77003 per encounter (NCCI ch. IX; MUE 1)."""
    rows = ("A,2025-03-10,24,62282,,1\nA,2025-03-10,24,62281,,1\nA,2025-03-10,24,77003,26,1\n"
            "A,2025-03-10,24,77003,26 XS,1")
    f = only(audit(catalog, rows, payer="medicare"), "units_per_encounter")
    assert f.severity == "error" and f.line == 4 and "one unit per patient encounter" in f.message
    assert_cited(catalog, f, "X-NCCI-PM-IX", "X-NCCI-MUE-2024Q3")
    assert kinds(audit(catalog, rows.replace("26 XS", "26 59"), payer="other")) == []


def test_s19_other_payer_second_region_with_xs_is_a_distinct_modifier_choice(catalog: Catalog) -> None:
    rows = ("A,2025-03-10,24,62282,,1\nA,2025-03-10,24,62281,,1\nA,2025-03-10,24,77003,26,1\n"
            "A,2025-03-10,24,77003,26 XS,1")
    f = only(audit(catalog, rows, payer="other"), "distinct_modifier_choice")
    assert f.severity == "info" and f.line == 5 and f.expected == "77003-26-59"
    assert_cited(catalog, f, "S19")


def test_s19_s49_59_and_xs_on_one_line_is_both_59_and_x(catalog: Catalog) -> None:
    rows = ("A,2025-03-10,24,62273,,1\nA,2025-03-10,24,62281,,1\nA,2025-03-10,24,77003,26,1\n"
            "A,2025-03-10,24,77003,26-59-XS,1")
    f = only(audit(catalog, rows), "both_59_and_x")
    assert (f.line, f.severity) == (5, "error")
    assert_cited(catalog, f, "S19", "S49")


# --- sources disagree, unsupported, unconfirmed ------------------------------------------------------------

def test_s10_77002_with_64520_is_conflicting_sources(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-11,11,64520,,1\nA,2025-03-11,11,77002,,1"), "conflicting_sources")
    assert f.severity == "warning" and f.expected == "77003"
    assert_cited(catalog, f, "S10")
    assert kinds(audit(catalog, "A,2025-03-11,11,64520,,1\nA,2025-03-11,11,77003,,1")) == []


def test_guidance_without_a_procedure_is_unsupported_guidance(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-11,11,77002,,1"), "unsupported_guidance")
    assert f.severity == "warning" and f.line == 2


def test_s42_77002_two_units_for_two_knees_is_units_unconfirmed(catalog: Catalog) -> None:
    rows = "A,2025-03-12,11,20610,RT,1\nA,2025-03-12,11,20610,LT,1\nA,2025-03-12,11,77002,,2"
    f = only(audit(catalog, rows), "units_unconfirmed")
    assert (f.line, f.severity, f.confidence) == (4, "info", "low") and "UNCONFIRMED" in f.message
    assert_cited(catalog, f, "S42")


def test_mr_guidance_with_64405_is_unconfirmed(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-12,11,64405,,1\nA,2025-03-12,11,77021,,1"), "unconfirmed")
    assert f.severity == "info" and f.line == 2 and f.confidence == "low"
    assert not audit(catalog, "A,2025-03-12,11,64405,,1\nA,2025-03-12,11,77021,,1").has_errors


def test_s6_62323_without_guidance_says_the_modality_inference_matters(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-13,22,62323,,1"), "modality_inferred")
    # an inference, not a correction: "Rules say" stays empty and the text names the no-imaging code
    assert f.severity == "info" and f.expected == "" and "no imaging: 62322" in f.message
    assert f.modality.startswith("none") and "imaging was used" in f.message and f.kind_id == "GC-A18"
    assert_cited(catalog, f, "S6")


def test_s29_a_code_with_a_data_caution_gets_a_caution(catalog: Catalog) -> None:
    f = only(audit(catalog, "A,2025-03-13,22,62287,,1"), "caution")
    assert f.severity == "info"
    assert_cited(catalog, f, "S29")


def test_unknown_code_is_info_and_the_rest_of_the_claim_is_still_checked(catalog: Catalog) -> None:
    r = audit(catalog, "A,2025-03-14,11,99213,25,1\nA,2025-03-14,11,64405,,1\nA,2025-03-14,11,77003,,1")
    assert sorted(kinds(r)) == ["unknown_code", "wrong_fluoro_code"]
    assert only(r, "unknown_code").severity == "info"


# --- dates and places of service ---------------------------------------------------------------------------

def test_date_before_the_data_is_date_out_of_range_and_not_checked(catalog: Catalog) -> None:
    r = audit(catalog, "A,2005-06-01,11,64405,,1\nA,2005-06-01,11,77003,,1")
    assert kinds(r) == ["date_out_of_range"]


def test_date_after_the_code_set_year_is_date_after_data(catalog: Catalog) -> None:
    year = catalog.code_set_year + 1
    r = audit(catalog, f"A,{year}-01-15,11,64405,,1\nA,{year}-01-15,11,77002,,1")
    assert kinds(r) == ["date_after_data"]


def test_inpatient_pos_21_is_unsupported_place_of_service_and_26_is_not_checked(catalog: Catalog) -> None:
    r = audit(catalog, "A,2025-03-17,21,64405,,1\nA,2025-03-17,21,77002,,1")
    assert kinds(r) == ["unsupported_place_of_service"]


def test_lines_with_different_pos_are_mixed_place_of_service(catalog: Catalog) -> None:
    r = audit(catalog, "A,2025-03-17,22,64405,,1\nA,2025-03-17,22,62273,,1\nA,2025-03-17,11,77002,26,1")
    f = only(r, "mixed_place_of_service")
    assert f.line == 4 and f.expected == "POS 22"


# --- grouping and payer -----------------------------------------------------------------------------------

def test_lines_group_by_claim_and_date_even_when_not_adjacent(catalog: Catalog) -> None:
    rows = ("A,2025-03-03,11,64483,,1\nB,2025-03-03,11,64405,,1\nA,2025-03-03,11,77003,,1\n"
            "B,2025-03-03,11,77002,,1\nA,2025-03-04,11,77003,,1")
    r = audit(catalog, rows)
    assert [(f.claim_id, f.line, f.kind) for f in billing(r)] == [
        ("A", 4, "guidance_included"), ("A", 6, "unsupported_guidance")]
    assert r.summary.claims_checked == 2 and r.summary.encounters_checked == 3


def test_payer_column_overrides_the_default_payer(catalog: Catalog) -> None:
    rows = ("A,2025-03-10,24,62282,,1,Medicare Part B\nA,2025-03-10,24,62281,,1,Medicare Part B\n"
            "A,2025-03-10,24,77003,26,1,Medicare Part B\nA,2025-03-10,24,77003,26 59,1,Medicare Part B")
    assert kinds(audit(catalog, rows, header=HEADER + ",payer")) == ["units_per_encounter"]
    assert kinds(audit(catalog, rows.replace("Medicare Part B", "Aetna"), header=HEADER + ",payer",
                       payer="medicare")) == []


# --- malformed rows ------------------------------------------------------------------------------------------

def test_malformed_rows_are_reported_by_line_and_the_rest_is_audited(catalog: Catalog) -> None:
    rows = "\n".join([
        "A,2025-03-03,11,64483,,1",      # line 2
        "A,2025-13-01,11,64483,,1",      # 3 bad date
        "A,2025-03-03,11,64405,,two",    # 4 bad units
        "A,2025-03-03,11,6440,,1",       # 5 bad code
        "A,2025-03-03,11",               # 6 missing columns
        "A,2025-03-03,11,64405,ABC,1",   # 7 bad modifier
        ",2025-03-03,11,64405,,1",       # 8 no claim id
        "A,2025-03-03,X1,64405,,1",      # 9 bad place of service
        "A,2025-03-03,11,64405,,0",      # 10 zero units
        "",                              # 11 blank: ignored
        "A,2025-03-03,11,77003,,1",      # 12 still audited
    ])
    r = audit(catalog, rows)
    bad = [f for f in r.findings if f.kind == "malformed_row"]
    assert [f.line for f in bad] == [3, 4, 5, 6, 7, 8, 9, 10]
    assert all(f.severity == "error" and f"Line {f.line}:" in f.message for f in bad)
    assert "real date" in bad[0].message and "units" in bad[1].message and "code" in bad[2].message
    assert "no value for" in bad[3].message and "modifier" in bad[4].message
    assert only(r, "guidance_included").line == 12
    assert (r.summary.lines_read, r.summary.rows_skipped) == (10, 8)


def test_quoted_multiline_field_keeps_the_line_numbers_right(catalog: Catalog) -> None:
    rows = '"A",2025-03-03,11,64483,"RT\n",1\nA,2025-03-03,11,77003,,1\nB,bad,11,64405,,1'
    r = audit(catalog, rows)
    assert [(f.line, f.kind) for f in billing(r)] == [(4, "guidance_included"), (5, "malformed_row")]


def test_date_formats_and_code_with_attached_modifiers(catalog: Catalog) -> None:
    rows = "A,03/06/2025,22,64405,,1\nA,2025-03-06,22,77002-26,,1.0\nB,20250306,22,64405,,\nB,3/6/2025,22,77002,,1"
    r = audit(catalog, rows)
    assert [(f.claim_id, f.kind) for f in billing(r)] == [("B", "missing_26")]


# --- columns ------------------------------------------------------------------------------------------------

def test_custom_column_names_via_columns_spec(catalog: Catalog) -> None:
    header = "ClaimNo,Svc Date,Place,CPT,Mod1,Mod2,Qty"
    rows = ("K9,2025-03-07,22,62282,,,1\nK9,2025-03-07,22,62281,,,1\nK9,2025-03-07,22,77003,26,,1\n"
            "K9,2025-03-07,22,77003,26,,1")
    spec = parse_columns_spec("claim_id=ClaimNo,date_of_service=Svc Date,place_of_service=Place,code=CPT,"
                              "modifiers=Mod1+Mod2,units=Qty")
    r = audit(catalog, rows, header=header, columns=spec)
    assert [(f.claim_id, f.line, f.kind) for f in billing(r)] == [("K9", 5, "missing_distinct_modifier")]
    fixed = rows.rsplit("\n", 1)[0] + "\nK9,2025-03-07,22,77003,26,59,1"
    assert kinds(audit(catalog, fixed, header=header, columns=spec)) == []


def test_common_header_aliases_are_recognised() -> None:
    cols = map_columns(["Claim #", "DOS", "POS", "HCPCS", "Modifier 1", "Modifier 2", "Units", "Payer"])
    assert cols.indices == {"claim_id": (0,), "date_of_service": (1,), "place_of_service": (2,), "code": (3,),
                            "units": (6,), "payer": (7,), "modifiers": (4, 5)}
    cols = map_columns(["claim", "service_date", "place_of_service", "procedure_code", "mods", "qty"])
    assert set(cols.indices) == {"claim_id", "date_of_service", "place_of_service", "code", "modifiers", "units"}


def test_missing_required_column_and_bad_spec_raise_audit_input_error(catalog: Catalog) -> None:
    with pytest.raises(AuditInputError, match="no column for code"):
        audit_text(catalog, "claim_id,dos,pos,units\nA,2025-01-01,11,1\n")
    with pytest.raises(AuditInputError, match="empty"):
        audit_text(catalog, "\n\n")
    with pytest.raises(AuditInputError, match="unknown field"):
        parse_columns_spec("cpt=Code")
    with pytest.raises(AuditInputError, match="no such column"):
        audit_text(catalog, HEADER + "\n", AuditOptions(columns=parse_columns_spec("code=CPT")))


def test_semicolon_delimited_file_is_read(catalog: Catalog) -> None:
    text = HEADER.replace(",", ";") + "\nA;2025-03-03;11;64483;;1\nA;2025-03-03;11;77003;;1\n"
    assert kinds(audit_text(catalog, text)) == ["guidance_included"]


# --- outputs ------------------------------------------------------------------------------------------------

def test_csv_report_shape(catalog: Catalog) -> None:
    r = audit(catalog, "A,2024-08-05,11,64483,,1\nA,2024-08-05,11,77003,,1\n=1+1,2024-08-05,11,77002,,1")
    buf = io.StringIO()
    write_csv(r.findings, buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert list(rows[0]) == list(REPORT_COLUMNS)
    assert [(row["claim_id"], row["line"], row["kind"], row["severity"]) for row in rows] == [
        ("A", "3", "guidance_included", "error"), ("'=1+1", "4", "unsupported_guidance", "warning")]
    assert rows[0]["sources"].split() == list(r.findings[0].sources) and rows[0]["confidence"] == "high"
    # every claim's row names the NCCI tables that answered its date
    assert {row["ncci_version"] for row in rows} == {
        "NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30); NCCI MUE practitioner 2024Q3 (2024-07-01 to "
        "2024-09-30)"}


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "desktop", "audit", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120, check=False)


def test_cli_json_output_shape_and_exit_1_on_errors() -> None:
    proc = run_cli("-", "--format", "json", stdin=HEADER + "\nA,2024-08-05,11,64483,,1\nA,2024-08-05,11,77003,,1\n")
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"findings", "summary"}
    f = out["findings"][0]
    assert {"claim_id", "line", "severity", "kind", "message", "billed", "expected", "reason", "sources",
            "confidence"} <= set(f)
    assert (f["claim_id"], f["line"], f["kind"]) == ("A", 3, "guidance_included")
    assert out["summary"]["by_kind"] == {"guidance_included": 1}
    assert out["summary"]["claims_checked"] == 1 and out["summary"]["lines_read"] == 2
    label = ("NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30); NCCI MUE practitioner 2024Q3 (2024-07-01 to "
             "2024-09-30)")
    assert out["summary"]["ncci_version"] == label and out["summary"]["ncci_versions_used"] == {label: 1}
    assert out["summary"]["ncci_outside_quarter"] == 0 and out["summary"]["ncci_warning"] == ""
    assert "Traceback" not in proc.stderr


def test_cli_csv_to_file_and_exit_0_without_errors(tmp_path: Path) -> None:
    claims = tmp_path / "c.csv"
    claims.write_text("ClaimNo,DOS,POS,CPT,Mods,Qty\nA,2024-08-05,11,64405,,1\nA,2024-08-05,11,77002,26,1\n",
                      encoding="utf-8")
    out = tmp_path / "r.csv"
    proc = run_cli(str(claims), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["kind"], r["severity"]) for r in rows] == [("unexpected_26", "warning")]
    assert "1 claim checked" in proc.stdout and "unexpected_26 (GC-A09): 1" in proc.stdout
    assert "\nNCCI: NCCI PTP practitioner v30.2" in proc.stdout and "WARNING" not in proc.stdout


@pytest.mark.parametrize(("args", "text", "needle"), [
    (("/no/such/claims.csv",), None, "no such file"),
    (("-",), "claim_id,dos\nA,2025-01-01\n", "no column for"),
    (("-", "--columns", "bogus=X"), "x\n", "unknown field"),
    (("-", "--format", "xml"), "", "invalid choice"),
    (("-",), "", "empty"),
])
def test_cli_bad_usage_exits_2_with_one_line(args: tuple[str, ...], text: str | None, needle: str) -> None:
    proc = run_cli(*args, stdin=text)
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_cli_progress_every_10000_lines_on_request(tmp_path: Path) -> None:
    claims = tmp_path / "c.csv"
    body = "".join(f"C{i},2025-03-03,11,64405,,1\nC{i},2025-03-03,11,77002,,1\n" for i in range(10_500))
    claims.write_text(HEADER + "\n" + body, encoding="utf-8")
    proc = run_cli(str(claims), "--progress", "--out", str(tmp_path / "r.csv"))
    assert proc.returncode == 0, proc.stderr
    steps = [ln for ln in proc.stderr.splitlines() if ln.startswith("audit:")]
    assert [s.split(" lines")[0] for s in steps] == ["audit: 10,000", "audit: 20,000", "audit: 21,000"]
    assert steps[-1] == "audit: 21,000 lines read, 100% of the input"
    quiet = run_cli(str(claims), "--out", str(tmp_path / "r2.csv"))
    assert "audit:" not in quiet.stderr


# --- progress and cancellation in the core -----------------------------------------------------------------

def test_core_progress_callback_and_cancel_flag(catalog: Catalog) -> None:
    from desktop.core.audit import AuditProgress

    # dated in the built-in NCCI tables' quarter (2024Q3): no ncci_outside_quarter row
    text = HEADER + "\n" + "".join(f"C{i},2024-08-05,11,64483,,1\nC{i},2024-08-05,11,77003,,1\n" for i in range(500))
    seen: list[AuditProgress] = []
    full = audit_text(catalog, text, progress=seen.append, progress_every=200)
    assert [p.lines for p in seen] == [200, 400, 600, 800, 1000, 1000]
    assert seen[-1].fraction == 1.0 and seen[-1].claims == 500
    assert full.summary.by_kind == {"guidance_included": 500} and not full.summary.cancelled

    stop = {"now": False}

    def progress(p: AuditProgress) -> None:
        stop["now"] = True  # cancel after the first progress report

    part = audit_text(catalog, text, progress=progress, progress_every=200, cancel=lambda: stop["now"])
    assert part.summary.cancelled and part.summary.lines_read == 200
    # the 100th claim's second line was not read yet when the audit stopped: 99 claims checked
    assert part.summary.encounters_checked == 99 and len(part.findings) == 99
    assert part.summary.headline() == ("Cancelled after 200 lines: 99 claims checked, 99 findings (99 error). "
                                       "Partial result.")


# --- the sample file ----------------------------------------------------------------------------------------

def test_sample_file_produces_every_finding_kind_and_clean_claims_have_none(catalog: Catalog) -> None:
    report = audit_text(catalog, SAMPLE.read_text(encoding="utf-8"))
    found = {f.kind for f in report.findings}
    # every kind a CSV file can give (unreadable_text: tests/test_audit_input.py; x12_error: test_audit_x12.py)
    assert set(KINDS) - found == {"unreadable_text", "x12_error"}, sorted(set(KINDS) - found)
    # a clean claim gives no finding; a folded reminder (tests/auditkit.py) may name one as its first claim
    assert not [f for f in billing(report) if f.claim_id.startswith("CLEAN")]
    clean = {ln.split(",", 1)[0] for ln in SAMPLE.read_text(encoding="utf-8").splitlines() if ln.startswith("CLEAN")}
    assert len(clean) >= 2
    for f in report.findings:  # (an MUE finding's severity is its MAI's rule's: MAI 2 is an error)
        assert f.severity == KINDS[f.kind].severity or f.kind in ("redirect_primary", "unsupported_guidance",
                                                                  "mue_exceeded")
        for sid in f.sources:
            assert sid in catalog.sources, (sid, f)


# --- robustness ---------------------------------------------------------------------------------------------

_cell = st.one_of(st.sampled_from(["", "A", "64405", "77003", "77002", "26", "59 XS", "2025-03-03", "11", "22",
                                   "3", "0", "-1", "x", '"', "2025-02-30", "62273", "20610", "76942", "76000"]),
                  st.text(max_size=6))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_cell, min_size=0, max_size=8), max_size=12))
def test_any_rows_are_audited_without_raising_and_each_bad_row_is_reported_once(
        catalog: Catalog, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    report = audit_text(catalog, HEADER + "\n" + buf.getvalue())
    bad_lines = [f.line for f in report.findings if f.kind == "malformed_row"]
    assert len(bad_lines) == len(set(bad_lines)) == report.summary.rows_skipped
    assert all(f.kind in KINDS and f.line >= 2 for f in report.findings)


def test_unknown_codes_are_reported_once_per_code_with_a_count(catalog: Catalog) -> None:
    rows = ("A,2025-03-14,11,99213,25,1\nA,2025-03-14,11,64405,,1\nB,2025-03-15,11,99213,,1\n"
            "B,2025-03-15,11,J1030,,2\nC,2025-03-16,11,99213,,1")
    r = audit(catalog, rows)
    unknown = [(f.line, f.billed.split(" ")[0]) for f in r.findings if f.kind == "unknown_code"]
    assert unknown == [(2, "99213-25"), (5, "J1030")]
    assert "3 lines on 3 claims" in billing(r)[0].message and billing(r)[0].count == 3


def test_utf16_and_cp1252_files_are_read(catalog: Catalog, tmp_path: Path) -> None:
    from desktop.core.audit import audit_file

    text = HEADER + "\nCl\u00e9-1,2025-03-03,11,64483,,1\nCl\u00e9-1,2025-03-03,11,77003,,1\n"
    utf16 = tmp_path / "u16.csv"
    utf16.write_text(text, encoding="utf-16")
    assert [(f.claim_id, f.kind) for f in billing(audit_file(catalog, utf16))] == [("Cl\u00e9-1", "guidance_included")]
    latin = tmp_path / "cp.csv"
    latin.write_text(text, encoding="cp1252")
    with pytest.raises(AuditInputError, match="--encoding cp1252"):
        audit_file(catalog, latin)
    assert [f.claim_id for f in billing(audit_file(catalog, latin, encoding="cp1252"))] == ["Cl\u00e9-1"]


# --- stable kind ids, what to do, the documentation -----------------------------------------------------------

FROZEN_IDS = {  # an id never changes meaning: a new kind gets the next id, a removed kind's id is not reused
    "guidance_included": "GC-A01", "per_level_units": "GC-A02", "wrong_fluoro_code": "GC-A03",
    "integral_76000": "GC-A04", "not_guidance_for_procedure": "GC-A05", "deleted_code": "GC-A06",
    "code_not_yet_valid": "GC-A07", "missing_26": "GC-A08", "unexpected_26": "GC-A09", "redirect_primary": "GC-A10",
    "missing_distinct_modifier": "GC-A11", "distinct_modifier_choice": "GC-A12", "both_59_and_x": "GC-A13",
    "conflicting_sources": "GC-A14", "unsupported_guidance": "GC-A15", "units_unconfirmed": "GC-A16",
    "unconfirmed": "GC-A17", "modality_inferred": "GC-A18", "caution": "GC-A19", "unknown_code": "GC-A20",
    "date_out_of_range": "GC-A21", "date_after_data": "GC-A22", "unsupported_place_of_service": "GC-A23",
    "mixed_place_of_service": "GC-A24", "malformed_row": "GC-A25", "unreadable_text": "GC-A26",
    "x12_error": "GC-A27", "units_per_encounter": "GC-A28", "ncci_guidance_bundled": "GC-A29",
    "ncci_missing_modifier": "GC-A30", "ncci_pair_never": "GC-A31", "mue_exceeded": "GC-A32",
    "mue_other_payer": "GC-A33", "ncci_not_checked": "GC-A34", "ncci_outside_quarter": "GC-A35",
    "images_not_recorded": "GC-A36", "images_not_stated": "GC-A37",
}


def test_kind_ids_are_stable_and_every_kind_has_what_to_do_and_is_documented() -> None:
    assert {k: v.id for k, v in KINDS.items()} == FROZEN_IDS
    doc = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    for kind, info in KINDS.items():
        assert info.action.strip().endswith(".") and len(info.action) < 100, kind
        assert f"| {info.id} | `{kind}`" in doc and info.action in doc, kind


def test_finding_ids_are_stable_across_runs_and_differ_between_findings(catalog: Catalog) -> None:
    a = audit_text(catalog, SAMPLE.read_text(encoding="utf-8"))
    b = audit_text(catalog, SAMPLE.read_text(encoding="utf-8"))
    assert [f.finding_id for f in a.findings] == [f.finding_id for f in b.findings]
    assert len({f.finding_id for f in a.findings}) == len(a.findings)
    assert all(f.finding_id.startswith(f.kind_id + "-") for f in a.findings)


def test_notes_fold_into_one_row_per_kind_and_rules_say_shows_only_corrections(catalog: Catalog) -> None:
    rows = "".join(f"N{i},2024-08-13,22,62323,,1\nM{i},2024-08-13,11,20611,RT,1\n" for i in range(50))
    r = audit(catalog, rows)
    assert [(f.kind, f.count) for f in billing(r)] == [("modality_inferred", 100)]
    f = billing(r)[0]
    assert f.expected == "" and "62323 \u00d750 (no imaging: 62322)" in f.message and "20611 \u00d750" in f.message
    assert "100 lines on 100 claims" in f.message and f.line == 2
    s = r.summary
    assert s.by_severity == {"info": 1} and s.unfolded_by_severity == {"info": 100} and s.notes_folded == 100


def test_the_encounter_shape_cache_gives_the_same_findings_as_checking_every_encounter(
        catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_audit import generate  # type: ignore[import-not-found]

    from desktop.core.audit import audit_file
    from desktop.core.audit.run import EncounterChecker, date_boundaries

    path = tmp_path / "mix.csv"
    generate(path, 6000, 3)
    text = path.read_text(encoding="utf-8")
    # dates on both sides of rule boundaries (a code's deletion, the code-set year, NCCI quarters)
    for year in ("2016", "2018", "2019", "2024", str(catalog.code_set_year + 1)):
        text += "".join(line.replace(",2025-", f",{year}-") + "\n" for line in text.splitlines()[1:400])
    path.write_text(text, encoding="utf-8")
    cached = audit_file(catalog, path)
    monkeypatch.setattr(EncounterChecker, "templates", lambda self, group: None)
    fresh = audit_file(catalog, path)
    key = lambda f: f.as_dict()  # noqa: E731
    assert [key(f) for f in cached.findings] == [key(f) for f in fresh.findings]
    assert cached.summary == fresh.summary
    assert catalog.covers_from in date_boundaries(catalog)
