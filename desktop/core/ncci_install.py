"""Installing an NCCI import (CMS's release files read by :func:`desktop.core.ncci.importer.read_release`)
as a data pack: what ``python -m desktop import-ncci --install`` and the window's File → Import NCCI edits…
both do. The pack is written in a temporary folder and installed with the data-pack import
(:func:`desktop.core.packs.install.import_pack`), which validates it on the data as installed and changes
nothing if it refuses it. (A module of its own: the data packs read the NCCI package, so that package does not
import them.)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop.core.model import Catalog
    from desktop.core.ncci.importer import NcciImport


def install_pack(imported: NcciImport, data_dir: Path, base: Catalog | None = None) -> str:
    """Write the pack of ``imported`` and install it into ``data_dir``; returns the installed pack's folder
    name. ``base``: the data the packs apply to (None: the built-in data). Raises
    :class:`desktop.core.packs.install.PackRefused` (nothing installed) if the data-pack import refuses it,
    OSError if it cannot be written."""
    import tempfile

    from desktop.core.ncci.importer import write_pack
    from desktop.core.packs.install import import_pack

    if base is None:
        from desktop.core.data import load_builtin

        base = load_builtin()
    with tempfile.TemporaryDirectory(prefix="guidecode-ncci-") as tmp:
        folder = write_pack(imported, Path(tmp) / "pack", base.sources)
        return import_pack(folder, data_dir, base=base).folder
