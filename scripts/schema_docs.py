"""Rewrite the key tables of the data documentation from the schema declared on the dataclasses.

    .venv/bin/python scripts/schema_docs.py          # rewrite docs/data-format.md and docs/data-packs.md
    .venv/bin/python scripts/schema_docs.py --check  # exit 1 if a document differs from the schema

Each table sits between ``<!-- schema: Name -->`` and ``<!-- /schema -->`` (names: desktop/core/schema_docs.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop.core.atomicfile import write_text_atomic  # noqa: E402
from desktop.core.schema import doc_tables  # noqa: E402
from desktop.core.schema_docs import DOCUMENTED, DOCUMENTS  # noqa: E402


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for rel in DOCUMENTS:
        path = ROOT / rel
        text = path.read_text(encoding="utf-8")
        new = doc_tables(text, DOCUMENTED)
        if new != text:
            stale.append(rel)
            if not check:
                write_text_atomic(path, new)
    if stale:
        print(("out of date: " if check else "rewritten: ") + ", ".join(stale))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
