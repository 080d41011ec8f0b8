"""The rules engine: one pure function from an encounter to the claim lines a coder may bill.

:func:`resolve` never raises on any encounter built from the model types; everything a coder must know
(an unknown or deleted code, a conflict between sources, an unconfirmed unit rule) comes back as a
:class:`~desktop.core.model.Message`. The UI calls it on every change; ``resolve`` on the command line
and the audit use it too. Every billing rule it applies is data: the procedure's own guidance rules
(``codes/*.yaml``) and the general rules (``rules.yaml``: modifier 26 by setting, 59 or XS by payer,
units by code and payer, how both sides are reported). This module only knows how to apply them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from desktop.core.model import (
    MODALITY_LABELS,
    REGIONS,
    Alternative,
    Catalog,
    CodeRecord,
    Confidence,
    DistinctRule,
    Encounter,
    GuidanceLine,
    Laterality,
    Message,
    Modality,
    Policy,
    ProcedureEntry,
    ProcedureLine,
    ProcedureResult,
    PtpRule,
    Recorded,
    Region,
    Resolution,
    RuleBook,
    Severity,
    State,
    UnitRule,
)
from desktop.core.ncci.model import MODIFIER_INDICATOR_LABELS, ModifierIndicator, NcciTables, PtpEdit, TableKind

# What the side modifiers mean (HCPCS): 50 both sides on one line, RT right, LT left.
LATERALITY_MODIFIERS = frozenset({"50", "RT", "LT"})
REGION_LABEL: dict[Region, str] = {r: r.capitalize() for r in REGIONS}
# The physician's claim, in every setting (GuideCode answers the professional lines): CMS's practitioner
# NCCI tables apply, not the outpatient-hospital ones (those are for the facility's own claim).
NCCI_KIND: TableKind = "practitioner"
_CONFIDENCE_ORDER: dict[Confidence, int] = {"high": 2, "medium": 1, "low": 0}
_SEVERITY_ORDER: dict[Severity, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(slots=True)
class _Use:
    """One procedure's need for a guidance code, before lines are merged across the encounter."""

    index: int
    code: str
    guidance_code: str
    regions: tuple[Region, ...]
    policy: Policy
    multi_site: bool


@dataclass(slots=True)
class _Work:
    """What resolving one encounter collects before it is frozen into a Resolution."""

    results: list[ProcedureResult] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    uses: list[_Use] = field(default_factory=list)
    sides: dict[int, Laterality | None] = field(default_factory=dict)
    proc_lines: list[ProcedureLine] = field(default_factory=list)
    ncci_label: str = ""
    rules: RuleBook = field(default_factory=RuleBook)
    checked_years: list[int] = field(default_factory=list)
    unchecked: dict[str, None] = field(default_factory=dict)  # "a + b" pairs outside the PTP table's scope

    def msg(self, severity: Severity, text: str, code: str | None = None, sources: tuple[str, ...] = ()) -> None:
        self.messages.append(Message(severity, text, code, sources))


def resolve(catalog: Catalog, encounter: Encounter) -> Resolution:
    """Resolve one encounter into claim lines, per-procedure answers and messages."""
    work = _Work(rules=catalog.rules)
    when = encounter.date_of_service
    if when < catalog.covers_from:
        work.msg("error", f"Date of service {when.isoformat()} is before {catalog.covers_from.isoformat()}, "
                 "the earliest date GuideCode's data covers; no answer is given for it.")
        for i, entry in enumerate(encounter.procedures):
            rec = catalog.get(entry.code)
            work.results.append(ProcedureResult(i, entry.code, rec.name_on(when) if rec else "", "invalid",
                                                entry.modality or encounter.modality,
                                                "Date of service is outside the data's range.", (), "high"))
        return _finish(catalog, work)
    covering = _si_coverage(catalog, encounter)
    for i, entry in enumerate(encounter.procedures):
        _resolve_one(catalog, encounter, i, entry, covering, work)
    checked = min(work.checked_years, default=catalog.code_set_year)
    if when.year > checked:
        work.msg("warning", f"Date of service {when.isoformat()} is after code-set year {checked}, the last year "
                 "the data that answered was checked against; rules may have changed since.")
    _procedure_lines(catalog, encounter, work)
    ncci = catalog.ncci.for_date(NCCI_KIND, when)
    work.ncci_label = ncci.tables.label if catalog.ncci.versions else ""
    if catalog.ncci.versions and encounter.procedures and ncci.warning:  # (an empty encounter has nothing to check)
        work.msg("warning", ncci.warning)
    lines = _build_lines(catalog, encounter, work, ncci.tables)
    lines = _documented(catalog, encounter, work, lines)
    lines = _apply_ptp(catalog, encounter, work, lines, ncci.tables)
    _check_mues(catalog, encounter, work, lines, ncci.tables)
    return _finish(catalog, work, lines)


