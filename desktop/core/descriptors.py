"""Licensed CPT descriptors: an office's own CSV of (code, descriptor), shown beside GuideCode's names.

GuideCode ships no descriptor text. An office that holds an AMA CPT licence loads its file with
File → Load CPT descriptors…; the good rows are stored in the user data folder
(``descriptors/cpt-descriptors.json``) and shown with :data:`AMA_NOTICE`.

The CSV: UTF-8 (a byte-order mark is fine), comma-separated (tab-separated when the first line has a tab
and no comma), two columns ``code, descriptor``; an optional header row whose first cell is ``code``,
``cpt``, ``cpt code`` or ``hcpcs``; blank lines are skipped; descriptors that contain commas are quoted.
Every malformed row is reported by its line (``file:line: entry: message``); the good rows are kept only
if the person loading the file confirms.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from desktop.core import strictjson
from desktop.core.atomicfile import write_text_atomic
from desktop.core.packs.locking import store_lock
from desktop.core.problems import Problem
from desktop.core.safefile import read_regular
from desktop.core.schema import CODE_RE

AMA_NOTICE = "CPT\u00ae descriptors \u00a9 American Medical Association, used under the office's licence"
STORE_DIR = "descriptors"
STORE_FILE = "cpt-descriptors.json"
STORE_FORMAT = 1
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_DESCRIPTOR_CHARS = 2000
HEADER_CELLS = frozenset({"code", "cpt", "cpt code", "cpt_code", "hcpcs", "hcpcs code"})
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What a CSV gave: the good rows (code -> descriptor), every problem, and how many rows were read."""

    good: Mapping[str, str]
    problems: tuple[Problem, ...]
    rows: int


@dataclass(frozen=True, slots=True)
class DescriptorSet:
    """The office's stored descriptors."""

    descriptors: Mapping[str, str]
    source_file: str
    loaded_on: str

    def get(self, code: str) -> str | None:
        return self.descriptors.get(code)

    def __len__(self) -> int:
        return len(self.descriptors)


def parse_text(text: str, file_label: str) -> ParseResult:
    """Parse CSV text; never raises on any input."""
    if text.startswith("\ufeff"):
        text = text[1:]
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    good: dict[str, str] = {}
    first_line: dict[str, int] = {}
    problems: list[Problem] = []
    rows = 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header_seen = False
    line = 1
    while True:
        start = line
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(file_label, reader.line_num or start, f"row at line {start}",
                                    f"the CSV cannot be read past this point ({exc}); the rows after it were "
                                    "not read"))
            break
        line = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if not header_seen and not rows and row[0].strip().casefold() in HEADER_CELLS:
            header_seen = True
            continue
        rows += 1
        cells = [c.strip() for c in row]
        while len(cells) > 2 and not cells[-1]:
            cells.pop()  # trailing empty cells (spreadsheets add them) are not columns
        raw_code = cells[0]
        entry = raw_code.upper() if raw_code and len(raw_code) <= 10 else f"row at line {start}"
        if len(cells) != 2:
            hint = "; put descriptors that contain commas in double quotes" if len(cells) > 2 else ""
            problems.append(Problem(file_label, start, entry, f"expected 2 columns (code, descriptor), found "
                                    f"{len(cells)}{hint}"))
            continue
        code, text_cell = raw_code.upper(), cells[1]
        if not CODE_RE.match(code):
            shown = raw_code if len(raw_code) <= 20 else raw_code[:17] + "..."
            problems.append(Problem(file_label, start, f"row at line {start}", f"{shown!r} is not a CPT/HCPCS code "
                                    "(5 characters, e.g. 64405, 0213T, G0260)"))
            continue
        if not text_cell:
            problems.append(Problem(file_label, start, code, "the descriptor is empty"))
            continue
        if len(text_cell) > MAX_DESCRIPTOR_CHARS:
            problems.append(Problem(file_label, start, code, f"the descriptor is longer than "
                                    f"{MAX_DESCRIPTOR_CHARS} characters"))
            continue
        if _CONTROL_RE.search(text_cell):
            problems.append(Problem(file_label, start, code, "the descriptor contains control characters"))
            continue
        if code in good:
            problems.append(Problem(file_label, start, code, f"code {code} appears again (first on line "
                                    f"{first_line[code]}); only the first is kept"))
            continue
        good[code] = " ".join(text_cell.split())
        first_line[code] = start
    if not rows and not problems:  # an empty file, or a header alone: say so rather than load nothing silently
        problems.append(Problem(file_label, 1, "", "the file has no descriptor rows (it is empty or holds only "
                                "a header); nothing was loaded"))
    return ParseResult(good, tuple(problems), rows)


