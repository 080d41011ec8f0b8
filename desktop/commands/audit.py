"""``python -m desktop audit FILE``: check a claims file (CSV or 837P) for imaging-guidance errors.

The logic is in :mod:`desktop.core.audit`; this module only wires it to the command line. The input is read as
a stream (memory stays flat with its size; standard input is read into memory first). The report (CSV or JSON)
goes to ``--out``, written atomically and never over a file the audit reads, or to standard output; the summary
goes to standard error when the report is on standard output, else to standard output. Progress lines go to
standard error every 10,000 lines, only when it is a terminal or with ``--progress``.

Exit status: 0 no finding of severity error, 1 at least one error finding (malformed rows count), 2 bad usage
or an unreadable file (one line on standard error, never a traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from desktop.commands.common import EXIT_ERRORS, EXIT_OK, EXIT_USAGE
from desktop.core.model import PAYERS

PROGRESS_EVERY = 10_000
_MAX_LISTED_READS = 10_000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "audit", help="check a claims file (CSV or X12 837P) for imaging-guidance errors",
        description="Check claim lines (CSV with a header row, or an ASC X12 5010 837P file) for imaging-guidance "
                    "errors: guidance billed with a code that includes it, 77003 per level, 77003 for 77002, "
                    "76000 or deleted codes, missing 26, 20610 + 76942, missing 59/XS and more. See the audit "
                    "documentation (Help in the audit window, or docs/audit.md).")
    p.add_argument("file", help="claims file: CSV (header: claim_id,date_of_service,place_of_service,code,"
                                "modifiers,units) or 837P (.837, .x12, .txt, or any file starting with ISA), "
                                "or - for standard input")
    p.add_argument("--out", type=Path, default=None,
                   help="write the report to this file (atomically) instead of standard output")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="report format (default csv)")
    p.add_argument("--columns", default="", metavar="FIELD=HEADER,...",
                   help="header names for the fields, e.g. claim_id=ClaimNo,code=CPT,modifiers=Mod1+Mod2")
    p.add_argument("--payer", choices=PAYERS, default="other",
                   help="payer when the file names none (default other); medicare prefers XS")
    p.add_argument("--medicare-payer-ids", default="", metavar="ID,...",
                   help="837P: payer ids (NM1*PR) to treat as Medicare, besides claim filing indicator MA/MB")
    p.add_argument("--x12-validation", choices=("full", "envelope"), default="full",
                   help="837P: full validates every segment against the 005010X222A1 map with pyx12 (default); "
                        "envelope reads with pyx12's segment reader and checks only the envelope, HL and LX "
                        "numbering (about 8 times faster on large files)")
    p.add_argument("--encoding", default="auto",
                   help="text encoding of the claims file (default auto: UTF-8, or UTF-16/UTF-32 when the file "
                        "is; e.g. cp1252)")
    p.add_argument("--progress", action="store_true",
                   help="print progress to standard error even when it is not a terminal")
    p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                   help="folder of data packs to apply on top of the built-in data")
    p.set_defaults(run=run)


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"guidecode audit: {message}", file=sys.stderr)
    return status


def files_read(claims: Path | None, data_dir: Path | None) -> list[Path]:
    """Every file the audit reads: the claims file, the built-in data and the data packs' files."""
    from desktop.paths import builtin_data_dir

    out = [claims] if claims is not None else []
    for folder in (builtin_data_dir(), data_dir):
        if folder is None or not folder.is_dir():
            continue
        for n, path in enumerate(folder.rglob("*")):
            if n >= _MAX_LISTED_READS:
                break
            if path.is_file():
                out.append(path)
    return out


def run(ns: argparse.Namespace) -> int:
    import signal

    from desktop.commands.common import load_catalog
    from desktop.core.audit import (
        AuditInputError,
        AuditOptions,
        AuditProgress,
        audit_input,
        check_encoding,
        check_output,
        open_claims_bytes,
        open_claims_path,
        parse_columns_spec,
        write_csv,
        write_json,
        write_report,
    )
    from desktop.core.loader import DataError

    # SIGTERM ends the command through SystemExit, so a report being written is removed, never left partial
    with contextlib.suppress(ValueError, OSError):  # (not in the main thread: keep the default)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    data_dir = getattr(ns, "data_dir", None)
    try:
        columns = parse_columns_spec(ns.columns)
        encoding = check_encoding(ns.encoding)
        if ns.out is not None:
            check_output(ns.out, files_read(None if ns.file == "-" else Path(ns.file), data_dir))
        if ns.file == "-":
            src = open_claims_bytes(sys.stdin.buffer.read(), "standard input", encoding)
        else:
            src = open_claims_path(Path(ns.file), encoding)
    except AuditInputError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot read standard input: {exc.strerror or exc}")
    try:
        try:
            catalog = load_catalog(data_dir)
        except DataError as exc:
            return _fail(f"the built-in data is broken: {exc}", EXIT_ERRORS)

        show_progress = ns.progress or sys.stderr.isatty()

        def progress(p: AuditProgress) -> None:
            pct = f", {p.fraction:.0%} of the input" if p.bytes_total else ""
            print(f"audit: {p.lines:,} lines read{pct}", file=sys.stderr, flush=True)

        ids = frozenset(i.strip().upper() for i in ns.medicare_payer_ids.split(",") if i.strip())
        options = AuditOptions(payer=ns.payer, columns=columns, medicare_payer_ids=ids,
                               x12_validate=ns.x12_validation == "full")
        try:
            report = audit_input(catalog, src, options, progress=progress if show_progress else None,
                                 progress_every=PROGRESS_EVERY)
        except AuditInputError as exc:
            return _fail(f"{ns.file}: {exc}")
    finally:
        src.close()

    if ns.out is None:
        try:
            if ns.format == "json":
                write_json(report, sys.stdout)
            else:
                write_csv(report.findings, sys.stdout, report.summary)
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into head: stop quietly, as other command-line tools do
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_ERRORS if report.has_errors else EXIT_OK
        print(report.summary.text(), file=sys.stderr)
    else:
        try:
            write_report(report, ns.out, ns.format)
        except OSError as exc:
            return _fail(f"cannot write {ns.out}: {exc.strerror or exc} (no report was written)")
        print(report.summary.text())
        print(f"report written to {ns.out}")
    return EXIT_ERRORS if report.has_errors else EXIT_OK