def _finish(catalog: Catalog, work: _Work, lines: tuple[GuidanceLine, ...] = ()) -> Resolution:
    unique = dict.fromkeys(work.messages)  # a message said for two lines of one code is said once
    messages = tuple(sorted(unique, key=lambda m: _SEVERITY_ORDER[m.severity]))
    return Resolution(lines, tuple(work.results), messages, catalog.data_version, catalog.packs,
                      tuple(work.proc_lines), work.ncci_label)


def _si_coverage(catalog: Catalog, encounter: Encounter) -> dict[str, CodeRecord]:
    """Injection code -> the imaging S&I record in this encounter whose fluoroscopy covers its guidance."""
    out: dict[str, CodeRecord] = {}
    for entry in encounter.procedures:
        rec = catalog.get(entry.code)
        if rec is not None and rec.covers_guidance is not None and rec.valid_on(encounter.date_of_service):
            for inj in rec.covers_guidance.injections:
                out.setdefault(inj, rec)
    return out


def _laterality(entry: ProcedureEntry, work: _Work) -> Laterality | None:
    mods = set(entry.modifiers) & LATERALITY_MODIFIERS
    from_mods: Laterality | None = None
    if "50" in mods or {"RT", "LT"} <= mods:
        from_mods = "bilateral"
    elif "RT" in mods:
        from_mods = "right"
    elif "LT" in mods:
        from_mods = "left"
    if from_mods is None:
        return entry.laterality
    if entry.laterality is not None and entry.laterality != from_mods:
        work.msg("warning", f"{entry.code}: modifiers {' '.join(sorted(mods))} say {from_mods} but laterality "
                 f"says {entry.laterality}; the modifiers are used.", entry.code)
    return from_mods


def replacement_for(catalog: Catalog, rec: CodeRecord, modality: Modality, when: date) -> str | None:
    """The one code that replaces a deleted code for this modality: the first replacement whose rule for the
    modality does not send the coder on to another replacement (62311 with fluoroscopy -> 62323, without
    imaging -> 62322). None when the record names no replacement."""
    for code in rec.replaced_by:
        target = catalog.get(code)
        if target is None:
            continue
        policy = target.policy_for(modality, when)
        if policy is not None and policy.state == "redirect" and policy.redirect_to in rec.replaced_by:
            return policy.redirect_to
        return code
    return None


