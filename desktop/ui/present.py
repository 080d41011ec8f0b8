"""What the answer panel, the clipboard and the printed summary say, computed from one resolution.

Qt-free on purpose: the panel, Copy and Print all render the same :class:`AnswerItem` list and the same
:class:`ClaimLine` rows, and the wording is tested without a window. No billing rule lives here: every
verdict comes from ``desktop.core.engine.resolve``; the lookups are which guidance codes a procedure's
"included" policy covers (to name them in "do not bill ..."); the claim lines are the engine's procedure
and guidance lines (:func:`claim_lines`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from typing import Literal

from desktop.core.dates import US_STYLE, DateStyle, localize_dates
from desktop.core.engine import NCCI_KIND, REGION_LABEL
from desktop.core.frozen import frozen
from desktop.core.model import (
    MODALITY_LABELS,
    PAYER_LABELS,
    SETTING_LABELS,
    Catalog,
    Confidence,
    Encounter,
    GuidanceLine,
    Message,
    ProcedureResult,
    PtpSituation,
    Resolution,
)
from desktop.core.ncci.model import KIND_LABELS, NcciChoice, NcciTables, NcciVersion, PtpEdit
from desktop.core.problems import Problem

DISCLAIMER = ("Not coding advice. CPT is a registered trademark of the American Medical Association. "
              "Descriptions are GuideCode's own words.")

#: The clipboard's second format: one row per claim line, fields separated by tabs.
TSV_MIME = "text/tab-separated-values"
HTML_MIME = "text/html"
#: Columns of the tab-separated copy: a CMS-1500 / 837P service line has up to four modifiers.
TSV_COLUMNS = ("code", "modifier 1", "modifier 2", "modifier 3", "modifier 4", "units")

SEVERITY_LABELS = {"error": "Error", "warning": "Warning", "info": "Note"}


#: What a card's badge says: a confidence, "unsourced" for a statement with no source (never HIGH), or
#: no badge at all (None) for an error card.
Badge = Literal["high", "medium", "low", "unsourced"]


@frozen
class AnswerItem:
    """One card of the answer: a billable guidance line, or what happens to one procedure."""

    kind: str  # "line" or "procedure"
    state: str  # "bill" for a line; the ProcedureResult state otherwise
    headline: str  # "77003-26-XS ×1" / "Guidance included in 62323 — do not bill 77002/77003/77012"
    context: str  # "for 62282 · lumbar" / "62323  Lumbar or sacral ... epidural"
    reason: str
    sources: tuple[str, ...]
    confidence: Confidence
    code: str = ""  # the guidance code of a line, the procedure's code of a procedure card
    index: int = -1  # the procedure's row in the encounter (procedure cards)
    replace_with: str | None = None  # the code a Replace button puts in that row (redirect, deleted code)
    ncci: NcciNote | None = None  # the card's NCCI line (none on an error card or a guidance code entered)

    @property
    def badge(self) -> Badge | None:
        return badge_for(self.state, self.confidence, self.sources)


BADGE_TEXT: dict[Badge, str] = {"high": "HIGH", "medium": "MEDIUM", "low": "LOW", "unsourced": "NO SOURCE"}
BADGE_HELP: dict[Badge, str] = {
    "high": "High confidence: a primary source, or two reliable sources that agree.",
    "medium": "Medium confidence: one reliable secondary source (newsletter, society, MAC page).",
    "low": "Low confidence: thin, old or conflicting sources. Check with the payer.",
    "unsourced": "No source is cited for this statement, so GuideCode cannot vouch for it: treat it as low "
                 "confidence and check with the payer.",
}


def badge_for(state: str, confidence: Confidence, sources: tuple[str, ...]) -> Badge | None:
    """The badge of a card: none on an error ("invalid") card, "unsourced" when no source is cited (a rule
    without a source is never shown as HIGH), else the confidence."""
    if state == "invalid":
        return None
    if not sources:
        return "unsourced"
    return confidence


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


# NCCI: the pair edits and MUEs of each card ----------------------------------------------------------
@frozen
class NcciNote:
    """A card's NCCI line: ``text`` (one line, ``NCCI: edit 62282/77002 (modifier indicator 1: XS on this
    line); no edit with 64405 · MUE 1 per day (MAI 3) · PTP v30.2 + MUE 2024Q3, built-in``), ``detail``
    (its tooltip: each edit with CMS's rationale, the tables' full names) and whether the date of service is
    outside the tables' quarter (the line then says so)."""

    text: str
    detail: str
    outside: bool


