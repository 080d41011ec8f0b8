"""Every stream the app writes is safe when it is redirected (desktop/streams.py, issue 10).

On Windows a redirected stdout/stderr is opened in the ANSI code page (cp1252) with strict errors, and the
frozen build ignores PYTHONIOENCODING: ``GuideCode.exe --self-test > out.txt`` died with
``UnicodeEncodeError: 'charmap' codec can't encode character '\\u2192'`` after every check had passed.
``PYTHONIOENCODING=cp1252:strict`` gives a source run exactly those streams, so these subprocess tests fail
without the fix. The frozen exe itself is checked the same way under Wine by
packaging/windows/test_under_wine.sh.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from desktop import streams

ROOT = Path(__file__).resolve().parents[1]
CP1252_STRICT = "cp1252:strict"
# Two spinal regions: the answer's units message says "2 spinal region(s) (cervical, lumbar) → 2 unit(s)".
SPINAL_ENCOUNTER = {"date_of_service": "2025-06-01", "modality": "fluoroscopy",
                    "procedures": [{"code": "62281", "regions": ["cervical"]},
                                   {"code": "62282", "regions": ["lumbar"]}]}


def _not_cp1252(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return True
    return False


def run(args: list[str], tmp_path: Path, *, how: str, stdin: str | None = None,
        encoding: str = CP1252_STRICT) -> tuple[int, bytes, bytes]:
    """Run ``python -m desktop ARGS`` with stdout and stderr redirected to real files (``how="file"``) or
    pipes (``how="pipe"``), and standard input from a file. Returns (exit status, stdout, stderr) as bytes."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING=encoding)
    tmp_path = Path(tempfile.mkdtemp(dir=tmp_path))
    stdin_path = tmp_path / "stdin.txt"
    stdin_path.write_bytes((stdin or "").encode("utf-8"))
    cmd = [sys.executable, "-m", "desktop", *args]
    with stdin_path.open("rb") as fin:
        if how == "pipe":
            proc = subprocess.run(cmd, stdin=fin, capture_output=True, cwd=ROOT, env=env, timeout=120, check=False)
            return proc.returncode, proc.stdout, proc.stderr
        out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
        with out_path.open("wb") as fout, err_path.open("wb") as ferr:
            rc = subprocess.run(cmd, stdin=fin, stdout=fout, stderr=ferr, cwd=ROOT, env=env, timeout=120,
                                check=False).returncode
    return rc, out_path.read_bytes(), err_path.read_bytes()


