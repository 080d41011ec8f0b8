"""CMS's NCCI in the audit: the pair edits (PTP) and unit limits (MUE) of the codes a claim billed, applied as
rules.yaml's ``ptp_edits`` and ``mue`` rules say (docs/ncci.md, docs/audit.md "Findings").

The engine applies the same tables to the lines *it* gives (:func:`desktop.core.engine.resolve`); the audit
compares the lines that were *billed*. What the engine already decided is read from its answer, not worked out
again: a guidance line it withheld for an edit (the procedure's answer names the guidance code but no line
has it), a procedure it found bundled (its answer reads "included", citing the edit), the procedures each
guidance line is for. What only the billed lines show is looked up here, once per encounter shape (the audit's
cache reuses the findings of an encounter of the same shape): a distinct-procedure modifier missing on the
column-two line, two guidance codes of different modalities (the engine answers one modality at a time),
units above an MUE, pairs the tables cannot answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from desktop.core.audit.claims import ClaimLine
from desktop.core.audit.context import AuditContext, bounded, union
from desktop.core.engine import NCCI_KIND
from desktop.core.model import Catalog, ProcedureResult, PtpRule, PtpSituation, Resolution
from desktop.core.ncci.model import MODIFIER_INDICATOR_LABELS, NcciChoice, NcciData, NcciTables, PtpEdit

_Hit = tuple[PtpEdit, PtpRule]


_CHOICES: dict[int, tuple[NcciData, dict[date, tuple[NcciChoice, str]]]] = {}


def _cached(catalog: Catalog, when: date) -> tuple[NcciChoice, str] | None:
    data = catalog.ncci
    if not data.versions:
        return None
    held = _CHOICES.get(id(data))
    if held is None or held[0] is not data:
        if len(_CHOICES) >= 8:
            _CHOICES.clear()
        held = _CHOICES[id(data)] = (data, {})
    by_date = held[1]
    hit = by_date.get(when)
    if hit is None:
        choice = data.for_date(NCCI_KIND, when)
        hit = (choice, choice.tables.label)
        if len(by_date) < 50_000:
            by_date[when] = hit
    return hit


def choice_for(catalog: Catalog, when: date) -> NcciChoice | None:
    """The engine's choice of NCCI tables for ``when`` (practitioner tables, the quarter's or the nearest earlier
    one, and whether ``when`` is outside their quarter), remembered per date; None when the data has no table."""
    hit = _cached(catalog, when)
    return hit[0] if hit is not None else None


def tables_for(catalog: Catalog, when: date) -> tuple[NcciTables | None, str]:
    """The NCCI tables that answer for ``when`` and their label; (None, "") when the data has no NCCI table."""
    hit = _cached(catalog, when)
    return (hit[0].tables, hit[1]) if hit is not None else (None, "")


def edit_text(tables: NcciTables, edits: Sequence[PtpEdit]) -> str:
    """``NCCI PTP edit 64483/77003 (NCCI PTP practitioner v30.2 (...), modifier indicator 1: ...)``; several
    edits of one indicator share the version and indicator (the engine's wording)."""
    version = tables.ptp.version.label if tables.ptp is not None else "NCCI"
    first = edits[0]
    pairs = bounded((e.pair_label for e in edits), ", ")
    return (f"NCCI PTP edit{'s' if len(edits) > 1 else ''} {pairs} ({version}, modifier indicator "
            f"{first.modifier_indicator}: {MODIFIER_INDICATOR_LABELS[first.modifier_indicator]})")


def _sources(tables: NcciTables, rules: Iterable[PtpRule]) -> tuple[str, ...]:
    extra = (tables.ptp.version.source,) if tables.ptp is not None else ()
    return tuple(dict.fromkeys((*extra, *(s for r in rules for s in r.sources))))


def distinct_modifiers(ctx: AuditContext) -> frozenset[str]:
    """The distinct-procedure modifiers rules.yaml names (59, XS, and the X modifiers 59 is never billed with):
    any of them on the column-two line is the modifier an indicator-1 edit asks for."""
    out: set[str] = set()
    for r in ctx.catalog.rules.distinct:
        if r.in_force(ctx.dos):
            out.add(r.modifier)
            out.update(r.never_with)
    return frozenset(out)


def _grouped(hits: Sequence[_Hit]) -> list[list[_Hit]]:
    """Hits grouped by rule (one sentence per rule: its edits share an indicator)."""
    groups: dict[str, list[_Hit]] = {}
    for hit in hits:
        groups.setdefault(hit[1].id, []).append(hit)
    return list(groups.values())


def _hits_text(tables: NcciTables, hits: Sequence[_Hit]) -> str:
    return " ".join(f"{edit_text(tables, [e for e, _ in g])}: {g[0][1].reason}" for g in _grouped(hits))


# ---------------------------------------------------------------------------------------------------------
# What the guidance checks ask of the tables


def included_citation(ctx: AuditContext, gcode: str, codes: Sequence[str]) -> tuple[str, tuple[str, ...], str]:
    """The edits that bundle ``gcode`` into the procedures ``codes`` (whose answer is "included"), as the
    guidance_into_procedure rule for the payer reads them: (sentence, sources, the rule's reason); empty when no
    edit is in force. Cited beside the procedure's own rule in the guidance_included finding."""
    tables = ctx.tables
    if tables is None or tables.ptp is None:
        return "", (), ""
    rules = ctx.catalog.rules
    hits: list[_Hit] = []
    for code in codes:
        edit = tables.pair(code, gcode, ctx.dos)
        if edit is None or edit.column_2 != gcode:
            continue
        rule = rules.ptp_for("guidance_into_procedure", edit.modifier_indicator, ctx.payer, ctx.dos)
        if rule is not None and rule.action != "note":
            hits.append((edit, rule))
    if not hits:
        return "", (), ""
    return _hits_text(tables, hits), _sources(tables, (r for _, r in hits)), hits[0][1].reason


def withheld_by_edit(ctx: AuditContext, gcode: str, glines: Sequence[ClaimLine], res: Resolution,
                     other_guides: Iterable[str]) -> bool:
    """A billed guidance code the engine withheld for an edit with another code of the claim (modifier indicator
    0: never together): a procedure's answer still names ``gcode`` but no line has it. Gives the
    ``ncci_pair_never`` findings and returns True; False when that is not why there is no line."""
    tables = ctx.tables
    if tables is None or tables.ptp is None:
        return False
    own = {pr.code for pr in res.procedures if pr.state == "separate" and pr.guidance_code == gcode}
    if not own:
        return False
    rules = ctx.catalog.rules
    candidates: list[tuple[str, PtpSituation]] = [
        (ln.code, "guidance_with_other_procedure") for ln in ctx.valid_procs if ln.code not in own]
    candidates += [(g, "two_guidance_codes") for g in other_guides if g != gcode]
    hits: list[_Hit] = []
    for code, situation in dict.fromkeys(candidates):
        edit = tables.pair(code, gcode, ctx.dos)
        if edit is None or edit.column_2 != gcode:
            continue
        rule = rules.ptp_for(situation, edit.modifier_indicator, ctx.payer, ctx.dos)
        if rule is not None and rule.action == "withhold":
            hits.append((edit, rule))
    if not hits:
        return False
    _never(ctx, gcode, glines, hits)
    return True


def mue_note(ctx: AuditContext, code: str) -> tuple[str, tuple[str, ...]]:
    """`` CMS's MUE for 77003: 1 (MAI 3, date-of-service edit, clinical; <version>).`` and its source, for a unit
    finding that already tells the code's units (the MUE is named there, not given as a finding of its own)."""
    tables = ctx.tables
    if tables is None or tables.mue_table is None:
        return "", ()
    mue = tables.mue(code)
    if mue is None:
        return "", ()
    version = tables.mue_table.version
    return (f" CMS's MUE for {code}: {mue.value} (MAI {mue.mai}, {mue.mai_label}; {version.label}).",
            (version.source,))


# ---------------------------------------------------------------------------------------------------------
# The encounter's pairs and units, after the guidance checks


def _lines_of(ctx: AuditContext, code: str) -> list[ClaimLine]:
    return ctx.guide_lines.get(code) or [ln for ln in ctx.valid_procs if ln.code == code]


def _never(ctx: AuditContext, col2: str, lines: Sequence[ClaimLine], hits: Sequence[_Hit]) -> None:
    tables = ctx.tables
    assert tables is not None
    col1 = bounded((e.column_1 for e, _ in hits), ", ")
    text = _hits_text(tables, hits)
    rule = hits[0][1]
    sources = _sources(tables, (r for _, r in hits))
    for ln in lines:
        ctx.add(ln.line, "ncci_pair_never", f"{col2} billed with {col1} on one claim and date: {text}",
                billed=ln.billed, expected=f"no {col2} (with {col1})", reason=rule.reason, sources=sources,
                confidence=rule.confidence, severity=rule.severity)


def _missing_modifier(ctx: AuditContext, col2: str, hits: Sequence[_Hit], known: frozenset[str]) -> None:
    tables = ctx.tables
    assert tables is not None
    distinct = ctx.catalog.rules.distinct_for(ctx.payer, ctx.dos)
    modifier = distinct.modifier if distinct is not None else "59"
    lacking = [ln for ln in _lines_of(ctx, col2) if not known & set(ln.modifiers)]
    if not lacking:
        return
    col1 = bounded((e.column_1 for e, _ in hits), ", ")
    docs = next((r.documentation for _, r in hits if r.documentation), "")
    need = f" Bill {col2}-{modifier} only if {docs}." if docs else ""
    text = _hits_text(tables, hits)
    rule = hits[0][1]
    sources = _sources(tables, (r for _, r in hits))
    if distinct is not None:
        sources = union((sources, distinct.sources))
    for ln in lacking:
        ctx.add(ln.line, "ncci_missing_modifier",
                f"{col2} billed with {col1} on one claim without a distinct-procedure modifier "
                f"({'/'.join(sorted(known))}): {col2} is column two. {text}{need}",
                billed=ln.billed, expected="-".join((col2, *ln.modifiers, modifier)), reason=rule.reason,
                sources=sources, confidence=rule.confidence)


def _bundled(ctx: AuditContext, gcode: str, hits: Sequence[_Hit]) -> None:
    tables = ctx.tables
    assert tables is not None
    lines = ctx.guide_lines.get(gcode, [])
    if not lines:
        return
    rule = hits[0][1]
    procs = bounded((e.column_1 for e, _ in hits), ", ")
    ctx.add(lines[0].line, "ncci_guidance_bundled",
            f"{gcode} billed with {procs}, the procedure it guides: {_hits_text(tables, hits)} Medicare does not pay "
            f"{gcode} with {procs}; check whether this payer applies NCCI edits.",
            billed=bounded((ln.billed for ln in lines), "; "), expected=f"no {gcode} if the payer applies NCCI",
            reason=rule.reason, sources=_sources(tables, (r for _, r in hits)), confidence=rule.confidence,
            severity=rule.severity)


def _not_checked(ctx: AuditContext, pairs: Iterable[tuple[str, str]]) -> None:
    tables = ctx.tables
    assert tables is not None
    if tables.ptp is None:
        why = "no NCCI PTP table for practitioner claims is in the data"
    else:
        version = tables.ptp.version
        held = ("the edits with an imaging code among the codes GuideCode had when it was made"
                if version.scope_paired_with is not None else "the codes GuideCode had when it was made")
        why = (f"{version.label} was imported without all of CMS's parts" if version.partial
               else f"{version.label} holds only {held}")
    reason = (f"{why}; finding no edit there is not CMS's answer. Import CMS's quarterly NCCI files to check such "
              "pairs: python -m desktop import-ncci, or File \u2192 Import NCCI edits\u2026 in the window.")
    first: dict[str, ClaimLine] = {}
    for ln in (*ctx.valid_procs, *(ln for g in ctx.expected for ln in ctx.guide_lines.get(g, ()))):
        first.setdefault(ln.code, ln)
    for a, b in sorted({tuple(sorted(p)) for p in pairs}):
        at = max((first[a], first[b]), key=lambda ln: ln.line) if a in first and b in first else ctx.lines[0]
        ctx.add(at.line, "ncci_not_checked", f"NCCI pair edits not checked for {a} + {b}: {reason}",
                billed=f"{a}+{b}", reason=reason, modality="")


def ncci_findings(ctx: AuditContext) -> None:
    """The pair edits between the codes the claim billed that the rules give (the valid procedure lines and the
    guidance codes with a line in the rules' answer), by situation and modifier indicator as the ptp_edits rules
    say; then the pairs the tables could not answer (one note each, folded); then the units above an MUE."""
    tables = ctx.tables
    if tables is None:
        return
    rules = ctx.catalog.rules
    when, payer = ctx.dos, ctx.payer
    procs = list(dict.fromkeys(ln.code for ln in ctx.valid_procs))
    guides = list(ctx.expected)
    needs: dict[str, list[_Hit]] = {}
    nevers: dict[str, list[_Hit]] = {}
    bundled: dict[str, list[_Hit]] = {}
    unchecked: list[tuple[str, str]] = []

    def look(a: str, b: str) -> PtpEdit | None:
        edit = tables.pair(a, b, when)
        if edit is None and not tables.knows_pair(a, b):
            unchecked.append((a, b))
        return edit

    def sort(edit: PtpEdit, rule: PtpRule | None, into: bool) -> None:
        if rule is None or rule.action == "note":
            return
        col2 = edit.column_2
        if rule.action == "distinct":
            needs.setdefault(col2, []).append((edit, rule))
        elif into:
            if rule.action == "warn":
                bundled.setdefault(col2, []).append((edit, rule))
            # withhold: the engine's answer reads "included" (guidance_included cites the edit)
        else:
            nevers.setdefault(col2, []).append((edit, rule))

    for g in guides:
        for p in procs:
            edit = look(p, g)
            if edit is None or edit.column_2 != g:
                continue  # (a guidance code in column one: the engine applies no rule to it either)
            into = p in ctx.expected[g]
            situation: PtpSituation = "guidance_into_procedure" if into else "guidance_with_other_procedure"
            sort(edit, rules.ptp_for(situation, edit.modifier_indicator, payer, when), into)
    for i, a in enumerate(guides):
        for b in guides[i + 1:]:
            edit = look(a, b)
            if edit is not None:
                sort(edit, rules.ptp_for("two_guidance_codes", edit.modifier_indicator, payer, when), False)
    for i, a in enumerate(procs):
        for b in procs[i + 1:]:
            edit = look(a, b)
            if edit is not None:
                sort(edit, rules.ptp_for("two_procedures", edit.modifier_indicator, payer, when), False)

    for gcode, hits in bundled.items():
        _bundled(ctx, gcode, hits)
    known = distinct_modifiers(ctx)
    for col2, hits in needs.items():
        if col2 not in nevers:
            _missing_modifier(ctx, col2, hits, known)
    for col2, hits in nevers.items():
        _never(ctx, col2, _lines_of(ctx, col2), hits)
    if unchecked:
        _not_checked(ctx, unchecked)
    _mue_findings(ctx)


def _mue_findings(ctx: AuditContext) -> None:
    """Units of a code above CMS's MUE, by its MAI as the mue rule for the payer says: MAI 1 per claim line,
    MAI 2 and 3 for the claim's date of service (the lines of the encounter added up)."""
    tables = ctx.tables
    if tables is None or tables.mue_table is None:
        return
    version = tables.mue_table.version
    by_code: dict[str, list[ClaimLine]] = {}
    for ln in ctx.valid_procs:
        by_code.setdefault(ln.code, []).append(ln)
    for g in ctx.expected:
        by_code[g] = ctx.guide_lines.get(g, [])
    for code, lines in by_code.items():
        if code in ctx.unit_flagged or not lines:
            continue
        mue = tables.mue(code)
        if mue is None:
            continue
        rule = ctx.catalog.rules.mue_for(mue.mai, ctx.payer, ctx.dos)
        if rule is None:
            continue
        note = rule.action == "note"
        kind = "mue_other_payer" if note else "mue_exceeded"
        head = f"CMS's MUE for {code}: {mue.value} (MAI {mue.mai}, {mue.mai_label}; {version.label})"
        sources = tuple(dict.fromkeys((version.source, *rule.sources)))
        severity = "info" if note else rule.severity
        if mue.mai == 1:
            for ln in lines:
                if ln.units > mue.value:
                    ctx.add(ln.line, kind, f"{code} billed \u00d7{ln.units} on one line, above {head}. {rule.reason}",
                            billed=ln.billed, expected="" if note else f"{code} \u00d7{mue.value} on this line",
                            reason=rule.reason, sources=sources, confidence=rule.confidence, severity=severity,
                            modality="")
            continue
        total = sum(ln.units for ln in lines)
        if total <= mue.value:
            continue
        where = f" on {len(lines)} lines" if len(lines) > 1 else ""
        ctx.add(lines[0].line, kind,
                f"{code} billed \u00d7{total}{where} for the date of service, above {head}. {rule.reason}",
                billed=bounded((ln.billed for ln in lines), "; "),
                expected="" if note else f"{code} \u00d7{mue.value} for the day", reason=rule.reason,
                sources=sources, confidence=rule.confidence, severity=severity, modality="")


def procedure_bundled(ctx: AuditContext, pr: ProcedureResult) -> bool:
    """True if the engine's "included" for this procedure comes from an NCCI edit (its own rule for the
    modality gives the guidance code separately)."""
    rec = ctx.catalog.get(pr.code)
    policy = rec.policy_for(pr.modality, ctx.dos) if rec is not None else None
    return policy is not None and policy.state == "separate"
