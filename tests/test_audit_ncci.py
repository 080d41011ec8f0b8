"""NCCI and the images column in the audit (issue 13 part 3, issue 14 "as an audit column").

Each test is a claims CSV (rows written here) audited with the shipped data: CMS's practitioner PTP table v30.2
and MUE table 2024Q3 as built in (resources/data/ncci/, docs/ncci.md), whose facts the tests quote: 64483/77003
and 64484/77003, 64449/77002, 64483/77002, 76942/77002 have modifier indicator 1; 62263/72275 indicator 0 until
2021-12-31; the MUE of 64483 is 1 (MAI 2), of 20610 2 (MAI 3), of 77003 1 (MAI 3). Where a test needs a table
the built-in data does not have (a procedure pair, an MAI 1 code, an indicator-0 edit of a guidance line), it
says so and builds it from made-up rows, or imports the CMS-layout fixtures of tests/fixtures/ncci/.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from desktop.core.audit import AuditOptions, AuditReport, Finding, audit_text, write_csv
from desktop.core.model import Catalog
from desktop.core.ncci.model import Mue, MueTable, PtpTable
from tests.auditkit import billing
from tests.ncci_kit import with_fixture_tables

ROOT = Path(__file__).resolve().parents[1]
HEADER = "claim_id,date_of_service,place_of_service,code,modifiers,units,payer"
LABEL = ("NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30); NCCI MUE practitioner 2024Q3 (2024-07-01 to "
         "2024-09-30)")


def audit(catalog: Catalog, rows: str, *, header: str = HEADER, **options: Any) -> AuditReport:
    return audit_text(catalog, header + "\n" + rows.strip() + "\n", AuditOptions(**options))


def kinds(report: AuditReport) -> list[tuple[str, int, str]]:
    return [(f.claim_id, f.line, f.kind) for f in billing(report)]


def only(report: AuditReport, kind: str) -> Finding:
    found = [f for f in report.findings if f.kind == kind]
    assert len(found) == 1, [(f.kind, f.message) for f in report.findings]
    return found[0]


def with_ptp_rows(catalog: Catalog, change: dict[tuple[str, str], int]) -> Catalog:
    """The built-in data with the modifier indicator of some PTP rows changed (made-up rows, for a case the
    built-in table does not hold)."""
    table = catalog.ncci.ptp_tables[0]
    edits = [replace(e, modifier_indicator=change.get((e.column_1, e.column_2), e.modifier_indicator))
             for e in table.edits]
    return replace(catalog, ncci=replace(catalog.ncci, ptp_tables=(PtpTable.build(table.version, edits),)))


# --- issue 13's must-show: 64483 + 64484 + 77003 entered by hand ---------------------------------------------

def test_must_show_64483_64484_77003_the_finding_cites_the_ncci_edit_with_its_version(catalog: Catalog) -> None:
    r = audit(catalog, "M1,2024-08-05,24,64483,RT,1,Medicare\nM1,2024-08-05,24,64484,RT,1,Medicare\n"
                       "M1,2024-08-05,24,77003,26,1,Medicare")
    assert kinds(r) == [("M1", 4, "guidance_included")]
    f = only(r, "guidance_included")
    assert f.message.startswith("77003 billed with 64483, 64484: their code already includes fluoroscopy guidance, "
                                "so 77003 is not reported. NCCI PTP edits 64483/77003, 64484/77003 (NCCI PTP "
                                "practitioner v30.2 (2024-07-01 to 2024-09-30), modifier indicator 1: billed together "
                                "only with a modifier for a distinct service): NCCI bundles this guidance code into "
                                "the procedure it guides: Medicare does not pay it")
    assert f.expected == "no 77003 (included in 64483, 64484)" and f.severity == "error" and f.kind_id == "GC-A01"
    assert {"S5", "S6", "X-NCCI-PTP-302", "X-NCCI-PM-I", "S19"} <= set(f.sources)
    assert all(s in catalog.sources for s in f.sources)
    assert f.ncci == LABEL and f.confidence == "high"
    assert r.summary.ncci_version == LABEL and r.summary.ncci_outside == 0 and r.summary.ncci_warning == ""
    buf = io.StringIO()
    write_csv(r.findings, buf)
    row = next(row for row in csv.DictReader(io.StringIO(buf.getvalue())) if row["kind"] == "guidance_included")
    print("\nmust-show finding row:", json.dumps(row, ensure_ascii=False))
    assert row["ncci_version"] == LABEL and "64483/77003, 64484/77003" in row["message"]


def test_an_other_payer_claim_cites_the_edit_with_the_other_payer_rule(catalog: Catalog) -> None:
    r = audit(catalog, "O1,2024-08-05,11,64483,,1,Other\nO1,2024-08-05,11,77003,,1,Other")
    f = only(r, "guidance_included")
    assert "NCCI PTP edit 64483/77003 (NCCI PTP practitioner v30.2" in f.message
    assert "many other payers apply the NCCI edits too" in f.message  # ptp-guidance-into-its-procedure-other
    assert f.confidence == "high"  # the procedure's own rule (CPT) decides; the edit is cited beside it


def test_a_medicare_procedure_that_only_an_edit_bundles_reads_so(catalog: Catalog) -> None:
    """64449's own rule gives 77002 separately; the 64449/77002 edit bundles it: for Medicare the engine
    withholds the line (guidance_included, citing the edit), for other payers a warning to check the payer."""
    medicare = only(audit(catalog, "B1,2024-08-05,11,64449,,1,Medicare\nB1,2024-08-05,11,77002,,1,Medicare"),
                    "guidance_included")
    assert medicare.message.startswith("77002 billed with 64449, the procedure it guides: NCCI bundles 77002 into "
                                       "64449, so it is not billed with it. NCCI PTP edit 64449/77002 (NCCI PTP "
                                       "practitioner v30.2")
    assert "X-NCCI-PTP-302" in medicare.sources
    r = audit(catalog, "B2,2024-08-05,11,64449,,1,Other\nB2,2024-08-05,11,77002,,1,Other")
    assert kinds(r) == [("B2", 3, "ncci_guidance_bundled")]
    f = only(r, "ncci_guidance_bundled")
    assert f.severity == "warning" and f.kind_id == "GC-A29" and f.confidence == "medium"
    assert "NCCI PTP edit 64449/77002" in f.message and "check whether this payer applies NCCI" in f.message


# --- pair edits: the modifier indicator ------------------------------------------------------------------------

def test_a_guidance_line_beside_a_procedure_that_bundles_it_needs_the_distinct_modifier(catalog: Catalog) -> None:
    """77002 is for 64405 (occipital); 64483 on the same claim bundles 77002 (64483/77002, indicator 1)."""
    rows = ("D1,2024-08-05,24,64405,,1,Medicare\nD1,2024-08-05,24,64483,,1,Medicare\n"
            "D1,2024-08-05,24,77002,26,1,Medicare")
    f = only(audit(catalog, rows), "ncci_missing_modifier")
    assert (f.line, f.expected, f.severity, f.kind_id) == (4, "77002-26-XS", "error", "GC-A30")
    assert "NCCI PTP edit 64483/77002 (NCCI PTP practitioner v30.2" in f.message
    assert "Bill 77002-XS only if" in f.message
    assert {"X-NCCI-PTP-302", "X-NCCI-PM-I", "S19"} <= set(f.sources)
    for mods in ("26 XS", "26 59", "26 XU"):  # a distinct-procedure modifier on the line: nothing to say
        assert kinds(audit(catalog, rows.replace(",26,1,Medicare", f",{mods},1,Medicare"))) == []
    other = only(audit(catalog, rows.replace("Medicare", "Other")), "ncci_missing_modifier")
    assert other.expected == "77002-26-59"  # the payer's modifier (rules.yaml distinct_modifier)


def test_two_guidance_codes_of_two_modalities_are_checked_together(catalog: Catalog) -> None:
    """76942/77002 (indicator 1): the engine answers one modality at a time, the audit pairs the billed lines."""
    rows = ("G1,2024-08-05,11,20552,,1,Medicare\nG1,2024-08-05,11,76942,,1,Medicare\n"
            "G1,2024-08-05,11,64405,,1,Medicare\nG1,2024-08-05,11,77002,,1,Medicare")
    r = audit(catalog, rows)
    assert [(k, ln) for _, ln, k in kinds(r)] == [("ncci_missing_modifier", 5)]
    f = only(r, "ncci_missing_modifier")
    assert f.expected == "77002-XS" and "NCCI PTP edit 76942/77002" in f.message and "77002 is column two" in f.message


def test_an_indicator_0_pair_is_never_billed_together(catalog: Catalog) -> None:
    rows = "Z1,{d},11,62263,,1,Medicare\nZ1,{d},11,72275,,1,Medicare"
    f = only(audit(catalog, rows.format(d="2021-06-01")), "ncci_pair_never")
    assert (f.line, f.expected, f.severity, f.kind_id) == (3, "no 72275 (with 62263)", "error", "GC-A31")
    assert "NCCI PTP edit 62263/72275 (NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30), modifier indicator 0" \
        in f.message
    # the edit ends 2021-12-31 (its deletion date): after it, no finding and no "not checked" (inside the scope)
    assert [f.kind for f in audit(catalog, rows.format(d="2022-06-01")).findings
            if f.kind.startswith("ncci_") and f.kind != "ncci_outside_quarter"] == []


def test_a_guidance_line_the_engine_withheld_for_an_indicator_0_edit_is_that_edit_not_unsupported(
        catalog: Catalog) -> None:
    """Made-up: 64483/77002 as indicator 0 (CMS gives 1). The engine withholds the 77002 line for 64405; the
    audit says why (the edit), not that no procedure takes the guidance."""
    made_up = with_ptp_rows(catalog, {("64483", "77002"): 0})
    r = audit(made_up, "W1,2024-08-05,11,64405,,1,Medicare\nW1,2024-08-05,11,64483,,1,Medicare\n"
                       "W1,2024-08-05,11,77002,,1,Medicare")
    assert [k for _, _, k in kinds(r)] == ["ncci_pair_never"]
    assert "NCCI PTP edit 64483/77002" in only(r, "ncci_pair_never").message


@pytest.fixture(scope="module")
def imported(catalog: Catalog) -> Catalog:
    """The built-in data with the CMS-layout fixtures imported as a data pack (made-up rows: 62321/62323 with
    indicator 1, 62323 in column two), as tests/test_ncci_engine.py does."""
    return with_fixture_tables(catalog)


def test_two_procedures_with_an_imported_edit_and_without_the_modifier(imported: Catalog, catalog: Catalog) -> None:
    rows = "P1,2024-08-05,24,62321,,1,Medicare\nP1,2024-08-05,24,62323,{m},1,Medicare"
    r = audit(imported, rows.format(m=""))
    f = only(r, "ncci_missing_modifier")
    assert (f.line, f.billed, f.expected) == (3, "62323 \u00d71", "62323-XS")
    assert f.message.startswith("62323 billed with 62321 on one claim without a distinct-procedure modifier")
    assert "modifier indicator 1" in f.message and "ncci_not_checked" not in {x.kind for x in r.findings}
    # with XS on 62323: nothing of NCCI (62323 without a guidance code keeps its modality_inferred note)
    assert [k for _, _, k in kinds(audit(imported, rows.format(m="XS")))] == ["modality_inferred"]
    # with the built-in table the same pair was not checked: a note, never "no edit"
    note = only(audit(catalog, rows.format(m="")), "ncci_not_checked")
    assert note.message.startswith("NCCI pair edits not checked for 62321 + 62323: NCCI PTP practitioner v30.2")
    assert note.sources == () and note.kind_id == "GC-A34"


def test_pairs_not_checked_fold_into_one_note_with_the_pairs_and_counts(catalog: Catalog) -> None:
    rows = "".join(f"A{i},2024-08-05,22,62321,,1,Other\nA{i},2024-08-05,22,62323,,1,Other\n" for i in range(40))
    rows += "".join(f"B{i},2024-08-06,22,62282,,1,Other\nB{i},2024-08-06,22,62281,,1,Other\n" for i in range(10))
    r = audit(catalog, rows)
    f = only(r, "ncci_not_checked")
    assert f.count == 50 and f.severity == "info"
    assert f.message.startswith("NCCI pair edits not checked for 50 code pairs on 50 claims (first at line 3): "
                                "62321+62323 \u00d740, 62281+62282 \u00d710. NCCI PTP practitioner v30.2")
    assert "python -m desktop import-ncci" in f.message
    assert r.summary.unfolded_by_kind["ncci_not_checked"] == 50 and r.summary.by_kind["ncci_not_checked"] == 1


# --- MUEs by MAI -------------------------------------------------------------------------------------------------

def test_units_above_an_mue_by_mai(catalog: Catalog) -> None:
    # MAI 2 (policy): 64483 right and left on two lines are 2 units against an MUE of 1: an error
    f = only(audit(catalog, "U1,2024-08-05,22,64483,RT,1,Medicare\nU1,2024-08-05,22,64483,LT,1,Medicare"),
             "mue_exceeded")
    assert (f.line, f.severity, f.expected, f.kind_id) == (2, "error", "64483 \u00d71 for the day", "GC-A32")
    assert f.message.startswith("64483 billed \u00d72 on 2 lines for the date of service, above CMS's MUE for 64483: "
                                "1 (MAI 2, date-of-service edit, policy; NCCI MUE practitioner 2024Q3 (2024-07-01 to "
                                "2024-09-30)).")
    assert "on appeal neither" in f.message and f.sources[0] == "X-NCCI-MUE-2024Q3"
    assert [x.kind for x in billing(audit(catalog, "U2,2024-08-05,22,64483,50,1,Medicare"))] == []
    # MAI 3 (clinical): 20610 x3 against 2: a warning, more only with documentation on appeal
    g = only(audit(catalog, "U3,2024-08-05,11,20610,,3,Medicare"), "mue_exceeded")
    assert g.severity == "warning" and "MAI 3, date-of-service edit, clinical" in g.message and "appeal" in g.reason
    # another payer: a folded note (many payers adopt CMS's MUEs)
    h = only(audit(catalog, "U4,2024-08-05,11,20610,,3,Other"), "mue_other_payer")
    assert h.severity == "info" and h.expected == "" and "many other payers adopt them" in h.message


def test_an_mai_1_line_edit_counts_each_line(catalog: Catalog) -> None:
    """Made-up: 20610 with MUE 1 and MAI 1 (CMS gives 2, MAI 3): a line edit counts each line's units."""
    table = catalog.ncci.mue_tables[0]
    by_code = dict(table.by_code)
    by_code["20610"] = replace(by_code["20610"], value=1, mai=1)
    made_up = replace(catalog, ncci=replace(catalog.ncci, mue_tables=(MueTable(table.version, by_code),)))
    assert isinstance(by_code["20610"], Mue)
    assert [x.kind for x in billing(audit(made_up, "L1,2024-08-05,11,20610,RT,1,Medicare\n"
                                                   "L1,2024-08-05,11,20610,LT,1,Medicare"))] == []
    f = only(audit(made_up, "L2,2024-08-05,11,20610,RT,2,Medicare"), "mue_exceeded")
    assert f.message.startswith("20610 billed \u00d72 on one line, above CMS's MUE for 20610: 1 (MAI 1, line edit;")
    assert f.expected == "20610 \u00d71 on this line" and "further lines" in f.reason


