"""``python -m desktop import-pack DIR``: install a data pack, exactly as File → Import data pack… does.

For an IT roll-out script or a support session (and the Windows installer's upgrade test): the pack is
checked fully, together with the packs already on, then copied into the user data folder (or
``--data-dir D``), replacing an installed pack of the same name. A pack with problems is refused with
every problem on standard output, one per line, and nothing changes. The core is
:func:`desktop.core.packs.install.import_pack`, the window's own code path.

Exit status: 0 imported, 1 refused (or the built-in data is broken, or the copy failed), 2 usage error
(DIR is not a folder).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("import-pack", help="install a data pack into the user data folder (as File → "
                                                  "Import data pack… does); exit 0/1")
    p.add_argument("folder", type=Path, help="the pack folder (it holds pack.yaml and codes/)")
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help="install into this data folder instead of the user data folder")
    p.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    from desktop.core.loader import DataError
    from desktop.core.packs.install import PackRefused, import_pack
    from desktop.userdirs import user_data_dir

    folder: Path = ns.folder
    if not folder.is_dir():
        print(f"guidecode: {folder} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    data_dir: Path = getattr(ns, "data_dir", None) or user_data_dir()
    try:
        result = import_pack(folder, data_dir)
    except PackRefused as refused:
        for problem in refused.problems:
            print(problem)
        print(f"guidecode: {folder} was not imported: it is not a valid data pack ({len(refused.problems)} "
              "problem(s)); nothing was changed", file=sys.stderr)
        return EXIT_REFUSED
    except DataError as exc:
        print(f"guidecode: the built-in data is broken, so no pack can be imported: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        print(f"guidecode: the data pack could not be copied into {data_dir}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    m = result.manifest
    verb = "updated" if result.replaced else "imported"
    print(f"data pack {m.name!r} version {m.version} {verb}: {data_dir / 'packs' / result.folder}")
    return EXIT_OK
