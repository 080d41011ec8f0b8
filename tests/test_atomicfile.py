"""desktop/core/atomicfile.py: a file appears whole under its final name or not at all."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from desktop.core import atomicfile
from desktop.core.atomicfile import atomic_writer, is_temp_name, write_atomic, write_text_atomic


def test_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old\n")
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_an_exception_in_the_block_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old\n")
    def half_a_report() -> None:
        with atomic_writer(target) as fh:
            fh.write("half of a report")
            raise RuntimeError("killed half way")

    with pytest.raises(RuntimeError):
        half_a_report()
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_a_failing_rename_leaves_the_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"{}")

    def full_disk(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomicfile.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, b'{"disabled": []}')
    assert target.read_bytes() == b"{}"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failing_write_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(atomicfile.os, "fsync", no_fsync)
    with pytest.raises(OSError, match="I/O error"):
        write_atomic(tmp_path / "x.bin", b"data")
    assert list(tmp_path.iterdir()) == []


def test_creates_the_folder_and_uses_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "enc.json"
    write_atomic(target, b"{}")
    assert target.read_bytes() == b"{}"
    if os.name == "posix":
        assert target.stat().st_mode & 0o777 == 0o666 & ~atomicfile._UMASK


def test_temp_names_are_recognisable(tmp_path: Path) -> None:
    seen: list[str] = []

    def interrupted() -> None:
        with atomic_writer(tmp_path / "r.csv") as fh:
            fh.write("x")
            seen.extend(p.name for p in tmp_path.iterdir())
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert len(seen) == 1 and is_temp_name(seen[0])
    assert list(tmp_path.iterdir()) == []
    assert not is_temp_name("r.csv")