INDICATOR_SHORT = {0: "never together", 1: "modifier allowed", 9: "not applied"}
MAI_SHORT = {1: "per line", 2: "per day", 3: "per day"}


def ncci_choice(catalog: Catalog, when: date) -> NcciChoice | None:
    """The NCCI tables that answer for ``when`` (as the engine chooses them), or None when the data has none."""
    if not catalog.ncci.versions:
        return None
    return catalog.ncci.for_date(NCCI_KIND, when)


def ncci_warning(catalog: Catalog, when: date) -> str | None:
    """The engine's NCCI warning for ``when`` (the date is outside the tables' quarter, or no table of the
    claim's kind), exactly as ``resolve`` words it; None when there is none."""
    choice = ncci_choice(catalog, when)
    return choice.warning if choice is not None else None


def _origin(version: NcciVersion) -> str:
    return "built-in" if version.origin == "built-in" else "imported"


def ncci_versions_text(tables: NcciTables) -> str:
    """The tables that answer, short: ``PTP v30.2 + MUE 2024Q3, built-in`` (a PTP table's quarter is named
    when no MUE table of that quarter answers with it: ``PTP v32.0 (2026Q1, imported) + MUE 2024Q3 (built-in)``)."""
    versions = tables.versions
    if not versions:
        return f"no NCCI table for {KIND_LABELS[tables.kind]} claims"
    one_origin = len({_origin(v) for v in versions}) == 1
    mue_quarters = {v.quarter for v in versions if v.table == "mue"}
    parts = []
    for v in versions:
        extra = [v.quarter] if v.table == "ptp" and v.quarter not in mue_quarters else []
        if not one_origin:
            extra.append(_origin(v))
        name = f"PTP v{v.version}" if v.table == "ptp" else f"MUE {v.version}"
        parts.append(name + (f" ({', '.join(extra)})" if extra else ""))
    return " + ".join(parts) + (f", {_origin(versions[0])}" if one_origin else "")


def ncci_quarters(tables: NcciTables, outside: date | None = None) -> str:
    """The tables' quarters (``2024Q3``); with ``outside``, only those of the tables whose quarter does not
    cover that date."""
    return "/".join(dict.fromkeys(v.quarter for v in tables.versions if outside is None or not v.covers(outside)))


def ncci_status_text(catalog: Catalog, when: date, style: DateStyle = US_STYLE) -> tuple[str, str]:
    """The status bar's NCCI notice and its tooltip: the tables that answer for ``when`` and, when ``when``
    is outside their quarter, ``⚠ DOS outside`` (the tooltip says it in full)."""
    choice = ncci_choice(catalog, when)
    if choice is None:
        return ("NCCI: no table; pair edits and MUEs not checked",
                "GuideCode's data has no NCCI table. File \u2192 Import NCCI edits\u2026 reads CMS's release files.")
    text = f"NCCI {ncci_versions_text(choice.tables)}"
    tip = choice.tables.label
    if choice.tables.empty:
        text = f"NCCI: \u26a0 {ncci_versions_text(choice.tables)}"
    elif choice.outside_quarter:
        text += " \u26a0 DOS outside"
    if choice.warning:
        tip += "\n\n" + localize_dates(choice.warning, style)
    tip += "\n\nFile \u2192 Import NCCI edits\u2026 reads CMS's quarterly release files."
    return text, tip


def ncci_banner_text(catalog: Catalog, when: date, style: DateStyle = US_STYLE) -> str | None:
    """The banner's compact entry for the engine's NCCI warning (the full message is at the foot of the
    answer, so the lines to bill stay in view); None when there is no such warning."""
    choice = ncci_choice(catalog, when)
    if choice is None or choice.warning is None:
        return None
    if choice.tables.empty:
        return (f"NCCI: no table for {KIND_LABELS[choice.tables.kind]} claims; pair edits and MUEs were not "
                "checked (File \u2192 Import NCCI edits\u2026).")
    return (f"NCCI: the tables are for {ncci_quarters(choice.tables, when)}; {style.format(when)} is outside it, so "
            "the edits may differ (File \u2192 Import NCCI edits\u2026).")


