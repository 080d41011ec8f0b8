"""A pickled copy of the built-in catalog, made once at build time, so the frozen app starts faster.

Parsing and validating the built-in YAML takes ~30 ms at every start; unpickling the same
:class:`~desktop.core.model.Catalog` takes ~3 ms. ``packaging/guidecode.spec`` parses the data with the
real loader while it builds the executable and bundles the result as ``resources/cache/catalog.pickle``;
:func:`desktop.core.data.load_builtin` uses it only if it was made from exactly the data files that sit
next to it (every file's name, size and CRC-32 of its bytes), by the same cache format and Python version.
Anything else (no cache: running from source; an edited data file; a damaged cache) falls back to parsing,
so the cache can make start-up faster but never change an answer. ``--self-test`` re-parses the data and
checks that the cache equals it.

The pickle is as trusted as the program: it is read only from inside the application bundle. So the
check guards against a stale cache (a data file edited or added in an installed copy), not against an
attacker, who could as well edit the pickle: a CRC-32 per file (with its size) finds any such edit but one in
2^32, and costs ~0.3 ms where a SHA-256 of the same ~0.5 MB cost ~2.5 ms of every start.
"""

from __future__ import annotations

import os
import sys
import zlib
from datetime import date
from pathlib import Path
from typing import Any

from desktop.core.model import Catalog

CACHE_RESOURCE = "cache/catalog.pickle"
FORMAT = 2  # 2: the fingerprint lists name, size and CRC-32 per file (1: one SHA-256)


def _files(folder: str, prefix: str = "") -> list[tuple[str, str]]:
    """(relative name, path) of every file below ``folder``, sorted by name; links to folders not followed."""
    out: list[tuple[str, str]] = []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.is_dir(follow_symlinks=False):
                out += _files(entry.path, f"{prefix}{entry.name}/")
            elif entry.is_file():
                out.append((prefix + entry.name, entry.path))
    return out


def fingerprint(data_dir: Path) -> str:
    """One line per file under ``data_dir``, in sorted order: its relative name, size and CRC-32."""
    lines = []
    for rel, path in _files(str(data_dir)):
        with open(path, "rb") as fh:
            data = fh.read()
        lines.append(f"{rel}\t{len(data)}\t{zlib.crc32(data):08x}")
    return "\n".join(lines)


def dumps(catalog: Catalog, data_dir: Path) -> bytes:
    """The cache file's bytes for ``catalog``, parsed from ``data_dir``."""
    import pickle

    header = {"format": FORMAT, "python": list(sys.version_info[:2]), "fingerprint": fingerprint(data_dir)}
    return pickle.dumps((header, shared_copy(catalog)), protocol=pickle.HIGHEST_PROTOCOL)


_ATOMS = (str, int, float, bool, date, type(None))


def shared_copy(catalog: Catalog) -> Catalog:
    """An equal copy of ``catalog`` in which equal strings, dates and tuples of them are one object each.

    The YAML reader makes a new string for every occurrence (a source id cited by 400 rules is 400 strings,
    each record's file name once per rule it holds); pickle writes an object once and then refers back to
    it, so the cache holds ~25 % fewer objects and unpickles ~1.8 ms sooner at every start. The records and
    their values are immutable, so sharing equal values changes nothing that can be seen but ``is``. The
    copy is made as pickle makes objects (``__new__`` and the instance dictionary), so no class of the
    model is made (desktop/core/frozen.py) and nothing but the object graph is changed."""
    values: dict[tuple[type, object], object] = {}
    copies: dict[int, object] = {}

    def share(value: Any) -> Any:
        if isinstance(value, _ATOMS):
            return values.setdefault((type(value), value), value)
        if id(value) in copies:
            return copies[id(value)]
        out: Any
        if isinstance(value, tuple):
            items = tuple(share(v) for v in value)
            out = values.setdefault((tuple, items), items) if all(_plain(v) for v in items) else items
        elif isinstance(value, frozenset):
            items_set = frozenset(share(v) for v in value)
            out = values.setdefault((frozenset, items_set), items_set) if all(_plain(v) for v in items_set) \
                else items_set
        elif isinstance(value, dict) and type(value) is dict:
            out = {share(k): share(v) for k, v in value.items()}
        elif hasattr(value, "__dict__") and not hasattr(type(value), "__slots__"):
            out = object.__new__(type(value))
            copies[id(value)] = out  # before the fields: an object reachable twice is copied once
            out.__dict__.update({share(k): share(v) for k, v in vars(value).items()})
            return out
        else:
            raise TypeError(f"catalog cache: cannot share a {type(value).__name__}")
        copies[id(value)] = out
        return out

    def _plain(v: object) -> bool:
        return isinstance(v, _ATOMS) or (isinstance(v, (tuple, frozenset)) and all(_plain(x) for x in v))

    copy = share(catalog)
    if copy != catalog:
        raise AssertionError("catalog cache: the shared copy differs from the catalog")
    assert isinstance(copy, Catalog)
    return copy


def _unpickle(blob: bytes) -> Any:
    # The C unpickler on its own: importing the pickle module (its pure-Python half) costs ~1.2 ms of
    # every start and is not needed to read.
    try:
        from _pickle import loads
    except ImportError:  # an interpreter without the accelerator
        from pickle import loads
    return loads(blob)


def load(cache: Path, data_dir: Path) -> Catalog | None:
    """The cached catalog if ``cache`` exists and was made from ``data_dir`` as it is now, else None."""
    try:
        blob = cache.read_bytes()
    except OSError:
        return None
    try:
        header, catalog = _unpickle(blob)
    except Exception:  # noqa: BLE001 - a damaged or foreign cache is ignored, never fatal
        return None
    if not isinstance(header, dict) or not isinstance(catalog, Catalog):
        return None
    if header.get("format") != FORMAT or header.get("python") != list(sys.version_info[:2]):
        return None
    if header.get("fingerprint") != fingerprint(data_dir):
        return None
    return catalog
