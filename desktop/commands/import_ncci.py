"""``python -m desktop import-ncci FILE…``: CMS's quarterly NCCI release files → a data pack (docs/ncci.md).

FILE: the zips CMS publishes (``ccipra-v302r0-f1.zip`` … ``f4``, the MUE table's zip), or the ``.txt``,
``.csv`` or ``.xlsx`` inside them; PTP and MUE files of one quarter may be given together. Every row is
checked; the rows about codes GuideCode has records for are kept.

- ``--out DIR`` writes the pack folder DIR (new, or an empty folder);
- ``--install`` installs the pack into the data folder (``--data-dir``, else the user data folder) with the
  data-pack import, replacing an earlier import of the same kind, quarter and tables;
- with neither, the files are only checked and the summary printed.

Prints the version, quarter and row count of each table. A malformed file is refused: every problem is
printed on standard output as ``file:line: entry: what is wrong`` and nothing is written or installed.
Exit status: 0 imported (or checked), 1 refused, 2 usage error (one line on standard error).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop.commands.common import EXIT_ERRORS as EXIT_REFUSED
from desktop.commands.common import EXIT_OK, EXIT_USAGE

HELP = "import CMS's quarterly NCCI PTP and MUE files as a data pack"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from desktop.core.ncci.model import TABLE_KINDS

    p = subparsers.add_parser(
        "import-ncci", help=HELP,
        description="Read CMS's quarterly NCCI release files (the zips, or the .txt/.csv/.xlsx inside them), "
                    "keep the rows about codes GuideCode knows and write a dated data pack. See docs/ncci.md.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="CMS release files (.zip, .txt, .csv, .xlsx)")
    p.add_argument("--out", type=Path, default=None, help="write the pack to this new (or empty) folder")
    p.add_argument("--install", action="store_true",
                   help="install the pack into the data folder (--data-dir, else the user data folder)")
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help="data folder whose codes (built-in and packs) decide what is kept, and where --install "
                        "installs")
    p.add_argument("--kind", choices=TABLE_KINDS, default=None,
                   help="practitioner or outpatient_hospital, when the file names do not say")
    p.add_argument("--version", dest="ncci_version", default=None, metavar="VERSION",
                   help="CMS version of the PTP table (e.g. 30.2), when the file names do not say")
    p.add_argument("--quarter", default=None, metavar="QUARTER",
                   help="quarter of the tables (2024Q3, or its first day 2024-07-01), when the file names do not say")
    p.add_argument("--partial", action="store_true",
                   help="accept PTP files that are not all the parts (f1 to f4) of the quarter's table")
    p.set_defaults(run=run)


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"guidecode import-ncci: {message}", file=sys.stderr)
    return status


def run(ns: argparse.Namespace) -> int:
    from desktop.core.ncci.importer import ImportOptions, ImportProblems, parse_quarter_option, read_release, write_pack
    from desktop.core.packs.folders import default_data_dir
    from desktop.core.packs.report import load_report
    from desktop.core.problems import DataError

    quarter = None
    if ns.quarter is not None:
        quarter = parse_quarter_option(ns.quarter)
        if quarter is None:
            return _fail(f"--quarter {ns.quarter!r}: write the quarter as 2024Q3 or as its first day, 2024-07-01")
    version = ns.ncci_version.strip() if ns.ncci_version else None
    if version is not None and (not version or len(version) > 24 or "\n" in version):
        return _fail("--version: give CMS's version as written in the file name, e.g. 30.2")
    out: Path | None = ns.out
    if out is not None and out.exists() and (not out.is_dir() or any(out.iterdir())):
        return _fail(f"--out {out} exists and is not an empty folder; give a new folder for the pack")
    data_dir: Path | None = getattr(ns, "data_dir", None)
    if data_dir is not None and data_dir.exists() and not data_dir.is_dir():
        return _fail(f"--data-dir {data_dir} is not a folder")
    try:
        report = load_report(data_dir, missing_ok=True)
    except DataError as exc:
        return _fail(f"the built-in data is broken: {exc}", EXIT_REFUSED)
    for notice in report.notices:  # an interrupted pack change completed or rolled back at this start
        print(f"guidecode import-ncci: {notice}", file=sys.stderr)
    for problem in report.problems:
        print(f"guidecode import-ncci: data pack skipped: {problem}", file=sys.stderr)
    codes = set(report.catalog.by_code)
    options = ImportOptions(kind=ns.kind, version=version, quarter=quarter, partial=ns.partial)
    try:
        imported = read_release(ns.files, codes, options)
    except ImportProblems as exc:
        for problem in exc.problems:
            print(problem)
        return _fail(f"refused: {len(exc.problems)} problem(s); nothing was written or installed", EXIT_REFUSED)
    for line in imported.summary:
        print(line)
    for skipped in imported.skipped:
        print(f"not read: {skipped}")
    if out is not None:
        try:
            write_pack(imported, out, report.catalog.sources)
        except (OSError, ImportProblems) as exc:
            return _fail(f"cannot write the pack to {out}: {getattr(exc, 'strerror', None) or exc}", EXIT_REFUSED)
        print(f"data pack {imported.name!r} written to {out}")
    if ns.install:
        from desktop.core.ncci_install import install_pack
        from desktop.core.packs.install import PackRefused

        target = data_dir if data_dir is not None else default_data_dir()
        try:
            folder = install_pack(imported, target)
        except PackRefused as exc:
            for problem in exc.problems:
                print(problem)
            return _fail(f"the data pack was refused ({len(exc.problems)} problem(s)); nothing was installed",
                         EXIT_REFUSED)
        except (OSError, ImportProblems) as exc:
            return _fail(f"cannot install the pack into {target}: {getattr(exc, 'strerror', None) or exc}",
                         EXIT_REFUSED)
        print(f"data pack {imported.name!r} installed in {target} (folder packs/{folder})")
    if out is None and not ns.install:
        print("checked only: give --out DIR to write the pack, or --install to install it")
    return EXIT_OK
