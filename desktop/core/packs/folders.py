"""Where data packs live in a data folder and their on/off state (``data-packs.json``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from desktop.core.problems import Problem

PACK_MANIFEST = "pack.yaml"
PACKS_SUBDIR = "packs"
STATE_FILE = "data-packs.json"
BUILTIN_LABEL = "built-in"


def pack_folders(data_dir: Path) -> list[tuple[Path, str]]:
    """(pack folder, display prefix) for every pack in a data folder; where packs live: the docstring of
    :mod:`desktop.core.packs`."""
    if (data_dir / PACK_MANIFEST).is_file():
        return [(data_dir, "")]
    root = data_dir / PACKS_SUBDIR
    if root.is_dir():
        return [(p, f"{PACKS_SUBDIR}/{p.name}/") for p in sorted(root.iterdir())
                if p.is_dir() and not p.name.startswith(".")]
    if not data_dir.is_dir():
        return []
    return [(p, f"{p.name}/") for p in sorted(data_dir.iterdir())
            if p.is_dir() and not p.name.startswith(".") and (p / PACK_MANIFEST).is_file()]


def read_state(data_dir: Path) -> tuple[frozenset[str], list[Problem]]:
    """The folder names of disabled packs, from ``data-packs.json`` (missing file: none disabled)."""
    path = data_dir / STATE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return frozenset(), []
    except (OSError, UnicodeDecodeError) as exc:
        return frozenset(), [Problem(STATE_FILE, 1, "", f"cannot read the pack on/off settings: {exc}")]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return frozenset(), [Problem(STATE_FILE, exc.lineno, "", f"the pack on/off settings are not valid JSON: "
                                     f"{exc.msg}")]
    disabled = data.get("disabled") if isinstance(data, dict) else None
    if not isinstance(data, dict) or set(data) - {"disabled"} or not isinstance(disabled, list) or not all(
            isinstance(x, str) for x in disabled):
        return frozenset(), [Problem(STATE_FILE, 1, "", 'the pack on/off settings must look like '
                                     '{"disabled": ["folder", ...]}')]
    return frozenset(disabled), []


def _write_json(path: Path, data: Any) -> None:
    import uuid

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def set_enabled(data_dir: Path, folder: str, enabled: bool) -> None:
    """Turn an installed pack on or off (stored in ``data-packs.json`` in the data folder)."""
    disabled, problems = read_state(data_dir)
    keep = set() if problems else set(disabled)
    if enabled:
        keep.discard(folder)
    else:
        keep.add(folder)
    _write_json(data_dir / STATE_FILE, {"disabled": sorted(keep)})


def scan_packs(data_dir: Path) -> tuple[list[tuple[Path, str, str]], frozenset[str], list[Problem]]:
    """Every pack folder of ``data_dir`` as (folder, internal tag, display prefix), the disabled folder
    names, and any problem reading the on/off settings."""
    disabled, state_problems = read_state(data_dir)
    found = [(path, f"packs/{path.name}", shown) for path, shown in pack_folders(data_dir)]
    return found, disabled, state_problems


def default_data_dir() -> Path:
    from desktop.userdirs import user_data_dir

    return user_data_dir()


