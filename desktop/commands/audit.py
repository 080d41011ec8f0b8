"""``python -m desktop audit CLAIMS.csv``: check a claims file for imaging-guidance errors (issue 6).

The logic is in :mod:`desktop.core.audit`; this module only wires it to the command line. The report (CSV or
JSON) goes to ``--out`` or standard output; the summary goes to standard error when the report is on
standard output, else to standard output. Progress lines go to standard error every 10,000 lines, only when
it is a terminal or with ``--progress``.

Exit status: 0 no finding of severity error, 1 at least one error finding (malformed rows count), 2 bad usage
or an unreadable file (one line on standard error, never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop.commands.common import EXIT_ERRORS, EXIT_OK, EXIT_USAGE
from desktop.core.model import PAYERS

PROGRESS_EVERY = 10_000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "audit", help="check a claims CSV file for imaging-guidance errors",
        description="Check claim lines (CSV with a header row) for imaging-guidance errors: guidance billed with "
                    "a code that includes it, 77003 per level, 77003 for 77002, 76000 or deleted codes, missing "
                    "26, 20610 + 76942, missing 59/XS and more. See docs/audit.md.")
    p.add_argument("file", help="claims CSV file (header: claim_id,date_of_service,place_of_service,code,"
                                "modifiers,units), or - for standard input")
    p.add_argument("--out", type=Path, default=None, help="write the report to this file instead of standard output")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="report format (default csv)")
    p.add_argument("--columns", default="", metavar="FIELD=HEADER,...",
                   help="header names for the fields, e.g. claim_id=ClaimNo,code=CPT,modifiers=Mod1+Mod2")
    p.add_argument("--payer", choices=PAYERS, default="other",
                   help="payer when the file has no payer column (default other); medicare prefers XS")
    p.add_argument("--encoding", default="utf-8-sig", help="text encoding of the claims file (default UTF-8)")
    p.add_argument("--progress", action="store_true",
                   help="print progress to standard error even when it is not a terminal")
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help="folder of data packs to apply on top of the built-in data")
    p.set_defaults(run=run)


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"guidecode audit: {message}", file=sys.stderr)
    return status


def run(ns: argparse.Namespace) -> int:
    from desktop.commands.common import load_catalog
    from desktop.core.audit import (
        AuditInputError,
        AuditOptions,
        audit_text,
        parse_columns_spec,
        read_claims_file,
        write_csv,
        write_json,
    )
    from desktop.core.loader import DataError

    try:
        columns = parse_columns_spec(ns.columns)
        if ns.file == "-":
            text = sys.stdin.read()
        else:
            text = read_claims_file(Path(ns.file), ns.encoding)
    except AuditInputError as exc:
        return _fail(str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"cannot read standard input: {exc}")
    try:
        catalog = load_catalog(getattr(ns, "data_dir", None))
    except DataError as exc:
        return _fail(f"the built-in data is broken: {exc}", EXIT_ERRORS)

    show_progress = ns.progress or sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        print(f"audit: {done:,} of {total:,} lines checked", file=sys.stderr, flush=True)

    options = AuditOptions(payer=ns.payer, columns=columns)
    try:
        report = audit_text(catalog, text, options, progress=progress if show_progress else None,
                            progress_every=PROGRESS_EVERY)
    except AuditInputError as exc:
        return _fail(f"{ns.file}: {exc}")

    def write(stream) -> None:  # type: ignore[no-untyped-def]
        if ns.format == "json":
            write_json(report, stream)
        else:
            write_csv(report.findings, stream)

    if ns.out is None:
        try:
            write(sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into head: stop quietly, as other command-line tools do
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_ERRORS if report.has_errors else EXIT_OK
        print(report.summary.text(), file=sys.stderr)
    else:
        try:
            # utf-8-sig so a spreadsheet shows the report's non-ASCII text (the × of "77003 ×2") correctly
            enc = "utf-8-sig" if ns.format == "csv" else "utf-8"
            with ns.out.open("w", encoding=enc, newline="") as fh:
                write(fh)
        except OSError as exc:
            return _fail(f"cannot write {ns.out}: {exc.strerror or exc}")
        print(report.summary.text())
        print(f"report written to {ns.out}")
    return EXIT_ERRORS if report.has_errors else EXIT_OK