def _claim_codes(resolution: Resolution) -> list[str]:
    """Every code on the claim: the procedure lines, then the guidance lines."""
    return list(dict.fromkeys([*(p.code for p in resolution.procedure_lines),
                               *(g.code for g in resolution.guidance_lines)]))


def _edit_detail(edit: PtpEdit) -> str:
    until = f", until {edit.deletion.isoformat()}" if edit.deletion else ""
    since = f" from {edit.effective.isoformat()}" if edit.effective else ""
    why = f": {edit.rationale}" if edit.rationale else ""
    return (f"Edit {edit.pair_label} (column 2, {edit.column_2}, is the code denied; modifier indicator "
            f"{edit.modifier_indicator}: {INDICATOR_SHORT[edit.modifier_indicator]}{since}{until}){why}")


def _mue_text(tables: NcciTables, code: str) -> tuple[str, str]:
    mue = tables.mue(code)
    if mue is not None:
        return (f"MUE {mue.value} {MAI_SHORT[mue.mai]} (MAI {mue.mai})",
                f"MUE of {code}: {mue.value} unit{'s' if mue.value != 1 else ''} (MAI {mue.mai}, {mue.mai_label}; "
                f"CMS: {mue.rationale or 'no rationale given'})")
    if tables.knows_code(code):
        return "no MUE", f"CMS's MUE table has no MUE for {code}."
    return "MUE not checked", f"{code} is outside the MUE table's scope: its MUE was not checked."


def _needs(catalog: Catalog, encounter: Encounter, situation: PtpSituation, edit: PtpEdit) -> str:
    """What the edit's rule asks before the column-two code is billed with the distinct-procedure modifier
    (rules.yaml ``ptp_edits`` ``documentation``), as the engine words it; "" when it asks nothing."""
    when = encounter.date_of_service
    rule = catalog.rules.ptp_for(situation, edit.modifier_indicator, encounter.payer, when)
    distinct = catalog.rules.distinct_for(encounter.payer, when)
    if rule is None or rule.action != "distinct" or not rule.documentation or distinct is None:
        return ""
    return f"Bill {edit.column_2}-{distinct.modifier} only if {rule.documentation}."


def _situation(catalog: Catalog, code: str, other: str, guided: bool) -> PtpSituation:
    """Which ``ptp_edits`` situation a pair of the claim is (docs/ncci.md): ``guided`` when the guidance code
    of the pair is for the procedure of the pair."""
    kinds = [r.kind if (r := catalog.get(c)) is not None else "" for c in (code, other)]
    if kinds.count("guidance") == 2:
        return "two_guidance_codes"
    if "guidance" in kinds:
        return "guidance_into_procedure" if guided else "guidance_with_other_procedure"
    return "two_procedures"


def _pairs_text(tables: NcciTables, code: str, others: Sequence[str], when: date,
                note: Callable[[PtpEdit], str],
                needs: Callable[[PtpEdit], str] | None = None) -> tuple[list[str], list[str]]:
    """The pair part of an NCCI line: the edits between ``code`` and ``others`` (grouped by indicator and by
    what ``note`` says about each), the codes with no edit, the codes not checked; and the tooltip lines
    (each edit, and what ``needs`` says its rule asks for the modifier)."""
    if tables.ptp is None:
        return ["pairs not checked: no PTP table"], []
    found: dict[tuple[int, str], list[PtpEdit]] = {}
    none: list[str] = []
    unchecked: list[str] = []
    for other in others:
        edit = tables.pair(code, other, when)
        if edit is not None:
            found.setdefault((edit.modifier_indicator, note(edit)), []).append(edit)
        elif tables.knows_pair(code, other):
            none.append(other)
        else:
            unchecked.append(other)
    parts: list[str] = []
    detail: list[str] = []
    for (indicator, what), edits in found.items():
        pairs = ", ".join(e.pair_label for e in edits)
        parts.append(f"edit{'s' if len(edits) > 1 else ''} {pairs} (modifier indicator {indicator}"
                     + (f": {what})" if what else ")"))
        for e in edits:
            detail.append(_edit_detail(e))
            need = needs(e) if needs is not None else ""
            if need:
                detail.append(f"  {need}")
    if none:
        parts.append(f"no edit with {', '.join(none)}")
    if unchecked and tables.ptp is not None and tables.ptp.version.partial:
        parts.append(f"not checked with {', '.join(unchecked)}: the {_origin(tables.ptp.version)} table lacks parts")
        detail.append(f"Not checked with {', '.join(unchecked)}: the PTP table answering was imported without all "
                      "of CMS's parts, so a pair without an edit in it may have one in a missing part. Import every "
                      "part of the quarter (File \u2192 Import NCCI edits\u2026) to check it.")
    elif unchecked:
        scope = f"the {_origin(tables.ptp.version)} table's scope"
        parts.append(f"not checked with {', '.join(unchecked)}: outside {scope}")
        detail.append(f"Not checked with {', '.join(unchecked)}: the PTP table answering is filtered to some codes "
                      f"and this pair is outside {scope}, so it may have an edit. Import CMS's files of the quarter "
                      "(File \u2192 Import NCCI edits\u2026) to check it.")
    if not others:
        parts.append("no other code on the claim")
    return parts, detail


