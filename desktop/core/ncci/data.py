"""The built-in NCCI tables (``resources/data/ncci/``, loaded once per process) and merging the tables that
data packs bring (a pack's ``ncci/`` folder, the same format: ``docs/ncci.md``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache

from desktop.core.ncci.model import NcciData
from desktop.core.ncci.reader import NCCI_DIR, NcciResult, parse_ncci
from desktop.core.problems import DataError


@lru_cache(maxsize=1)
def load_builtin_ncci() -> NcciData:
    """The shipped NCCI tables, read and checked once per process (the source ids they cite are checked
    against the built-in ``sources.yaml``). Raises :class:`~desktop.core.problems.DataError` if broken.
    A data folder without ``ncci/`` has no tables (an empty :class:`NcciData`)."""
    from desktop.core.data import load_builtin
    from desktop.core.ncci.reader import read_ncci_dir
    from desktop.paths import builtin_data_dir

    folder = builtin_data_dir() / NCCI_DIR
    if not folder.exists():
        return NcciData()
    data, problems = read_ncci_dir(folder, sources=load_builtin().sources)
    if data is None:
        raise DataError(problems)
    return data


def read_pack_ncci(files: Mapping[str, bytes], tag: str, sources: Collection[str] | None,
                   origin: str) -> NcciResult:
    """The NCCI tables of one data pack, from the pack's ``ncci/...`` files as ``{path inside the pack:
    bytes}`` (other paths are ignored), problems named ``<tag>/ncci/<file>``; ``sources``: the source ids
    the pack may cite (built-in and its own), or None when they are checked later on the merged data
    (each version's ``source_at`` says where its source is named); ``origin``: the pack's name, kept on
    every table version."""
    prefix = f"{NCCI_DIR}/"
    inside = {rel[len(prefix):]: raw for rel, raw in files.items() if rel.startswith(prefix)}
    return parse_ncci(inside, label=lambda rel: f"{tag}/{NCCI_DIR}/{rel}", sources=sources, origin=origin)


def merge_ncci(base: NcciData, packs: Iterable[NcciData]) -> NcciData:
    """``base`` with each pack's tables merged in order: a pack's table replaces the table with the same
    kind (practitioner / outpatient hospital), content (PTP / MUE) and quarter; other tables are added."""
    merged = base
    for extra in packs:
        merged = merged.merged(extra)
    return merged
