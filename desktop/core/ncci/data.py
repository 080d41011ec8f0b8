"""The NCCI tables that data packs bring (a pack's ``ncci/`` folder, the same format as the built-in
``resources/data/ncci/``, which the loader reads into ``Catalog.ncci``: ``docs/ncci.md``), and merging them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from desktop.core.ncci.model import NcciData
from desktop.core.ncci.reader import NCCI_DIR, NcciResult, parse_ncci


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