def _note(pairs: list[str], mue: str, detail: list[str], choice: NcciChoice, style: DateStyle,
          billed: str = "") -> NcciNote:
    """``billed``: the code the line is about when it is not the card's (a redirect: 20610 billed as 20611)."""
    tables = choice.tables
    head = f"NCCI for {billed}" if billed else "NCCI"
    text = f"{head}: {'; '.join(pairs)} \u00b7 {mue} \u00b7 {ncci_versions_text(tables)}"
    outside = choice.outside_quarter and not tables.empty
    if outside:
        text += f" \u00b7 \u26a0 date outside {ncci_quarters(tables, choice.when)}"
    lines = [*detail, "", f"Tables: {tables.label}."]
    if choice.warning:
        lines.append(localize_dates(choice.warning, style))
    return NcciNote(text, "\n".join(lines).strip(), outside)


def procedure_ncci(catalog: Catalog, encounter: Encounter, resolution: Resolution, result: ProcedureResult,
                   style: DateStyle = US_STYLE) -> NcciNote | None:
    """The NCCI line of a procedure card: the edits between the code billed for it and the claim's other
    codes (and the guidance code its own rule bills, when that is not on the claim for it), the codes with
    no edit and the pairs not checked (outside the table's scope), its MUE, and the tables that answered.
    None for a code that is not billed (an error, a guidance code entered as a procedure)."""
    choice = ncci_choice(catalog, encounter.date_of_service)
    own = list(dict.fromkeys(p.code for p in resolution.procedure_lines if p.index == result.index))
    if choice is None or not own or result.state == "invalid":
        return None
    when = encounter.date_of_service
    code = own[0]
    others = [c for c in _claim_codes(resolution) if c not in own]
    rec = catalog.get(result.code)
    policy = rec.policy_for(result.modality, when) if rec is not None else None
    rule_code = policy.code if policy is not None and policy.state == "separate" else None
    billed_for_it = {g.code for g in resolution.guidance_lines if result.code in g.for_codes}
    if rule_code and rule_code not in others:
        others.append(rule_code)
    lines = {p.code: p for p in resolution.procedure_lines if p.index == result.index}
    distinct = {r.modifier for r in catalog.rules.distinct}

    def note(edit: PtpEdit) -> str:
        if edit.modifier_indicator == 9:
            return ""
        if edit.column_2 == rule_code and rule_code not in billed_for_it:
            return f"{rule_code} bundled into {code}"
        if edit.column_2 == code:
            mods = [m for m in lines[code].modifiers if m in distinct]
            return f"{mods[0]} on {code}" if mods else f"{code} is column two"
        return f"{edit.column_2} is column two"

    def needs(edit: PtpEdit) -> str:
        other = edit.other(code)
        guided = other in billed_for_it or other == rule_code
        return _needs(catalog, encounter, _situation(catalog, code, other, guided), edit)

    parts, detail = _pairs_text(choice.tables, code, others, when, note, needs)
    mue, mue_detail = _mue_text(choice.tables, code)
    return _note(parts, mue, [*detail, mue_detail], choice, style, code if code != result.code else "")


