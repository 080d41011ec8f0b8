"""Loading the built-in data (the data packs layer on top of it: see desktop.core.packs when present)."""

from __future__ import annotations

from functools import lru_cache

from desktop.core.loader import load_folder
from desktop.core.model import Catalog
from desktop.paths import builtin_data_dir


@lru_cache(maxsize=1)
def load_builtin() -> Catalog:
    """The shipped data, loaded and validated once per process. Raises DataError if it is broken."""
    return load_folder(builtin_data_dir())