def _resolve_one(catalog: Catalog, enc: Encounter, index: int, entry: ProcedureEntry,
                 covering: dict[str, CodeRecord], work: _Work) -> None:
    when = enc.date_of_service
    modality: Modality = entry.modality or enc.modality
    rec = catalog.get(entry.code)

    def result(state: State, reason: str, sources: tuple[str, ...] = (), confidence: Confidence = "high", *,
               guidance_code: str | None = None, redirect_to: str | None = None,
               alternatives: tuple[Alternative, ...] = ()) -> None:
        work.results.append(ProcedureResult(index, entry.code, rec.name_on(when) if rec else "", state, modality,
                                            reason, sources, confidence, guidance_code, redirect_to, alternatives))

    if rec is None:
        work.msg("error", f"{entry.code}: unknown code; it is not in GuideCode's data "
                 "(check the number, or load a data pack that has it).", entry.code)
        result("invalid", "Unknown code.")
        return
    if rec.valid_from is not None and when < rec.valid_from:
        work.msg("error", f"{rec.code} was not valid yet on {when.isoformat()}; it starts "
                 f"{rec.valid_from.isoformat()}.", rec.code, rec.dates_sources)
        result("invalid", f"Not valid before {rec.valid_from.isoformat()}.", rec.dates_sources,
               rec.dates_confidence)
        return
    if rec.valid_to is not None and when > rec.valid_to:
        exact = replacement_for(catalog, rec, modality, when)
        if exact is not None:
            others = [c for c in rec.replaced_by if c != exact]
            label = MODALITY_LABELS[modality].lower()
            use = f"; with {label} report {exact}" + (f" (the others: {', '.join(others)})" if others else "")
        else:
            use = "; it has no direct replacement"
        work.msg("error", f"{rec.code} was deleted: valid until {rec.valid_to.isoformat()}{use}.", rec.code,
                 rec.dates_sources)
        result("invalid", f"Deleted after {rec.valid_to.isoformat()}" + (
            f"; replaced by {', '.join(rec.replaced_by)}." if rec.replaced_by else "."), rec.dates_sources,
            rec.dates_confidence, redirect_to=exact)
        return
    for note in rec.cautions:
        work.msg("warning", f"{rec.code}: {note.text}", rec.code, note.sources)

    if rec.kind == "guidance":
        g = rec.guidance
        if g is not None and not g.suggest:
            work.msg("warning", f"{rec.code} entered: {g.not_suggested_reason}", rec.code, g.not_suggested_sources)
            result("none_used", g.not_suggested_reason, g.not_suggested_sources, "medium")
        else:
            text = (f"{rec.code} is an imaging-guidance code, not a procedure: GuideCode works out the guidance "
                    "lines from the procedures in the encounter; compare them with what was entered.")
            work.msg("info", text, rec.code)
            result("none_used", text)
        return
    if rec.kind == "imaging":
        text = f"{rec.code} is an imaging code; it is not needle guidance and needs no guidance code of its own."
        if rec.covers_guidance is not None:
            text += " " + rec.covers_guidance.reason
            result("none_used", text, rec.covers_guidance.sources, rec.covers_guidance.confidence)
        elif rec.cautions:  # the record's own rule for it (a diagnostic study beside guidance) is in its cautions
            sources = tuple(dict.fromkeys(s for n in rec.cautions for s in n.sources))
            confidence = min((n.confidence for n in rec.cautions), key=lambda c: _CONFIDENCE_ORDER[c])
            result("none_used", f"{text} {rec.cautions[0].text}", sources, confidence)
        else:
            result("none_used", text)
        return

    if entry.regions and not rec.spinal:
        work.msg("warning", f"{rec.code} is not a spinal code; the regions ticked for it are ignored.", rec.code)
    side = _laterality(entry, work)
    work.sides[index] = side

    si = covering.get(rec.code)
    if si is not None and si.covers_guidance is not None and modality == "fluoroscopy":
        info = si.covers_guidance
        result("included", f"Reported with {si.code}: {info.reason}", info.sources, info.confidence)
        return

    policy = rec.policy_for(modality, when)
    if policy is None:
        if modality == "none":
            result("none_used", "No imaging was used, so there is no guidance code to report.")
        else:
            text = (f"GuideCode has no sourced rule for {rec.code} with {MODALITY_LABELS[modality].lower()} "
                    f"on {when.isoformat()}; check the payer's policy before billing guidance.")
            work.msg("warning", text, rec.code)
            result("unconfirmed", text, (), "low")
        return

    # The year the answering rule was checked against: a data pack's code-set year counts only for the rules it
    # wrote (they are limited to its effective dates), the built-in year for the rest.
    pack = next((p for p in catalog.packs if not p.builtin and p.name == policy.origin), None)
    work.checked_years.append(pack.code_set_year if pack is not None else catalog.code_set_year)
    mod_label = MODALITY_LABELS[modality]
    if policy.state == "included" and _undocumented_twin(catalog, enc, rec, modality, work, result):
        return
    if policy.state in ("included", "none_used", "not_applicable"):
        result(policy.state, policy.reason, policy.sources, policy.confidence)
    elif policy.state == "redirect" and _redirect_undocumented(catalog, enc, rec, policy, modality, work, result):
        return
    elif policy.state == "redirect":
        target = policy.redirect_to or ""
        work.msg("warning", f"{mod_label} with {rec.code} \u2192 report {target} instead. {policy.reason}",
                 rec.code, policy.sources)
        result("redirect", policy.reason, policy.sources, policy.confidence, redirect_to=target)
    elif policy.state == "unconfirmed":
        cand = f" ({policy.code} is the candidate code)" if policy.code else ""
        work.msg("warning", f"{rec.code} with {mod_label.lower()}: UNCONFIRMED{cand}: {policy.reason} "
                 "No guidance line is given; check the payer before billing.", rec.code, policy.sources)
        _alternative_notes(rec.code, policy.alternatives, work)
        result("unconfirmed", policy.reason, policy.sources, policy.confidence,
               guidance_code=policy.code, alternatives=policy.alternatives)
    else:  # separate
        gcode = policy.code or ""
        grec = catalog.get(gcode)
        if grec is not None and not grec.valid_on(when):
            work.msg("error", f"{gcode} (for {rec.code}) is not valid on {when.isoformat()}.", rec.code)
            result("invalid", f"{gcode} is not valid on that date.", policy.sources, policy.confidence)
            return
        regions = _regions_for(rec, entry, work, catalog.rules.units_for(gcode, enc.payer, when))
        if policy.alternatives:
            _alternative_notes(rec.code, policy.alternatives, work, preferred=gcode, policy=policy)
        multi = entry.units > 1 or side == "bilateral"
        work.uses.append(_Use(index, rec.code, gcode, regions, policy, multi))
        result("separate", policy.reason, policy.sources, policy.confidence, guidance_code=gcode,
               alternatives=policy.alternatives)


def _recorded(enc: Encounter) -> Recorded:
    return "unstated" if enc.images_recorded is None else ("yes" if enc.images_recorded else "no")


