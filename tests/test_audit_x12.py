"""837P input (issue 16): ASC X12 5010 837P files read and validated with pyx12, audited like the CSV.

The fixtures in tests/fixtures/x12/ are written by bench/synth_837p.py (made-up patients and ids):
claims-837p.txt is accepted by pyx12's own validator; the broken-*.txt variants are not, and each must be
reported with pyx12's error and its segment while the other claims are still audited.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.core.audit import AuditInputError, audit_bytes, audit_file
from desktop.core.model import Catalog
from tests.auditkit import REMINDER_KINDS, billing

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "x12"
GOOD = FIX / "claims-837p.txt"
sys.path.insert(0, str(ROOT / "bench"))
import synth_837p  # noqa: E402

PATIENT_DATA = ("TESTPATIENT", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT", "ZZ000000", "19410202",
                "19520303", "19630404", "19740505", "19850606", "1 TEST STREET")


def test_the_fixture_is_what_synth_writes_and_pyx12_accepts_it() -> None:
    import pyx12.params
    import pyx12.x12n_document

    assert GOOD.read_text(encoding="ascii") == synth_837p.interchange(synth_837p.fixture_claims())
    ack = io.StringIO()
    assert pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), str(GOOD), ack, None) is True
    assert "IK5*A" in ack.getvalue()  # accepted transaction set
    for name, text in synth_837p.broken_variants().items():
        assert (FIX / f"broken-{name}.txt").read_text(encoding="ascii") == text
        assert pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), str(FIX / f"broken-{name}.txt"),
                                                 io.StringIO(), None) is False, name


def test_the_fixture_is_audited_like_the_csv(catalog: Catalog) -> None:
    r = audit_file(catalog, GOOD)
    got = [(f.claim_id, f.kind, f.severity) for f in billing(r)]
    assert got == [
        ("X12-001", "guidance_included", "error"),  # bilateral TFESI 64483-50 with 77003-26: included (S6)
        ("X12-003", "units_per_encounter", "error"),  # Medicare (SBR09 MB): one 77003 per encounter (NCCI ch. IX)
        ("X12-004", "missing_26", "error"),  # POS 22 (CLM05-1): 77002 without 26
        ("X12-005", "redirect_primary", "error"),  # commercial (SBR09 CI), POS 11: 20610 + 76942 -> 20611
    ]
    s = r.summary
    assert (s.source_format, s.claims_checked, s.lines_read, s.rows_skipped) == ("837p", 5, 12, 0)
    assert (s.first_date, s.last_date) == ("2025-03-10", "2025-03-14")
    f = billing(r)[0]
    # findings cite the claim id, the service line (LX) and the segment position
    assert f.where == "claim X12-001 line 2 (LX*2), SV1 at segment 26" and f.line == 26
    assert "S6" in f.sources and f.kind_id == "GC-A01"


def test_payer_from_sbr09_or_payer_id_or_name(catalog: Catalog) -> None:
    from desktop.core.audit import AuditOptions

    claims = synth_837p.fixture_claims()
    x3 = claims[2]
    import dataclasses

    commercial = dataclasses.replace(x3, filing="CI", payer_name="TEST COMMERCIAL HEALTH", payer_id="12345")
    text = synth_837p.interchange([commercial]).encode()
    assert [f.kind for f in billing(audit_bytes(catalog, text))] == []  # other payer: per region, 59 is right
    by_id = billing(audit_bytes(catalog, text, AuditOptions(medicare_payer_ids=frozenset({"12345"}))))
    assert [f.kind for f in by_id] == ["units_per_encounter"]
    by_name = dataclasses.replace(commercial, payer_name="MEDICARE OF TESTLAND")
    assert [f.kind for f in billing(audit_bytes(catalog, synth_837p.interchange([by_name]).encode()))] == [
        "units_per_encounter"]


def test_sv105_overrides_the_claims_place_of_service(catalog: Catalog) -> None:
    c = synth_837p.Claim("P1", "11", "20250310", [synth_837p.Service("64405", pos="22"),
                                                  synth_837p.Service("77002", pos="22")], filing="CI",
                         payer_name="TEST HEALTH", payer_id="12345")
    r = audit_bytes(catalog, synth_837p.interchange([c]).encode())
    assert [f.kind for f in billing(r)] == ["missing_26"]


def test_837p_does_not_say_whether_images_were_recorded(catalog: Catalog) -> None:
    """The 837P has no element for recorded ultrasound images: every claim read from one is "not stated", so an
    ultrasound guidance line gets the images_not_stated note, never images_not_recorded (docs/audit.md)."""
    c = synth_837p.Claim("U1", "11", "20240805", [synth_837p.Service("20552"), synth_837p.Service("76942")],
                         filing="CI", payer_name="TEST HEALTH", payer_id="12345")
    r = audit_bytes(catalog, synth_837p.interchange([c]).encode())
    assert [(f.claim_id, f.kind) for f in r.findings] == [("U1", "images_not_stated")]
    assert r.findings[0].reason.startswith("CPT's ultrasound guideline requires permanently recorded images")


@pytest.mark.parametrize(("name", "segment", "needle"), [
    ("missing_dtp", "DTP", 'Mandatory segment "Date - Service Date" (DTP) missing'),
    ("stray_segment", "ZZZ", "segment not recognised here"),
    ("missing_code", "SV1", "SV101-02"),
    ("truncated", "", "Transaction Set Trailer"),
])
def test_a_broken_file_is_reported_with_its_segment_and_the_rest_is_audited(
        catalog: Catalog, name: str, segment: str, needle: str) -> None:
    r = audit_file(catalog, FIX / f"broken-{name}.txt")
    errors = [f for f in r.findings if f.kind == "x12_error"]
    assert errors, [f.message for f in r.findings]
    hit = [f for f in errors if needle in f.message]
    assert hit, [f.message for f in errors]
    assert all(f.where.startswith("segment ") and f.line > 0 for f in errors)
    if segment:
        assert any(f"({segment})" in f.where for f in hit), [f.where for f in hit]
    # the claims the parser can recover are still audited: X12-001's included 77003 is found in every variant
    assert ("X12-001", "guidance_included") in {(f.claim_id, f.kind) for f in r.findings}
    assert r.has_errors


def test_missing_service_date_falls_back_to_the_claims_date(catalog: Catalog) -> None:
    r = audit_file(catalog, FIX / "broken-missing_dtp.txt")
    f = next(f for f in r.findings if f.kind == "redirect_primary")
    assert f.claim_id == "X12-005" and f.date_of_service == "2025-03-14"
    assert "no DTP*472, the claim's date 2025-03-14 used" in f.where


def test_a_service_line_without_a_code_is_a_malformed_row(catalog: Catalog) -> None:
    r = audit_file(catalog, FIX / "broken-missing_code.txt")
    bad = [f for f in r.findings if f.kind == "malformed_row"]
    assert len(bad) == 1 and bad[0].claim_id == "X12-004" and "SV101-2" in bad[0].message


@pytest.mark.parametrize("text", [b"ISA*00*short~", b"ISA" + b"x" * 200,
                                  b"ISA*TESTPATIENT ZEBULON\n" + b"9" * 120])
def test_not_an_interchange_fails_with_one_sentence(catalog: Catalog, text: bytes) -> None:
    with pytest.raises(AuditInputError, match="X12") as info:
        audit_bytes(catalog, text)
    message = str(info.value)
    assert "\n" not in message and "TESTPATIENT" not in message and "ZEBULON" not in message


def test_no_segment_terminator_for_a_megabyte_stops_with_a_finding(catalog: Catalog) -> None:
    head = GOOD.read_text(encoding="ascii").split("~\n")
    text = "~\n".join(head[:3]) + "~\nBHT*" + "A" * 2_000_000
    r = audit_bytes(catalog, text.encode())
    assert [f.kind for f in r.findings] == ["x12_error"] and "has no terminator" in r.findings[0].message


def test_no_patient_data_in_the_reports_of_an_837p(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    written = []
    for fmt in ("csv", "json"):
        for src in (GOOD, FIX / "broken-missing_dtp.txt", FIX / "broken-stray_segment.txt"):
            out = tmp_path / f"{src.stem}.{fmt}"
            proc = subprocess.run([sys.executable, "-m", "desktop", "audit", str(src), "--out", str(out),
                                   "--format", fmt], cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=120, check=False)
            assert proc.returncode == 1, proc.stderr
            written.append(out.read_text(encoding="utf-8-sig"))
            written.append(proc.stdout + proc.stderr)
    assert json.loads(written[6])["summary"]["format"] == "837p"
    for text in written:
        for phi in PATIENT_DATA:
            assert phi not in text, phi


def test_cli_detects_837p_by_content() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "desktop", "audit", "-", "--format", "json"],
                          input=GOOD.read_bytes(), cwd=ROOT, env=env, capture_output=True, timeout=120,
                          check=False)
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    kinds = [f["kind"] for f in out["findings"] if f["kind"] not in REMINDER_KINDS]
    assert kinds == ["guidance_included", "units_per_encounter", "missing_26", "redirect_primary"]
    # the fixture is dated 2025, after the built-in NCCI quarter: one warning row, and the summary says so
    assert out["summary"]["ncci_outside_quarter"] == 5 and "outside the quarter" in out["summary"]["ncci_warning"]


def test_envelope_only_reading_gives_the_same_findings_and_checks_the_envelope(catalog: Catalog) -> None:
    from desktop.core.audit import AuditOptions

    fast = AuditOptions(x12_validate=False)
    full = audit_file(catalog, GOOD)
    quick = audit_file(catalog, GOOD, fast)
    assert [(f.claim_id, f.kind, f.where) for f in quick.findings] == [(f.claim_id, f.kind, f.where)
                                                                      for f in full.findings]
    # pyx12's segment reader still counts segments (SE01) and notices a file cut off before its trailers
    stray = audit_file(catalog, FIX / "broken-stray_segment.txt", fast)
    assert any(f.kind == "x12_error" and "ST envelope error" in f.message for f in stray.findings)
    cut = audit_file(catalog, FIX / "broken-truncated.txt", fast)
    assert any(f.kind == "x12_error" and "cut off" in f.message for f in cut.findings)
    # and the stray segment itself is only found by the full validation
    assert not any("ZZZ" in f.where for f in stray.findings)
    assert any("(ZZZ)" in f.where for f in audit_file(catalog, FIX / "broken-stray_segment.txt").findings)


def _edge_cases() -> dict[str, str]:
    """Fixture variants aimed at pyx12's reader checks: each must come out of GuideCode's reader exactly as out
    of pyx12's."""
    good = GOOD.read_text(encoding="ascii")
    return {
        "leading_space": good.replace("~\nN3*", "~\n N3*", 1),
        "trailing_terminator": good.replace("~\nDMG*D8*19410202*F~", "~\nDMG*D8*19410202*F*~", 1),
        "empty_segment": good.replace("~\nHI*", "~\nN3~\nHI*", 1),
        "only_separators": good.replace("~\nHI*", "~\nREF*:*~\nHI*", 1),
        "empty_first_element": good.replace("~\nHI*", "~\nREF**X~\nHI*", 1),
        "bad_segment_id": good.replace("~\nHI*", "~\nn3*X~\nHI*", 1),
        "long_segment_id": good.replace("~\nHI*", "~\nABCD*X~\nHI*", 1),
        "two_terminators": good.replace("~\nHI*", "~~\nHI*", 1),
        "hl_numbering": good.replace("HL*3*1*22*0", "HL*7*1*22*0", 1),
        "hl_parent": good.replace("HL*3*1*22*0", "HL*3*9*22*0", 1),
        "se_count": re.sub(r"SE\*(\d+)\*", lambda m: f"SE*{int(m.group(1)) + 2}*", good, count=1),
        "crlf": good.replace("~\n", "~\r\n"),
        "no_newlines": good.replace("~\n", "~"),
        "segment_over_8k": good.replace("~\nHI*", "~\nNTE*ADD*" + "X" * 9000 + "~\nHI*", 1),
    }


