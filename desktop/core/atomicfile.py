"""Atomic file writes: a reader (or a crash, or a power cut) sees the old file or the new one, never half.

:func:`write_atomic` writes the bytes to a temporary file in the same folder (same file system, so the
rename is atomic), flushes and ``fsync``s it, replaces the target with :func:`os.replace` and, on POSIX,
``fsync``s the folder so that the rename itself survives a power cut. If anything fails the temporary file
is removed and the target is left as it was; the error is raised to the caller.

Used for every file GuideCode writes in the user data folder (saved encounters, the autosave, the recent
list, favourites, licensed descriptors) and meant for reports and packs too. Pure Python, no Qt.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

#: Temporary files are named ``.<target name>.<random>.tmp`` beside the target.
TMP_SUFFIX = ".tmp"


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX). Windows has no directory handles to sync: NTFS journals
    the rename itself, and ``os.replace`` maps to ``MoveFileEx(MOVEFILE_REPLACE_EXISTING)``."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path_for(path: Path) -> Path:
    """A fresh temporary file name beside ``path`` (not created)."""
    return path.with_name(f".{path.name}.{os.urandom(6).hex()}{TMP_SUFFIX}")


def write_atomic(path: Path | str, data: bytes, *, mode: int | None = None) -> Path:
    """Replace ``path`` with ``data`` atomically and durably; returns the path written.

    The parent folder must exist. ``mode`` (e.g. ``0o600``) sets the new file's permissions; by default
    the process umask applies, as for an ordinary new file. Raises :class:`OSError` (the target untouched,
    no temporary file left) if the data cannot be written.
    """
    target = Path(path)
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"write_atomic needs bytes, got {type(data).__name__}")
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder")
    tmp = temp_path_for(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666 if mode is None else mode)
    try:
        try:
            fh = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            raise
        with fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # The new file is in place; a folder that cannot be synced (some network file systems refuse to open
    # a folder) only loses the guarantee that the rename survives a power cut, not the write.
    with contextlib.suppress(OSError):
        _fsync_dir(target.parent)
    return target


def write_text_atomic(path: Path | str, text: str, *, encoding: str = "utf-8") -> Path:
    """:func:`write_atomic` for text (UTF-8 by default, newlines written as given)."""
    return write_atomic(path, text.encode(encoding))