def _undocumented_twin(catalog: Catalog, enc: Encounter, rec: CodeRecord, modality: Modality, work: _Work,
                       result: Callable[..., None]) -> bool:
    """A procedure whose code includes this imaging, where the documentation rule for the encounter's
    ``images_recorded`` says what to do: report the code's twin for no imaging, or warn. True if it answered."""
    rule = catalog.rules.documentation_for(modality, _recorded(enc), "included", enc.date_of_service)
    if rule is None:
        return False
    if rule.action != "twin":
        work.msg(rule.severity if rule.action != "note" else "info", f"{rec.code}: {rule.note}", rec.code,
                 rule.sources)
        return False
    twin = rec.policy_for("none", enc.date_of_service)
    if twin is None or twin.state != "redirect" or twin.redirect_to is None:
        work.msg("warning", f"{rec.code}: {rule.note} No code without imaging is known for it; check the payer.",
                 rec.code, rule.sources)
        return False
    work.msg(rule.severity, f"{rec.code}: {rule.note} Report {twin.redirect_to}.", rec.code, rule.sources)
    result("redirect", f"{rule.reason}", tuple(dict.fromkeys((*rule.sources, *twin.sources))), rule.confidence,
           redirect_to=twin.redirect_to)
    return True


def _redirect_undocumented(catalog: Catalog, enc: Encounter, rec: CodeRecord, policy: Policy, modality: Modality,
                           work: _Work, result: Callable[..., None]) -> bool:
    """A redirect to the code that includes this imaging (20610 + ultrasound -> 20611), where the documentation
    rule says that code needs what the encounter lacks (no recorded images): the redirect would be undone at
    once, so the entered code stays and no guidance is billed. True if it answered."""
    target = catalog.get(policy.redirect_to or "")
    if target is None:
        return False
    target_policy = target.policy_for(modality, enc.date_of_service)
    twin = target.policy_for("none", enc.date_of_service)
    rule = catalog.rules.documentation_for(modality, _recorded(enc), "included", enc.date_of_service)
    if (target_policy is None or target_policy.state != "included" or rule is None or rule.action != "twin"
            or twin is None or twin.redirect_to != rec.code):
        return False
    work.msg(rule.severity, f"{rec.code}: {rule.note} {rec.code} is reported without a guidance code "
             f"(not {target.code}).", rec.code, rule.sources)
    result("none_used", rule.reason, tuple(dict.fromkeys((*rule.sources, *policy.sources))), rule.confidence)
    return True


def _regions_for(rec: CodeRecord, entry: ProcedureEntry, work: _Work, unit: UnitRule | None) -> tuple[Region, ...]:
    """The spinal regions a procedure's guidance covers: the ticked ones, else the record's first."""
    if not rec.spinal:
        return ()
    if entry.regions:
        outside = [r for r in entry.regions if rec.regions and r not in rec.regions]
        if outside:
            work.msg("warning", f"{rec.code} is normally a {'/'.join(rec.regions)} code, but "
                     f"{', '.join(outside)} was ticked; the ticked regions are counted.", rec.code)
        return entry.regions
    if not rec.regions:
        return ()
    implied = rec.regions[0]
    if len(rec.regions) > 1 and unit is not None and unit.basis == "per_region":
        work.msg("info", f"{rec.code}: no region ticked; counted as {implied} (the code covers "
                 f"{'/'.join(rec.regions)}). Tick the region actually treated.", rec.code)
    return (implied,)


def _alternative_notes(code: str, alternatives: tuple[Alternative, ...], work: _Work, *,
                       preferred: str | None = None, policy: Policy | None = None) -> None:
    for alt in alternatives:
        other = alt.code or "no separate guidance code"
        lead = (f"{code}: sources disagree. GuideCode shows {preferred} ({', '.join(policy.sources)}, "
                f"{policy.confidence} confidence); the other answer is {other}"
                if preferred and policy else f"{code}: another answer is {other}")
        work.msg("warning", f"{lead} ({', '.join(alt.sources)}, {alt.confidence} confidence): {alt.reason}",
                 code, alt.sources)


# ---------------------------------------------------------------------------------------------------------
# Procedure claim lines


def _procedure_lines(catalog: Catalog, enc: Encounter, work: _Work) -> None:
    """The procedure lines to bill: the entered code (or the code a redirect names), its modifiers, and both
    sides as the payer's bilateral rule wants them."""
    when = enc.date_of_service
    for res in work.results:
        if res.state == "invalid":
            continue
        rec = catalog.get(res.code)
        if rec is None or rec.kind == "guidance":
            continue
        entry = enc.procedures[res.index]
        code = res.redirect_to if res.state == "redirect" and res.redirect_to else res.code
        plain = tuple(m for m in entry.modifiers if m not in LATERALITY_MODIFIERS)
        side = work.sides.get(res.index)
        side_mods = sorted(set(entry.modifiers) & LATERALITY_MODIFIERS)
        rule = catalog.rules.bilateral_for(rec.bilateral, enc.payer, when) if rec.kind == "procedure" else None
        if rule is None or (side is None and not side_mods):
            work.proc_lines.append(ProcedureLine(res.index, code, entry.units, entry.modifiers))
            continue
        report = rule.report
        if report == "no_sides":  # a warning rule speaks whenever a side is entered; an info rule only for modifiers
            if rule.severity != "info" or side_mods:
                what = f"modifier {' '.join(side_mods)}" if side_mods else f"laterality {side}"
                work.msg(rule.severity, f"{rec.code}: {rule.note} ({what} entered.)", rec.code, rule.sources)
            work.proc_lines.append(ProcedureLine(res.index, code, entry.units, plain, rule.reason, rule.sources,
                                                 rule.confidence))
            continue
        if side != "bilateral":
            mods = (*plain, "RT" if side == "right" else "LT")
            work.proc_lines.append(ProcedureLine(res.index, code, entry.units, mods))
            continue
        work.msg(rule.severity, f"{rec.code} bilateral: {rule.note}", rec.code, rule.sources)
        if report == "two_units":
            work.proc_lines.append(ProcedureLine(res.index, code, 2 * entry.units, plain, rule.reason, rule.sources,
                                                 rule.confidence))
        elif report == "rt_lt":
            for mod in ("RT", "LT"):
                work.proc_lines.append(ProcedureLine(res.index, code, entry.units, (*plain, mod), rule.reason,
                                                     rule.sources, rule.confidence))
        else:  # one_line_50, and unconfirmed (the Medicare form, with the warning above)
            work.proc_lines.append(ProcedureLine(res.index, code, entry.units, (*plain, "50"), rule.reason,
                                                 rule.sources, rule.confidence))