def _pyx12_view(seg: object) -> tuple[str, list[list[str]]]:
    from desktop.core.audit.x12 import _Plain

    if isinstance(seg, _Plain):
        return seg.els[0], [e.split(seg.sub) for e in seg.els[1:]]
    return (str(seg.get_seg_id()),  # type: ignore[attr-defined]
            [[str(m.value) for m in comp.elements] for comp in seg.elements])  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["good", *sorted(synth_837p.broken_variants()), *sorted(_edge_cases())])
def test_guidecodes_segment_reader_reads_every_file_as_pyx12s_does(name: str) -> None:
    """The envelope mode's reader (x12._reader_class: pyx12's checks without pyx12's element objects for the
    segments they never read, and a tokenizer that splits a buffer at once) gives the same segments, the same
    segment numbers and the same pyx12 errors as pyx12's own X12Reader, segment by segment."""
    import pyx12.x12file

    from desktop.core.audit.x12 import _Plain, _reader_class

    text = {"good": GOOD.read_text(encoding="ascii"), **synth_837p.broken_variants(), **_edge_cases()}[name]
    ours = _reader_class()(io.StringIO(text))
    theirs = pyx12.x12file.X12Reader(io.StringIO(text))
    got, want = [], []
    for line, sid, seg in ours:
        got.append((line, sid, _pyx12_view(seg), ours.pop_errors()))
    for seg in theirs:
        want.append((theirs.get_cur_line(), seg.get_seg_id(), _pyx12_view(seg), theirs.pop_errors()))
    assert got == want
    ours.cleanup()
    theirs.cleanup()
    assert ours.pop_errors() == theirs.pop_errors()
    assert ours.raw.buffer == theirs.raw.buffer  # what is left unread (a segment without its terminator)
    if name == "good":  # most segments skip pyx12's element objects; the envelope and HL segments never do
        kinds = {(sid, isinstance(seg, _Plain)) for _, sid, seg in _reader_class()(io.StringIO(text))}
        assert ("SV1", True) in kinds and ("NM1", True) in kinds
        assert not any(plain for sid, plain in kinds if sid in ("ISA", "GS", "ST", "HL", "SE", "GE", "IEA"))
