"""Loading the built-in data (the data packs layer on top of it: see desktop.core.packs when present)."""

from __future__ import annotations

from functools import lru_cache

from desktop.core import catalog_cache
from desktop.core.model import Catalog
from desktop.paths import builtin_data_dir, resource


@lru_cache(maxsize=1)
def load_builtin() -> Catalog:
    """The shipped data, loaded and validated once per process. Raises DataError if it is broken."""
    data_dir = builtin_data_dir()
    # A frozen build bundles the parsed catalog (~3 ms instead of ~30 ms); used only if made from these files.
    cached = catalog_cache.load(resource(catalog_cache.CACHE_RESOURCE), data_dir)
    if cached is not None:
        return cached
    from desktop.core.loader import load_folder  # parsing: from source, or when the cache does not match

    return load_folder(data_dir)
