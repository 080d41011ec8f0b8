"""Validating a pack as it would apply, importing it into a data folder, removing it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from desktop.core.loader import Problem
from desktop.core.model import Catalog
from desktop.core.packs.folders import PACK_MANIFEST, PACKS_SUBDIR, scan_packs
from desktop.core.packs.locking import StoreError, os_reason, store_lock
from desktop.core.packs.merge import apply_packs
from desktop.core.packs.reading import CANDIDATE_TAG, MAX_FILE_BYTES, Pack, PackManifest, read_pack
from desktop.core.packs.report import display_problem
from desktop.core.packs.store import choose_folder, install_files, installed_name, recover_locked, remove_folder
from desktop.core.safefile import read_regular

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


def _pack_bytes(source: Path, manifest: PackManifest) -> dict[str, bytes]:
    """pack.yaml and every listed file of ``source``, read again (regular files only, bounded) and checked
    against the checksums that were validated: what is installed is exactly what was checked."""
    from desktop.core.sha import sha256

    files = {PACK_MANIFEST: read_regular(source / PACK_MANIFEST, MAX_FILE_BYTES)}
    for rel, want in manifest.files.items():
        data = read_regular(source / rel, MAX_FILE_BYTES)
        if sha256(data).hexdigest() != want:
            raise PackRefused([Problem(PACK_MANIFEST, 1, "files", f"{rel} changed while the pack was being "
                                       "imported; nothing was changed, try again")])
        files[rel] = data
    return files


def import_pack(source: Path, data_dir: Path, *, base: Catalog | None = None) -> ImportResult:
    """Validate ``source`` fully, then install it into ``data_dir/packs/`` as one transaction
    (:mod:`desktop.core.packs.store`), holding the data folder's lock throughout, so that a second import
    waits for this one and validates against what it installed. A pack with the same name (case-insensitive)
    is replaced; any other pack keeps its folder ("Payer notes!" next to "Payer notes" gets its own).

    Raises :class:`PackRefused` listing every problem if the pack is not valid, and
    :class:`~desktop.core.packs.locking.StoreError` saying why if it cannot be installed (another process
    busy past the wait, a full or read-only disk); in both cases nothing was changed."""
    if base is None:
        from desktop.core.data import load_builtin

        base = load_builtin()
    with store_lock(data_dir):
        recover_locked(data_dir)  # finish any interrupted change first, so this one starts from a clean state
        manifest, problems = validate_pack(source, data_dir=data_dir, base=base)
        if problems or manifest is None:
            raise PackRefused(problems)
        try:
            files = _pack_bytes(source, manifest)
        except FileNotFoundError as exc:
            raise PackRefused([Problem(PACK_MANIFEST, 1, "files", f"{Path(exc.filename or '').name} disappeared "
                                       "while the pack was being imported; nothing was changed")]) from exc
        except OSError as exc:
            raise StoreError(f"the data pack could not be read from {source}: {os_reason(exc)}. Nothing was "
                             "changed.") from exc
        folder, replaced = choose_folder(data_dir, manifest.name)

        def verify(staging: Path) -> str | None:
            copied, _ = read_pack(staging, CANDIDATE_TAG, base)
            if copied is None or copied.manifest != manifest:
                return "the copy of the pack does not match the pack; nothing was changed, try again"
            return None

        install_files(data_dir, folder, manifest.name, manifest.version, files, replacing=replaced is not None,
                      verify=verify)
    return ImportResult(folder, manifest, replaced)


def remove_pack(data_dir: Path, folder: str) -> None:
    """Delete an installed pack folder (and forget its on/off state), as one journaled change under the data
    folder's lock. Raises ValueError for a folder that is not an installed pack, StoreError saying why the
    disk refused (nothing was changed)."""
    root = data_dir / PACKS_SUBDIR
    target = root / folder
    if (folder in ("", ".", "..") or folder.startswith(".") or "/" in folder or "\\" in folder
            or target.parent != root or not target.is_dir()):
        raise ValueError(f"no installed data pack in folder {folder!r}")
    with store_lock(data_dir):
        recover_locked(data_dir)
        if not target.is_dir():
            raise ValueError(f"no installed data pack in folder {folder!r}")
        remove_folder(data_dir, folder, installed_name(target) or folder, "")
