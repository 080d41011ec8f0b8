"""What the answer panel, the clipboard and the printed summary say, computed from one resolution.

Qt-free on purpose: the panel, Copy and Print all render the same :class:`AnswerItem` list, and the
wording is tested without a window. No billing rule lives here: every verdict comes from
``desktop.core.engine.resolve``; the only lookup is which guidance codes a procedure's "included"
policy covers (the catalog's guidance records for the policy's modalities), to name them in
"do not bill ...".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from desktop.core.engine import REGION_LABEL
from desktop.core.model import (
    MODALITY_LABELS,
    PAYER_LABELS,
    SETTING_LABELS,
    Catalog,
    Confidence,
    Encounter,
    GuidanceLine,
    ProcedureResult,
    Resolution,
)
from desktop.core.problems import Problem

DISCLAIMER = ("Not coding advice. CPT is a registered trademark of the American Medical Association. "
              "Descriptions are GuideCode's own words.")

#: The clipboard's second format: one line per guidance line, fields separated by tabs.
TSV_MIME = "text/tab-separated-values"
#: Columns of the tab-separated copy: a CMS-1500 / 837P service line has up to four modifiers.
TSV_COLUMNS = ("code", "modifier 1", "modifier 2", "modifier 3", "modifier 4", "units")

SEVERITY_LABELS = {"error": "Error", "warning": "Warning", "info": "Note"}


@dataclass(frozen=True)
class AnswerItem:
    """One card of the answer: a billable guidance line, or what happens to one procedure."""

    kind: str  # "line" or "procedure"
    state: str  # "bill" for a line; the ProcedureResult state otherwise
    headline: str  # "77003-26-XS ×1" / "Guidance included in 62323 — do not bill 77002/77003/77012"
    context: str  # "for 62282 · lumbar" / "62323  Lumbar or sacral ... epidural"
    reason: str
    sources: tuple[str, ...]
    confidence: Confidence


def line_context(line: GuidanceLine) -> str:
    text = "for " + ", ".join(line.for_codes)
    if line.region is not None:
        text += f" \u00b7 {REGION_LABEL[line.region].lower()} region"
    return text


def do_not_bill_codes(catalog: Catalog, result: ProcedureResult, when: date) -> tuple[str, ...]:
    """The guidance codes a coder must not add for a procedure whose guidance is included.

    They are the catalog's suggestible guidance records (valid on ``when``) whose modality is one the
    procedure's "included" policy names; if no such policy applies (an imaging S&I code covers the
    guidance instead), the modality that was used.
    """
    rec = catalog.get(result.code)
    policy = rec.policy_for(result.modality, when) if rec is not None else None
    modalities = policy.modalities if policy is not None and policy.state == "included" else (result.modality,)
    codes = [
        g.code for g in catalog.records
        if g.guidance is not None and g.guidance.suggest and g.guidance.modality in modalities
        and g.valid_on(when)
    ]
    return tuple(sorted(codes))


def procedure_headline(catalog: Catalog, result: ProcedureResult, when: date) -> str:
    code = result.code
    modality = MODALITY_LABELS[result.modality]
    if result.state == "included":
        codes = do_not_bill_codes(catalog, result, when)
        tail = f" \u2014 do not bill {'/'.join(codes)}" if codes else " \u2014 do not bill a guidance code"
        return f"Guidance included in {code}{tail}"
    if result.state == "redirect":
        return f"{modality} with {code} \u2192 report {result.redirect_to} instead"
    if result.state == "separate":
        return f"{code} with {modality.lower()} \u2192 {result.guidance_code} (billed above)"
    if result.state == "unconfirmed":
        cand = f"; candidate {result.guidance_code}" if result.guidance_code else ""
        return f"{code} with {modality.lower()}: UNCONFIRMED \u2014 no guidance line given{cand}"
    if result.state == "invalid":
        return f"{code} cannot be billed on this date"
    if result.state == "not_applicable":
        return f"{modality} does not apply to {code}: no guidance code to bill"
    return f"{code}: no guidance code to bill"


def answer_items(catalog: Catalog, encounter: Encounter, resolution: Resolution) -> list[AnswerItem]:
    """The cards of the answer panel, lines first, then one per procedure in encounter order."""
    items = [
        AnswerItem("line", "bill", line.display, line_context(line), line.reason, line.sources, line.confidence)
        for line in resolution.guidance_lines
    ]
    for result in resolution.procedures:
        context = f"{result.code}   {result.name}" if result.name else result.code
        items.append(AnswerItem("procedure", result.state,
                                procedure_headline(catalog, result, encounter.date_of_service),
                                context, result.reason, result.sources, result.confidence))
    return items


def source_title(catalog: Catalog, source_id: str) -> str:
    src = catalog.sources.get(source_id)
    if src is None:
        return f"{source_id}: not in GuideCode's source list"
    return f"{source_id}: {src.title} ({src.kind}; reliability {src.reliability})"


def data_label(catalog: Catalog) -> str:
    return f"Data {catalog.version_label} \u00b7 CPT code set {catalog.code_set_year}"


def encounter_summary(encounter: Encounter) -> str:
    return (f"{encounter.date_of_service.isoformat()} \u00b7 {SETTING_LABELS[encounter.setting]} \u00b7 "
            f"{PAYER_LABELS[encounter.payer]} \u00b7 {MODALITY_LABELS[encounter.modality]}")


# Clipboard -------------------------------------------------------------------------------------------
def lines_text(resolution: Resolution) -> str:
    """The lines as a coder writes them, one per line, no trailing newline: ``77003-26-XS ×1``."""
    return "\n".join(line.display for line in resolution.guidance_lines)


def lines_tsv(resolution: Resolution) -> str:
    """One row per line: code, four modifier columns (empty when unused), units; rows end with CRLF
    (what spreadsheets and Windows grids expect when pasting)."""
    rows = []
    for line in resolution.guidance_lines:
        mods = list(line.modifiers[:4]) + [""] * (4 - min(4, len(line.modifiers)))
        rows.append("\t".join([line.code, *mods, str(line.units)]))
    return "".join(row + "\r\n" for row in rows)


# Printed summary -------------------------------------------------------------------------------------
def summary_html(catalog: Catalog, encounter: Encounter, resolution: Resolution, *, app_version: str,
                 printed_on: date, font_pt: float = 9.5) -> str:
    """A one-page summary (Qt rich-text HTML subset): encounter, lines, reasons, sources, versions."""
    import html  # only for printing: html imports its 2,200-entry entity table (~1.5 ms of every start)

    e = html.escape
    small = f"font-size:{font_pt - 1.5:.1f}pt"
    out = [f"<html><body style='font-size:{font_pt:.1f}pt'>",
           "<h2 style='margin-bottom:2px'>GuideCode \u2014 imaging-guidance summary</h2>",
           f"<p style='{small}'>{e(data_label(catalog))} \u00b7 GuideCode {e(app_version)} \u00b7 "
           f"printed {printed_on.isoformat()}</p>",
           "<h3>Encounter</h3>",
           f"<p>Date of service {e(encounter.date_of_service.isoformat())} \u00b7 "
           f"{e(SETTING_LABELS[encounter.setting])} \u00b7 {e(PAYER_LABELS[encounter.payer])} \u00b7 "
           f"modality {e(MODALITY_LABELS[encounter.modality])}</p>"]
    if encounter.procedures:
        out.append("<table cellspacing='0' cellpadding='3' border='1' width='100%'>"
                   "<tr><th align='left'>Procedure</th><th align='left'>Units</th><th align='left'>Side</th>"
                   "<th align='left'>Regions</th><th align='left'>Modality</th></tr>")
        for entry in encounter.procedures:
            rec = catalog.get(entry.code)
            name = f" {rec.name}" if rec else ""
            out.append(
                f"<tr><td><b>{e(entry.code)}</b>{e(name)}</td><td>{entry.units}</td>"
                f"<td>{e(entry.laterality or '')}</td><td>{e(', '.join(entry.regions))}</td>"
                f"<td>{e(MODALITY_LABELS[entry.modality or encounter.modality])}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>No procedure entered.</p>")
    out.append("<h3>Guidance lines to bill</h3>")
    if resolution.guidance_lines:
        out.append("<table cellspacing='0' cellpadding='3' border='1' width='100%'>"
                   "<tr><th align='left'>Line</th><th align='left'>For</th><th align='left'>Reason</th>"
                   "<th align='left'>Sources</th><th align='left'>Confidence</th></tr>")
        for line in resolution.guidance_lines:
            out.append(f"<tr><td><b>{e(line.display)}</b></td><td>{e(line_context(line))}</td>"
                       f"<td>{e(line.reason)}</td><td>{e(', '.join(line.sources))}</td>"
                       f"<td>{e(line.confidence)}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p><b>No imaging-guidance line to bill.</b></p>")
    procs = [i for i in answer_items(catalog, encounter, resolution) if i.kind == "procedure"]
    if procs:
        out.append("<h3>Per procedure</h3><ul>")
        for item in procs:
            out.append(f"<li><b>{e(item.headline)}</b><br/>{e(item.reason)} "
                       f"<span style='{small}'>[{e(', '.join(item.sources) or 'no source')}; "
                       f"{e(item.confidence)} confidence]</span></li>")
        out.append("</ul>")
    if resolution.messages:
        out.append("<h3>Warnings and notes</h3><ul>")
        for msg in resolution.messages:
            out.append(f"<li><b>{e(SEVERITY_LABELS[msg.severity])}:</b> {e(msg.text)}</li>")
        out.append("</ul>")
    cited = sorted({s for line in resolution.guidance_lines for s in line.sources}
                   | {s for p in resolution.procedures for s in p.sources}
                   | {s for m in resolution.messages for s in m.sources}, key=_source_sort_key)
    if cited:
        out.append(f"<h3>Sources</h3><p style='{small}'>")
        out.append("<br/>".join(e(source_title(catalog, s)) for s in cited))
        out.append("</p>")
    out.append(f"<hr/><p style='{small}'><i>{e(DISCLAIMER)}</i></p></body></html>")
    return "".join(out)


def _source_sort_key(source_id: str) -> tuple[int, int, str]:
    if source_id[:1] == "S" and source_id[1:].isdigit():
        return (0, int(source_id[1:]), "")
    return (1, 0, source_id)


def problems_text(problems: Sequence[Problem]) -> str:
    """Data problems one per line, as ``file:line: entry: message``."""
    return "\n".join(str(p) for p in problems)