def line_ncci(catalog: Catalog, encounter: Encounter, resolution: Resolution, line: GuidanceLine,
              style: DateStyle = US_STYLE) -> NcciNote | None:
    """The NCCI line of a guidance-line card: the edits between its code and the claim's other codes, saying
    which one gives the line its distinct modifier (column two, modifier indicator 1), the codes with no edit,
    the pairs not checked, its MUE and the tables that answered."""
    choice = ncci_choice(catalog, encounter.date_of_service)
    if choice is None:
        return None
    when = encounter.date_of_service
    g = line.code
    others = [c for c in _claim_codes(resolution) if c != g]
    mods = [m for m in line.modifiers if m in {r.modifier for r in catalog.rules.distinct}]

    def note(edit: PtpEdit) -> str:
        if edit.modifier_indicator == 9:
            return ""
        if edit.column_2 == g:
            return f"{mods[0]} on this line" if mods and edit.modifier_indicator == 1 else f"{g} is column two"
        return f"{edit.column_2} is column two"

    def needs(edit: PtpEdit) -> str:
        other = edit.other(g)
        return _needs(catalog, encounter, _situation(catalog, g, other, other in line.for_codes), edit)

    parts, detail = _pairs_text(choice.tables, g, others, when, note, needs)
    mue, mue_detail = _mue_text(choice.tables, g)
    return _note(parts, mue, [*detail, mue_detail], choice, style)


def answer_items(catalog: Catalog, encounter: Encounter, resolution: Resolution,
                 style: DateStyle = US_STYLE) -> list[AnswerItem]:
    """The cards of the answer panel, lines first, then one per procedure in encounter order. Dates in the
    reasons are written as the window's date field writes them (``style``)."""
    items = [
        AnswerItem("line", "bill", line.display, line_context(line), localize_dates(line.reason, style),
                   line.sources, line.confidence, code=line.code,
                   ncci=line_ncci(catalog, encounter, resolution, line, style))
        for line in resolution.guidance_lines
    ]
    for result in resolution.procedures:
        context = f"{result.code}   {result.name}" if result.name else result.code
        replace_with = result.redirect_to if result.state in ("redirect", "invalid") else None
        items.append(AnswerItem("procedure", result.state,
                                procedure_headline(catalog, result, encounter.date_of_service),
                                context, localize_dates(result.reason, style), result.sources, result.confidence,
                                code=result.code, index=result.index, replace_with=replace_with or None,
                                ncci=procedure_ncci(catalog, encounter, resolution, result, style)))
    return items


def problems(resolution: Resolution) -> tuple[list[Message], list[Message]]:
    """The errors and the warnings of a resolution, in the engine's order."""
    errors = [m for m in resolution.messages if m.severity == "error"]
    warnings = [m for m in resolution.messages if m.severity == "warning"]
    return errors, warnings


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def banner_text(resolution: Resolution, style: DateStyle = US_STYLE, *, compact: Message | None = None,
                compact_text: str = "") -> str | None:
    """The banner heading the answer: how many errors and warnings, and the first problem; None if none.

    ``compact``: a warning the banner names only in ``compact_text`` (the NCCI quarter warning, shown on
    every date outside the built-in tables' quarter): it counts, but another problem goes first; when it is
    the only one, ``compact_text`` is the sentence."""
    errors, warnings = problems(resolution)
    if not errors and not warnings:
        return None
    counts = ", ".join(_count(n, w) for n, w in ((len(errors), "error"), (len(warnings), "warning")) if n)
    lead = "Check before billing" if errors else "Read before billing"
    # The first error; else the first warning about a procedure of the encounter before general ones.
    others = [m for m in (errors or sorted(warnings, key=lambda m: m.code is None)) if m != compact]
    if not others:
        return f"{lead} — {counts}. {compact_text}"
    first = _first_sentence(localize_dates(others[0].text, style))
    return f"{lead} — {counts}. {first}"


BANNER_CHARS = 220


def _first_sentence(text: str) -> str:
    """The first sentence of a message (the banner names the problem; the message below says it all)."""
    depth = 0
    for n, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "." and depth == 0 and n + 1 < len(text) and text[n + 1] == " " and n >= 20:
            text = text[:n + 1]
            break
    return text if len(text) <= BANNER_CHARS else text[:BANNER_CHARS - 1].rstrip() + "…"


def row_problems(encounter: Encounter, resolution: Resolution,
                 style: DateStyle = US_STYLE) -> dict[int, tuple[str, str]]:
    """Encounter row -> (worst severity, its messages) for the rows an error or a warning is about."""
    out: dict[int, tuple[str, str]] = {}
    invalid = {r.index for r in resolution.procedures if r.state == "invalid"}
    for row, entry in enumerate(encounter.procedures):
        texts = [m for m in resolution.messages if m.code == entry.code and m.severity in ("error", "warning")]
        if row in invalid and not any(m.severity == "error" for m in texts):
            result = next(r for r in resolution.procedures if r.index == row)
            texts.insert(0, Message("error", f"{entry.code}: {result.reason}", entry.code))
        if not texts:
            continue
        severity = "error" if any(m.severity == "error" for m in texts) else "warning"
        out[row] = (severity, "\n".join(f"{SEVERITY_LABELS[m.severity]}: {localize_dates(m.text, style)}"
                                          for m in texts))
    return out


