"""Loading the data with the installed packs: what every start of the window and the commands needs. With no
pack installed, the usual case, the built-in data is used without importing the reading and merging code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.frozen import frozen
from desktop.core.model import Catalog
from desktop.core.packs.folders import BUILTIN_LABEL, PACKS_SUBDIR, default_data_dir, scan_packs
from desktop.core.packs.locking import store_lock
from desktop.core.problems import Problem

if TYPE_CHECKING:
    from desktop.core.packs.reading import Pack, PackManifest

@frozen
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
    # What start-up did about an interrupted pack change (completed or rolled back), one sentence each
    # (desktop.core.packs.store.recover); the window shows them, the commands print them.
    notices: tuple[str, ...] = ()

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
    if not (folder / PACKS_SUBDIR).is_dir():  # nothing installed, or a pack author's folder (read as it is)
        return _read_packs(folder, base)
    notices: tuple[str, ...] = ()
    from desktop.core.packs.store import needs_recovery, recover

    if needs_recovery(folder):  # an interrupted change (a kill, a power cut): complete or roll it back
        notices = recover(folder)
    with store_lock(folder, exclusive=False, required=False):  # never a half-changed folder
        report = _read_packs(folder, base)
    return replace(report, notices=notices) if notices else report


def _read_packs(folder: Path, base: Catalog) -> LoadReport:
    found, disabled, state_problems = scan_packs(folder)
    if not found and not state_problems:  # nothing installed: the usual start, without reading or merging code
        return LoadReport(base, (), ())
    from desktop.core.packs.merge import apply_packs
    from desktop.core.packs.reading import read_pack

    if state_problems:  # the on/off settings are unreadable: start on the built-in data and say so
        off = tuple(PackStatus(path.name, path, None, False, False, ()) for path, _, _ in found)
        return LoadReport(base, off, tuple(state_problems))
    prefixes = {tag: shown for _, tag, shown in found}
    read: dict[str, tuple[Pack | None, list[Problem]]] = {}
    for path, tag, _ in found:
        if path.name not in disabled:
            read[tag] = read_pack(path, tag, base)
    good = [pack for pack, _ in read.values() if pack is not None]
    catalog, skipped = apply_packs(base, good)
    statuses: list[PackStatus] = []
    all_problems: list[Problem] = []
    for path, tag, _ in found:
        enabled = path.name not in disabled
        pack, problems = read.get(tag, (None, []))
        if pack is None and not enabled:
            pack, _ = read_pack(path, tag, base)  # only for the name and version shown in the dialog
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

