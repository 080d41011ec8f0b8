"""A pickled copy of the built-in catalog, made once at build time, so the frozen app starts faster.

Parsing and validating the built-in YAML takes ~30 ms at every start; unpickling the same
:class:`~desktop.core.model.Catalog` takes ~3 ms. ``packaging/guidecode.spec`` parses the data with the
real loader while it builds the executable and bundles the result as ``resources/cache/catalog.pickle``;
:func:`desktop.core.data.load_builtin` uses it only if it was made from exactly the data files that sit
next to it (a SHA-256 over every file's name and bytes), by the same cache format and Python version.
Anything else (no cache: running from source; an edited data file; a damaged cache) falls back to parsing,
so the cache can make start-up faster but never change an answer. ``--self-test`` re-parses the data and
checks that the cache equals it.

The pickle is as trusted as the program: it is read only from inside the application bundle.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from desktop.core.model import Catalog
from desktop.core.sha import sha256

CACHE_RESOURCE = "cache/catalog.pickle"
FORMAT = 1


def fingerprint(data_dir: Path) -> str:
    """SHA-256 over the relative name and the bytes of every file under ``data_dir``, in sorted order."""
    digest = sha256()
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(data_dir).as_posix().encode("utf-8")
        data = path.read_bytes()
        digest.update(len(rel).to_bytes(4, "big") + rel + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def dumps(catalog: Catalog, data_dir: Path) -> bytes:
    """The cache file's bytes for ``catalog``, parsed from ``data_dir``."""
    import pickle

    header = {"format": FORMAT, "python": list(sys.version_info[:2]), "fingerprint": fingerprint(data_dir)}
    return pickle.dumps((header, catalog), protocol=pickle.HIGHEST_PROTOCOL)


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
