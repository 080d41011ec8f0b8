"""The standard streams, made safe once at start-up (``desktop.app.main`` calls :func:`ensure_std_streams`
before anything reads or writes them).

- A windowed frozen build starts with ``sys.stdout``/``sys.stderr`` set to None (PyInstaller >= 5.7,
  pyinstaller#7688); any print or logging to them would crash the double-clicked app. They point at
  ``os.devnull`` instead.
- On Windows a redirected stream (``GuideCode.exe resolve x.json > out.json``, a pipe) is opened in the
  ANSI code page, cp1252 in the offices we serve, with strict errors, and a frozen build ignores
  ``PYTHONIOENCODING``. The self-test line (``64405→77002``), ``resolve``'s JSON (``ensure_ascii=False``)
  and error lines that quote the user's input carry characters cp1252 does not have, so the command died
  with ``UnicodeEncodeError`` after doing its work; ``audit``'s report (``77003 ×2``) came out as cp1252
  bytes that a UTF-8 reader misreads. Every stream that is
  not a terminal is therefore UTF-8 (what JSON and CSV readers expect), with ``backslashreplace`` for what
  even UTF-8 cannot encode (lone surrogates from undecodable file names); standard input that is not a
  terminal is read as UTF-8 too, a byte-order mark allowed (Notepad writes one). A terminal keeps its own
  encoding (the Windows console is UTF-16 already, PEP 528) but never fails on a character it lacks: it
  shows ``?`` instead. Windows reports the ``NUL`` device as a terminal (``> NUL`` in a batch file); it gets
  the same no-fail rule. An exception escaping a windowed frozen build is worse than a crash: the bootloader
  shows it in a message box and waits for a click, so an unattended script hangs.
"""

from __future__ import annotations

import os
import sys
from typing import Any

OUTPUT_ENCODING = "utf-8"
OUTPUT_ERRORS = "backslashreplace"
INPUT_ENCODING = "utf-8-sig"
# error handlers that never raise on output; "strict" and "surrogateescape" (what Python picks for a
# Windows NUL device under some locales) do
NEVER_FAILING_ERRORS = frozenset({"replace", "backslashreplace", "namereplace", "xmlcharrefreplace", "ignore"})


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


def _reconfigure(stream: Any, *, output: bool) -> None:
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is None:  # not a TextIOWrapper (a test harness's capture): leave it alone
        return
    try:
        if _isatty(stream):
            if output and getattr(stream, "errors", "strict") not in NEVER_FAILING_ERRORS:
                reconfigure(errors="replace")
        elif output:
            reconfigure(encoding=OUTPUT_ENCODING, errors=OUTPUT_ERRORS)
        else:
            reconfigure(encoding=INPUT_ENCODING)
    except (OSError, ValueError):  # already read from or written to in a way that cannot change: keep it
        pass


def ensure_std_streams() -> None:
    # WORKAROUND: https://github.com/pyinstaller/pyinstaller/issues/7688
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding=OUTPUT_ENCODING)  # noqa: SIM115 - lives for the process
    else:
        _reconfigure(sys.stdout, output=True)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding=OUTPUT_ENCODING)  # noqa: SIM115
    else:
        _reconfigure(sys.stderr, output=True)
    if sys.stdin is not None:
        _reconfigure(sys.stdin, output=False)
