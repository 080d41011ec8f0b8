"""Documentation prerequisites as input (issue 14): ultrasound guidance is billable only with permanently
recorded images and a report (docs/fact-base/open-questions.md, (b) The sourced rule on recorded images for
ultrasound guidance; rules.yaml section documentation). The encounter says ``images_recorded``: true, false,
or not stated."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry

ROOT = Path(__file__).resolve().parents[1]
DOS = date(2026, 3, 2)


def run(catalog: Catalog, recorded: bool | None, *codes: str) -> tuple[list[str], dict[str, str], list[str], str]:
    res = resolve(catalog, Encounter(DOS, modality="ultrasound", procedures=tuple(ProcedureEntry(c) for c in codes),
                                     images_recorded=recorded))
    return ([ln.code for ln in res.guidance_lines], {p.code: p.state for p in res.procedures},
            [pl.code for pl in res.procedure_lines], " ".join(f"{m.text} {' '.join(m.sources)}" for m in res.messages))


def test_recorded_images_give_the_ultrasound_line_without_a_note(catalog: Catalog) -> None:
    lines, states, _, text = run(catalog, True, "64405")
    assert lines == ["76942"] and states == {"64405": "separate"}
    assert "recorded" not in text


def test_no_recorded_images_withhold_76942_and_cite_the_cpt_guideline(catalog: Catalog) -> None:
    lines, states, procs, text = run(catalog, False, "64405")
    assert lines == [] and states == {"64405": "none_used"} and procs == ["64405"]
    assert "not separately reportable" in text and "S307" in text


def test_unstated_images_keep_the_line_and_say_what_it_needs(catalog: Catalog) -> None:
    lines, _, _, text = run(catalog, None, "64405")
    assert lines == ["76942"]
    assert "permanently recorded" in text


@pytest.mark.parametrize(("code", "twin"), [("20611", "20610"), ("20606", "20605"), ("20604", "20600")])
def test_a_code_with_ultrasound_built_in_falls_back_to_its_twin_without_images(catalog: Catalog, code: str,
                                                                               twin: str) -> None:
    _, states, procs, text = run(catalog, False, code)
    assert states == {code: "redirect"} and procs == [twin]
    assert f"Report {twin}" in text and "S310" in text
    _, states, procs, _ = run(catalog, True, code)
    assert states == {code: "included"} and procs == [code]


def test_resolve_reads_images_recorded_and_refuses_anything_else() -> None:
    def cli(value: object) -> subprocess.CompletedProcess[str]:
        enc = {"date_of_service": "2026-03-02", "modality": "ultrasound", "images_recorded": value,
               "procedures": [{"code": "64405"}]}
        return subprocess.run([sys.executable, "-m", "desktop", "resolve", "-"], cwd=ROOT, input=json.dumps(enc),
                              capture_output=True, text=True, timeout=120, check=False)

    assert json.loads(cli(False).stdout)["guidance_lines"] == []
    assert [ln["code"] for ln in json.loads(cli(True).stdout)["guidance_lines"]] == ["76942"]
    bad = cli("yes")
    assert bad.returncode == 2 and "images_recorded must be true, false or null" in bad.stderr