def _decoded(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        pytest.fail(f"{what} is not UTF-8 ({exc}): {data[:300]!r}")


@pytest.mark.parametrize("how", ["file", "pipe"])
def test_self_test_line_survives_a_cp1252_redirect(tmp_path: Path, how: str) -> None:
    rc, out, err = run(["--self-test"], tmp_path, how=how)
    text = _decoded(out, "the self-test line")
    assert rc == 0, (out, err)
    assert b"Traceback" not in err, err
    assert text.startswith("SELFTEST ok: "), text
    assert _not_cp1252(text), f"the line no longer has a character outside cp1252, so this test proves nothing: {text}"


@pytest.mark.parametrize("how", ["file", "pipe"])
def test_resolve_json_survives_a_cp1252_redirect(tmp_path: Path, how: str) -> None:
    encounter = json.dumps(SPINAL_ENCOUNTER)
    rc, out, err = run(["resolve", "-"], tmp_path, how=how, stdin=encounter)
    rc_utf8, out_utf8, _ = run(["resolve", "-"], tmp_path, how=how, stdin=encounter, encoding="utf-8")
    assert rc == 0 == rc_utf8, (out, err)
    assert b"Traceback" not in err, err
    answer = json.loads(_decoded(out, "resolve's JSON"))
    assert answer == json.loads(out_utf8.decode("utf-8"))           # the same answer, nothing replaced
    assert [line["code"] for line in answer["guidance_lines"]] == ["77003", "77003"], answer
    assert _not_cp1252(json.dumps(answer, ensure_ascii=False)), (
        "the answer has no character outside cp1252 any more; pick an encounter whose answer has one")


def test_resolve_reads_utf8_stdin_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Notepad's UTF-8 starts with a BOM; standard input is UTF-8 whatever the code page."""
    rc, out, err = run(["resolve", "-"], tmp_path, how="file", stdin="\ufeff" + json.dumps(SPINAL_ENCOUNTER))
    assert rc == 0, (out, err)
    assert json.loads(_decoded(out, "resolve's JSON"))["guidance_lines"], out


def test_error_line_quoting_the_input_survives_a_cp1252_redirect(tmp_path: Path) -> None:
    """The encounter comes from a file (read as UTF-8), so the only stream in play is stderr: without the fix
    Python writes the arrow as the six characters ``\\u2192``."""
    encounter = tmp_path / "encounter.json"
    encounter.write_text('{"procedures": [{"code": "64405"}], "note\u2192": 1}', encoding="utf-8")
    rc, out, err = run(["resolve", str(encounter)], tmp_path, how="file")
    text = _decoded(err, "the error line")
    assert rc == 2, (out, err)
    assert "Traceback" not in text, text
    assert len(text.strip().splitlines()) == 1, text
    assert text.startswith("guidecode: invalid encounter: unknown field 'note\u2192' in the encounter (allowed: "), text


@pytest.mark.parametrize("how", ["file", "pipe"])
def test_audit_report_is_utf8_when_redirected(tmp_path: Path, how: str) -> None:
    """The report's "×" is in cp1252, so without the fix it does not crash: it is written as the cp1252 byte
    0xD7, which no UTF-8 reader (spreadsheet import, JSON, a later audit) reads back as ×."""
    claims = ROOT / "resources" / "samples" / "claims-sample.csv"
    rc, out, err = run(["audit", str(claims)], tmp_path, how=how)
    report, summary = _decoded(out, "the audit report"), _decoded(err, "the audit summary")
    assert rc == 1, (report, summary)                    # the sample has error findings on purpose
    assert "Traceback" not in summary, summary
    assert report.splitlines()[0].split(",")[:3] == ["id", "kind_id", "claim_id"], report[:200]
    assert "77003 \u00d71" in report and "77003-26 \u00d73" in report, report[:500]
    assert "claims checked" in summary, summary


def test_version_line_is_written_whole(tmp_path: Path) -> None:
    rc, out, err = run(["--version"], tmp_path, how="file")
    assert rc == 0, (out, err)
    assert _decoded(out, "--version").startswith("GuideCode "), out


# ---------------------------------------------------------------- the function itself, in-process


class _Stream(io.TextIOWrapper):
    def __init__(self, encoding: str, tty: bool) -> None:
        super().__init__(io.BytesIO(), encoding=encoding, errors="strict")
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty

    def value(self) -> bytes:
        self.flush()
        raw = self.buffer
        assert isinstance(raw, io.BytesIO)
        return raw.getvalue()


def _install(monkeypatch: pytest.MonkeyPatch, **streams_: Any) -> None:
    for name, stream in streams_.items():
        monkeypatch.setattr(sys, name, stream)


def test_redirected_streams_become_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = _Stream("cp1252", tty=False), _Stream("cp1252", tty=False)
    _install(monkeypatch, stdout=out, stderr=err, stdin=None)
    streams.ensure_std_streams()
    print("64405\u219277002 \u00d72", file=sys.stdout)
    print("lone surrogate \udcff", file=sys.stderr)
    assert out.value() == "64405\u219277002 \u00d72\n".encode()
    assert err.value() == b"lone surrogate \\udcff\n"


def test_a_terminal_keeps_its_encoding_and_never_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _Stream("cp1252", tty=True)
    _install(monkeypatch, stdout=out, stderr=_Stream("cp1252", tty=True), stdin=None)
    streams.ensure_std_streams()
    print("64405\u219277002 \u00e9", file=sys.stdout)
    assert out.encoding == "cp1252"
    assert out.value() == "64405?77002 \u00e9\n".encode("cp1252")


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])
def test_the_windows_nul_device_never_fails(monkeypatch: pytest.MonkeyPatch, errors: str) -> None:
    """Windows calls NUL a terminal; Python may open it with surrogateescape, which fails on "→" too."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="cp1252", errors=errors)
    monkeypatch.setattr(out, "isatty", lambda: True)
    _install(monkeypatch, stdout=out, stderr=_Stream("cp1252", tty=True), stdin=None)
    streams.ensure_std_streams()
    print("64405\u219277002", file=sys.stdout, flush=True)
    assert out.errors == "replace"


def test_redirected_stdin_is_read_as_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO("\ufeff{\"a\": \"\u2192\"}".encode()), encoding="cp1252")
    _install(monkeypatch, stdout=_Stream("utf-8", tty=False), stderr=_Stream("utf-8", tty=False), stdin=stdin)
    streams.ensure_std_streams()
    assert json.loads(sys.stdin.read()) == {"a": "\u2192"}


def test_missing_streams_of_a_windowed_build_go_to_devnull(monkeypatch: pytest.MonkeyPatch) -> None:
    _install(monkeypatch, stdout=None, stderr=None, stdin=None)
    streams.ensure_std_streams()
    try:
        print("64405\u219277002", file=sys.stdout)
        print("64405\u219277002", file=sys.stderr)
        assert sys.stdout.encoding == sys.stderr.encoding == "utf-8"
    finally:
        sys.stdout.close()
        sys.stderr.close()