def source_title(catalog: Catalog, source_id: str) -> str:
    src = catalog.sources.get(source_id)
    if src is None:
        return f"{source_id}: not in GuideCode's source list"
    return f"{source_id}: {src.title} ({src.kind}; reliability {src.reliability})"


def data_label(catalog: Catalog) -> str:
    return f"Data {catalog.version_label} \u00b7 CPT code set {catalog.code_set_year}"


# Clipboard -------------------------------------------------------------------------------------------
CopyForm = Literal["claim", "display"]
COPY_FORMS: tuple[CopyForm, ...] = ("claim", "display")
COPY_FORM_LABELS: dict[CopyForm, str] = {"claim": "Claim fields: 64483 50 1", "display": "Display form: 64483-50 x1"}


@frozen
class ClaimLine:
    """One service line of the claim: a procedure as entered, or a guidance line from the engine."""

    code: str
    modifiers: tuple[str, ...]
    units: int
    kind: Literal["procedure", "guidance"]

    def text(self, form: CopyForm) -> str:
        """``64483 50 1`` (claim fields, space-separated) or ``64483-50 x1`` (display form), ASCII."""
        if form == "display":
            return "-".join((self.code, *self.modifiers)) + f" x{self.units}"
        return " ".join((self.code, *self.modifiers, str(self.units)))

    def tsv(self) -> str:
        mods = list(self.modifiers[:4]) + [""] * (4 - min(4, len(self.modifiers)))
        return "\t".join([self.code, *mods, str(self.units)])


def claim_lines(resolution: Resolution) -> list[ClaimLine]:
    """The claim lines of the answer: the engine's procedure lines, then its guidance lines.

    The procedure lines are ``Resolution.procedure_lines``: the code entered (or the code a redirect names),
    its modifiers, and both sides of a bilateral procedure as the payer's bilateral rule wants them (one line
    with 50, RT and LT lines, or two units). A code that cannot be billed on the date and a guidance code
    entered as a procedure have none. This function only puts them in one list with the guidance lines.
    """
    lines = [ClaimLine(p.code, p.modifiers, p.units, "procedure") for p in resolution.procedure_lines]
    lines += [ClaimLine(g.code, g.modifiers, g.units, "guidance") for g in resolution.guidance_lines]
    return lines


def _sources_note(sources: tuple[str, ...]) -> str:
    return f"(source {', '.join(sources)})" if sources else "(no source cited)"


def included_codes(catalog: Catalog, result: ProcedureResult, when: date) -> tuple[str, ...]:
    """For a note line, the guidance codes an "included" procedure must not carry with the modality used:
    the codes this procedure's own earlier rules billed with that modality (e.g. 77003 for 64483 before
    2011), else every suggested guidance code of that modality."""
    rec = catalog.get(result.code)
    if rec is not None:
        earlier = tuple(dict.fromkeys(p.code for p in rec.policies
                                      if p.state == "separate" and p.code and result.modality in p.modalities))
        if earlier:
            return earlier
    return tuple(c for c in do_not_bill_codes(catalog, result, when)
                 if (g := catalog.get(c)) is not None and g.guidance is not None
                 and g.guidance.modality == result.modality) or do_not_bill_codes(catalog, result, when)


def claim_notes(catalog: Catalog, encounter: Encounter, resolution: Resolution) -> list[str]:
    """Note lines for what is not a claim line: "included" verdicts, redirects, unconfirmed guidance."""
    notes: list[str] = []
    when = encounter.date_of_service
    for result in resolution.procedures:
        code, modality = result.code, MODALITY_LABELS[result.modality].lower()
        if result.state == "included":
            codes = included_codes(catalog, result, when)
            what = f"do not bill {'/'.join(codes)}" if codes else "do not bill a guidance code"
            notes.append(f"{code}: imaging guidance included, {what} {_sources_note(result.sources)}")
        elif result.state == "redirect" and result.redirect_to:
            notes.append(f"{code}: with {modality} report {result.redirect_to} instead, copied as "
                         f"{result.redirect_to} {_sources_note(result.sources)}")
        elif result.state == "unconfirmed":
            notes.append(f"{code}: guidance with {modality} is unconfirmed, no guidance line copied "
                         f"{_sources_note(result.sources)}")
    return notes