# ---------------------------------------------------------------------------------------------------------
# Guidance lines


def _documented(catalog: Catalog, enc: Encounter, work: _Work, lines: tuple[GuidanceLine, ...]
                ) -> tuple[GuidanceLine, ...]:
    """Guidance lines whose imaging needs documentation (ultrasound: recorded images and a report), as the
    documentation rule for the encounter's ``images_recorded`` says: withheld, or kept with a note."""
    out: list[GuidanceLine] = []
    for line in lines:
        grec = catalog.get(line.code)
        modality = grec.guidance.modality if grec is not None and grec.guidance is not None else None
        rule = (catalog.rules.documentation_for(modality, _recorded(enc), "guidance_line", enc.date_of_service)
                if modality is not None else None)
        if rule is None:
            out.append(line)
            continue
        if rule.action == "withhold":
            work.msg(rule.severity, f"{line.code}: {rule.note}", line.code, rule.sources)
            for i, res in enumerate(work.results):
                if res.code in line.for_codes and res.state == "separate" and res.guidance_code == line.code:
                    work.results[i] = replace(res, state="none_used", reason=rule.reason, sources=rule.sources,
                                              confidence=rule.confidence, guidance_code=None)
            continue
        work.msg(rule.severity if rule.action != "note" else "info", f"{line.code}: {rule.note}", line.code,
                 rule.sources)
        out.append(line)
    return tuple(out)


def _mue_text(tables: NcciTables, code: str) -> str:
    mue = tables.mue(code)
    if mue is None or tables.mue_table is None:
        return ""
    return (f" CMS's MUE for {code}: {mue.value} (MAI {mue.mai}, {mue.mai_label}; "
            f"{tables.mue_table.version.label}).")


def _build_lines(catalog: Catalog, enc: Encounter, work: _Work, tables: NcciTables) -> tuple[GuidanceLine, ...]:
    when = enc.date_of_service
    rules = catalog.rules
    component = rules.component(enc.setting, when)
    distinct = rules.distinct_for(enc.payer, when)
    lines: list[GuidanceLine] = []
    by_code: dict[str, list[_Use]] = {}
    for use in work.uses:
        by_code.setdefault(use.guidance_code, []).append(use)
    for gcode, uses in by_code.items():
        grec = catalog.get(gcode)
        ginfo = grec.guidance if grec is not None else None
        base: tuple[str, ...] = ()
        if component is not None and component.modifier and (ginfo is None or ginfo.pc_tc_split):
            base = (component.modifier,)
        reason, sources, confidence = _merge_reasons(uses)
        for_codes = tuple(dict.fromkeys(u.code for u in uses))
        unit = rules.units_for(gcode, enc.payer, when)
        seen: dict[Region, list[str]] = {}
        for use in uses:
            for region in use.regions:
                codes = seen.setdefault(region, [])
                if use.code not in codes:
                    codes.append(use.code)
        if unit is None:
            work.msg("warning", f"{gcode}: the data has no unit rule for this code and payer (rules.yaml, units); "
                     "one line of 1 unit is given. Check the payer.", gcode)
            lines.append(GuidanceLine(gcode, 1, base, for_codes, None, reason, sources, "low"))
            continue
        if unit.basis == "per_region":
            lines.extend(_per_region_lines(gcode, uses, seen, base, unit, distinct, reason, sources, confidence,
                                           work))
            continue
        if unit.basis == "per_procedure_unit":
            count = sum(enc.procedures[u.index].units for u in uses)
            lines.append(GuidanceLine(gcode, count, base, for_codes, None, reason, sources, confidence))
            if count > 1:
                work.msg("info", f"{gcode}: {count} units, one per unit of {', '.join(for_codes)}. {unit.note}",
                         gcode, unit.sources)
            continue
        lines.append(GuidanceLine(gcode, 1, base, for_codes, None, reason, sources, confidence))
        several_regions = len(seen) > 1
        several = several_regions or len(uses) > 1 or any(u.multi_site for u in uses)
        if not several:
            continue
        what = (f"{len(seen)} spinal regions ({', '.join(seen)})" if several_regions
                else f"guidance for {', '.join(for_codes)} at more than one site or side")
        if unit.confirmed:
            mue_note = _mue_text(tables, gcode)
            mue_source = (tables.mue_table.version.source,) if mue_note and tables.mue_table is not None else ()
            work.msg("warning", f"{gcode}: one line of 1 unit for {what}. {unit.note}{mue_note}", gcode,
                     tuple(dict.fromkeys((*unit.sources, *mue_source))))
        else:
            work.msg("warning", f"{gcode}: one line of 1 unit is given for {what}. The unit rule is UNCONFIRMED: "
                     f"{unit.note}", gcode, unit.sources)
    return tuple(lines)


