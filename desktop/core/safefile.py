"""Reading files GuideCode did not write itself (packs, the pack on/off state, stored descriptors, the
descriptor CSV, ``resolve`` input) without hanging, ballooning or following a swapped file.

- Only regular files are read: a FIFO (``mkfifo``), a device (``/dev/zero``), a socket or a folder is
  refused *before* it is opened for reading, so that a FIFO never blocks the window or a command.
- The file is opened non-blocking and checked again on the open descriptor (``fstat``), so a file swapped
  for a FIFO between the check and the open is refused too.
- At most ``max_bytes`` are read, in bounded chunks, whatever the file's size claims to be; a larger file is
  refused with its limit named.

Every refusal is an :class:`UnreadableFile`, an :class:`OSError` whose ``strerror`` is one plain sentence,
so callers that already catch ``OSError`` and show ``exc.strerror`` say why.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 16
_O_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)


class ReasonError(OSError):
    """An OSError of GuideCode's own whose ``strerror`` (and ``str()``) is one sentence for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.strerror = reason

    def __str__(self) -> str:
        return self.reason


class UnreadableFile(ReasonError):
    """A file GuideCode refuses to read; ``strerror`` (and ``str()``) says why in one sentence."""


def size_label(n: int) -> str:
    """``8 MB``, ``512 KB`` or ``100 bytes``: a limit as people read it."""
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MB"
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return f"{n >> 10} KB"
    return f"{n} bytes"


def kind_of(mode: int) -> str | None:
    """None for a regular file, else what the file is, in words."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: Path, max_bytes: int | None = None) -> os.stat_result:
    """The file's stat if ``path`` is a regular file (following links) no larger than ``max_bytes``; raises
    :class:`UnreadableFile` if it is something else, FileNotFoundError if it does not exist."""
    st = os.stat(path)
    kind = kind_of(st.st_mode)
    if kind is not None:
        raise UnreadableFile(f"it is {kind}, not a regular file")
    if max_bytes is not None and st.st_size > max_bytes:
        raise UnreadableFile(f"the file is larger than {size_label(max_bytes)}")
    return st


def read_stream(fh: BinaryIO, max_bytes: int) -> bytes:
    """At most ``max_bytes`` from an open binary stream, read in bounded chunks; more is refused."""
    return _read_bounded(fh.read, max_bytes, "the input")


def _read_fd(fd: int, max_bytes: int) -> bytes:
    return _read_bounded(lambda n: os.read(fd, n), max_bytes, "the file")


def _read_bounded(read: Callable[[int], bytes], max_bytes: int, what: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = read(min(CHUNK, max_bytes + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise UnreadableFile(f"{what} is larger than {size_label(max_bytes)}")


def read_regular(path: Path, max_bytes: int, *, allow_pipe: bool = False) -> bytes:
    """The bytes of the regular file ``path`` (at most ``max_bytes``). Raises FileNotFoundError, other
    OSErrors as the system gives them, and :class:`UnreadableFile` for a special file or a file too large.

    ``allow_pipe``: also read a pipe (``resolve <(...)``), still bounded; devices stay refused."""
    st = os.stat(path)
    kind = kind_of(st.st_mode)
    pipe = allow_pipe and stat.S_ISFIFO(st.st_mode)
    if kind is not None and not pipe:
        raise UnreadableFile(f"it is {kind}, not a regular file")
    if st.st_size > max_bytes:
        raise UnreadableFile(f"the file is larger than {size_label(max_bytes)}")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) if pipe else _O_FLAGS)
    try:
        now = os.fstat(fd)
        if kind_of(now.st_mode) is not None and not (pipe and stat.S_ISFIFO(now.st_mode)):
            raise UnreadableFile(f"it is {kind_of(now.st_mode)}, not a regular file (it changed while being opened)")
        return _read_fd(fd, max_bytes)
    finally:
        os.close(fd)