IMAGES_LABELS = {None: "not stated", True: "yes", False: "no"}


def images_line(encounter: Encounter) -> str | None:
    """``Ultrasound images recorded with a report: no`` for an encounter that uses ultrasound (its modality
    or a procedure's own), the documentation its answer depends on; None otherwise."""
    if not (encounter.modality == "ultrasound" or any(p.modality == "ultrasound" for p in encounter.procedures)):
        return None
    return f"Ultrasound images recorded with a report: {IMAGES_LABELS[encounter.images_recorded]}"


def warning_line(resolution: Resolution, style: DateStyle = US_STYLE) -> str | None:
    """The line Copy and Print put first when the answer has an error; None without one."""
    errors, _ = problems(resolution)
    if not errors:
        return None
    first = localize_dates(errors[0].text, style)
    more = f" (and {_count(len(errors) - 1, 'more error')})" if len(errors) > 1 else ""
    return f"WARNING: this answer has {_count(len(errors), 'error')}: {first}{more} Check before billing."


_ASCII = {"\u2192": "->", "\u00d7": "x", "\u2014": "-", "\u2013": "-", "\u00b7": "-", "\u2018": "'",
          "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u00ae": "(R)", "\u00a9": "(c)",
          "\u2265": ">=", "\u2264": "<=", "\u00a0": " "}


def ascii_text(text: str) -> str:
    """``text`` in plain ASCII, as practice-management fields take it: arrows, dashes and the multiplication
    sign spelled out (``->``, ``-``, ``x``), accents dropped, anything else left out."""
    out = "".join(_ASCII.get(ch, ch) for ch in text)
    return unicodedata.normalize("NFKD", out).encode("ascii", "ignore").decode("ascii")


@frozen
class Copy:
    """Everything Copy puts on the clipboard for one answer."""

    text: str  # text/plain: ASCII, one claim line per row, then the notes; the warning line first
    tsv: str  # text/tab-separated-values: the claim lines only, code, 4 modifiers, units, CRLF rows
    html: str  # text/html: the same as a table, for documents
    lines: int  # claim lines copied
    warning: str | None  # the warning line, when the answer has an error

    @property
    def empty(self) -> bool:
        return not self.text


def copy_for(catalog: Catalog, encounter: Encounter, resolution: Resolution, form: CopyForm = "claim",
             style: DateStyle = US_STYLE) -> Copy:
    """What Copy puts on the clipboard (formats: docs/window.md)."""
    import html  # only when copying: html imports its 2,200-entry entity table (~1.5 ms of every start)

    lines = claim_lines(resolution)
    notes = claim_notes(catalog, encounter, resolution)
    images = images_line(encounter)
    if images and (lines or notes):
        notes = [*notes, images]
    warning = warning_line(resolution, style)
    rows = ([warning] if warning else []) + [line.text(form) for line in lines] + notes
    text = ascii_text("\n".join(rows)) if lines or notes else ""
    tsv = "".join(line.tsv() + "\r\n" for line in lines)
    e = html.escape
    parts = ["<html><body>"]
    if warning:
        parts.append(f"<p style='color:#B3261E'><b>{e(warning)}</b></p>")
    if lines:
        parts.append("<table border='1' cellspacing='0' cellpadding='3'><tr><th>Code</th><th>Modifiers</th>"
                     "<th>Units</th><th>Line</th></tr>")
        parts += [f"<tr><td>{e(ln.code)}</td><td>{e(' '.join(ln.modifiers))}</td><td>{ln.units}</td>"
                  f"<td>{'guidance' if ln.kind == 'guidance' else 'procedure'}</td></tr>" for ln in lines]
        parts.append("</table>")
    if notes:
        parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    parts.append("</body></html>")
    return Copy(text, tsv, "".join(parts) if text else "", len(lines), warning if text else None)