def _per_region_lines(gcode: str, uses: list[_Use], seen: dict[Region, list[str]], base: tuple[str, ...],
                      unit: UnitRule, distinct: DistinctRule | None, reason: str, sources: tuple[str, ...],
                      confidence: Confidence, work: _Work) -> list[GuidanceLine]:
    """One line per spinal region; each further region on its own line with the payer's distinct modifier."""
    if not seen:  # a per-region code whose procedures name no region: one unit, and say so
        work.msg("warning", f"{gcode}: no spinal region known for {', '.join(u.code for u in uses)}; "
                 "one unit given. Tick the regions.", gcode)
        return [GuidanceLine(gcode, 1, base, tuple(dict.fromkeys(u.code for u in uses)), None, reason, sources,
                             confidence)]
    modifier = distinct.modifier if distinct is not None else None
    out: list[GuidanceLine] = []
    for n, (region, codes) in enumerate(seen.items()):
        if n == 0:
            out.append(GuidanceLine(gcode, 1, base, tuple(codes), region, reason, sources, confidence))
            continue
        mods = (*base, modifier) if modifier else base
        extra = distinct.sources if distinct is not None else ()
        why = (f"A further spinal region ({REGION_LABEL[region].lower()}) is one more unit of {gcode} on its own "
               f"line{' with ' + modifier if modifier else ''}: {unit.reason}"
               + (f" {distinct.reason}" if distinct is not None else ""))
        srcs = tuple(dict.fromkeys((*sources, *unit.sources, *extra)))
        conf = min(confidence, unit.confidence, key=lambda c: _CONFIDENCE_ORDER[c])
        out.append(GuidanceLine(gcode, 1, mods, tuple(codes), region, why, srcs, conf))
    if len(uses) > 1 or any(len(u.regions) > 1 for u in uses):
        work.msg("info", f"{gcode}: {len(seen)} spinal region(s) ({', '.join(seen)}) \u2192 {len(seen)} unit(s), "
                 f"one line each. {unit.note}", gcode, unit.sources)
    return out


def _merge_reasons(uses: list[_Use]) -> tuple[str, tuple[str, ...], Confidence]:
    """One reason for a line serving several procedures: the first policy's, the union of sources and the
    lowest confidence (a line is only as sure as its least sure procedure)."""
    first = uses[0].policy
    sources = tuple(dict.fromkeys(s for u in uses for s in u.policy.sources))
    confidence = min((u.policy.confidence for u in uses), key=lambda c: _CONFIDENCE_ORDER[c])
    return first.reason, sources, confidence


# ---------------------------------------------------------------------------------------------------------
# NCCI: pair edits and unit limits, applied as rules.yaml's ptp_edits and mue rules say


def _edit_label(edit: PtpEdit, tables: NcciTables, *more: PtpEdit) -> str:
    """``NCCI PTP edit 64449/77002 (<version>, modifier indicator 1: <meaning>)``; several edits of one
    indicator share the version and indicator."""
    version = tables.ptp.version.label if tables.ptp is not None else "NCCI"
    pairs = ", ".join(e.pair_label for e in (edit, *more))
    return (f"NCCI PTP edit{'s' if more else ''} {pairs} ({version}, modifier indicator "
            f"{edit.modifier_indicator}: {MODIFIER_INDICATOR_LABELS[edit.modifier_indicator]})")


def _edit_sources(rule: PtpRule, tables: NcciTables) -> tuple[str, ...]:
    extra = (tables.ptp.version.source,) if tables.ptp is not None else ()
    return tuple(dict.fromkeys((*extra, *rule.sources)))


def _with_distinct(line: GuidanceLine, modifier: str, why: str, sources: tuple[str, ...],
                   distinct: frozenset[str]) -> GuidanceLine:
    mods = line.modifiers if distinct & set(line.modifiers) else (*line.modifiers, modifier)
    return replace(line, modifiers=mods, reason=f"{line.reason} {why}",
                   sources=tuple(dict.fromkeys((*line.sources, *sources))))


