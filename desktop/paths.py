"""The one place that knows where GuideCode's bundled resources are.

From source, ``resources/`` sits beside the ``desktop`` package; inside a PyInstaller build it is
unpacked under ``sys._MEIPASS``. Nothing is ever written there: user data goes to the folders Qt's
QStandardPaths names (see ``desktop.ui.settings``) or to ``--data-dir``.
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath


def resources_dir() -> Path:
    """The read-only ``resources`` folder, from source or inside the frozen executable."""
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def resource(relative: str) -> Path:
    """A file below ``resources/``; refuses absolute paths and ``..`` so nothing escapes the bundle."""
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"not a relative resource path: {relative!r}")
    return resources_dir().joinpath(*rel.parts)


def builtin_data_dir() -> Path:
    return resource("data")


def bundled_doc(name: str) -> Path:
    """A page of ``docs/`` shipped inside the app (Help → Data sources shows ``data-sources.md``): beside
    ``resources`` in the frozen build (packaging/guidecode.spec), the repository's ``docs/`` from source."""
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts or len(rel.parts) != 1:
        raise ValueError(f"not a document name: {name!r}")
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS) / "docs" / name
    return Path(__file__).resolve().parents[1] / "docs" / name