def test_a_unit_finding_names_the_mue_instead_of_a_second_finding(catalog: Catalog) -> None:
    r = audit(catalog, "V1,2024-08-05,24,62282,,1,Medicare\nV1,2024-08-05,24,62281,,1,Medicare\n"
                       "V1,2024-08-05,24,77003,26,1,Medicare\nV1,2024-08-05,24,77003,26 XS,1,Medicare")
    assert [k for _, _, k in kinds(r)] == ["units_per_encounter"]
    f = only(r, "units_per_encounter")
    assert "CMS's MUE for 77003: 1 (MAI 3, date-of-service edit, clinical; NCCI MUE practitioner 2024Q3" in f.message
    assert "X-NCCI-MUE-2024Q3" in f.sources


# --- versions and quarters ------------------------------------------------------------------------------------

def test_claims_outside_the_quarter_give_one_warning_with_the_count(catalog: Catalog) -> None:
    rows = ("Q1,2025-01-10,11,64405,,1,Other\nQ1,2025-01-10,11,77002,,1,Other\n"
            "Q2,2025-03-03,11,64405,,1,Other\nQ2,2025-03-03,11,77002,,1,Other\n"
            "Q2,2025-03-04,11,64405,,1,Other\nQ2,2025-03-04,11,77002,,1,Other\n"
            "Q3,2024-08-05,11,64405,,1,Other\nQ3,2024-08-05,11,77002,,1,Other")
    r = audit(catalog, rows)
    f = only(r, "ncci_outside_quarter")
    assert (f.count, f.line, f.claim_id, f.severity, f.kind_id) == (3, 2, "", "warning", "GC-A35")
    text = ("3 encounters on 2 claims (dates of service 2025-01-10 to 2025-03-04) are outside the quarter of the NCCI "
            f"tables that answered them ({LABEL}): the edits and MUEs may differ on those dates.")
    assert f.message.startswith(text) and f.where == "first: claim Q1, line 2"
    assert set(f.sources) == {"X-NCCI-PTP-302", "X-NCCI-MUE-2024Q3"}
    s = r.summary
    assert (s.ncci_outside, s.ncci_outside_claims, s.ncci_used) == (3, 2, {LABEL: 4})
    assert s.ncci_warning.startswith(text) and f"\nWARNING: {text}" in s.text()
    assert s.as_dict()["ncci_outside_quarter"] == 3 and s.as_dict()["ncci_versions_used"] == {LABEL: 4}
    buf = io.StringIO()
    write_csv(r.findings, buf)
    assert [row["kind"] for row in csv.DictReader(io.StringIO(buf.getvalue()))].count("ncci_outside_quarter") == 1
    # inside the quarter: no warning at all
    inside = audit(catalog, rows.replace("2025-01-10", "2024-08-06").replace("2025-03-0", "2024-08-0"))
    assert "ncci_outside_quarter" not in {x.kind for x in inside.findings} and inside.summary.ncci_warning == ""


