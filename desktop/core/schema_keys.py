"""The schema's declarations on the data classes: :func:`key` makes a dataclass field of
:mod:`desktop.core.model` a YAML key, with its :class:`KeySpec` in the field's metadata.

Kept apart from :mod:`desktop.core.schema` (the strict reader, what a pack may override, the docs' tables,
which re-exports these names), so that importing the model at every start of the window does not import the
reader and what it needs (``difflib``, :mod:`desktop.core.yamlsrc`): the window starts from the bundled
catalog cache and reads no YAML (desktop/core/catalog_cache.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING, dataclass, field
from typing import Any, Literal

Kind = Literal[
    "text", "id", "code", "codes", "sources", "strings", "modifier", "modifiers", "bool", "int", "date",
    "choice", "choices", "mapping", "mappings", "checksums",
]


@dataclass(frozen=True, slots=True)
class KeySpec:
    """How one dataclass field is written in YAML."""

    yaml: str
    kind: Kind
    doc: str
    required: bool
    shown_default: str
    override: bool


def key(yaml: str, kind: Kind, doc: str, *, default: Any = MISSING, required: bool = False, shown: str = "",
        override: bool = True) -> Any:
    """A dataclass field read from the YAML key ``yaml``. ``required`` fields have no default; ``shown`` is
    the default as the docs state it; ``override``: a data pack's record may replace this field."""
    spec = KeySpec(yaml, kind, doc, required, shown, override)
    if required:
        return field(metadata={"key": spec})
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple or None as a default")
    return field(default=default, metadata={"key": spec})


def spec_of(f: dataclasses.Field[Any]) -> KeySpec | None:
    value = f.metadata.get("key")
    return value if isinstance(value, KeySpec) else None
