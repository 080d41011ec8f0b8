"""desktop/core must stay pure Python: importing it may never pull in Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "desktop" / "core"


def test_no_core_module_imports_pyside6_statically() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}:{node.lineno} {n}" for n in names
                          if n.split(".")[0] in {"PySide6", "shiboken6", "PyQt5", "PyQt6"}]
    assert offenders == []


def test_importing_every_core_module_loads_no_qt() -> None:
    modules = sorted(f"desktop.core.{p.stem}" for p in CORE.glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "from desktop.core.data import load_builtin\n"
        "load_builtin()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'PySide6', 'shiboken6'})\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=CORE.parents[1], timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(modules) >= 5
