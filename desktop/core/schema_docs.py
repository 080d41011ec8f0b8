"""Which schema classes the data documentation shows, by the name its ``<!-- schema: Name -->`` markers use.

``scripts/schema_docs.py`` rewrites the tables in docs/data-format.md and docs/data-packs.md from the schema;
``tests/test_schema_docs.py`` fails when a document and the schema differ.
"""

from __future__ import annotations

from desktop.core import model
from desktop.core.packs.reading import PackEffective, PackManifest

DOCUMENTED: dict[str, tuple[type, type | None]] = {
    "Manifest": (model.Manifest, None),
    "Source": (model.Source, None),
    "CodeRecord": (model.CodeRecord, None),
    "DatedName": (model.DatedName, None),
    "Policy": (model.Policy, None),
    "Alternative": (model.Alternative, None),
    "Note": (model.Note, None),
    "GuidanceInfo": (model.GuidanceInfo, None),
    "SIInfo": (model.SIInfo, None),
    "RuleSet": (model.RuleSet, None),
    "Rule": (model.Rule, None),
    **{cls.__name__: (cls, model.Rule) for cls in model.RULE_SECTIONS.values()},
    "PackManifest": (PackManifest, None),
    "PackEffective": (PackEffective, None),
}

DOCUMENTS = ("docs/data-format.md", "docs/data-packs.md")
