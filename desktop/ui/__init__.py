"""GuideCode's Qt window: a thin shell over :mod:`desktop.core` (every answer comes from
``desktop.core.engine.resolve``; no rule is written here)."""