def _apply_ptp(catalog: Catalog, enc: Encounter, work: _Work, lines: tuple[GuidanceLine, ...],
               tables: NcciTables) -> tuple[GuidanceLine, ...]:
    """Every NCCI pair edit in force between the claim's codes, applied by the ptp_edits rules: a guidance
    line bundled into the procedure it guides, a guidance line beside another procedure of the claim, two
    guidance lines, two procedures."""
    if tables.ptp is None:
        return lines
    when, payer, rules = enc.date_of_service, enc.payer, catalog.rules
    distinct_rule = rules.distinct_for(payer, when)
    modifier = distinct_rule.modifier if distinct_rule is not None else ""
    distinct_mods = frozenset(r.modifier for r in rules.distinct if r.in_force(when))
    proc_codes = list(dict.fromkeys(pl.code for pl in work.proc_lines))
    out: list[GuidanceLine] = []
    for line in lines:
        kept = _guidance_with_procedures(line, proc_codes, enc, work, tables, modifier, distinct_mods)
        if kept is not None:
            out.append(kept)
    out = _guidance_pairs(out, enc, work, tables, modifier, distinct_mods)
    _procedure_pairs(proc_codes, enc, work, tables, modifier, distinct_mods)
    if work.unchecked:  # "no edit found" is CMS's answer only inside the table's scope: say what was not checked
        version = tables.ptp.version
        held = ("the edits with an imaging code among the codes GuideCode had when it was made"
                if version.scope_paired_with is not None else "the codes GuideCode had when it was made")
        one = len(work.unchecked) == 1
        work.msg("info", f"NCCI pair edits not checked for {', '.join(work.unchecked)}: {version.label} holds only "
                 f"{held}. Import CMS's quarterly NCCI files to check {'it' if one else 'them'}: python -m desktop "
                 "import-ncci, or File \u2192 Import NCCI edits\u2026 in the window.")
    return tuple(out)


def _pair(a: str, b: str, tables: NcciTables, when: date, work: _Work) -> PtpEdit | None:
    """The edit between ``a`` and ``b`` in force on ``when``; where there is none and the table could not
    have held one (outside its scope, or a table cut short), the pair is noted as not checked."""
    edit = tables.pair(a, b, when)
    if edit is None and not tables.knows_pair(a, b):
        work.unchecked[f"{a} + {b}"] = None
    return edit


def _guidance_with_procedures(line: GuidanceLine, proc_codes: list[str], enc: Encounter, work: _Work,
                              tables: NcciTables, modifier: str, distinct_mods: frozenset[str]) -> GuidanceLine | None:
    when, payer, rules = enc.date_of_service, enc.payer, work.rules
    g = line.code
    own: list[tuple[str, PtpEdit]] = []
    other: list[tuple[str, PtpEdit]] = []
    for code in proc_codes:
        edit = _pair(code, g, tables, when, work)
        if edit is None or edit.column_2 != g:
            continue
        (own if code in line.for_codes else other).append((code, edit))
    if own and len(own) == len(line.for_codes):  # every procedure the line guides bundles it
        code, edit = own[0]
        rule = rules.ptp_for("guidance_into_procedure", edit.modifier_indicator, payer, when)
        if rule is None:
            return line
        text = f"{_edit_label(edit, tables)}: {rule.reason}"
        if rule.action == "withhold":
            bundled = {c for c, _ in own}
            for i, res in enumerate(work.results):
                if res.code in bundled and res.state == "separate" and res.guidance_code == g:
                    work.results[i] = replace(res, state="included", reason=text,
                                              sources=_edit_sources(rule, tables), confidence=rule.confidence,
                                              guidance_code=None)
            work.msg(rule.severity, f"{g} is not billed with {', '.join(sorted(bundled))}: {text}", g,
                     _edit_sources(rule, tables))
            return None
        work.msg(rule.severity if rule.action != "note" else "info", f"{g} with {code}: {text}", g,
                 _edit_sources(rule, tables))
        return line
    groups: dict[ModifierIndicator, list[tuple[str, PtpEdit]]] = {}
    for code, edit in [*own, *other]:
        groups.setdefault(edit.modifier_indicator, []).append((code, edit))
    for indicator, pairs in groups.items():
        rule = rules.ptp_for("guidance_with_other_procedure", indicator, payer, when)
        if rule is None:
            continue
        codes = ", ".join(c for c, _ in pairs)
        edits = [e for _, e in pairs]
        text = f"{_edit_label(edits[0], tables, *edits[1:])}: {rule.reason}"
        sources = _edit_sources(rule, tables)
        if rule.action == "withhold":
            work.msg(rule.severity, f"{g} cannot be billed with {codes}: {text}", g, sources)
            return None
        if rule.action == "distinct" and modifier:
            need = f" Bill {g}-{modifier} only if {rule.documentation}." if rule.documentation else ""
            pairs_text = ", ".join(e.pair_label for e in edits)
            line = _with_distinct(line, modifier, f"NCCI PTP edit{'s' if len(edits) > 1 else ''} {pairs_text} pair "
                                  f"{g} with {codes}: {modifier} on the {g} line.{need}", sources, distinct_mods)
            work.msg(rule.severity, f"{g} with {codes} on one claim: {text}{need}", g, sources)
        else:
            work.msg(rule.severity if rule.action != "note" else "info", f"{g} with {codes}: {text}", g, sources)
    if own:
        line = replace(line, for_codes=tuple(c for c in line.for_codes if c not in {o for o, _ in own}))
    return line


