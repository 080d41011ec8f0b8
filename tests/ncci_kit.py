"""The built-in data with the CMS-layout NCCI fixtures (tests/fixtures/ncci, made-up rows in CMS's layout:
62321/62323 with indicator 1, 62323 in column two) imported and applied as a data pack, for the engine's and
the audit's NCCI tests."""

from __future__ import annotations

import tempfile
from pathlib import Path

from desktop.core.model import Catalog

FIX = Path(__file__).resolve().parent / "fixtures" / "ncci"
PTP_PARTS = [FIX / f"ccipra-v302r0-f{n}.TXT" for n in (1, 2, 3, 4)]
MUE_FILE = FIX / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv"


def with_fixture_tables(catalog: Catalog) -> Catalog:
    """``catalog`` with the fixtures' PTP and MUE tables read by the importer, written as a pack and merged."""
    from desktop.core.ncci.importer import read_release, write_pack
    from desktop.core.packs.merge import apply_packs
    from desktop.core.packs.reading import read_pack

    with tempfile.TemporaryDirectory() as tmp:
        pack = write_pack(read_release([*PTP_PARTS, MUE_FILE], set(catalog.by_code)), Path(tmp) / "pack",
                          catalog.sources)
        read, found = read_pack(pack, "packs/ncci", catalog)
    assert found == [] and read is not None
    merged, skipped = apply_packs(catalog, [read])
    assert skipped == {}
    return merged
