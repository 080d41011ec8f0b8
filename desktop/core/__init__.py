"""GuideCode's pure core: data model, YAML loader and rules engine. Imports no Qt (tests enforce it)."""
