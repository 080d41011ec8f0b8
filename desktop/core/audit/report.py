"""Writing an audit report: CSV (spreadsheet-safe cells) and JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from desktop.core.audit.findings import REPORT_COLUMNS, AuditReport, Finding

# ---------------------------------------------------------------------------------------------------------
# Output

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Keep a spreadsheet from running a claim file's text as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def finding_row(f: Finding) -> list[str]:
    return [_cell(f.claim_id), f.date_of_service, str(f.line), f.severity, f.kind, _cell(f.billed),
            _cell(f.expected), _cell(f.message), _cell(f.reason), " ".join(f.sources), f.confidence or "",
            f.modality]


def write_csv(findings: Iterable[Finding], stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for f in findings:
        writer.writerow(finding_row(f))


def report_to_json(report: AuditReport) -> dict[str, Any]:
    return {"findings": [f.as_dict() for f in report.findings], "summary": report.summary.as_dict()}


def write_json(report: AuditReport, stream: TextIO, indent: int | None = 2) -> None:
    json.dump(report_to_json(report), stream, indent=indent, ensure_ascii=False)
    stream.write("\n")

