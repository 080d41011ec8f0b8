"""``python -m desktop coverage``: the data-coverage report per code family (issue 14).

The counting is in :mod:`desktop.core.coverage`; this module wires it to the command line. Prints a text
table by default, ``--format markdown`` the table kept in ``docs/data-sources.md``, ``--format json`` every
number with the codes and source ids. ``--data-dir D`` counts the built-in data together with the enabled
packs installed in ``D``. ``--update-doc FILE`` rewrites the generated table between the markers of FILE
(atomically) instead of printing, and ``--check-doc FILE`` only says whether FILE's table is current.

Exit status: 0 done (or the document is current), 1 the data is broken or the document's table is out of
date, 2 bad usage or a document that cannot be read or has no table markers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from desktop.commands.common import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, load_catalog


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "coverage", help="report per code family: codes, rules by confidence, unconfirmed points, sources",
        description="Count, per code family, the codes, the guidance rules by confidence, the unconfirmed "
                    "points (unconfirmed rules, unconfirmed bilateral, low-confidence dates) and the sources "
                    "cited. See docs/data-sources.md (Coverage).")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                   help="output format (default text)")
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help="folder of data packs to apply on top of the built-in data")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--update-doc", type=Path, default=None, metavar="FILE",
                       help="rewrite the generated Markdown table between FILE's coverage markers")
    group.add_argument("--check-doc", type=Path, default=None, metavar="FILE",
                       help="exit 1 if FILE's generated table differs from the current data")
    p.set_defaults(run=run)


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"guidecode coverage: {message}", file=sys.stderr)
    return status


def run(ns: argparse.Namespace) -> int:
    from desktop.core.atomicfile import write_text_atomic
    from desktop.core.coverage import (
        DocTableError,
        build_coverage,
        doc_table,
        render_markdown,
        render_text,
        replace_doc_table,
        to_json,
    )
    from desktop.core.loader import DataError

    data_dir: Path | None = getattr(ns, "data_dir", None)
    if data_dir is not None and not data_dir.is_dir():
        return _fail(f"--data-dir {data_dir} is not a folder")
    doc: Path | None = ns.update_doc or ns.check_doc
    doc_text = ""
    if doc is not None:
        try:
            doc_text = doc.read_text(encoding="utf-8")
            doc_table(doc_text)
        except (OSError, UnicodeDecodeError) as exc:
            return _fail(f"cannot read {doc}: {getattr(exc, 'strerror', None) or exc}")
        except DocTableError as exc:
            return _fail(f"{doc}: {exc}")
    try:
        catalog = load_catalog(data_dir)
    except DataError as exc:
        return _fail(f"the built-in data is broken: {exc}", EXIT_ERRORS)
    report = build_coverage(catalog)

    if doc is not None:
        table = render_markdown(report)
        if ns.check_doc is not None:
            if doc_table(doc_text) == table:
                print(f"{doc}: the coverage table is current")
                return EXIT_OK
            print(f"{doc}: the coverage table is out of date; run: python -m desktop coverage --update-doc {doc}",
                  file=sys.stderr)
            return EXIT_ERRORS
        updated = replace_doc_table(doc_text, table)
        if updated == doc_text:
            print(f"{doc}: the coverage table is already current")
            return EXIT_OK
        try:
            write_text_atomic(doc, updated)
        except OSError as exc:
            return _fail(f"cannot write {doc}: {exc.strerror or exc}")
        print(f"{doc}: coverage table updated ({len(report.families)} families, {len(report.total.codes)} codes)")
        return EXIT_OK

    if ns.format == "json":
        text = json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"
    elif ns.format == "markdown":
        text = render_markdown(report)
    else:
        text = render_text(report)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK
