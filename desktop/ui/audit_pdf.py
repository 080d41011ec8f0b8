"""The audit report as PDF: a summary page, then the findings grouped by kind with what to do and the sources.

Made with :class:`QPdfWriter` (QtGui) into memory and written atomically: QtPrintSupport, and with it the CUPS
print plugin that opens a network connection, is never loaded (tests/test_audit_report.py checks it). Numbers
use the locale's grouping (:class:`QLocale`); counts are pluralised.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QLocale, QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from desktop.core.atomicfile import write_atomic
from desktop.core.audit import KINDS, NOTE_KINDS, SEVERITIES, X12_VALIDATION_LABELS, AuditReport, Finding, plural
from desktop.core.model import Catalog
from desktop.ui.present import DISCLAIMER

MAX_ROWS_PER_KIND = 1000
_e = html.escape


def number_format(locale: QLocale | None = None):  # type: ignore[no-untyped-def]
    loc = locale or QLocale()
    return lambda n: loc.toString(int(n))


def report_html(report: AuditReport, findings: Sequence[Finding], catalog: Catalog | None = None, *,
                shown_note: str = "", locale: QLocale | None = None) -> str:
    fmt = number_format(locale)
    s = report.summary
    small = "font-size:9pt; color:#444"
    cell = "padding:2px 4px; border-bottom:1px solid #ccc; vertical-align:top; font-size:9.5pt"
    out = ["<html><body style='font-family:sans-serif'>"]
    out.append("<h1 style='font-size:20pt'>GuideCode claims audit</h1>")
    if s.cancelled:
        out.append(f"<p style='color:#a00; font-weight:bold'>PARTIAL REPORT: the audit was cancelled after "
                   f"{plural(s.lines_read, 'line', fmt=fmt)}; findings for the rest of the file are missing.</p>")
    name = Path(s.source_name).name if s.source_name else "(not named)"
    dates = f"{s.first_date} to {s.last_date}" if s.first_date else "none"
    rows = [
        ("File", f"{name} ({'X12 837P' if s.source_format == '837p' else 'CSV'})"),
        *([("837P validation", X12_VALIDATION_LABELS[s.x12_validation])] if s.x12_validation else []),
        ("Dates of service", dates),
        ("Claims checked",
         f"{fmt(s.claims_checked)} ({plural(s.encounters_checked, 'claim-date encounter', fmt=fmt)})"),
        ("Lines read", f"{fmt(s.lines_read)} ({plural(s.rows_skipped, 'row', fmt=fmt)} skipped as malformed)"),
        ("Findings", f"{fmt(s.findings)}: " + (", ".join(f"{fmt(s.by_severity.get(v, 0))} {v}" for v in SEVERITIES))),
        ("Before notes were folded", f"{plural(s.unfolded_findings, 'finding', fmt=fmt)}: "
         + ", ".join(f"{fmt((s.unfolded_by_severity or s.by_severity).get(v, 0))} {v}" for v in SEVERITIES)),
        ("In this report", shown_note or f"all {plural(len(findings), 'finding', fmt=fmt)}"),
        ("Claims with an error", fmt(s.claims_with_errors)),
        ("Default payer", s.payer_default),
        ("Data", s.data_version),
        ("NCCI tables", s.ncci_version or "none in the data (no NCCI edit was applied)"),
        *([("NCCI warning", s.ncci_warning)] if s.ncci_warning else []),
        ("Made", datetime.now().strftime("%Y-%m-%d %H:%M")),
    ]
    out.append("<table cellspacing='0' style='margin-bottom:8px'>")
    for k, v in rows:
        out.append(f"<tr><td style='{cell}; font-weight:bold'>{_e(k)}</td><td style='{cell}'>{_e(v)}</td></tr>")
    out.append("</table>")
    out.append("<h2 style='font-size:14pt'>Findings by kind</h2><table cellspacing='0'>")
    out.append("<tr>" + "".join(f"<th style='{cell}'>{h}</th>" for h in
                                ("Id", "Kind", "Severity", "Rows", "Occurrences", "What to do")) + "</tr>")
    raw = s.unfolded_by_kind or s.by_kind
    seen: dict[str, set[str]] = {}  # a kind whose rule sets the severity (mue_exceeded: MAI 2 an error) shows each
    for f in findings:
        seen.setdefault(f.kind, set()).add(f.severity)
    for kind, info in KINDS.items():
        n = s.by_kind.get(kind, 0)
        if not n and not raw.get(kind):
            continue
        note = " (note)" if kind in NOTE_KINDS else ""
        severity = ", ".join(v for v in SEVERITIES if v in seen.get(kind, {info.severity}))
        out.append(f"<tr><td style='{cell}'>{info.id}</td><td style='{cell}'>{_e(kind)}{note}</td>"
                   f"<td style='{cell}'>{severity}</td><td style='{cell}' align='right'>{fmt(n)}</td>"
                   f"<td style='{cell}' align='right'>{fmt(raw.get(kind, n))}</td>"
                   f"<td style='{cell}'>{_e(info.action)}</td></tr>")
    out.append("</table>")
    out.append(f"<p style='{small}'>Notes (inferences and reminders repeated on many claims) are folded into one "
               "row per kind with a count. Each finding carries the rule's reason, its source ids and confidence; "
               "the source key is in GuideCode's Help &rarr; About.</p>")
    out.append(f"<p style='{small}'><i>{_e(DISCLAIMER)} GuideCode checks imaging-guidance billing only; a "
               "finding is a prompt to check the record, not a coding decision.</i></p>")

    by_kind: dict[str, list[Finding]] = {}
    for f in findings:
        by_kind.setdefault(f.kind, []).append(f)
    first = True
    for kind, info in KINDS.items():
        group = by_kind.get(kind)
        if not group:
            continue
        brk = "page-break-before:always; " if first else ""
        first = False
        sources = sorted({sid for f in group for sid in f.sources})
        titles = []
        for sid in sources[:12]:
            src = catalog.sources.get(sid) if catalog is not None else None
            titles.append(f"{sid}" + (f" ({_e(src.title[:90])})" if src is not None else ""))
        out.append(f"<h2 style='{brk}font-size:12pt'>{info.id} {_e(kind)}: {_e(info.title)} "
                   f"({plural(len(group), 'row', fmt=fmt)})</h2>")
        out.append(f"<p style='font-size:9pt'><b>What to do:</b> {_e(info.action)}<br/><b>Sources:</b> "
                   f"{'; '.join(titles) or 'none (a claim-structure check)'}</p>")
        out.append("<table cellspacing='0' width='100%'>")
        out.append("<tr>" + "".join(f"<th style='{cell}' align='left'>{h}</th>" for h in
                                    ("Claim", "Date", "Where", "Billed", "Rules say", "Finding")) + "</tr>")
        for f in group[:MAX_ROWS_PER_KIND]:
            count = f" [{plural(f.count, 'occurrence', fmt=fmt)}]" if f.count > 1 else ""
            out.append("<tr>" + "".join(f"<td style='{cell}'>{_e(v)}</td>" for v in (
                f.claim_id, f.date_of_service, f.place, f.billed, f.expected, f.message + count)) + "</tr>")
        out.append("</table>")
        if len(group) > MAX_ROWS_PER_KIND:
            out.append(f"<p style='{small}'>… and {plural(len(group) - MAX_ROWS_PER_KIND, 'more row', fmt=fmt)} of "
                       "this kind: export CSV or JSON for every row.</p>")
    out.append("</body></html>")
    return "".join(out)


def pdf_bytes(report: AuditReport, findings: Sequence[Finding], catalog: Catalog | None = None, *,
              shown_note: str = "", locale: QLocale | None = None) -> bytes:
    """The PDF of the report (A4 portrait... Letter where the locale uses it), rendered with QPdfWriter."""
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buf)
    loc = locale or QLocale()
    size = QPageSize.PageSizeId.Letter if loc.territory() in (QLocale.Country.UnitedStates,
                                                             QLocale.Country.Canada) else QPageSize.PageSizeId.A4
    writer.setPageLayout(QPageLayout(QPageSize(size), QPageLayout.Orientation.Portrait,
                                     QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter))
    writer.setResolution(144)
    writer.setTitle("GuideCode claims audit")
    writer.setCreator("GuideCode")
    doc = QTextDocument()
    doc.setHtml(report_html(report, findings, catalog, shown_note=shown_note, locale=loc))
    layout = writer.pageLayout()
    rect = layout.paintRectPixels(writer.resolution())
    doc.setPageSize(QSizeF(rect.width(), rect.height()))
    doc.print_(writer)
    del writer
    buf.close()
    return bytes(data.data())


def write_pdf(path: Path, report: AuditReport, findings: Sequence[Finding], catalog: Catalog | None = None, *,
              shown_note: str = "") -> int:
    """Write the PDF atomically; returns the number of finding rows in it. Raises OSError."""
    write_atomic(path, pdf_bytes(report, findings, catalog, shown_note=shown_note))
    return len(findings)
