"""desktop.paths: both branches of the one resource resolver (source tree and PyInstaller bundle)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop import paths

ROOT = Path(__file__).resolve().parents[1]


def test_source_branch_points_at_the_repository_resources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    assert paths.resources_dir() == ROOT / "resources"
    assert paths.builtin_data_dir() == ROOT / "resources" / "data"
    assert (paths.builtin_data_dir() / "manifest.yaml").is_file()


def test_frozen_branch_points_into_meipass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundle = tmp_path / "_MEI123456"
    (bundle / "resources" / "data").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert paths.resources_dir() == bundle / "resources"
    assert paths.builtin_data_dir() == bundle / "resources" / "data"
    assert paths.resource("icons/guidecode.png") == bundle / "resources" / "icons" / "guidecode.png"
    # the frozen answer must not depend on where the source tree is
    assert ROOT not in paths.resources_dir().parents


def test_frozen_flag_without_meipass_falls_back_to_source(monkeypatch: pytest.MonkeyPatch) -> None:
    # e.g. another freezer that sets sys.frozen but has no _MEIPASS: never a half-built bundle path
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    assert paths.resources_dir() == ROOT / "resources"


def test_resolver_does_not_depend_on_the_working_directory(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.chdir(tmp_path)
    assert paths.resources_dir() == ROOT / "resources"
    assert paths.resources_dir().is_absolute()


@pytest.mark.parametrize("bad", ["/etc/passwd", "../secrets", "data/../../x", "", "."])
def test_resource_refuses_paths_that_escape(bad: str) -> None:
    with pytest.raises(ValueError, match="not a relative resource path"):
        paths.resource(bad)


def test_resource_joins_nested_relative_paths() -> None:
    assert paths.resource("data/codes/guidance.yaml") == paths.resources_dir() / "data" / "codes" / "guidance.yaml"