def test_the_pdf_summary_page_names_the_ncci_tables_and_the_warning(qapp, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.audit_pdf import report_html

    r = audit(catalog, "Q1,2025-01-10,11,64405,,1,Other\nQ1,2025-01-10,11,77002,,1,Other")
    html = report_html(r, r.findings, catalog)
    assert "NCCI tables" in html and "NCCI PTP practitioner v30.2" in html
    assert "NCCI warning" in html and "1 encounter on 1 claim (date of service 2025-01-10) is outside" in html


def test_a_catalog_without_ncci_tables_checks_none_and_says_so(catalog: Catalog) -> None:
    from desktop.core.ncci.model import NcciData

    bare = replace(catalog, ncci=NcciData())
    r = audit(bare, "N1,2025-03-03,24,64483,,2,Medicare\nN1,2025-03-03,24,62321,,1,Medicare")
    assert not [f for f in r.findings if f.kind.startswith(("ncci_", "mue_"))]
    assert r.summary.ncci_version == "" and "NCCI: no NCCI table" in r.summary.text()


# --- the images column ---------------------------------------------------------------------------------------

IMG = HEADER + ",images_recorded"


@pytest.mark.parametrize(("header", "value", "stated"), [
    ("images_recorded", "yes", True), ("Images", "NO", False), ("US Images", "true", True),
    ("us_images", "0", False), ("images", "1", True), ("images recorded", "", None), ("images", "N", False),
])
def test_the_images_column_is_read_by_its_aliases_and_values(header: str, value: str, stated: bool | None) -> None:
    from desktop.core.audit import read_claims

    good, bad, _ = read_claims(f"{HEADER},{header}\nI1,2024-08-05,11,20552,,1,Other,{value}\n", AuditOptions())
    assert bad == [] and good[0].images_recorded is stated


def test_a_bad_images_value_is_a_malformed_row_described_not_copied(catalog: Catalog) -> None:
    r = audit(catalog, "I1,2024-08-05,11,20552,,1,Other,maybe\nI1,2024-08-05,11,76942,,1,Other,yes", header=IMG)
    f = only(r, "malformed_row")
    assert f.line == 2 and "bad images recorded value (5 characters: letters, not shown)" in f.message
    assert "maybe" not in f.message


def test_ultrasound_guidance_with_the_images_not_recorded(catalog: Catalog) -> None:
    rows = "I2,2024-08-05,11,20552,,1,Other,{v}\nI2,2024-08-05,11,76942,,1,Other,{v}"
    f = only(audit(catalog, rows.format(v="no"), header=IMG), "images_not_recorded")
    assert (f.line, f.expected, f.severity, f.kind_id) == (3, "no 76942", "error", "GC-A36")
    assert f.sources == ("S307", "S308", "S309") and "not separately reportable" in f.message
    assert [k for _, _, k in kinds(audit(catalog, rows.format(v="no"), header=IMG))] == ["images_not_recorded"]
    assert kinds(audit(catalog, rows.format(v="yes"), header=IMG)) == []
    assert "images_not_stated" not in {x.kind for x in audit(catalog, rows.format(v="yes"), header=IMG).findings}
    note = only(audit(catalog, rows.format(v=""), header=IMG), "images_not_stated")
    assert note.severity == "info" and note.line == 3 and note.kind_id == "GC-A37"
    # lines that disagree count as not stated
    mixed = audit(catalog, "I3,2024-08-05,11,20552,,1,Other,yes\nI3,2024-08-05,11,76942,,1,Other,no", header=IMG)
    assert {x.kind for x in mixed.findings} == {"images_not_stated"}


def test_a_code_that_includes_ultrasound_with_the_images_column(catalog: Catalog) -> None:
    rows = "I4,2024-08-05,11,20611,RT,1,Other,{v}"
    f = only(audit(catalog, rows.format(v="no"), header=IMG), "images_not_recorded")
    assert f.expected == "20610" and f.message.startswith("20611 includes ultrasound guidance, but the claim says the "
                                                          "images were not recorded")
    assert "S310" in f.sources
    assert kinds(audit(catalog, rows.format(v="yes"), header=IMG)) == []  # images recorded: ultrasound was used
    assert [k for _, _, k in kinds(audit(catalog, rows.format(v=""), header=IMG))] == ["modality_inferred"]
    both = audit(catalog, rows.format(v="no") + "\nI4,2024-08-05,11,76942,,1,Other,no", header=IMG)
    assert [(ln, k) for _, ln, k in kinds(both)] == [(2, "images_not_recorded"), (3, "images_not_recorded")]


def test_the_cli_reads_a_named_images_column(tmp_path: Path) -> None:
    claims = tmp_path / "c.csv"
    claims.write_text("claim_id,date_of_service,place_of_service,code,Pics\nK,2024-08-05,11,20552,n\n"
                      "K,2024-08-05,11,76942,n\n", encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "desktop", "audit", str(claims), "--format", "json", "--columns",
                           "images_recorded=Pics"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
                          check=False)
    assert proc.returncode == 1, proc.stderr
    assert [f["kind"] for f in json.loads(proc.stdout)["findings"]] == ["images_not_recorded"]


def test_the_shape_cache_keeps_the_images_and_the_ncci_apart(catalog: Catalog, monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """Encounters of the same codes that differ only in the images column or in the NCCI quarter of their date
    are told apart by the cache: the findings are those of checking every encounter afresh."""
    from desktop.core.audit.run import EncounterChecker

    block = ("{c}1,{d},11,20552,,1,Other,{v}\n{c}1,{d},11,76942,,1,Other,{v}\n"
             "{c}2,{d},24,64405,,1,Medicare,\n{c}2,{d},24,64483,,1,Medicare,\n{c}2,{d},24,77002,26,1,Medicare,\n"
             "{c}3,{d},22,64483,RT,1,Medicare,\n{c}3,{d},22,64483,LT,1,Medicare,\n")
    rows = "".join(block.format(c=f"{p}{n}", d=d, v=v) for n in range(3)
                   for p, d, v in (("A", "2024-08-05", "no"), ("B", "2024-08-06", "yes"), ("C", "2024-08-07", ""),
                                   ("D", "2024-06-28", "no"), ("E", "2025-02-03", "")))
    cached = audit(catalog, rows, header=IMG)
    monkeypatch.setattr(EncounterChecker, "templates", lambda self, group: None)
    fresh = audit(catalog, rows, header=IMG)
    assert [f.as_dict() for f in cached.findings] == [f.as_dict() for f in fresh.findings]
    assert cached.summary == fresh.summary
    assert {f.kind for f in cached.findings} >= {"images_not_recorded", "images_not_stated", "ncci_missing_modifier",
                                                 "mue_exceeded", "ncci_outside_quarter"}