def parse_file(path: Path) -> ParseResult:
    """Read and parse a descriptor CSV; unreadable or non-UTF-8 files give one problem and no rows."""
    label = path.name
    try:  # a regular file only (a FIFO would block the window), at most MAX_FILE_BYTES
        raw = read_regular(path, MAX_FILE_BYTES)
    except OSError as exc:
        return ParseResult({}, (Problem(label, 1, "", f"cannot read the file: {exc.strerror or exc}"),), 0)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return ParseResult({}, (Problem(label, line, "", "the file is not UTF-8 text; save it from the spreadsheet "
                                        "as \u201cCSV UTF-8\u201d"),), 0)
    return parse_text(text, label)


def store_path(data_dir: Path) -> Path:
    return data_dir / STORE_DIR / STORE_FILE


def save(data_dir: Path, descriptors: Mapping[str, str], source_file: str, *, today: date | None = None) -> Path:
    """Store the confirmed rows (replacing any earlier file) in the user data folder, atomically
    (:mod:`desktop.core.atomicfile`). Raises OSError on a full or read-only disk; the file stored before is
    then exactly as it was and no temporary file is left."""
    path = store_path(data_dir)
    payload = {
        "format": STORE_FORMAT,
        "notice": AMA_NOTICE,
        "source_file": source_file,
        "loaded_on": (today or date.today()).isoformat(),
        "descriptors": dict(sorted(descriptors.items())),
    }
    text = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
    with store_lock(data_dir):  # start-up clean-up removes stale temp files under the same lock
        made_folder = not path.parent.exists()
        try:
            write_text_atomic(path, text)
        except OSError:
            if made_folder:  # leave the data folder as it was: no empty descriptors/ folder either
                with contextlib.suppress(OSError):
                    path.parent.rmdir()
            raise
    return path


def load_saved(data_dir: Path) -> tuple[DescriptorSet | None, list[Problem]]:
    """The stored descriptors (None if none were loaded). A damaged file gives a problem and None."""
    path = store_path(data_dir)
    label = f"{STORE_DIR}/{STORE_FILE}"
    try:  # never raises: a FIFO, a huge, deep or otherwise damaged file is one problem (the window still starts)
        text = read_regular(path, MAX_FILE_BYTES).decode("utf-8")
    except FileNotFoundError:
        return None, []
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, [Problem(label, 1, "", f"cannot read the stored descriptors: {reason}")]
    try:
        data: Any = strictjson.loads(text)
    except strictjson.JsonInputError as exc:
        return None, [Problem(label, exc.line or 1, "", f"the stored descriptors are damaged ({exc.message}); "
                              "load the CSV again")]
    items = data.get("descriptors") if isinstance(data, dict) else None
    if (not isinstance(data, dict) or data.get("format") != STORE_FORMAT or not isinstance(items, dict)
            or not all(isinstance(k, str) and CODE_RE.match(k) and isinstance(v, str)
                       and 0 < len(v) <= MAX_DESCRIPTOR_CHARS and not _CONTROL_RE.search(v)
                       for k, v in items.items())):
        return None, [Problem(label, 1, "", "the stored descriptors are damaged; load the CSV again")]
    source, loaded = data.get("source_file", ""), data.get("loaded_on", "")
    return DescriptorSet(dict(items), source[:200] if isinstance(source, str) else "",
                         loaded[:20] if isinstance(loaded, str) else ""), []


def remove_saved(data_dir: Path) -> bool:
    """Forget the stored descriptors. Returns whether there were any."""
    try:
        store_path(data_dir).unlink()
    except FileNotFoundError:
        return False
    return True
