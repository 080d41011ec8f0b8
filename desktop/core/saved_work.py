"""The coder's saved work in the user data folder: the autosaved encounter, recent encounters, favourite
codes, and encounter files saved with Encounter → Save as. Pure Python, no Qt.

Every file is small JSON written with :func:`desktop.core.atomicfile.write_atomic`, and holds **codes,
dates and settings only** — the ``resolve`` input format has no field for a name, a note or any other
patient detail, so none can be written:

=====================================  =======================================================================
``encounters/autosave.json``           the encounter on screen, in the ``resolve`` input format
``encounters/recent.json``             ``{"format": 1, "encounters": [...]}``: the last encounters worked on
``favourites.json``                    ``{"format": 1, "codes": ["64483", ...]}``: codes pinned in the search list
=====================================  =======================================================================

A file that cannot be read is never overwritten unseen: it is renamed ``<name>.damaged`` (the previous one
of that name replaced), the caller gets a sentence saying so, and work goes on with nothing restored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from desktop.core import strictjson
from desktop.core.atomicfile import write_text_atomic
from desktop.core.encounter_json import (
    INPUT_CODE_RE,
    EncounterError,
    encounter_to_json,
    encounter_to_text,
    parse_encounter,
    parse_encounter_text,
)
from desktop.core.model import Encounter
from desktop.core.safefile import UnreadableFile, read_regular

ENCOUNTERS_DIR = "encounters"
AUTOSAVE_FILE = "autosave.json"
RECENT_FILE = "recent.json"
FAVOURITES_FILE = "favourites.json"
STORE_FORMAT = 1
MAX_RECENT = 10
MAX_FAVOURITES = 100
MAX_FILE_BYTES = 1024 * 1024
DAMAGED_SUFFIX = ".damaged"


def save_encounter_file(path: Path | str, encounter: Encounter) -> Path:
    """Write ``encounter`` to ``path`` (Encounter → Save as), atomically, in the ``resolve`` input format."""
    target = Path(path)
    write_text_atomic(target, encounter_to_text(encounter))
    return target


def load_encounter_file(path: Path | str, *, today: date) -> Encounter:
    """Read an encounter file (the ``resolve`` input format). Raises :class:`EncounterError` with one
    sentence for a file that is not an encounter, :class:`OSError` if it cannot be read."""
    p = Path(path)
    if p.stat().st_size > MAX_FILE_BYTES:
        raise EncounterError(f"{p.name} is larger than {MAX_FILE_BYTES // 1024} KB; it is not an encounter file")
    try:  # a regular file only (a FIFO would block the window), bounded whatever its size claims
        text = read_regular(p, MAX_FILE_BYTES).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EncounterError(f"{p.name} is not UTF-8 text") from None
    except UnreadableFile as exc:
        raise EncounterError(f"{p.name} cannot be read: {exc.reason}") from None
    return parse_encounter_text(text, today=today)


@dataclass(frozen=True)
class Restored:
    """What reading a stored file gave: the value, and a sentence if the file was damaged (set aside)."""

    encounter: Encounter | None
    problem: str | None = None


class WorkStore:
    """The saved-work files of one user data folder (``desktop.userdirs.user_data_dir``)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    # Paths ----------------------------------------------------------------------------------------
    @property
    def autosave_path(self) -> Path:
        return self.data_dir / ENCOUNTERS_DIR / AUTOSAVE_FILE

    @property
    def recent_path(self) -> Path:
        return self.data_dir / ENCOUNTERS_DIR / RECENT_FILE

    @property
    def favourites_path(self) -> Path:
        return self.data_dir / FAVOURITES_FILE

    # Autosave -------------------------------------------------------------------------------------
    def save_autosave(self, encounter: Encounter) -> Path:
        self.autosave_path.parent.mkdir(parents=True, exist_ok=True)
        return save_encounter_file(self.autosave_path, encounter)

    def load_autosave(self, *, today: date) -> Restored:
        """The autosaved encounter (None if there is none). A damaged file is set aside."""
        path = self.autosave_path
        try:
            return Restored(load_encounter_file(path, today=today))
        except FileNotFoundError:
            return Restored(None)
        except (OSError, EncounterError) as exc:
            aside = _set_aside(path)
            return Restored(None, f"the autosaved encounter could not be read ({_reason(exc)}); "
                            f"it was kept as {aside.name if aside else path.name}")

    # Recent encounters ------------------------------------------------------------------------------
    def recent(self, *, today: date) -> tuple[list[Encounter], str | None]:
        """The recent encounters, newest first, and a sentence if the file was damaged (set aside)."""
        data, problem = self._read_store(self.recent_path)
        if data is None:
            return [], problem
        items = data.get("encounters")
        if not isinstance(items, list):
            return [], self._damaged(self.recent_path, "no encounter list")
        out: list[Encounter] = []
        try:
            for item in items[:MAX_RECENT]:
                out.append(parse_encounter(item, today=today))
        except EncounterError as exc:
            return [], self._damaged(self.recent_path, str(exc))
        return out, None

    def push_recent(self, encounter: Encounter, *, today: date) -> list[Encounter]:
        """Put ``encounter`` first in the recent list (once; an empty encounter is not kept)."""
        current, _ = self.recent(today=today)
        if not encounter.procedures:
            return current
        items = [encounter] + [e for e in current if e != encounter]
        items = items[:MAX_RECENT]
        self._write_store(self.recent_path, {"encounters": [encounter_to_json(e) for e in items]})
        return items

    def clear_recent(self) -> None:
        self._write_store(self.recent_path, {"encounters": []})

    # Favourites -------------------------------------------------------------------------------------
    def favourites(self) -> tuple[tuple[str, ...], str | None]:
        """The favourite codes in the order pinned, and a sentence if the file was damaged (set aside)."""
        data, problem = self._read_store(self.favourites_path)
        if data is None:
            return (), problem
        codes = data.get("codes")
        if not isinstance(codes, list) or not all(isinstance(c, str) and INPUT_CODE_RE.match(c) for c in codes):
            return (), self._damaged(self.favourites_path, "the codes are not a list of 5-character codes")
        return tuple(dict.fromkeys(codes))[:MAX_FAVOURITES], None

    def set_favourites(self, codes: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        clean = tuple(dict.fromkeys(c.strip().upper() for c in codes))[:MAX_FAVOURITES]
        for code in clean:
            if not INPUT_CODE_RE.match(code):
                raise ValueError(f"{code!r} is not a 5-character code")
        self._write_store(self.favourites_path, {"codes": list(clean)})
        return clean

    # Files ------------------------------------------------------------------------------------------
    def _read_store(self, path: Path) -> tuple[dict[str, Any] | None, str | None]:
        try:  # regular and bounded (a FIFO would block the window), strict JSON (huge numbers, keys twice)
            if path.stat().st_size > MAX_FILE_BYTES:
                return None, self._damaged(path, "the file is too large")
            data: Any = strictjson.loads(read_regular(path, MAX_FILE_BYTES).decode("utf-8"))
        except FileNotFoundError:
            return None, None
        except (OSError, UnicodeDecodeError, strictjson.JsonInputError) as exc:
            return None, self._damaged(path, _reason(exc))
        if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
            return None, self._damaged(path, f"not a GuideCode file of format {STORE_FORMAT}")
        return data, None

    def _write_store(self, path: Path, payload: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps({"format": STORE_FORMAT, **payload}, indent=1) + "\n")

    def _damaged(self, path: Path, why: str) -> str:
        aside = _set_aside(path)
        where = f"; it was kept as {aside.name}" if aside else ""
        return f"{path.name} could not be read ({why}){where}"


def _set_aside(path: Path) -> Path | None:
    """Rename a damaged file to ``<name>.damaged`` so the next write does not destroy it."""
    aside = path.with_name(path.name + DAMAGED_SUFFIX)
    try:
        os.replace(path, aside)
    except OSError:
        return None
    return aside


def _reason(exc: BaseException) -> str:
    if isinstance(exc, strictjson.JsonInputError):
        return f"not valid JSON: {exc.message}" + (f" at line {exc.line}" if exc.line else "")
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
