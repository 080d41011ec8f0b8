"""Logging, Qt messages and uncaught exceptions for the window (style.md §10 item 11, §11 D).

- :func:`setup_logging`: a rotating log file in the user log folder (:func:`desktop.userdirs.user_log_dir`),
  plus a console handler only when ``sys.stderr`` exists; a windowed build (no stdout/stderr) never
  crashes on logging, and a log folder that cannot be written only loses the file, never the app.
- :func:`install_qt_message_handler`: ``qInstallMessageHandler`` routes Qt's own warnings into ``logging``.
- :func:`install_excepthook`: ``sys.excepthook`` (and ``threading.excepthook``) log the traceback as
  CRITICAL and, unless ``--no-error-dialogs``, call ``show_dialog(details)`` where ``details`` is the
  copyable text: app, data, Python, Qt and platform versions and the traceback.

Qt is imported only inside :func:`install_qt_message_handler`, so the commands stay free of it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from desktop import __version__

LOG_FILE_NAME = "guidecode.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"

log = logging.getLogger(__name__)

# What the details text says about the running app; the window fills in the data version it loaded.
context: dict[str, str] = {}

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class SizeRotatingFileHandler(logging.FileHandler):
    """A log file that is renamed to ``<name>.1`` (``.1`` to ``.2`` ...) before a record would take it past
    ``max_bytes``, keeping ``backup_count`` old files: what ``logging.handlers.RotatingFileHandler`` does.
    Written here because importing ``logging.handlers`` pulls in socket, pickle and queue (~6 ms of every
    start in the frozen build, packaging/bench_startup.py) for the one class the app uses."""

    def __init__(self, filename: Path, max_bytes: int, backup_count: int) -> None:
        super().__init__(filename, mode="a", encoding="utf-8")
        self.max_bytes = max_bytes
        self.backup_count = backup_count

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._should_rotate(record):
                self._rotate()
            super().emit(record)
        except Exception:  # noqa: BLE001 - logging must never raise into the app (logging.Handler's contract)
            self.handleError(record)

    def _should_rotate(self, record: logging.LogRecord) -> bool:
        if self.max_bytes <= 0 or not os.path.isfile(self.baseFilename):
            return False
        if self.stream is None:
            self.stream = self._open()
        self.stream.seek(0, 2)  # Windows text streams do not keep tell() at the end by themselves
        return bool(self.stream.tell() + len(self.format(record)) + 1 >= self.max_bytes)

    def _rotate(self) -> None:
        if self.stream:
            self.stream.close()
            self.stream = None
        if self.backup_count > 0:
            for i in range(self.backup_count - 1, 0, -1):
                older, newer = f"{self.baseFilename}.{i}", f"{self.baseFilename}.{i + 1}"
                if os.path.exists(older):
                    os.replace(older, newer)
            os.replace(self.baseFilename, f"{self.baseFilename}.1")
        else:  # no backups kept: start the file again
            os.remove(self.baseFilename)
        self.stream = self._open()


class _Installed:
    handlers: list[logging.Handler] = []
    log_file: Path | None = None
    root_level: int | None = None


def log_file() -> Path | None:
    """The current log file (None until :func:`setup_logging`, or when the folder is not writable)."""
    return _Installed.log_file


def setup_logging(log_dir: Path | None = None, *, level: int = logging.INFO, max_bytes: int = MAX_BYTES,
                  backup_count: int = BACKUP_COUNT) -> Path | None:
    """Configure the root logger once (calling it again replaces what it installed). Returns the log file."""
    from desktop.userdirs import user_log_dir

    shutdown_logging()
    root = logging.getLogger()
    formatter = logging.Formatter(FORMAT)
    folder = log_dir if log_dir is not None else user_log_dir()
    path: Path | None = folder / LOG_FILE_NAME
    problem: OSError | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        file_handler = SizeRotatingFileHandler(folder / LOG_FILE_NAME, max_bytes, backup_count)
        file_handler.setFormatter(formatter)
        file_handler.setLevel(logging.DEBUG)
        _Installed.handlers.append(file_handler)
    except OSError as exc:  # a read-only or full disk must not stop the app
        path, problem = None, exc
    if sys.stderr is not None:  # windowed builds have no stderr (pyinstaller#7688)
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(formatter)
        console.setLevel(logging.WARNING)
        _Installed.handlers.append(console)
    for handler in _Installed.handlers:
        root.addHandler(handler)
    _Installed.root_level = root.level
    root.setLevel(level)
    logging.captureWarnings(True)
    _Installed.log_file = path
    if problem is not None:
        log.warning("no log file: cannot write to %s (%s)", folder, problem)
    # The platform module costs ~1.5 ms to import (and platform.platform() scans the executable for its libc
    # version): the start-up line uses what the interpreter already knows; the crash details (below) give
    # platform.platform().
    log.info("GuideCode %s starting; Python %s on %s", __version__, sys.version.split()[0], _system())
    return path


def _system() -> str:
    """``Linux 6.1.0 x86_64``, ``Windows 10.0.22631 AMD64``, ``Darwin 23.4.0 arm64``: what the start-up
    line says about the machine (``platform.system/release/machine`` without importing ``platform``)."""
    if sys.platform == "win32":
        ver = sys.getwindowsversion()
        return f"Windows {ver.major}.{ver.minor}.{ver.build} {os.environ.get('PROCESSOR_ARCHITECTURE', '')}".strip()
    uname = os.uname()
    return f"{uname.sysname} {uname.release} {uname.machine}"


def shutdown_logging() -> None:
    """Remove and close what :func:`setup_logging` installed (tests and a second setup call use it)."""
    root = logging.getLogger()
    for handler in _Installed.handlers:
        root.removeHandler(handler)
        handler.close()
    _Installed.handlers = []
    _Installed.log_file = None
    if _Installed.root_level is not None:
        root.setLevel(_Installed.root_level)
        _Installed.root_level = None
    logging.captureWarnings(False)


# ---------------------------------------------------------------------------------------------------------
# Qt messages


def _qt_levels() -> dict[Any, int]:
    from PySide6.QtCore import QtMsgType

    return {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }


def qt_message_handler(mode: Any, ctx: Any, message: str) -> None:
    """Log one Qt message under ``qt`` (``qt.<category>`` when Qt names one)."""
    category = getattr(ctx, "category", None) or ""
    name = "qt" if category in ("", "default") else f"qt.{category}"
    where = ""
    if getattr(ctx, "file", None):
        where = f" ({ctx.file}:{ctx.line})"
    logging.getLogger(name).log(_LEVELS.get(mode, logging.WARNING), "%s%s", message, where)


_LEVELS: dict[Any, int] = {}


def install_qt_message_handler() -> Any:
    """Route Qt's messages into logging. Returns the previous handler (pass it back to restore)."""
    from PySide6.QtCore import qInstallMessageHandler

    if not _LEVELS:
        _LEVELS.update(_qt_levels())
    return qInstallMessageHandler(qt_message_handler)


