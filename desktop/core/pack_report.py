"""Installed data packs, their on/off state, and loading the data with them: what every start of the window
and the commands needs, kept apart from reading, checking, merging and installing packs
(:mod:`desktop.core.packs`, which re-exports these names). With no pack installed, the usual case, a start
loads the built-in data without importing that module (~3 ms: seven dataclasses and its checks).
See :mod:`desktop.core.packs` for what a pack is and how it applies.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.core.model import Catalog
from desktop.core.problems import Problem

if TYPE_CHECKING:
    from desktop.core.packs import Pack, PackManifest

PACK_MANIFEST = "pack.yaml"
PACKS_SUBDIR = "packs"
STATE_FILE = "data-packs.json"
BUILTIN_LABEL = "built-in"


@dataclass(frozen=True, slots=True)
class PackStatus:
    """One pack folder found in a data folder and what became of it."""

    folder: str
    path: Path
    manifest: PackManifest | None
    enabled: bool
    applied: bool
    problems: tuple[Problem, ...]

    @property
    def title(self) -> str:
        if self.manifest is None:
            return self.folder
        return f"{self.manifest.name} {self.manifest.version}"


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What loading the built-in data and the packs gave: the catalog, every pack and every problem."""

    catalog: Catalog
    packs: tuple[PackStatus, ...]
    problems: tuple[Problem, ...]

    @property
    def skipped(self) -> tuple[PackStatus, ...]:
        return tuple(p for p in self.packs if p.enabled and not p.applied)


def display_problem(problem: Problem, prefixes: Mapping[str, str]) -> Problem:
    """Turn an internal label into the file name a person can find: ``<display prefix><file>``; files of
    the built-in data are shown as ``built-in/<file>``."""
    for tag, shown in prefixes.items():
        if problem.file.startswith(tag + "/"):
            return replace(problem, file=shown + problem.file[len(tag) + 1:])
    return replace(problem, file=f"{BUILTIN_LABEL}/{problem.file}")


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


def load_report(data_dir: Path | None, base: Catalog | None = None, *, missing_ok: bool = False) -> LoadReport:
    """The built-in data with every enabled, valid pack of ``data_dir`` applied (the user data folder when
    ``data_dir`` is None). Raises :class:`DataError` only when the built-in data itself is broken.

    A ``data_dir`` that does not exist is reported as a problem (a mistyped ``--data-dir``) unless
    ``missing_ok``; the default user data folder may always be missing (nothing installed yet)."""
    if base is None:
        from desktop.core.data import load_builtin

        base = load_builtin()
    folder = data_dir if data_dir is not None else default_data_dir()
    if data_dir is not None and not missing_ok and not data_dir.is_dir():
        return LoadReport(base, (), (Problem(str(data_dir), 1, "", "the data folder does not exist; "
                                             "no data pack was applied"),))
    found, disabled, state_problems = scan_packs(folder)
    if not found and not state_problems:  # nothing installed: the usual start, without reading or merging code
        return LoadReport(base, (), ())
    from desktop.core.packs import apply_packs, read_pack

    if state_problems:  # the on/off settings are unreadable: start on the built-in data and say so
        off = tuple(PackStatus(path.name, path, None, False, False, ()) for path, _, _ in found)
        return LoadReport(base, off, tuple(state_problems))
    prefixes = {tag: shown for _, tag, shown in found}
    read: dict[str, tuple[Pack | None, list[Problem]]] = {}
    for path, tag, _ in found:
        if path.name not in disabled:
            read[tag] = read_pack(path, tag)
    good = [pack for pack, _ in read.values() if pack is not None]
    catalog, skipped = apply_packs(base, good)
    statuses: list[PackStatus] = []
    all_problems: list[Problem] = []
    for path, tag, _ in found:
        enabled = path.name not in disabled
        pack, problems = read.get(tag, (None, []))
        if pack is None and not enabled:
            pack, _ = read_pack(path, tag)  # only for the name and version shown in the dialog
        problems = problems + skipped.get(tag, [])
        shown = [display_problem(p, prefixes) for p in problems]
        all_problems.extend(shown)
        statuses.append(PackStatus(path.name, path, pack.manifest if pack else None, enabled,
                                   enabled and not problems, tuple(shown)))
    return LoadReport(catalog, tuple(statuses), tuple(all_problems))


def load_with_packs(data_dir: Path | None) -> tuple[Catalog, list[Problem]]:
    """The merged catalog and the problems of every pack that was skipped (see :func:`load_report`)."""
    report = load_report(data_dir)
    return report.catalog, list(report.problems)
