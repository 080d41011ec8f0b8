"""``python -m desktop validate-pack DIR``: check a data pack exactly as File → Import data pack… does.

Prints every problem on standard output, one per line, as ``file:line: entry: what is wrong`` (files named
relative to the pack; ``built-in/...`` when the pack breaks something in the built-in data), then a
one-line summary on standard error. Exit status: 0 valid, 1 invalid (or the built-in data is broken),
2 usage error (DIR is not a folder).

``--data-dir D`` checks the pack together with the enabled packs installed in ``D`` (as importing into
``D`` would); ``--checksums`` prints the ``files:`` block for pack.yaml instead of validating.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from desktop.commands.common import EXIT_ERRORS as EXIT_INVALID
from desktop.commands.common import EXIT_OK, EXIT_USAGE


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("validate-pack", help="check a data pack folder; print every problem, exit 0/1")
    p.add_argument("folder", type=Path, help="the pack folder (it holds pack.yaml and codes/)")
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help="also check it together with the enabled packs installed in this data folder")
    p.add_argument("--checksums", action="store_true",
                   help="print the 'files:' block (sha256 of each file) to paste into pack.yaml, and exit")
    p.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    from desktop.core.loader import DataError
    from desktop.core.packs.install import validate_pack
    from desktop.core.packs.reading import compute_checksums

    folder: Path = ns.folder
    if not folder.is_dir():
        print(f"guidecode: {folder} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    data_dir: Path | None = getattr(ns, "data_dir", None)
    if data_dir is not None and not data_dir.is_dir():
        print(f"guidecode: --data-dir {data_dir} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    if ns.checksums:
        print("files:")
        for rel, digest in compute_checksums(folder).items():
            print(f"  {rel}: {digest}")
        return EXIT_OK
    try:
        manifest, problems = validate_pack(folder, data_dir=data_dir)
    except DataError as exc:
        print(f"guidecode: the built-in data is broken, so no pack can be checked: {exc}", file=sys.stderr)
        return EXIT_INVALID
    for problem in problems:
        print(problem)
    if problems or manifest is None:
        print(f"guidecode: {folder} is not a valid data pack ({len(problems)} problem(s))", file=sys.stderr)
        return EXIT_INVALID
    print(f"{folder}: valid data pack {manifest.name!r} version {manifest.version} "
          f"(code set {manifest.code_set_year}, effective {manifest.effective_label})")
    return EXIT_OK
