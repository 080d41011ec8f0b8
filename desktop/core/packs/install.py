"""Validating a pack as it would apply, importing it into a data folder, removing it."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from desktop.core.loader import Problem
from desktop.core.model import Catalog
from desktop.core.packs.folders import PACK_MANIFEST, PACKS_SUBDIR, read_state, scan_packs, set_enabled
from desktop.core.packs.merge import apply_packs
from desktop.core.packs.reading import CANDIDATE_TAG, Pack, PackManifest, read_pack
from desktop.core.packs.report import display_problem

# ---------------------------------------------------------------------------------------------------------
# Validating, importing and removing


def validate_pack(folder: Path, *, data_dir: Path | None = None, base: Catalog | None = None,
                  replace_same_name: bool = True) -> tuple[PackManifest | None, list[Problem]]:
    """Check ``folder`` fully, as it would be applied: on the built-in data, and when ``data_dir`` is given
    together with that folder's enabled packs (a pack of the same name is left out: importing replaces it).

    Problems in the pack's own files are named relative to the pack (``codes/x.yaml``); problems the pack
    causes elsewhere name ``built-in/<file>`` or the other pack's folder. The pack is valid if the list is
    empty. Installing it must also not make another installed pack fail; that is reported too.
    """
    if base is None:
        from desktop.core.data import load_builtin

        base = load_builtin()
    pack, problems = read_pack(folder, CANDIDATE_TAG, base)
    prefixes: dict[str, str] = {CANDIDATE_TAG: ""}
    if pack is None:
        return None, [display_problem(p, prefixes) for p in problems]
    others: list[Pack] = []
    if data_dir is not None:
        found, disabled, state_problems = scan_packs(data_dir)
        if not state_problems:
            for path, tag, shown in found:
                if path.name in disabled:
                    continue
                other, other_problems = read_pack(path, tag, base)
                if other is None:
                    continue
                if replace_same_name and other.manifest.name.casefold() == pack.manifest.name.casefold():
                    continue
                others.append(other)
                prefixes[tag] = shown
    _, before = apply_packs(base, others)
    _, after = apply_packs(base, [*others, pack])
    out = list(after.get(CANDIDATE_TAG, []))
    for other in others:
        if other.tag in after and other.tag not in before:
            name = other.manifest.name
            out.extend(replace(p, message=f"{p.message} (installing this pack would make the installed pack "
                                          f"{name!r} fail)") for p in after[other.tag])
    return pack.manifest, [display_problem(p, prefixes) for p in out]


class PackRefused(Exception):
    """A pack failed validation; nothing was changed. ``problems`` lists every problem."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"the data pack is not valid ({len(self.problems)} problem(s))")


@dataclass(frozen=True, slots=True)
class ImportResult:
    """An installed pack: the folder it went to, its manifest, and the folder of a pack it replaced."""

    folder: str
    manifest: PackManifest
    replaced: str | None


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    return slug[:60] or "pack"


def import_pack(source: Path, data_dir: Path, *, base: Catalog | None = None) -> ImportResult:
    """Validate ``source`` fully, then copy it into ``data_dir/packs/``. A pack with the same name is
    replaced (its folder is swapped only after the copy is complete and checked again). Raises
    :class:`PackRefused` listing every problem, having changed nothing, if the pack is not valid."""
    if base is None:
        from desktop.core.data import load_builtin

        base = load_builtin()
    manifest, problems = validate_pack(source, data_dir=data_dir, base=base)
    if problems or manifest is None:
        raise PackRefused(problems)
    root = data_dir / PACKS_SUBDIR
    replaced: str | None = None
    if root.is_dir():
        for path in sorted(root.iterdir()):
            if path.is_dir() and not path.name.startswith("."):
                other, _ = read_pack(path, f"packs/{path.name}", base)
                same = other is not None and other.manifest.name.casefold() == manifest.name.casefold()
                if same or (other is None and path.name == _slug(manifest.name)):
                    replaced = path.name
                    break
    target_name = replaced or _slug(manifest.name)
    n = 2
    while replaced is None and (root / target_name).exists():
        target_name = f"{_slug(manifest.name)}-{n}"
        n += 1
    import shutil
    import uuid

    root.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    staging = root / f".import-{token}"
    try:
        for rel in [PACK_MANIFEST, *manifest.files]:
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, dest)
        copied, copy_problems = read_pack(staging, CANDIDATE_TAG, base)
        if copied is None or copied.manifest != manifest:
            raise PackRefused([display_problem(p, {CANDIDATE_TAG: ""}) for p in copy_problems] or [
                Problem(PACK_MANIFEST, 1, "", "the pack changed while it was being copied; try again")])
        target = root / target_name
        if target.exists():
            old = root / f".old-{token}"
            os.replace(target, old)
            try:
                os.replace(staging, target)
            except OSError:
                os.replace(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    disabled, state_problems = read_state(data_dir)
    if target_name in disabled and not state_problems:
        set_enabled(data_dir, target_name, True)
    return ImportResult(target_name, manifest, replaced)


def remove_pack(data_dir: Path, folder: str) -> None:
    """Delete an installed pack folder (and forget its on/off state)."""
    import shutil
    import uuid

    root = data_dir / PACKS_SUBDIR
    target = root / folder
    if folder in ("", ".", "..") or "/" in folder or "\\" in folder or target.parent != root or not target.is_dir():
        raise ValueError(f"no installed data pack in folder {folder!r}")
    trash = root / f".remove-{uuid.uuid4().hex}"
    os.replace(target, trash)
    shutil.rmtree(trash, ignore_errors=True)
    disabled, problems = read_state(data_dir)
    if folder in disabled and not problems:
        set_enabled(data_dir, folder, True)


