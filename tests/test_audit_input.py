"""Claims input that must neither crash nor lose anything (issue 12, audit parts): encodings, newlines,
quotes, headers, the report's file, patient columns, bounded work, and fuzzing.

Each test builds its input; "fake PHI" is made-up patient data in columns the audit does not use, and no file
the audit writes may contain it.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.core.audit import (
    NOTE_KINDS,
    AuditInputError,
    AuditOptions,
    ColumnsNotRecognised,
    audit_bytes,
    audit_text,
    check_encoding,
    detect_encoding,
    write_report,
)
from desktop.core.model import Catalog
from tests.auditkit import billing

ROOT = Path(__file__).resolve().parents[1]
HEADER = "claim_id,date_of_service,place_of_service,code,modifiers,units"
ROWS = "A,2025-03-03,11,64483,,1\nA,2025-03-03,11,77003,,1\nB,2025-03-04,22,64405,,1\nB,2025-03-04,22,77002,,1\n"
EXPECTED = [("A", "guidance_included"), ("B", "missing_26")]


def pairs(report) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(f.claim_id, f.kind) for f in billing(report)]


def run_cli(*args: str, stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "desktop", "audit", *args], input=stdin, capture_output=True,
                          cwd=cwd, env=env, timeout=300, check=False)


# --- encodings and newlines ---------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                      "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_utf16_utf32_with_or_without_bom_and_any_newline_are_read(catalog: Catalog, encoding: str,
                                                                   newline: str) -> None:
    text = (HEADER + "\n" + ROWS).replace("\n", newline)
    report = audit_bytes(catalog, text.encode(encoding))
    assert pairs(report) == EXPECTED, (encoding, repr(newline))
    assert report.summary.lines_read == 4 and report.summary.rows_skipped == 0


def test_detect_encoding_from_zero_bytes() -> None:
    sample = (HEADER + "\n" + ROWS).encode
    assert detect_encoding(sample("utf-16-le")) == "utf-16-le"
    assert detect_encoding(sample("utf-16-be")) == "utf-16-be"
    assert detect_encoding(sample("utf-32-le")) == "utf-32-le"
    assert detect_encoding(sample("utf-32-be")) == "utf-32-be"
    assert detect_encoding(codecs.BOM_UTF16_LE + sample("utf-16-le")) == "utf-16"
    assert detect_encoding(sample("utf-8")) == "utf-8"
    assert detect_encoding(sample("utf-8"), "cp1252") == "cp1252"


@pytest.mark.parametrize("name", ["punycode", "idna", "rot13", "base64", "hex", "unicode_escape", "nonsense-x",
                                  "utf-7", "undefined", ""])
def test_encoding_names_that_are_not_text_file_charsets_are_refused(name: str) -> None:
    if name == "":
        assert check_encoding(name) is None  # auto
        return
    with pytest.raises(AuditInputError, match="encoding"):
        check_encoding(name)


def test_cli_stdin_honours_encoding_and_validates_its_name() -> None:
    data = (HEADER + "\nCl\u00e9-1,2025-03-03,11,64483,,1\nCl\u00e9-1,2025-03-03,11,77003,,1\n").encode("cp1252")
    proc = run_cli("-", "--encoding", "cp1252", "--format", "json", stdin=data)
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert [f["claim_id"] for f in out["findings"] if f["kind"] != "ncci_outside_quarter"] == ["Cl\u00e9-1"]
    # without it: a clear refusal, no traceback, no report that looks like a clean audit
    proc = run_cli("-", stdin=data)
    assert proc.returncode == 2 and b"--encoding cp1252" in proc.stderr and not proc.stdout
    for bad in ("punycode", "rot13", "no-such-codec"):
        proc = run_cli("-", "--encoding", bad, stdin=data)
        assert proc.returncode == 2 and b"Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and not proc.stdout


def test_bytes_that_do_not_decode_after_the_first_64_kib_are_counted_not_fatal(catalog: Catalog) -> None:
    body = "".join(f"C{i},2025-03-03,11,64405,,1,Other\n" for i in range(3000)).encode()
    bad = b"Z1,2025-03-03,11,64405,,1,Caf\xe9\n"
    report = audit_bytes(catalog, (HEADER + ",payer\n").encode() + body + bad + bad)
    f = [f for f in report.findings if f.kind == "unreadable_text"]
    assert len(f) == 1 and f[0].count == 2 and "--encoding" in f[0].message
    assert report.summary.lines_read == 3002


# --- quotes, long lines, blank lines ----------------------------------------------------------------------

def test_an_unterminated_quote_loses_only_its_own_line(catalog: Catalog) -> None:
    text = HEADER + '\nA,2025-03-03,11,64483,"RT,1\n' + ROWS
    report = audit_text(catalog, text)
    bad = [f for f in report.findings if f.kind == "malformed_row"]
    assert len(bad) == 1 and bad[0].line == 2
    assert "never closed" in bad[0].message and "reading went on at line 3" in bad[0].message
    assert [p for p in pairs(report) if p[1] != "malformed_row"] == EXPECTED
    assert report.summary.lines_read == 5


def test_a_quote_open_for_more_than_20_lines_is_cut_and_reading_goes_on(catalog: Catalog) -> None:
    rows = "".join(f"Q{i},2025-03-03,11,64405,,1\n" for i in range(40))
    text = HEADER + '\n"X,2025-03-03,11,64405,,1\n' + rows + ROWS
    report = audit_text(catalog, text)
    bad = [f for f in report.findings if f.kind == "malformed_row"]
    assert [f.line for f in bad] == [2] and "not closed within 20 lines" in bad[0].message
    assert pairs(report)[-2:] == EXPECTED and report.summary.encounters_checked == 42


def test_a_legitimate_multiline_quoted_field_and_a_literal_quote_are_fine(catalog: Catalog) -> None:
    text = HEADER + ',note\nA,2025-03-03,11,64483,,1,"two\nlines"\nA,2025-03-03,11,77003,,1,12" needle\n'
    assert pairs(audit_text(catalog, text)) == [("A", "guidance_included")]


def test_a_line_longer_than_64_kib_is_a_malformed_row(catalog: Catalog) -> None:
    text = HEADER + ",note\nA,2025-03-03,11,64483,,1,x\n" + "Z," + "y" * 200_000 + "\nA,2025-03-03,11,77003,,1,x\n"
    report = audit_text(catalog, text)
    assert [(f.line, f.kind) for f in billing(report)] == [(3, "malformed_row"), (4, "guidance_included")]
    assert "longer than 65,536 characters" in billing(report)[0].message


def test_blank_lines_before_a_semicolon_header_are_ignored(catalog: Catalog) -> None:
    text = "\n\n  \n" + HEADER.replace(",", ";") + "\n" + ROWS.replace(",", ";")
    report = audit_text(catalog, text)
    assert pairs(report) == EXPECTED and billing(report)[0].line == 6


# --- headers ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "named"), [
    ("claim_id,date_of_service,place_of_service,code,code,units", ("'code' (column 4)", "'code' (column 5)")),
    ("claim_id,date_of_service,place_of_service,cpt,code,units", ("'cpt' (column 4)", "'code' (column 5)")),
    ("claim,encounter id,dos,pos,cpt", ("'claim' (column 1)", "'encounter id' (column 2)")),
    ("claim_id,dos,date,pos,cpt", ("'dos' (column 2)", "'date' (column 3)")),
])
def test_duplicate_or_ambiguous_headers_are_refused_naming_the_columns(catalog: Catalog, header: str,
                                                                       named: tuple[str, ...]) -> None:
    with pytest.raises(ColumnsNotRecognised) as info:
        audit_text(catalog, header + "\nA,2025-03-03,11,64483,64483,1\n")
    for name in named:
        assert name in str(info.value)
    assert info.value.ambiguous


def test_an_ambiguous_header_is_resolved_by_naming_the_column(catalog: Catalog) -> None:
    text = "claim_id,date_of_service,place_of_service,cpt,code,units\nA,2025-03-03,11,64483,99999,1\n" \
           "A,2025-03-03,11,77003,99999,1\n"
    report = audit_text(catalog, text, AuditOptions(columns={"code": ("cpt",)}))
    assert pairs(report) == [("A", "guidance_included")]


# --- the report's file ----------------------------------------------------------------------------------------

def test_out_equal_to_the_input_or_a_data_file_is_refused_and_nothing_is_touched(tmp_path: Path) -> None:
    claims = tmp_path / "c.csv"
    claims.write_text(HEADER + "\n" + ROWS, encoding="utf-8")
    before = claims.read_bytes()
    for out in (claims, tmp_path / "." / "c.csv", ROOT / "resources" / "data" / "manifest.yaml"):
        data_before = out.read_bytes()
        proc = run_cli(str(claims), "--out", str(out))
        assert proc.returncode == 2 and b"a file the audit reads" in proc.stderr, proc.stderr
        assert out.read_bytes() == data_before
    assert claims.read_bytes() == before
    link = tmp_path / "link.csv"
    link.symlink_to(claims)
    proc = run_cli(str(claims), "--out", str(link))
    assert proc.returncode == 2 and claims.read_bytes() == before
    pack = tmp_path / "packs"
    (pack / "p").mkdir(parents=True)
    (pack / "p" / "pack.yaml").write_text("x: 1\n", encoding="utf-8")
    proc = run_cli(str(claims), "--data-dir", str(pack), "--out", str(pack / "p" / "pack.yaml"))
    assert proc.returncode == 2 and (pack / "p" / "pack.yaml").read_text(encoding="utf-8") == "x: 1\n"


def test_a_failed_write_leaves_the_previous_report_and_no_partial_file(catalog: Catalog, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    report = audit_text(catalog, HEADER + "\n" + ROWS * 300)
    out = tmp_path / "report.csv"
    out.write_text("previous report\n", encoding="utf-8")
    import desktop.core.audit.report as rep

    real = rep.finding_row
    calls = {"n": 0}

    def dying(f):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 100:
            raise OSError(28, "No space left on device")
        return real(f)

    monkeypatch.setattr(rep, "finding_row", dying)
    with pytest.raises(OSError, match="No space"):
        write_report(report, out, "csv")
    assert out.read_text(encoding="utf-8") == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rep, "write_json", full)
    with pytest.raises(OSError, match="No space"):
        write_report(report, out, "json")
    assert out.read_text(encoding="utf-8") == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


def test_a_killed_cli_never_leaves_a_partial_report_under_the_final_name(tmp_path: Path) -> None:
    import signal
    import time

    claims = tmp_path / "c.csv"
    # dated in the NCCI tables' quarter: a whole report is the header and one row per claim
    claims.write_text(HEADER + "\n" + "".join(f"C{i},2024-08-05,11,64483,,1\nC{i},2024-08-05,11,77003,,1\n"
                                              for i in range(60_000)), encoding="utf-8")
    out = tmp_path / "r.csv"
    out.write_text("previous\n", encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for delay in (0.5, 1.5, 2.5):
        proc = subprocess.Popen([sys.executable, "-m", "desktop", "audit", str(claims), "--out", str(out)],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        text = out.read_text(encoding="utf-8-sig")
        assert text == "previous\n" or (text.startswith("id,kind_id,claim_id") and
                                        len(text.splitlines()) == 60_001), (delay, len(text))
    # every temporary file is gone, or is only a temp (never the final name)
    assert all(p.name in ("c.csv", "r.csv") or p.name.startswith(".tmp-") for p in tmp_path.iterdir())


# --- patient data -------------------------------------------------------------------------------------------

PHI_HEADER = "claim_id,patient_name,member_id,patient_dob,date_of_service,place_of_service,code,modifiers,units"
PHI = ("Zebulon Quixote", "QX99887766", "1931-07-04", "Marigold Fennimore", "MF55443322", "1947-12-25")


def phi_file(path: Path) -> Path:
    rows = [
        "P1,Zebulon Quixote,QX99887766,1931-07-04,2025-03-03,11,64483,,1",
        "P1,Zebulon Quixote,QX99887766,1931-07-04,2025-03-03,11,77003,,1",
        # malformed: an unquoted comma in the name shifts the row; a bad date; a bad code; a bad units value
        "P2,Fennimore, Marigold,MF55443322,1947-12-25,2025-03-04,22,64405,,1",
        "P3,Marigold Fennimore,MF55443322,1947-12-25,2025-02-30,22,64405,,1",
        "P4,Marigold Fennimore,MF55443322,1947-12-25,2025-03-05,22,MF554,,1",
        "P5,Marigold Fennimore,MF55443322,1947-12-25,2025-03-05,22,64405,,Zebulon",
        "P6,Marigold Fennimore,MF55443322",
        '"P7,Marigold Fennimore,MF55443322,1947-12-25,2025-03-05,22,64405,,1',
    ]
    path.write_text(PHI_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_no_patient_column_reaches_any_file_the_cli_writes(tmp_path: Path) -> None:
    claims = phi_file(tmp_path / "claims.csv")
    home = Path(os.environ["HOME"])
    texts = []
    for fmt in ("csv", "json"):
        out = tmp_path / f"report.{fmt}"
        proc = run_cli(str(claims), "--out", str(out), "--format", fmt)
        assert proc.returncode == 1, proc.stderr
        texts += [out.read_text(encoding="utf-8-sig"), proc.stdout.decode(), proc.stderr.decode()]
        proc = run_cli("-", "--format", fmt, stdin=claims.read_bytes())
        texts += [proc.stdout.decode(), proc.stderr.decode()]
    report = json.loads(texts[5])
    assert report["summary"]["rows_skipped"] == 6
    # every file below the (test) home folder: settings, logs, caches
    for p in home.rglob("*"):
        if p.is_file():
            texts.append(p.read_bytes().decode("utf-8", "replace"))
    for t in texts:
        for phi in PHI:
            assert phi not in t, (phi, t[:300])
        assert "Zebulon" not in t and "Marigold" not in t


# --- bounded work -------------------------------------------------------------------------------------------

def test_finding_text_does_not_grow_with_the_lines_of_a_claim(catalog: Catalog) -> None:
    def size(n: int) -> tuple[int, int]:
        rows = "".join("BIG,2025-03-03,22,64483,,1\nBIG,2025-03-03,22,77003,,1\n" for _ in range(n // 2))
        r = audit_text(catalog, HEADER + "\n" + rows)
        return len(r.findings), max(len(f.message) + len(f.expected) + len(f.billed) for f in r.findings)

    n1, longest1 = size(400)
    n2, longest2 = size(4000)
    assert n2 >= n1  # findings may grow with lines, each finding's text does not
    assert longest2 <= longest1 + 40 and longest2 < 2000


def test_lines_of_a_claim_that_are_not_together_give_the_same_findings_as_sorted(catalog: Catalog) -> None:
    rows = [f"C{i % 7},2025-03-0{1 + i % 3},{'22' if i % 2 else '11'},{code},,1"
            for i, code in enumerate(["64483", "77003", "64405", "77002", "62273", "77003", "20610", "76942"] * 9)]
    mixed = audit_text(catalog, HEADER + "\n" + "\n".join(rows) + "\n")
    ordered = sorted(rows, key=lambda r: r.split(",")[:2])
    sorted_r = audit_text(catalog, HEADER + "\n" + "\n".join(ordered) + "\n")
    key = lambda f: (f.claim_id, f.date_of_service, f.kind, f.billed)  # noqa: E731
    folded = NOTE_KINDS | {"ncci_outside_quarter"}  # one row for many claims: its first claim is the file's order
    assert sorted(map(key, (f for f in mixed.findings if f.kind not in folded))) == sorted(
        map(key, (f for f in sorted_r.findings if f.kind not in folded)))
    assert sorted((f.kind, f.count) for f in mixed.findings if f.kind in folded) == sorted(
        (f.kind, f.count) for f in sorted_r.findings if f.kind in folded)
    assert mixed.summary.encounters_checked == sorted_r.summary.encounters_checked


# --- fuzzing ------------------------------------------------------------------------------------------------

_fields = st.one_of(st.sampled_from(["", "A", "64405", "77003", "77002", "26", "59 XS", "2025-03-03", "11", "22",
                                     "3", "0", '"', '""', "\r", "\n", ",", ";", "\t", "\ufeff", "\x00", "2025-02-30",
                                     "62273", "ISA", "=1+1", "\ufffd"]), st.text(max_size=8))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.sampled_from([HEADER, HEADER + ",payer", HEADER.replace(",", ";"), "code,code", "x", "",
                               "claim,dos,pos,cpt,mod1,mod2"]),
       cells=st.lists(st.lists(_fields, max_size=9), max_size=10),
       encoding=st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-32-be", "cp1252"]),
       tail=st.binary(max_size=40))
def test_fuzzed_claims_files_never_raise_anything_but_a_clear_input_error(
        catalog: Catalog, header: str, cells: list[list[str]], encoding: str, tail: bytes) -> None:
    text = header + "\n" + "\n".join(",".join(r) for r in cells)
    try:
        data = text.encode(encoding, errors="replace") + tail
    except UnicodeError:
        return
    try:
        report = audit_bytes(catalog, data)
    except AuditInputError as exc:
        message = str(exc)
        report = None
    if report is None:
        assert message and "\n" not in message
        return
    buf = io.StringIO()
    from desktop.core.audit import write_csv, write_json

    write_csv(report.findings, buf, report.summary)
    write_json(report, io.StringIO())
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert len(rows) == len(report.findings) + 1
    assert report.summary.rows_skipped == sum(f.count for f in report.findings if f.kind == "malformed_row")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_fuzzed_bytes_and_x12_never_raise(catalog: Catalog, data: bytes) -> None:
    for blob in (data, b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *250401*1200*^*00501*"
                       b"000000001*0*T*:~" + data):
        with contextlib.suppress(AuditInputError):
            audit_bytes(catalog, blob)
