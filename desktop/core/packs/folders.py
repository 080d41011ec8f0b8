"""Where data packs live in a data folder and their on/off state (``data-packs.json``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from desktop.core import strictjson
from desktop.core.packs.locking import StoreError, os_reason, store_lock
from desktop.core.problems import Problem
from desktop.core.safefile import read_regular

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


MAX_STATE_BYTES = 1024 * 1024


def read_state(data_dir: Path) -> tuple[frozenset[str], list[Problem]]:
    """The folder names of disabled packs, from ``data-packs.json`` (missing file: none disabled).

    Any damage (not a regular file, too large, not UTF-8, not JSON, a key twice, a huge number, deep nesting,
    the wrong shape) is one problem, never an exception: the window still starts, on the built-in data."""
    path = data_dir / STATE_FILE
    try:
        text = read_regular(path, MAX_STATE_BYTES).decode("utf-8")
    except FileNotFoundError:
        return frozenset(), []
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return frozenset(), [Problem(STATE_FILE, 1, "", f"cannot read the pack on/off settings: {reason}")]
    try:
        data = strictjson.loads(text)
    except strictjson.JsonInputError as exc:
        return frozenset(), [Problem(STATE_FILE, exc.line or 1, "", f"the pack on/off settings are not valid JSON: "
                                     f"{exc.message}")]
    disabled = data.get("disabled") if isinstance(data, dict) else None
    if not isinstance(data, dict) or set(data) - {"disabled"} or not isinstance(disabled, list) or not all(
            isinstance(x, str) for x in disabled):
        return frozenset(), [Problem(STATE_FILE, 1, "", 'the pack on/off settings must look like '
                                     '{"disabled": ["folder", ...]}')]
    return frozenset(disabled), []


def write_text_atomic(path: Path, text: str) -> None:
    """:func:`desktop.core.atomicfile.write_text_atomic`, imported on the first write (it brings tempfile,
    which a start of the window does not need)."""
    from desktop.core import atomicfile

    atomicfile.write_text_atomic(path, text)


def write_state(data_dir: Path, disabled: Iterable[str]) -> None:
    """Write ``data-packs.json`` atomically (the caller holds the data folder's lock). Raises OSError,
    leaving the previous file as it was."""
    text = json.dumps({"disabled": sorted(set(disabled))}, indent=2, ensure_ascii=False) + "\n"
    write_text_atomic(data_dir / STATE_FILE, text)


def set_enabled(data_dir: Path, folder: str, enabled: bool) -> None:
    """Turn an installed pack on or off (stored in ``data-packs.json`` in the data folder), under the data
    folder's lock. Raises :class:`~desktop.core.packs.locking.StoreError` saying why (a full or read-only
    disk, another process busy); the stored state is then exactly as it was."""
    with store_lock(data_dir):
        disabled, problems = read_state(data_dir)
        keep = set() if problems else set(disabled)
        if enabled:
            keep.discard(folder)
        else:
            keep.add(folder)
        try:
            write_state(data_dir, keep)
        except OSError as exc:
            what = "turned on" if enabled else "turned off"
            raise StoreError(f"the data pack {folder!r} could not be {what}: {os_reason(exc)}. Nothing was "
                             "changed.") from exc


def scan_packs(data_dir: Path) -> tuple[list[tuple[Path, str, str]], frozenset[str], list[Problem]]:
    """Every pack folder of ``data_dir`` as (folder, internal tag, display prefix), the disabled folder
    names, and any problem reading the on/off settings."""
    disabled, state_problems = read_state(data_dir)
    found = [(path, f"packs/{path.name}", shown) for path, shown in pack_folders(data_dir)]
    return found, disabled, state_problems


def default_data_dir() -> Path:
    from desktop.userdirs import user_data_dir

    return user_data_dir()