# ---------------------------------------------------------------------------------------------------------
# Uncaught exceptions


def error_details(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    """The copyable text of an error report: versions, platform, log file, then the traceback."""
    import platform

    lines = [f"GuideCode {__version__}"]
    if context.get("data"):
        lines.append(f"Data: {context['data']}")
    lines.append(f"Python {platform.python_version()} ({platform.python_implementation()})")
    qt = sys.modules.get("PySide6.QtCore")
    pyside = sys.modules.get("PySide6")
    if qt is not None and pyside is not None:
        lines.append(f"PySide6 {getattr(pyside, '__version__', '?')}, Qt {qt.qVersion()}")
    lines.append(f"Platform: {platform.platform()}")
    lines.append(f"Frozen build: {'yes' if getattr(sys, 'frozen', False) else 'no'}")
    lines.append(f"Log file: {_Installed.log_file or 'none'}")
    lines.append("")
    lines.extend(line.rstrip("\n") for line in traceback.format_exception(exc_type, exc, tb))
    return "\n".join(lines)


class _Hook:
    show_dialog: Callable[[str], None] | None = None
    showing = False


def handle_exception(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """What ``sys.excepthook`` does: log CRITICAL with the details, then show them (one dialog at a time)."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    details = error_details(exc_type, exc, tb)
    log.critical("Uncaught exception\n%s", details)
    show = _Hook.show_dialog
    if show is None or _Hook.showing:
        return
    _Hook.showing = True
    try:
        show(details)
    except Exception:  # the dialog itself failed: the log still has everything
        log.exception("could not show the error dialog")
    finally:
        _Hook.showing = False


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None:
        return
    details = error_details(args.exc_type, args.exc_value, args.exc_traceback)
    log.critical("Uncaught exception in thread %s\n%s", getattr(args.thread, "name", "?"), details)


def install_excepthook(show_dialog: Callable[[str], None] | None) -> Callable[[], None]:
    """Install the hooks. ``show_dialog`` None means no dialogs (``--no-error-dialogs``). Returns a
    function that puts the previous hooks back."""
    previous, previous_thread = sys.excepthook, threading.excepthook
    _Hook.show_dialog = show_dialog
    sys.excepthook = handle_exception
    threading.excepthook = _thread_hook

    def restore() -> None:
        sys.excepthook = previous
        threading.excepthook = previous_thread
        _Hook.show_dialog = None

    return restore
