"""Writing an audit report: CSV (spreadsheet-safe cells), JSON and tab-separated rows (the clipboard).

Every file is written atomically (:mod:`desktop.core.atomicfile`): the report appears whole under its name or
not at all, and a report is never written over a file the audit reads (:func:`check_output`). A report holds
only what the audit uses: claim id, date, codes, modifiers, units, place of service, payer class, and the
finding's own words; a malformed row is described, never copied.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from desktop.core.atomicfile import atomic_writer
from desktop.core.audit.claims import AuditInputError
from desktop.core.audit.findings import REPORT_COLUMNS, AuditReport, AuditSummary, Finding

# ---------------------------------------------------------------------------------------------------------
# Output

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Keep a spreadsheet from running a claim file's text as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def finding_row(f: Finding) -> list[str]:
    return [f.finding_id, f.kind_id, _cell(f.claim_id), f.date_of_service, str(f.line), _cell(f.place),
            f.severity, f.kind, _cell(f.billed), _cell(f.expected), f.action, _cell(f.message), _cell(f.reason),
            " ".join(f.sources), f.confidence or "", f.modality, str(f.count), f.ncci]


def partial_note(summary: AuditSummary) -> str:
    return (f"# PARTIAL REPORT: the audit was cancelled after {summary.lines_read:,} lines "
            f"({summary.claims_checked:,} claims checked); findings for the rest of the file are missing")


def write_csv(findings: Iterable[Finding], stream: TextIO, summary: AuditSummary | None = None) -> int:
    """Write the findings as CSV rows under a header; a cancelled audit's report starts with a ``# PARTIAL``
    line. Returns the number of rows."""
    if summary is not None and summary.cancelled:
        stream.write(partial_note(summary) + "\n")
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    n = 0
    for f in findings:
        writer.writerow(finding_row(f))
        n += 1
    return n


TSV_COLUMNS = ("id", "severity", "kind", "claim_id", "date_of_service", "where", "billed", "expected",
               "what_to_do", "message", "sources", "confidence")


def findings_tsv(findings: Sequence[Finding], columns: Sequence[str] = TSV_COLUMNS) -> str:
    """Rows as tab-separated text with a header row (for the clipboard); tabs and newlines in a value become
    spaces."""
    def value(f: Finding, c: str) -> str:
        d = f.as_dict()
        v = d.get(c, "")
        text = " ".join(v) if isinstance(v, list) else "" if v is None else str(v)
        return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")

    return "\n".join(["\t".join(columns), *("\t".join(value(f, c) for c in columns) for f in findings)]) + "\n"


def report_to_json(report: AuditReport, findings: Sequence[Finding] | None = None) -> dict[str, Any]:
    rows = report.findings if findings is None else findings
    return {"findings": [f.as_dict() for f in rows], "summary": report.summary.as_dict()}


def write_json(report: AuditReport, stream: TextIO, indent: int | None = 2,
               findings: Sequence[Finding] | None = None) -> None:
    json.dump(report_to_json(report, findings), stream, indent=indent, ensure_ascii=False)
    stream.write("\n")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_output(out: Path, reads: Iterable[Path]) -> None:
    """Refuse (AuditInputError) to write a report over a file the audit reads (the claims file, a data
    pack's file, ...) or over a folder."""
    if out.is_dir():
        raise AuditInputError(f"--out {out} is a folder; name a file")
    for path in reads:
        if out.exists() and _same_file(out, path) or os.path.abspath(out) == os.path.abspath(path):
            raise AuditInputError(f"--out {out} is a file the audit reads ({path}); write the report elsewhere")


def write_report(report: AuditReport, path: Path, fmt: str = "csv", findings: Sequence[Finding] | None = None
                 ) -> int:
    """Write the report (or just ``findings``, e.g. the rows a table shows) to ``path`` atomically, as CSV
    (UTF-8 with a byte-order mark, so a spreadsheet shows "×" right) or JSON; returns the rows written.
    Raises OSError (and leaves any previous file as it was)."""
    rows = report.findings if findings is None else findings
    if fmt == "json":
        with atomic_writer(path, encoding="utf-8", newline="") as fh:
            write_json(report, fh, findings=rows)
        return len(rows)
    with atomic_writer(path, encoding="utf-8-sig", newline="") as fh:
        return write_csv(rows, fh, report.summary)
