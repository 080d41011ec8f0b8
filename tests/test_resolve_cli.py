"""Acceptance tests of ``python -m desktop resolve -`` as a subprocess: the parsed JSON and the exit status.

Expected answers come from the fact base: docs/fact-base/core.md, "Guidance reported separately" (64405),
"Guidance included in the procedure" (62323, 27096), "Modifiers" (26, 59) and "Corrections" (K1: Medicare's
one 77003 per encounter); source ids are in the test ids. Exit statuses: 0 resolved, 1 an error in the
answer (unknown/deleted code), 2 invalid input.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_resolve(stdin: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run([sys.executable, "-m", "desktop", "resolve", "-"], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=60, check=False)


def resolve_json(encounter: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    proc = run_resolve(json.dumps(encounter))
    assert "Traceback" not in proc.stderr, proc.stderr
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"stdout is not JSON (exit {proc.returncode}):\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc.returncode, out


def lines(out: dict[str, Any]) -> list[tuple[str, int, list[str]]]:
    return [(ln["code"], ln["units"], ln["modifiers"]) for ln in out["guidance_lines"]]


def states(out: dict[str, Any]) -> dict[str, str]:
    return {p["code"]: p["guidance"] for p in out["procedures"]}


def test_s10_s5_64405_fluoroscopy_office_gives_77002_no_modifiers() -> None:
    rc, out = resolve_json({"modality": "fluoroscopy", "procedures": [{"code": "64405"}]})
    assert lines(out) == [("77002", 1, [])], out
    assert states(out) == {"64405": "separate"}, out
    assert rc == 0, out


def test_s10_s25_64405_fluoroscopy_asc_gives_77002_26() -> None:
    rc, out = resolve_json({"modality": "fluoroscopy", "setting": "asc", "procedures": [{"code": "64405"}]})
    assert lines(out) == [("77002", 1, ["26"])], out
    assert rc == 0, out


def test_s5_s45_64405_ultrasound_gives_76942() -> None:
    rc, out = resolve_json({"modality": "ultrasound", "procedures": [{"code": "64405"}]})
    assert lines(out) == [("76942", 1, [])], out
    assert states(out) == {"64405": "separate"}, out
    assert rc == 0, out


def test_s6_62323_fluoroscopy_included_no_line() -> None:
    rc, out = resolve_json({"date_of_service": "2025-06-01", "modality": "fluoroscopy",
                            "procedures": [{"code": "62323"}]})
    assert lines(out) == [], out
    assert states(out) == {"62323": "included"}, out
    assert rc == 0, out


@pytest.mark.parametrize(("dos", "expect_lines", "expect_state"), [
    pytest.param("2011-06-01", [("77003", 1, [])], "separate", id="S1-2011-77003"),
    pytest.param("2012-06-01", [], "included", id="S1-2012-included"),
])
def test_s1_27096_before_and_after_2012(dos: str, expect_lines: list[Any], expect_state: str) -> None:
    rc, out = resolve_json({"date_of_service": dos, "modality": "fluoroscopy", "procedures": [{"code": "27096"}]})
    assert lines(out) == expect_lines, out
    assert states(out) == {"27096": expect_state}, out
    assert rc == 0, out


@pytest.mark.parametrize(("payer", "expected"), [
    pytest.param("other", [("77003", 1, []), ("77003", 1, ["59"])], id="S3,S4,S19-other-per-region-59"),
    pytest.param("medicare", [("77003", 1, [])], id="X-NCCI-PM-IX-medicare-one-per-encounter"),
])
def test_two_spinal_regions_per_payer(payer: str, expected: list[Any]) -> None:
    rc, out = resolve_json({"date_of_service": "2025-06-01", "modality": "fluoroscopy", "payer": payer,
                            "procedures": [{"code": "62281", "regions": ["cervical"]},
                                           {"code": "62282", "regions": ["lumbar"]}]})
    assert sorted(lines(out)) == sorted(expected), out
    assert states(out) == {"62281": "separate", "62282": "separate"}, out
    assert rc == 0, out


def test_unknown_code_alongside_64405_still_resolves_it_and_exits_1() -> None:
    rc, out = resolve_json({"modality": "fluoroscopy", "procedures": [{"code": "ZZ999"}, {"code": "64405"}]})
    assert states(out) == {"ZZ999": "invalid", "64405": "separate"}, out
    assert lines(out) == [("77002", 1, [])], out
    assert any(m["severity"] == "error" and "ZZ999" in m["text"] for m in out["messages"]), out
    assert rc == 1, out


@pytest.mark.parametrize("stdin", [
    pytest.param('{"modality": "fluoroscopy", "procedures": [{"code": "64405"}', id="bad-json"),
    pytest.param("", id="empty-input"),
    pytest.param('{"modality": "fluoroscopy", "procedures": [], "surgeon": "x"}', id="unknown-field"),
    pytest.param('{"procedures": [{"code": "64405", "colour": "red"}]}', id="unknown-procedure-field"),
    pytest.param('{"procedures": "64405"}', id="wrong-type-procedures"),
    pytest.param('{"procedures": [{"code": 64405}]}', id="wrong-type-code"),
    pytest.param('{"procedures": [{"code": "64405", "units": "2"}]}', id="wrong-type-units"),
    pytest.param('{"modality": "xray", "procedures": [{"code": "64405"}]}', id="bad-modality"),
    pytest.param('{"date_of_service": "2025-02-30", "procedures": [{"code": "64405"}]}', id="bad-date"),
    pytest.param("[1, 2]", id="not-an-object"),
])
def test_invalid_input_exits_2_with_one_stderr_line(stdin: str) -> None:
    proc = run_resolve(stdin)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1, proc.stderr
    assert err[0].startswith("guidecode:"), proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == "", proc.stdout


def test_a_reader_that_goes_away_ends_resolve_quietly() -> None:
    """``guidecode resolve - | head -1``: the pipe closes before the answer is written. The command stops
    without a traceback, with the exit status of a command ended by SIGPIPE (128 + 13)."""
    encounter = {"date_of_service": "2026-03-16", "setting": "asc", "payer": "medicare",
                 "modality": "fluoroscopy", "procedures": [{"code": "64449"}]}
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, "-m", "desktop", "resolve", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    assert proc.stdout is not None and proc.stdin is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before anything is written
    proc.stdin.write(json.dumps(encounter).encode())
    proc.stdin.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
