"""``--self-test`` (desktop.selftest): passes on the real data and window, and fails loudly when any part
it claims to check is broken (data, resources, a known answer, the window disagreeing with the engine).

The frozen executable runs the same function in packaging/smoke_test.sh."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop import paths, selftest
from desktop.core import data as core_data

ROOT = Path(__file__).resolve().parents[1]

# The offscreen platform plugin says this on every show(); it is not a problem of the window.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")


@pytest.fixture(autouse=True)
def _fresh_builtin_cache() -> Iterator[None]:
    """load_builtin caches per process; tests that swap the resources folder must not leak it."""
    core_data.load_builtin.cache_clear()
    yield
    core_data.load_builtin.cache_clear()


@pytest.fixture
def resources_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of resources/ that desktop.paths resolves to, as a frozen bundle would."""
    copy = tmp_path / "bundle" / "resources"
    shutil.copytree(ROOT / "resources", copy)
    monkeypatch.setattr(paths, "resources_dir", lambda: copy)
    return copy


def test_passes_on_the_shipped_data_and_window(qapp, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert selftest.run_self_test() == 0
    out, err = capsys.readouterr()
    line = out.strip()
    assert line.startswith("SELFTEST ok:"), (out, err)
    assert "\n" not in line
    assert "64405\u219277002" in line
    assert "62323\u2192included" in line
    assert "summary PDF written" in line
    assert "no catalog cache" in line            # from source; frozen builds bundle one (smoke_test.sh)
    assert "SELFTEST FAIL" not in err


def test_fails_when_the_data_is_broken(qapp, resources_copy: Path,  # type: ignore[no-untyped-def]
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (resources_copy / "data" / "manifest.yaml").write_text("data_version: [unclosed\n", encoding="utf-8")
    assert selftest.run_self_test() == 1
    err = capsys.readouterr().err
    assert "SELFTEST FAIL: the data does not load" in err
    assert "manifest.yaml" in err


def test_verifies_a_bundled_catalog_cache(qapp, resources_copy: Path,  # type: ignore[no-untyped-def]
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.core import catalog_cache
    from desktop.core.loader import load_folder

    data = resources_copy / "data"
    cache = resources_copy / catalog_cache.CACHE_RESOURCE
    cache.parent.mkdir(parents=True)
    cache.write_bytes(catalog_cache.dumps(load_folder(data), data))
    assert selftest.run_self_test() == 0
    assert "catalog cache verified" in capsys.readouterr().out


def test_fails_when_the_catalog_cache_differs_from_the_data(qapp, resources_copy: Path,  # type: ignore[no-untyped-def]
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.core import catalog_cache
    from desktop.core.loader import load_folder

    data = resources_copy / "data"
    real = load_folder(data)
    forged = dataclasses.replace(real, records=real.records[1:])   # right fingerprint, wrong content
    cache = resources_copy / catalog_cache.CACHE_RESOURCE
    cache.parent.mkdir(parents=True)
    cache.write_bytes(catalog_cache.dumps(forged, data))
    assert selftest.run_self_test() == 1
    assert "SELFTEST FAIL: the bundled catalog cache differs from a fresh parse" in capsys.readouterr().err


def test_fails_when_the_icons_are_not_bundled(qapp, resources_copy: Path,  # type: ignore[no-untyped-def]
                                              capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(resources_copy / "icons")
    assert selftest.run_self_test() == 1
    assert "SELFTEST FAIL: application icon missing" in capsys.readouterr().err


def test_fails_when_a_known_answer_changes(qapp, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                           capsys: pytest.CaptureFixture[str]) -> None:
    wrong = dataclasses.replace(selftest.KNOWN_CASES[0], lines=("77003",))
    monkeypatch.setattr(selftest, "KNOWN_CASES", (wrong, *selftest.KNOWN_CASES[1:]))
    assert selftest.run_self_test() == 1
    err = capsys.readouterr().err
    assert "SELFTEST FAIL: 64405 + fluoroscopy: engine billed ['77002'], expected ['77003']" in err


def test_fails_when_the_window_disagrees_with_the_engine(qapp, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.ui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "displayed_lines", lambda self: [])
    assert selftest.run_self_test() == 1
    err = capsys.readouterr().err
    assert "SELFTEST FAIL: 64405 + fluoroscopy: window shows [], engine gives ['77002" in err


def test_report_file_gets_the_same_line(qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                        capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "selftest.txt"
    monkeypatch.setenv(selftest.ENV_REPORT_FILE, str(report))
    assert selftest.run_self_test() == 0
    out = capsys.readouterr().out.strip()
    assert report.read_text(encoding="utf-8").strip() == out


def test_does_not_touch_the_user_settings(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = Path(os.environ["HOME"])
    before = sorted(p.relative_to(home) for p in home.rglob("*"))
    assert selftest.run_self_test() == 0
    after = sorted(p.relative_to(home) for p in home.rglob("*"))
    assert [p for p in after if p not in before and p.suffix == ".ini"] == []


def test_command_line_runs_it_in_a_fresh_process() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "desktop", "--self-test"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("SELFTEST ok:")
    assert proc.stdout.count("\n") == 1
