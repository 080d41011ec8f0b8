"""Atomic file writes: every file GuideCode writes appears whole under its final name, or not at all.

A write goes to a temporary file in the same folder (so the final rename stays on one file system), is
flushed and fsynced, then renamed over the target with :func:`os.replace`; on POSIX the folder is fsynced
too, so the rename survives a power cut. On any error (a full disk, a read-only folder, an exception in the
caller's block) the temporary file is removed and the previous file, if any, is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

_TMP_PREFIX = ".tmp-"


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once, at import: os.umask is process-wide, so never toggle it while threads run


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: Path, *, encoding: str = "utf-8", newline: str | None = None) -> Iterator[TextIO]:
    """A text file to write; on a clean exit of the ``with`` block it becomes ``path`` atomically.

    ``with atomic_writer(out, newline="") as fh: csv.writer(fh)...`` — if the block raises, ``path`` is
    untouched, the temporary file is gone, and the exception propagates.
    """
    with _replacing(path) as (fd, tmp), os.fdopen(fd, "w", encoding=encoding, newline=newline) as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_binary_writer(path: Path) -> Iterator[BinaryIO]:
    """:func:`atomic_writer` for bytes."""
    with _replacing(path) as (fd, tmp), os.fdopen(fd, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[tuple[int, Path]]:
    """A temporary file (descriptor, path) beside ``path``, renamed over it when the block ends cleanly."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX + path.name + ".", dir=folder)
    tmp = Path(tmp_name)
    try:
        yield fd, tmp
        with contextlib.suppress(OSError):  # the target's usual permissions, not mkstemp's 0600
            os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(folder)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see the module docstring). Raises OSError, leaving ``path``
    as it was."""
    with atomic_binary_writer(path) as fh:
        fh.write(data)


def write_text_atomic(path: Path, text: str, encoding: str = "utf-8") -> None:
    """:func:`write_atomic` for text."""
    write_atomic(path, text.encode(encoding))


def is_temp_name(name: str) -> bool:
    """Whether a file name is one of this module's temporary files (left only by a killed process)."""
    return name.startswith(_TMP_PREFIX)