def _guidance_pairs(lines: list[GuidanceLine], enc: Encounter, work: _Work, tables: NcciTables, modifier: str,
                    distinct_mods: frozenset[str]) -> list[GuidanceLine]:
    """Two different guidance codes on the claim with an edit: the column-two code as the rule says."""
    when, payer, rules = enc.date_of_service, enc.payer, work.rules
    codes = list(dict.fromkeys(ln.code for ln in lines))
    withheld: set[str] = set()
    marked: dict[str, tuple[str, tuple[str, ...]]] = {}
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            edit = _pair(a, b, tables, when, work)
            if edit is None:
                continue
            rule = rules.ptp_for("two_guidance_codes", edit.modifier_indicator, payer, when)
            if rule is None:
                continue
            col2 = edit.column_2
            text = f"{_edit_label(edit, tables)}: {rule.reason}"
            sources = _edit_sources(rule, tables)
            if rule.action == "withhold":
                withheld.add(col2)
                work.msg(rule.severity, f"{col2} is not billed with {edit.column_1}: {text}", col2, sources)
            elif rule.action == "distinct" and modifier:
                need = f" Bill {col2}-{modifier} only if {rule.documentation}." if rule.documentation else ""
                marked[col2] = (f"{_edit_label(edit, tables)} makes {col2} column two to {edit.column_1}: "
                                f"{modifier} on the {col2} line.{need}", sources)
                work.msg(rule.severity, f"{edit.column_1} and {col2} on one claim: {text}{need}", col2, sources)
            else:
                work.msg("info", f"{edit.column_1} and {col2}: {text}", col2, sources)
    out: list[GuidanceLine] = []
    for line in lines:
        if line.code in withheld:
            continue
        if line.code in marked:
            why, sources = marked[line.code]
            line = _with_distinct(line, modifier, why, sources, distinct_mods)
        out.append(line)
    return out


def _procedure_pairs(codes: list[str], enc: Encounter, work: _Work, tables: NcciTables, modifier: str,
                     distinct_mods: frozenset[str]) -> None:
    """Two procedures on the claim with an edit: a warning naming the column-two code and the modifier, and
    the modifier on its claim line where the rule says so."""
    when, payer, rules = enc.date_of_service, enc.payer, work.rules
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            edit = _pair(a, b, tables, when, work)
            if edit is None:
                continue
            rule = rules.ptp_for("two_procedures", edit.modifier_indicator, payer, when)
            if rule is None:
                continue
            col2 = edit.column_2
            text = f"{_edit_label(edit, tables)}: {rule.reason}"
            sources = _edit_sources(rule, tables)
            if rule.action == "distinct" and modifier:
                need = f" Bill {col2}-{modifier} only if {rule.documentation}." if rule.documentation else ""
                work.msg(rule.severity, f"{edit.column_1} and {col2} on one claim: {col2} is column two. {text}"
                         f"{need}", col2, sources)
                for n, pl in enumerate(work.proc_lines):
                    if pl.code == col2 and not distinct_mods & set(pl.modifiers):
                        work.proc_lines[n] = replace(pl, modifiers=(*pl.modifiers, modifier),
                                                     reason=f"{pl.reason} {text}".strip(),
                                                     sources=tuple(dict.fromkeys((*pl.sources, *sources))))
            else:
                work.msg(rule.severity if rule.action != "note" else "info",
                         f"{edit.column_1} and {col2} on one claim: {text}", col2, sources)


def _check_mues(catalog: Catalog, enc: Encounter, work: _Work, lines: tuple[GuidanceLine, ...],
                tables: NcciTables) -> None:
    """Units of a code on the claim above CMS's MUE: what the mue rule for its MAI says."""
    if tables.mue_table is None:
        return
    totals: dict[str, int] = {}
    for ln in lines:
        totals[ln.code] = totals.get(ln.code, 0) + ln.units
    for pl in work.proc_lines:
        totals[pl.code] = totals.get(pl.code, 0) + pl.units
    for code, units in totals.items():
        mue = tables.mue(code)
        if mue is None or units <= mue.value:
            continue
        rule = catalog.rules.mue_for(mue.mai, enc.payer, enc.date_of_service)
        if rule is None:
            continue
        work.msg(rule.severity, f"{code}: {units} units on the claim, above CMS's MUE of {mue.value} (MAI {mue.mai}, "
                 f"{mue.mai_label}; {tables.mue_table.version.label}): {rule.reason}", code,
                 tuple(dict.fromkeys((tables.mue_table.version.source, *rule.sources))))
