"""``python -m desktop import-pack DIR`` (desktop/commands/import_pack.py) in a real process: it installs a
pack into the user data folder the window and ``resolve`` read, refuses a broken one changing nothing, and
updates a pack of the same name in place. The Windows stage (packaging/windows/test_under_wine.sh) uses it
with the installed GuideCode.exe to check that an upgrade keeps the office's packs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.test_packs import BROKEN, FIXTURES, SAMPLE, snapshot

ROOT = Path(__file__).resolve().parents[1]
SONOGRAM = {"date_of_service": "2026-03-02", "modality": "ultrasound", "procedures": [{"code": "64405"}]}


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "desktop", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120, check=False)


def user_dir() -> Path:
    return Path(os.environ["GUIDECODE_USER_DIR"])   # a temporary folder (tests/conftest.py)


def sonogram_answer(*extra: str) -> dict[str, Any]:
    proc = cli("resolve", *extra, "-", stdin=json.dumps(SONOGRAM))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_imported_pack_is_what_resolve_and_the_window_then_use() -> None:
    before = sonogram_answer()
    assert [p["guidance"] for p in before["procedures"]] == ["separate"], before
    proc = cli("import-pack", str(SAMPLE))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    target = user_dir() / "packs" / "example-payer-notes"
    assert proc.stdout.strip() == f"data pack 'Example payer notes' version 2026.1-sample imported: {target}"
    assert snapshot(target) == snapshot(SAMPLE)
    after = sonogram_answer()                        # no --data-dir: the user data folder, as the window
    assert [p["guidance"] for p in after["procedures"]] == ["included"], after
    assert "Example payer notes" in json.dumps(after["data_packs"]), after["data_packs"]


def test_importing_the_same_pack_again_updates_it_in_place() -> None:
    assert cli("import-pack", str(SAMPLE)).returncode == 0
    again = cli("import-pack", str(SAMPLE))
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("data pack 'Example payer notes' version 2026.1-sample updated: ")
    assert sorted(p.name for p in (user_dir() / "packs").iterdir()) == ["example-payer-notes"]


def test_a_broken_pack_is_refused_with_every_problem_and_nothing_changes() -> None:
    assert cli("import-pack", str(SAMPLE)).returncode == 0
    before = snapshot(user_dir())
    proc = cli("import-pack", str(FIXTURES / "duplicate-code"))
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == BROKEN["duplicate-code"]
    assert "was not imported: it is not a valid data pack (1 problem(s)); nothing was changed" in proc.stderr
    assert snapshot(user_dir()) == before


def test_data_dir_option_installs_elsewhere(tmp_path: Path) -> None:
    other = tmp_path / "office-data"
    proc = cli("import-pack", str(SAMPLE), "--data-dir", str(other))
    assert proc.returncode == 0, proc.stderr
    assert (other / "packs" / "example-payer-notes" / "pack.yaml").is_file()
    assert not (user_dir() / "packs").exists()
    assert [p["guidance"] for p in sonogram_answer("--data-dir", str(other))["procedures"]] == ["included"]


def test_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    proc = cli("import-pack", str(tmp_path / "no-such-pack"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"guidecode: {tmp_path / 'no-such-pack'} is not a folder"
    assert not user_dir().exists()
