"""desktop.core.atomicfile: the target is the old file or the new one, never half, and no temporary file
is left behind, whatever fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop.core import atomicfile
from desktop.core.atomicfile import write_atomic, write_text_atomic


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(atomicfile.TMP_SUFFIX))


def test_writes_a_new_file_and_replaces_an_old_one(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    assert write_atomic(target, b"one") == target
    assert target.read_bytes() == b"one"
    write_atomic(target, b"two, longer than one")
    assert target.read_bytes() == b"two, longer than one"
    write_text_atomic(str(target), "tr\u00e8s\n")
    assert target.read_bytes() == "tr\u00e8s\n".encode()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_failure_leaves_the_old_file_and_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              failing: str) -> None:
    target = tmp_path / "autosave.json"
    target.write_bytes(b"old")

    def boom(*_a: object, **_k: object) -> None:
        raise OSError(28, "No space left on device")

    if failing == "write":
        class Broken:
            def __init__(self, fd: int, _mode: str) -> None:
                self.fd = fd

            def __enter__(self) -> Broken:
                return self

            def __exit__(self, *_: object) -> None:
                os.close(self.fd)

            def write(self, _data: bytes) -> int:
                raise OSError(28, "No space left on device")

        monkeypatch.setattr(atomicfile.os, "fdopen", Broken)
    elif failing == "fsync":
        monkeypatch.setattr(atomicfile.os, "fsync", boom)
    else:
        monkeypatch.setattr(atomicfile.os, "replace", boom)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_an_interrupt_while_writing_also_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "recent.json"

    def interrupted(*_a: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomicfile.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"x")
    assert not target.exists()
    assert leftovers(tmp_path) == []


def test_the_file_and_on_posix_its_folder_are_synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(atomicfile.os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    dir_syncs: list[Path] = []
    real_dir = atomicfile._fsync_dir
    monkeypatch.setattr(atomicfile, "_fsync_dir", lambda folder: (dir_syncs.append(folder), real_dir(folder))[1])
    write_atomic(tmp_path / "f.bin", b"data")
    assert dir_syncs == [tmp_path]
    assert len(synced) == (2 if os.name == "posix" else 1)  # the file, then the folder (POSIX)


def test_a_folder_that_cannot_be_synced_does_not_fail_the_write(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_folder: Path) -> None:
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(atomicfile, "_fsync_dir", refuse)
    write_atomic(tmp_path / "f.bin", b"data")
    assert (tmp_path / "f.bin").read_bytes() == b"data"


def test_bad_targets_and_data_are_refused_cleanly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "missing-folder" / "f.json", b"x")
    (tmp_path / "dir").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path / "dir", b"x")
    with pytest.raises(TypeError, match="needs bytes"):
        write_atomic(tmp_path / "f.json", "text")  # type: ignore[arg-type]
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_mode_sets_the_permissions_of_the_new_file(tmp_path: Path) -> None:
    target = tmp_path / "private.json"
    write_atomic(target, b"{}", mode=0o600)
    assert target.stat().st_mode & 0o777 == 0o600