# Printed summary -------------------------------------------------------------------------------------
def summary_html(catalog: Catalog, encounter: Encounter, resolution: Resolution, *, app_version: str,
                 printed_on: date, font_pt: float = 9.5, style: DateStyle = US_STYLE,
                 form: CopyForm = "claim") -> str:
    """A one-page summary (Qt rich-text HTML subset): the warning line first when the answer has an error,
    the encounter, the claim lines, the guidance lines with reasons, sources, versions."""
    import html  # only for printing: html imports its 2,200-entry entity table (~1.5 ms of every start)

    e = html.escape

    def loc(text: str) -> str:
        return e(localize_dates(text, style))

    small = f"font-size:{font_pt - 1.5:.1f}pt"
    out = [f"<html><body style='font-size:{font_pt:.1f}pt'>",
           "<h2 style='margin-bottom:2px'>GuideCode \u2014 imaging-guidance summary</h2>",
           f"<p style='{small}'>{e(data_label(catalog))} \u00b7 GuideCode {e(app_version)} \u00b7 "
           f"printed {style.format(printed_on)}</p>"]
    warning = warning_line(resolution, style)
    if warning:
        out.append(f"<p style='color:#B3261E'><b>{e(warning)}</b></p>")
    images = images_line(encounter)
    out += ["<h3>Encounter</h3>",
           f"<p>Date of service {e(style.format(encounter.date_of_service))} \u00b7 "
           f"{e(SETTING_LABELS[encounter.setting])} \u00b7 {e(PAYER_LABELS[encounter.payer])} \u00b7 "
           f"modality {e(MODALITY_LABELS[encounter.modality])}"
           + (f"<br/>{e(images)}" if images else "") + "</p>"]
    if encounter.procedures:
        out.append("<table cellspacing='0' cellpadding='3' border='1' width='100%'>"
                   "<tr><th align='left'>Procedure</th><th align='left'>Units</th><th align='left'>Side</th>"
                   "<th align='left'>Regions</th><th align='left'>Modality</th></tr>")
        for entry in encounter.procedures:
            rec = catalog.get(entry.code)
            name = f" {rec.name_on(encounter.date_of_service)}" if rec else ""
            out.append(
                f"<tr><td><b>{e(entry.code)}</b>{e(name)}</td><td>{entry.units}</td>"
                f"<td>{e(entry.laterality or '')}</td><td>{e(', '.join(entry.regions))}</td>"
                f"<td>{e(MODALITY_LABELS[entry.modality or encounter.modality])}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>No procedure entered.</p>")
    claims = claim_lines(resolution)
    if claims:
        out.append("<h3>Claim lines</h3><p>" + "<br/>".join(f"<b>{e(c.text(form))}</b>" for c in claims) + "</p>")
    out.append("<h3>Guidance lines to bill</h3>")
    if resolution.guidance_lines:
        out.append("<table cellspacing='0' cellpadding='3' border='1' width='100%'>"
                   "<tr><th align='left'>Line</th><th align='left'>For</th><th align='left'>Reason</th>"
                   "<th align='left'>Sources</th><th align='left'>Confidence</th></tr>")
        for line in resolution.guidance_lines:
            note = line_ncci(catalog, encounter, resolution, line, style)
            ncci = f"<br/><span style='{small}'>{e(note.text)}</span>" if note is not None else ""
            out.append(f"<tr><td><b>{e(line.display)}</b></td><td>{e(line_context(line))}</td>"
                       f"<td>{loc(line.reason)}{ncci}</td><td>{e(', '.join(line.sources))}</td>"
                       f"<td>{e(line.confidence)}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p><b>No imaging-guidance line to bill.</b></p>")
    procs = [i for i in answer_items(catalog, encounter, resolution, style) if i.kind == "procedure"]
    if procs:
        out.append("<h3>Per procedure</h3><ul>")
        for item in procs:
            basis = {None: "", "unsourced": "no source cited"}.get(
                item.badge, f"{', '.join(item.sources)}; {item.confidence} confidence")
            tail = f" <span style='{small}'>[{e(basis)}]</span>" if basis else ""
            ncci = f"<br/><span style='{small}'>{e(item.ncci.text)}</span>" if item.ncci is not None else ""
            out.append(f"<li><b>{e(item.headline)}</b><br/>{e(item.reason)}{tail}{ncci}</li>")
        out.append("</ul>")
    if resolution.messages:
        out.append("<h3>Warnings and notes</h3><ul>")
        for msg in resolution.messages:
            out.append(f"<li><b>{e(SEVERITY_LABELS[msg.severity])}:</b> {loc(msg.text)}</li>")
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
