"""Regression guard for the PySide6-Essentials 6.12.0 / CPython 3.11 crash: every void Qt call dropped a
reference to None, and after ~5,000 calls the interpreter aborted with 'Fatal Python error: none_dealloc'.
The probe this repeats (20,000 QLabel.setText calls) aborted with 6.12.0 on Python 3.11.7 and ran through
with 6.12.0 on 3.12.1 and with 6.11.3 on 3.11.7. Runs in a subprocess so a regression aborts that process,
not the test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = r"""
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
before = sys.getrefcount(None)
for _ in range(20_000):
    label.setText("x")
drift = sys.getrefcount(None) - before
print(f"survived 20000 void calls, None refcount drift {drift}")
sys.exit(0 if abs(drift) < 1000 else 3)
"""


def test_20000_void_qt_calls_survive() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env,
                          timeout=120, cwd=Path(__file__).parent)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stdout}{proc.stderr}"
    assert "survived 20000 void calls" in proc.stdout


def test_pinned_pyside6_version() -> None:
    import PySide6

    assert PySide6.__version__ == "6.11.3", "PySide6-Essentials must stay pinned to 6.11.3 (see pyproject.toml)"
