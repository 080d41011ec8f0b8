"""One lock per data folder, so that two GuideCode processes (two windows, a window and a command) never
change the installed packs at the same time, and a start never reads them half-changed.

The lock is ``data-packs.lock`` in the data folder, locked with ``fcntl.flock`` on POSIX and
``msvcrt.locking`` on Windows. The operating system releases it when the process ends, however it ends (a
kill included), so a crash never leaves the folder locked; the file itself stays and is never deleted
(deleting a lock file others may hold open would let two processes "hold" it at once). Changes take it
exclusively; reading takes it shared where the platform can (POSIX), exclusively otherwise. A second
change waits up to :data:`WAIT_SECONDS`, then fails with :class:`StoreBusy` and a sentence saying so.

A lock taken again in the same process for the same folder (a change that reads the packs) is a no-op.

:func:`checkpoint` is the fault hook for tests: with ``GUIDECODE_TEST_KILL_AT=<step>`` in the environment
the process kills itself (SIGKILL, no clean-up) when it reaches that step of a pack change.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from desktop.core.safefile import ReasonError

LOCK_FILE = "data-packs.lock"
WAIT_SECONDS = 30.0
KILL_ENV = "GUIDECODE_TEST_KILL_AT"
_POLL = 0.05


class StoreError(ReasonError):
    """A change to the installed packs that could not be made; nothing was changed. ``strerror`` and
    ``str()`` are one sentence for the person (what failed and why)."""


class StoreBusy(StoreError):
    """Another GuideCode process is changing the packs of this data folder."""


def os_reason(exc: OSError) -> str:
    """An OSError as people read it: ``No space left on device`` rather than ``[Errno 28] ...: '/x/y'``."""
    import errno

    if isinstance(exc, StoreError):
        return exc.reason
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EROFS:
        return "the disk is read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "GuideCode may not write there (permission denied)"
    return exc.strerror or str(exc)


def checkpoint(step: str) -> None:
    """A named step of a pack change; the kill-at-every-step test stops the process here (see module doc)."""
    if os.environ.get(KILL_ENV) == step:
        import signal

        kill = getattr(signal, "SIGKILL", None)
        if kill is not None:
            os.kill(os.getpid(), kill)
        os._exit(137)  # pragma: no cover - Windows: no SIGKILL; end at once all the same


_held: dict[str, int] = {}  # data folder -> how deep this process holds its lock
_held_guard = threading.Lock()


def _try_lock(fd: int, exclusive: bool) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)


def _open_lock_file(path: Path, data_dir: Path, *, create: bool, required: bool) -> int | None:
    """The lock file, opened for locking; made (with its folder) only for a change: a reader never writes
    anything (a folder no change ever touched has no lock file, and nothing to be half-changed)."""
    try:
        if create:
            Path(data_dir).mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOINHERIT", 0) | (os.O_CREAT if create else 0)
        return os.open(path, flags, 0o666)
    except OSError as exc:
        if not required:
            return None
        raise StoreError(f"the data folder {data_dir} cannot be locked for the change: {os_reason(exc)}") from exc


@contextlib.contextmanager
def store_lock(data_dir: Path, *, exclusive: bool = True, wait: float | None = None,
               required: bool = True) -> Iterator[bool]:
    """Hold the data folder's lock for the ``with`` block; yields whether it is held.

    ``exclusive``: for a change (shared, for reading, where the platform allows). ``wait``: seconds to wait
    for another process (default :data:`WAIT_SECONDS`), then :class:`StoreBusy`. ``required=False`` (for
    reading): a folder with no lock file (no change ever made there), one where it cannot be opened
    (read-only media) or a lock still busy after the wait yields False instead of raising: nobody can be
    changing such a folder, and a reader must not stop the window starting.
    """
    key = str(Path(os.path.abspath(data_dir)))
    with _held_guard:
        if _held.get(key):
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield True
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    limit = WAIT_SECONDS if wait is None else wait
    path = Path(data_dir) / LOCK_FILE
    fd = _open_lock_file(path, data_dir, create=exclusive, required=required)
    if fd is None:
        yield False
        return
    try:
        deadline = time.monotonic() + limit
        while not _try_lock(fd, exclusive):
            if time.monotonic() >= deadline:
                if not required:
                    yield False
                    return
                raise StoreBusy(f"another GuideCode window or command is changing the data packs in {data_dir}; "
                                f"waited {limit:.0f} s. Try again when it has finished.")
            time.sleep(_POLL)
        with _held_guard:
            _held[key] = 1
        try:
            yield True
        finally:
            with _held_guard:
                _held.pop(key, None)
            _unlock(fd)
    finally:
        os.close(fd)
