"""Issue 13, "Must show", reproduced through the command line as a coder would run it; each test prints what it
shows (run ``.venv/bin/python -m pytest -q tests/test_ncci_must_show.py`` to read it).

The NCCI files imported here are the fixtures of tests/fixtures/ncci/: small files written in CMS's release
layouts whose rows are partly made up (the 62321/62323 procedure edit among them). They are not CMS's tables;
they exercise the import and the engine exactly as CMS's files would.

(a) 62321 + 62323 the same day, Medicare, ASC, with the imported pack: the pair-edit warning names the column-two
    code and XS, and 62323's claim line carries XS.
(b) import-ncci installs a pack and the next ``resolve`` names its version (``"ncci"`` in the JSON); a truncated
    and a garbled file are refused with their line; the data folder is byte-for-byte unchanged after a refusal.
(c) 62281 cervical + 62282 lumbar, Medicare: never more than 1 unit of 77003 on the claim, and the message names
    the MUE and its MAI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "ncci"
PARTS = [FIX / f"ccipra-v302r0-f{n}.TXT" for n in (1, 2, 3, 4)]
MUE = FIX / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv"
PACK_NAME = "CMS NCCI practitioner 2024Q3 PTP + MUE"


def cli(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop", *map(str, args)], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False)


def resolve_json(encounter: dict[str, Any], data: Path | None = None) -> tuple[dict[str, Any], int]:
    proc = cli("resolve", "-", *(["--data-dir", data] if data else []), stdin=json.dumps(encounter))
    assert proc.returncode != 2, proc.stderr
    return json.loads(proc.stdout), proc.returncode


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def show(title: str, *lines: str) -> None:
    print(f"\n--- {title}")
    for line in lines:
        print(f"    {line}")


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """A user data folder with the fixtures imported and installed by ``import-ncci --install``."""
    data = tmp_path / "data"
    proc = cli("import-ncci", *PARTS, MUE, "--install", "--data-dir", data)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith(f"data pack '{PACK_NAME}' installed in {data}")
    return data


def test_a_62321_and_62323_same_day_medicare_asc(installed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    encounter = {"date_of_service": "2024-08-01", "setting": "asc", "payer": "medicare",
                 "procedures": [{"code": "62321"}, {"code": "62323"}]}
    answer, status = resolve_json(encounter, installed)
    assert status == 0
    warnings = [m["text"] for m in answer["messages"] if m["severity"] == "warning"]
    (edit,) = [w for w in warnings if "62321/62323" in w]
    assert edit.startswith("62321 and 62323 on one claim: 62323 is column two. NCCI PTP edit 62321/62323")
    assert "Bill 62323-XS only if" in edit
    assert answer["procedure_lines"] == [{"code": "62321", "units": 1, "modifiers": []},
                                         {"code": "62323", "units": 1, "modifiers": ["XS"]}]
    assert answer["guidance_lines"] == []  # both codes include their imaging
    # without the pack the built-in table cannot answer for this pair, and says so
    plain, _ = resolve_json(encounter)
    assert [pl["modifiers"] for pl in plain["procedure_lines"]] == [[], []]
    assert any(m["text"].startswith("NCCI pair edits not checked for 62321 + 62323:") for m in plain["messages"])
    with capsys.disabled():
        show("(a) 62321 + 62323, 2024-08-01, Medicare, ASC, with the imported pack",
             "claim lines: " + ", ".join(f"{pl['code']}{''.join('-' + m for m in pl['modifiers'])} x{pl['units']}"
                                         for pl in answer["procedure_lines"]),
             f"warning: {edit}",
             "without the pack: " + next(m["text"] for m in plain["messages"] if "not checked" in m["text"]))


def quarter_copy(folder: Path) -> list[Path]:
    """The fixtures renamed as CMS names the next quarter's release (v30.3, MUE effective 2024-10-01), so that
    the version the answer names can only come from the pack."""
    folder.mkdir()
    out = [shutil.copyfile(p, folder / p.name.replace("v302r0", "v303r0")) for p in PARTS]
    out.append(shutil.copyfile(MUE, folder / MUE.name.replace("07-01-2024", "10-01-2024")))
    return [Path(p) for p in out]


def test_b_import_installs_a_pack_that_the_next_resolve_names(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    proc = cli("import-ncci", *quarter_copy(tmp_path / "q4"), "--install", "--data-dir", data)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    encounter = {"date_of_service": "2024-11-01", "setting": "office", "payer": "medicare",
                 "procedures": [{"code": "64405"}]}
    answer, status = resolve_json(encounter, data)
    assert status == 0
    assert answer["ncci"] == ("NCCI PTP practitioner v30.3 (2024-10-01 to 2024-12-31); NCCI MUE practitioner 2024Q4 "
                              "(2024-10-01 to 2024-12-31)")
    assert not any("outside the quarter" in m["text"] for m in answer["messages"])
    before, _ = resolve_json(encounter)  # the built-in tables: the quarter before, with a warning
    assert before["ncci"].startswith("NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30)")
    assert any("outside the quarter" in m["text"] for m in before["messages"])
    with capsys.disabled():
        show("(b) import-ncci --install, then resolve on 2024-11-01",
             *proc.stdout.splitlines(), f'"ncci": {answer["ncci"]}', f'built-in only: "ncci": {before["ncci"]}')


def garbled(folder: Path, name: str, old: bytes, new: bytes) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    raw = (FIX / name).read_bytes()
    assert old in raw
    path.write_bytes(raw.replace(old, new))
    return path


@pytest.mark.parametrize(("name", "old", "new", "expected"), [
    ("ccipra-v302r0-f4.TXT", b"\t20150101\t*\t0\tStandards of medical / surgical practice\r\n"
     b"G0260\t77003\t\t20120101\t*\t1\tStandards of medical/surgical practice\r\n", b"",
     ["ccipra-v302r0-f4.TXT:10: the row has 3 fields; a PTP row has 7 (the line is cut short?)"]),
    ("ccipra-v302r0-f2.TXT", b"62321\t62323\t\t20170101", b"62\x00\x9d\xfe21\t62323\t\t20170101",
     ["ccipra-v302r0-f2.TXT:9: binary data (a NUL byte): not a text table"]),
    ("ccipra-v302r0-f2.TXT", b"62321\t62323\t\t20170101\t*\t1", b"62321\t6#3@3\t\t2017-1-01\t*\tX",
     ["ccipra-v302r0-f2.TXT:9: 62321/6#3@3: column 2 '6#3@3' is not a CPT/HCPCS code (5 characters, e.g. 64405, "
      "0213T)",
      "ccipra-v302r0-f2.TXT:9: 62321/6#3@3: the effective date must be a date written YYYYMMDD; got '2017-1-01'",
      "ccipra-v302r0-f2.TXT:9: 62321/6#3@3: the modifier indicator must be 0, 1 or 9; got 'X'"]),
], ids=["truncated", "garbled-binary", "garbled-text"])
def test_b_a_bad_file_is_refused_with_its_line_and_changes_no_byte(installed: Path, tmp_path: Path, name: str,
                                                                    old: bytes, new: bytes, expected: list[str],
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (installed / "data-packs.json").write_text('{"disabled": []}\n', encoding="utf-8")
    before = snapshot(installed)
    assert "packs/cms-ncci-practitioner-2024q3-ptp-mue/ncci/tables.yaml" in before
    bad = garbled(tmp_path / "bad", name, old, new)
    files = [bad if p.name == name else p for p in PARTS]
    proc = cli("import-ncci", *files, MUE, "--install", "--data-dir", installed)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == expected
    assert "nothing was written or installed" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(installed) == before
    assert sorted(p.name for p in (tmp_path / "bad").iterdir()) == [name]  # nothing written beside the input
    with capsys.disabled():
        show(f"(b) {name} {'cut short' if new == b'' else 'garbled'}: refused, exit 1, "
             f"{len(before)} files of the data folder byte-for-byte unchanged", *proc.stdout.splitlines())


@pytest.mark.parametrize("setting", ["office", "hospital_outpatient", "asc"])
def test_c_62281_cervical_and_62282_lumbar_medicare_one_unit_of_77003(setting: str,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    shown: list[str] = []
    variants: list[list[dict[str, Any]]] = [
        [{"code": "62281", "regions": ["cervical"]}, {"code": "62282", "regions": ["lumbar"]}],
        [{"code": "62281", "regions": ["cervical", "thoracic"]}, {"code": "62282", "regions": ["lumbar", "sacral"],
                                                                  "units": 3}],
        [{"code": "62281", "regions": ["cervical"]}, {"code": "62282", "regions": ["lumbar"]}, {"code": "77003"}],
    ]
    for when in ("2019-06-03", "2024-08-01", "2025-06-02"):
        for procedures in variants:
            answer, _ = resolve_json({"date_of_service": when, "setting": setting, "payer": "medicare",
                                      "modality": "fluoroscopy", "procedures": procedures})
            lines = [ln for ln in answer["guidance_lines"] if ln["code"] == "77003"]
            assert sum(ln["units"] for ln in lines) == 1 and len(lines) == 1, (when, procedures, lines)
            assert lines[0]["modifiers"] == ([] if setting == "office" else ["26"])
            (unit_msg,) = [m for m in answer["messages"] if m["text"].startswith("77003: one line of 1 unit")]
            assert "CMS's MUE for 77003: 1 (MAI 3, date-of-service edit, clinical;" in unit_msg["text"]
            assert "X-NCCI-MUE-2024Q3" in unit_msg["sources"]
            if when == "2024-08-01" and not shown:
                billed = ", ".join(f"77003{''.join('-' + m for m in ln['modifiers'])} x{ln['units']}" for ln in lines)
                shown = [f"{when}, {setting}: 77003 lines: {billed}",
                         f"{unit_msg['severity']}: {unit_msg['text']}"]
    with capsys.disabled():
        show(f"(c) 62281 cervical + 62282 lumbar, Medicare, {setting} (3 dates x 3 variants: 1 unit each time)",
             *shown)
