"""The installed packs of a data folder as a small transactional store: install, update and remove go
through a journal, so that a crash, a kill or a power cut at any moment leaves a state that the next start
completes or rolls back, and says which.

Layout of a data folder (``<data>``)::

    packs/<folder>/             installed packs
    packs/.import-<token>/      a pack being copied in (staging)
    packs/.old-<token>/         the previous version of a pack being updated, until the update is committed
    packs/.remove-<token>/      a pack being removed
    data-packs.json             which packs are off (atomic writes)
    data-packs-journal.json     the change in progress, if any (atomic writes)
    data-packs.lock             the lock (:mod:`desktop.core.packs.locking`)

An install or update (:func:`install_files`, the caller holds the lock and has validated the pack):

1. the journal is written: ``{"op": "install"|"update", "folder", "name", "version", "token", "step":
   "staging"}``;
2. every file is written into ``.import-<token>`` (each atomically, fsynced) and the copy is checked
   against the pack's checksums;
3. the journal moves to ``"step": "staged"`` -- from here the change is completed, never lost;
4. an update moves the installed folder to ``.old-<token>``; then ``.import-<token>`` is renamed to
   ``<folder>``;
5. the journal moves to ``"committed"``; the pack is turned on in ``data-packs.json``; ``.old-<token>`` is
   deleted; the journal is deleted.

A removal journals ``{"op": "remove", ...}`` first, then renames the folder to ``.remove-<token>``, forgets
its on/off state, deletes the folder and the journal.

:func:`recover` runs at every start (from :func:`desktop.core.packs.report.load_report`) under the lock:
a change journaled at ``staging`` is rolled back (the staging folder is deleted; an update's old version is
put back if it had moved); a change at ``staged`` is completed if the staged copy still matches its
checksums, else rolled back; ``committed`` is finished; a removal is finished. Then stale ``.import-*``,
``.remove-*`` folders and temporary files of :mod:`desktop.core.atomicfile` are deleted, and an
``.old-*`` folder left by an older GuideCode (which had no journal) is put back as an installed pack when
no installed pack has its name. Every such action is one sentence in the returned notices, which the window
shows in its status bar and the commands print on standard error.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from desktop.core import strictjson
from desktop.core.atomicfile import is_temp_name, write_atomic, write_text_atomic
from desktop.core.packs.folders import PACK_MANIFEST, PACKS_SUBDIR, STATE_FILE, read_state, write_state
from desktop.core.packs.locking import StoreBusy, StoreError, checkpoint, os_reason, store_lock
from desktop.core.safefile import read_regular

JOURNAL_FILE = "data-packs-journal.json"
STAGING_PREFIX = ".import-"
OLD_PREFIX = ".old-"
REMOVE_PREFIX = ".remove-"
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
_FOLDER_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
_MAX_JOURNAL_BYTES = 64 * 1024
# The files whose writers hold the data folder's lock (the pack state, the journal, the stored descriptors):
# only their temporary files are cleaned at start-up; another writer's (saved work) may be in flight.
_LOCKED_FILES = (STATE_FILE, JOURNAL_FILE, "cpt-descriptors.json")
_LEGACY_TMP_RE = re.compile(r"^\.(?:data-packs\.json|cpt-descriptors\.json)\.[0-9a-f]{32}\.tmp$")  # before atomicfile

# The steps of a change, in order, as named to checkpoint() (the kill-at-every-step test uses them all).
INSTALL_STEPS = ("begin", "staging", "staged", "journal-staged", "old-moved", "new-moved", "journal-committed",
                 "state-written", "old-removed", "done")
REMOVE_STEPS = ("remove-begin", "remove-moved", "remove-state-written", "remove-deleted", "remove-done")


@dataclass(frozen=True, slots=True)
class Journal:
    """The change in progress: what, on which folder, for which pack, and how far it got."""

    op: str  # install | update | remove
    folder: str
    name: str
    version: str
    token: str
    step: str  # staging | staged | committed (install, update); removing (remove)

    def at(self, step: str) -> Journal:
        return Journal(self.op, self.folder, self.name, self.version, self.token, step)

    @property
    def title(self) -> str:
        return f"\u201c{self.name}\u201d {self.version}".rstrip()


_OPS = {"install": ("staging", "staged", "committed"), "update": ("staging", "staged", "committed"),
        "remove": ("removing",)}


def journal_path(data_dir: Path) -> Path:
    return data_dir / JOURNAL_FILE


def _write_journal(data_dir: Path, journal: Journal) -> None:
    payload = {"format": 1, "op": journal.op, "folder": journal.folder, "name": journal.name,
               "version": journal.version, "token": journal.token, "step": journal.step}
    write_text_atomic(journal_path(data_dir), json.dumps(payload, indent=1, ensure_ascii=False) + "\n")


def read_journal(data_dir: Path) -> Journal | None:
    """The journaled change, or None if there is none. Raises ValueError if the journal is damaged."""
    try:
        raw = read_regular(journal_path(data_dir), _MAX_JOURNAL_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(f"the record of the change cannot be read: {exc.strerror or exc}") from exc
    try:
        data = strictjson.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, strictjson.JsonInputError) as exc:
        raise ValueError("the record of the change is damaged") from exc
    fields = ("op", "folder", "name", "version", "token", "step")
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in fields):
        raise ValueError("the record of the change is damaged")
    journal = Journal(*(str(data[k]) for k in fields))
    if (journal.op not in _OPS or journal.step not in _OPS[journal.op] or not _TOKEN_RE.match(journal.token)
            or not _FOLDER_RE.match(journal.folder)):
        raise ValueError("the record of the change is damaged")
    return journal


def _clear_journal(data_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        journal_path(data_dir).unlink()
    _fsync_dir(data_dir)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _rmtree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _enable(data_dir: Path, folder: str) -> None:
    """Forget any "off" state of ``folder`` (a freshly installed or removed pack is not off)."""
    disabled, problems = read_state(data_dir)
    if folder in disabled and not problems:
        write_state(data_dir, disabled - {folder})


# ---------------------------------------------------------------------------------------------------------
# Folder names


def slug(name: str) -> str:
    """The folder name a pack called ``name`` gets (before making it unique)."""
    text = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    return text[:60].rstrip("-") or "pack"


def installed_name(folder: Path) -> str | None:
    """The ``name`` in an installed pack's pack.yaml (None if it cannot be read): enough to tell whether an
    import replaces it, without reading the whole pack."""
    from desktop.core.loader import UNREADABLE, parse_bytes
    from desktop.core.yamlsrc import LineMap

    try:
        raw = read_regular(folder / PACK_MANIFEST, 1024 * 1024)
    except OSError:
        return None
    data = parse_bytes(raw, PACK_MANIFEST, [])
    if data is UNREADABLE or not isinstance(data, LineMap) or not isinstance(data.get("name"), str):
        return None
    return str(data["name"]).strip()


def choose_folder(data_dir: Path, name: str) -> tuple[str, str | None]:
    """(folder, replaced): the folder of the installed pack with the same name (case-insensitive), which an
    import replaces; else a new folder name no other entry uses. "Payer notes" and "Payer notes!" are two
    packs: the second gets ``payer-notes-2``. The caller holds the lock, so no other process can take the
    name before the pack is in place."""
    root = data_dir / PACKS_SUBDIR
    wanted = name.casefold()
    taken: set[str] = set()
    if root.is_dir():
        for path in sorted(root.iterdir()):
            taken.add(path.name.casefold())
            if path.name.startswith(".") or not path.is_dir():
                continue
            other = installed_name(path)
            if other is not None and other.casefold() == wanted:
                return path.name, path.name
    base = slug(name)
    candidate, n = base, 2
    while candidate.casefold() in taken:  # casefold: one folder on a case-insensitive disk (Windows, macOS)
        candidate = f"{base}-{n}"
        n += 1
    return candidate, None


# ---------------------------------------------------------------------------------------------------------
# Changes (the caller holds store_lock(data_dir))


def install_files(data_dir: Path, folder: str, name: str, version: str, files: Mapping[str, bytes], *,
                  replacing: bool, verify: Callable[[Path], str | None]) -> None:
    """Install ``files`` (relative path -> bytes, pack.yaml included) as ``packs/<folder>``, replacing the
    folder if ``replacing``. ``verify(staging)`` checks the staged copy and returns a problem or None.

    Raises :class:`StoreError` saying why (the disk is full or read-only, the copy does not match); the
    installed packs are then exactly as they were."""
    root = data_dir / PACKS_SUBDIR
    journal = Journal("update" if replacing else "install", folder, name, version, uuid.uuid4().hex, "staging")
    staging = root / f"{STAGING_PREFIX}{journal.token}"
    old = root / f"{OLD_PREFIX}{journal.token}"
    target = root / folder
    verb = "updated" if replacing else "installed"
    try:
        root.mkdir(parents=True, exist_ok=True)
        _write_journal(data_dir, journal)
    except OSError as exc:
        raise StoreError(f"the data pack {journal.title} could not be {verb}: {os_reason(exc)}. Nothing was "
                         "changed.") from exc
    checkpoint("begin")
    try:
        for i, (rel, data) in enumerate(files.items()):
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(dest, data)
            if i == 0:
                checkpoint("staging")
        for sub in {(staging / rel).parent for rel in files}:
            _fsync_dir(sub)
        problem = verify(staging)
        if problem is not None:
            raise StoreError(problem)
        checkpoint("staged")
        _write_journal(data_dir, journal.at("staged"))
    except BaseException as exc:
        _roll_back_staging(data_dir, staging)
        if isinstance(exc, StoreError):
            raise
        if isinstance(exc, OSError):
            raise StoreError(f"the data pack {journal.title} could not be {verb}: {os_reason(exc)}. Nothing "
                             "was changed.") from exc
        raise
    checkpoint("journal-staged")
    # From here on the change is completed: by this process, or by the next start if it dies.
    staged = journal.at("staged")
    moved_old = False
    try:
        if target.exists():
            os.replace(target, old)
            moved_old = True
            _fsync_dir(root)
            checkpoint("old-moved")
        os.replace(staging, target)
        _fsync_dir(root)
    except OSError as exc:  # the swap failed (a file held open on Windows, ...): put everything back
        with contextlib.suppress(OSError):
            if moved_old and not target.exists():
                os.replace(old, target)
        _roll_back_staging(data_dir, staging)
        raise StoreError(f"the data pack {journal.title} could not be {verb}: {os_reason(exc)}. Nothing was "
                         "changed.") from exc
    checkpoint("new-moved")
    try:
        _finish_install(data_dir, staged, live=True)
    except OSError as exc:
        raise StoreError(f"the data pack {journal.title} was {verb}, but finishing the change failed: "
                         f"{os_reason(exc)}. The next start of GuideCode finishes it.") from exc


def _roll_back_staging(data_dir: Path, staging: Path) -> None:
    with contextlib.suppress(OSError):
        _rmtree(staging)
    with contextlib.suppress(OSError):
        _clear_journal(data_dir)


def _finish_install(data_dir: Path, journal: Journal, *, live: bool) -> None:
    """Steps 4 and 5 of an install from a journal at ``staged`` (the swap is skipped when already done) or
    ``committed``. ``live``: called by the change itself (the kill test's checkpoints), not by recovery."""
    root = data_dir / PACKS_SUBDIR
    staging = root / f"{STAGING_PREFIX}{journal.token}"
    old = root / f"{OLD_PREFIX}{journal.token}"
    target = root / journal.folder
    if journal.step == "staged":
        if staging.exists():
            if target.exists():
                if old.exists():  # cannot happen; keep both rather than lose one
                    raise StoreError(f"both {target.name} and {old.name} exist; leaving them for a person to sort")
                os.replace(target, old)
                _fsync_dir(root)
            os.replace(staging, target)
            _fsync_dir(root)
        _write_journal(data_dir, journal.at("committed"))
        if live:
            checkpoint("journal-committed")
    _enable(data_dir, journal.folder)
    if live:
        checkpoint("state-written")
    _rmtree(old)
    if live:
        checkpoint("old-removed")
    _clear_journal(data_dir)
    if live:
        checkpoint("done")


def remove_folder(data_dir: Path, folder: str, name: str, version: str) -> None:
    """Remove the installed pack ``packs/<folder>`` (the caller holds the lock). Raises StoreError saying why;
    a removal that got past its first rename is finished by the next start."""
    root = data_dir / PACKS_SUBDIR
    journal = Journal("remove", folder, name, version, uuid.uuid4().hex, "removing")
    try:
        _write_journal(data_dir, journal)
    except OSError as exc:
        raise StoreError(f"the data pack {journal.title} could not be removed: {os_reason(exc)}. Nothing was "
                         "changed.") from exc
    checkpoint("remove-begin")
    try:
        os.replace(root / folder, root / f"{REMOVE_PREFIX}{journal.token}")
    except OSError as exc:
        with contextlib.suppress(OSError):
            _clear_journal(data_dir)
        raise StoreError(f"the data pack {journal.title} could not be removed: {os_reason(exc)}. Nothing was "
                         "changed.") from exc
    _fsync_dir(root)
    checkpoint("remove-moved")
    try:
        _finish_remove(data_dir, journal, live=True)
    except OSError as exc:
        raise StoreError(f"the data pack {journal.title} was removed, but cleaning up failed: {os_reason(exc)}; "
                         "the next start finishes it") from exc


def _finish_remove(data_dir: Path, journal: Journal, *, live: bool) -> None:
    root = data_dir / PACKS_SUBDIR
    trash = root / f"{REMOVE_PREFIX}{journal.token}"
    target = root / journal.folder
    if target.exists() and not trash.exists():
        os.replace(target, trash)
        _fsync_dir(root)
    _enable(data_dir, journal.folder)
    if live:
        checkpoint("remove-state-written")
    _rmtree(trash)
    if live:
        checkpoint("remove-deleted")
    _clear_journal(data_dir)
    if live:
        checkpoint("remove-done")


# ---------------------------------------------------------------------------------------------------------
# Start-up: complete or roll back, clean up


def _staged_copy_ok(journal: Journal, staging: Path) -> bool:
    """Whether the staged copy is whole: a readable pack of the journaled name whose files match pack.yaml."""
    from desktop.core.data import load_builtin
    from desktop.core.packs.reading import read_pack

    pack, _ = read_pack(staging, f"packs/{staging.name}", load_builtin())  # its records may use built-in rule sets
    return pack is not None and pack.manifest.name == journal.name


def _recover_journal(data_dir: Path, journal: Journal) -> str:
    root = data_dir / PACKS_SUBDIR
    staging = root / f"{STAGING_PREFIX}{journal.token}"
    old = root / f"{OLD_PREFIX}{journal.token}"
    target = root / journal.folder
    what = "update" if journal.op == "update" else "import"
    if journal.op == "remove":
        _finish_remove(data_dir, journal, live=False)
        return (f"The removal of data pack {journal.title} was interrupted; GuideCode has finished it: the pack is "
                "removed.")
    if journal.step == "staged" and staging.exists() and not _staged_copy_ok(journal, staging):
        journal = journal.at("staging")  # the copy is damaged: roll back instead
    if journal.step == "staging":
        _rmtree(staging)
        if old.exists() and not target.exists():
            os.replace(old, target)
        _fsync_dir(root)
        _clear_journal(data_dir)
        if journal.op == "update":
            return (f"The update of data pack {journal.title} was interrupted before it finished; it was rolled "
                    "back: the version installed before is still in use. Import the pack again to update it.")
        return (f"The import of data pack {journal.title} was interrupted before it finished; it was rolled back: "
                "nothing was installed. Import the pack again.")
    if journal.step == "staged" and not staging.exists() and not target.exists():
        # Only the old version is left (nothing to complete with): put it back.
        if old.exists():
            os.replace(old, target)
        _clear_journal(data_dir)
        return (f"The {what} of data pack {journal.title} was interrupted and could not be completed; it was "
                "rolled back. Import the pack again.")
    _finish_install(data_dir, journal, live=False)
    done = "updated" if journal.op == "update" else "installed"
    return f"The {what} of data pack {journal.title} was interrupted; GuideCode has completed it: the pack is {done}."


def needs_recovery(data_dir: Path) -> bool:
    """Whether :func:`recover` has anything to do (cheap: three folder listings, no file read)."""
    if journal_path(data_dir).exists():
        return True
    for folder, test in ((data_dir / PACKS_SUBDIR, _is_stale_entry), (data_dir, _is_stale_file),
                         (data_dir / "descriptors", _is_stale_file)):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        if any(test(n) for n in names):
            return True
    return False


def _is_stale_entry(name: str) -> bool:
    return name.startswith((STAGING_PREFIX, OLD_PREFIX, REMOVE_PREFIX)) or is_temp_name(name)


def _is_stale_file(name: str) -> bool:
    """A temporary file left by a killed writer of one of :data:`_LOCKED_FILES`."""
    if is_temp_name(name):
        return any(name[len(".tmp-"):].startswith(f"{owned}.") for owned in _LOCKED_FILES)
    return bool(_LEGACY_TMP_RE.match(name))


def recover(data_dir: Path) -> tuple[str, ...]:
    """Complete or roll back an interrupted change and clean up (see the module docstring); the notices say
    what was done. Never raises: a failure (a read-only disk, another process busy) is a notice too."""
    if not needs_recovery(data_dir):
        return ()
    try:
        with store_lock(data_dir, wait=10.0):
            return recover_locked(data_dir)
    except StoreBusy:
        return ("Another GuideCode window or command is changing the data packs; the packs are shown as they "
                "were. Restart GuideCode when it has finished.",)
    except OSError as exc:
        return (f"An interrupted change to the data packs could not be finished: {os_reason(exc)}. GuideCode "
                "uses the packs as they are.",)


def recover_locked(data_dir: Path) -> tuple[str, ...]:
    """:func:`recover` for a caller that holds the lock. Raises OSError if the disk refuses the clean-up."""
    notices: list[str] = []
    try:
        journal = read_journal(data_dir)
    except ValueError as exc:
        journal = None
        notices.append(f"A record of an interrupted change to the data packs was found damaged ({exc}); "
                       "unfinished copies were removed and the packs are used as they are.")
        _clear_journal(data_dir)
    if journal is not None:
        notices.append(_recover_journal(data_dir, journal))
    notices.extend(_clean_stale(data_dir))
    return tuple(notices)


def _clean_stale(data_dir: Path) -> list[str]:
    notices: list[str] = []
    root = data_dir / PACKS_SUBDIR
    for folder in (data_dir, data_dir / "descriptors"):
        with contextlib.suppress(OSError):
            for entry in os.listdir(folder):
                if _is_stale_file(entry) and (folder / entry).is_file():
                    (folder / entry).unlink()
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return notices
    for entry in entries:
        path = root / entry
        if is_temp_name(entry) or entry.startswith((STAGING_PREFIX, REMOVE_PREFIX)):
            _rmtree(path)
        elif entry.startswith(OLD_PREFIX) and path.is_dir():
            notices.extend(_restore_legacy_old(data_dir, path))
    return notices


def _restore_legacy_old(data_dir: Path, path: Path) -> list[str]:
    """An ``.old-*`` folder with no journal: an older GuideCode was killed between the two renames of an
    update, or after it. Put the pack back unless an installed pack has its name (the update got through)."""
    name = installed_name(path)
    if name is None:
        _rmtree(path)
        return []
    folder, replaced = choose_folder(data_dir, name)
    if replaced is not None:
        _rmtree(path)
        return []
    os.replace(path, data_dir / PACKS_SUBDIR / folder)
    _fsync_dir(data_dir / PACKS_SUBDIR)
    return [f"The data pack \u201c{name}\u201d had been left hidden by an update that was interrupted (by an "
            f"earlier GuideCode); it was put back as packs/{folder}."]


__all__ = ["INSTALL_STEPS", "JOURNAL_FILE", "REMOVE_STEPS", "STATE_FILE", "Journal", "StoreBusy", "StoreError",
           "choose_folder", "install_files", "installed_name", "needs_recovery", "read_journal", "recover",
           "recover_locked", "remove_folder", "slug"]
