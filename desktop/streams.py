"""Windowed frozen builds start with ``sys.stdout``/``sys.stderr`` set to None (PyInstaller >= 5.7,
pyinstaller#7688); any print or logging to them would crash the double-clicked app. Point them at
``os.devnull`` instead, before anything writes."""

from __future__ import annotations

import os
import sys


def ensure_std_streams() -> None:
    # WORKAROUND: https://github.com/pyinstaller/pyinstaller/issues/7688
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives for the process
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
