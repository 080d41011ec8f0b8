"""The rules engine: one pure function from an encounter to the guidance lines a coder may bill.

:func:`resolve` never raises on any encounter built from the model types; everything a coder must know
(an unknown or deleted code, a conflict between sources, an unconfirmed unit rule) comes back as a
:class:`~desktop.core.model.Message`. The UI calls it on every change; ``resolve`` on the command line
and the audit use it too, so a rule lives in exactly one place: the data, applied here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop.core.model import (
    FACILITY_SETTINGS,
    MODALITY_LABELS,
    REGIONS,
    Alternative,
    Catalog,
    CodeRecord,
    Confidence,
    Encounter,
    GuidanceLine,
    Laterality,
    Message,
    Modality,
    Policy,
    ProcedureEntry,
    ProcedureResult,
    Region,
    Resolution,
)

LATERALITY_MODIFIERS = frozenset({"50", "RT", "LT"})
REGION_LABEL: dict[Region, str] = {r: r.capitalize() for r in REGIONS}
_CONFIDENCE_ORDER: dict[Confidence, int] = {"high": 2, "medium": 1, "low": 0}


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

    def msg(self, severity: str, text: str, code: str | None = None, sources: tuple[str, ...] = ()) -> None:
        assert severity in ("error", "warning", "info")
        self.messages.append(Message(severity, text, code, sources))  # type: ignore[arg-type]


def resolve(catalog: Catalog, encounter: Encounter) -> Resolution:
    """Resolve one encounter into guidance lines, per-procedure answers and messages."""
    work = _Work()
    when = encounter.date_of_service
    if when < catalog.covers_from:
        work.msg("error", f"Date of service {when.isoformat()} is before {catalog.covers_from.isoformat()}, "
                 "the earliest date GuideCode's data covers; no answer is given for it.")
        for i, entry in enumerate(encounter.procedures):
            rec = catalog.get(entry.code)
            work.results.append(ProcedureResult(i, entry.code, rec.name if rec else "", "invalid",
                                                entry.modality or encounter.modality,
                                                "Date of service is outside the data's range.", (), "high"))
        return _finish(catalog, work)
    if when.year > catalog.code_set_year:
        work.msg("warning", f"Date of service {when.isoformat()} is after code-set year {catalog.code_set_year}, "
                 "the last year GuideCode's data was checked against; rules may have changed since.")

    covering = _si_coverage(catalog, encounter)
    for i, entry in enumerate(encounter.procedures):
        _resolve_one(catalog, encounter, i, entry, covering, work)
    lines = _build_lines(catalog, encounter, work)
    return _finish(catalog, work, lines)


def _finish(catalog: Catalog, work: _Work, lines: tuple[GuidanceLine, ...] = ()) -> Resolution:
    order = {"error": 0, "warning": 1, "info": 2}
    messages = tuple(sorted(work.messages, key=lambda m: order[m.severity]))
    return Resolution(lines, tuple(work.results), messages, catalog.data_version, catalog.packs)


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


def _resolve_one(catalog: Catalog, enc: Encounter, index: int, entry: ProcedureEntry,
                 covering: dict[str, CodeRecord], work: _Work) -> None:
    when = enc.date_of_service
    modality: Modality = entry.modality or enc.modality
    rec = catalog.get(entry.code)

    def result(state: str, reason: str, sources: tuple[str, ...] = (), confidence: Confidence = "high",
               **extra: object) -> None:
        work.results.append(ProcedureResult(index, entry.code, rec.name if rec else "", state,  # type: ignore[arg-type]
                                            modality, reason, sources, confidence, **extra))  # type: ignore[arg-type]

    if rec is None:
        work.msg("error", f"{entry.code}: unknown code; it is not in GuideCode's data "
                 "(check the number, or load a data pack that has it).", entry.code)
        result("invalid", "Unknown code.")
        return
    dated = (rec.dates_sources, rec.dates_confidence)
    if rec.valid_from is not None and when < rec.valid_from:
        work.msg("error", f"{rec.code} was not valid yet on {when.isoformat()}; it starts "
                 f"{rec.valid_from.isoformat()}.", rec.code, rec.dates_sources)
        result("invalid", f"Not valid before {rec.valid_from.isoformat()}.", *dated)
        return
    if rec.valid_to is not None and when > rec.valid_to:
        use = f"; use {' / '.join(rec.replaced_by)} instead" if rec.replaced_by else "; it has no direct replacement"
        work.msg("error", f"{rec.code} was deleted: valid until {rec.valid_to.isoformat()}{use}.", rec.code,
                 rec.dates_sources)
        result("invalid", f"Deleted after {rec.valid_to.isoformat()}" + (
            f"; replaced by {', '.join(rec.replaced_by)}." if rec.replaced_by else "."), *dated,
            redirect_to=rec.replaced_by[0] if rec.replaced_by else None)
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
        else:
            result("none_used", text)
        return

    if entry.regions and not rec.spinal:
        work.msg("warning", f"{rec.code} is not a spinal code; the regions ticked for it are ignored.", rec.code)
    side = _laterality(entry, work)
    _bilateral_notes(rec, side, entry, work)

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

    mod_label = MODALITY_LABELS[modality]
    if policy.state == "included":
        result("included", policy.reason, policy.sources, policy.confidence)
    elif policy.state == "none_used":
        result("none_used", policy.reason, policy.sources, policy.confidence)
    elif policy.state == "not_applicable":
        result("not_applicable", policy.reason, policy.sources, policy.confidence)
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
        regions: tuple[Region, ...] = ()
        if grec is not None and grec.guidance is not None and grec.guidance.unit_basis == "per_region":
            regions = _regions_for(rec, entry, work)
        if policy.alternatives:
            _alternative_notes(rec.code, policy.alternatives, work, preferred=gcode, policy=policy)
        multi = entry.units > 1 or side == "bilateral"
        work.uses.append(_Use(index, rec.code, gcode, regions, policy, multi))
        result("separate", policy.reason, policy.sources, policy.confidence, guidance_code=gcode,
               alternatives=policy.alternatives)


def _regions_for(rec: CodeRecord, entry: ProcedureEntry, work: _Work) -> tuple[Region, ...]:
    if entry.regions:
        outside = [r for r in entry.regions if rec.regions and r not in rec.regions]
        if outside:
            work.msg("warning", f"{rec.code} is normally a {'/'.join(rec.regions)} code, but "
                     f"{', '.join(outside)} was ticked; the ticked regions are counted.", rec.code)
        return entry.regions
    if not rec.regions:
        return ()
    implied = rec.regions[0]
    if len(rec.regions) > 1:
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


def _bilateral_notes(rec: CodeRecord, side: Laterality | None, entry: ProcedureEntry, work: _Work) -> None:
    side_mods = sorted(set(entry.modifiers) & LATERALITY_MODIFIERS)
    if rec.bilateral == "not_bilateral" and (side is not None or side_mods):
        what = f"modifier {' '.join(side_mods)}" if side_mods else f"laterality {side}"
        work.msg("warning", f"{rec.code} is not a sided procedure: modifiers 50/RT/LT do not apply ({what} "
                 "entered), and MAC articles do not allow a bilateral interlaminar or caudal epidural.",
                 rec.code, ("S54", "X-MPR2010"))
        return
    if side != "bilateral":
        return
    if rec.bilateral == "addon_conflict":
        work.msg("warning", f"{rec.code} bilateral: CMS and the MACs want one line {rec.code}-50 \u00d71 "
                 f"(S20, S21); the CPT guideline says report {rec.code} twice without 50 (S22). Follow the payer.",
                 rec.code, ("S20", "S21", "S22"))
    elif rec.bilateral == "modifier_50":
        work.msg("info", f"{rec.code} bilateral: Medicare wants one line with modifier 50, 1 unit; some payers "
                 "want RT and LT lines instead.", rec.code, ("S21",))
    elif rec.bilateral == "unconfirmed":
        work.msg("warning", f"{rec.code} bilateral: how to report both sides is not confirmed by any source.",
                 rec.code)


def _build_lines(catalog: Catalog, enc: Encounter, work: _Work) -> tuple[GuidanceLine, ...]:
    facility = enc.setting in FACILITY_SETTINGS
    distinct = "XS" if enc.payer == "medicare" else "59"
    lines: list[GuidanceLine] = []
    by_code: dict[str, list[_Use]] = {}
    for use in work.uses:
        by_code.setdefault(use.guidance_code, []).append(use)
    for gcode, uses in by_code.items():
        grec = catalog.get(gcode)
        ginfo = grec.guidance if grec is not None else None
        base: tuple[str, ...] = ("26",) if facility and (ginfo is None or ginfo.pc_tc_split) else ()
        reason, sources, confidence = _merge_reasons(uses)
        if ginfo is not None and ginfo.unit_basis == "per_region":
            why_xs = "Medicare prefers XS" if distinct == "XS" else "59 for payers that do not take X modifiers"
            seen: dict[Region, list[str]] = {}
            for use in uses:
                for region in use.regions:
                    codes = seen.setdefault(region, [])
                    if use.code not in codes:
                        codes.append(use.code)
            if not seen:  # a per-region code whose procedures name no region: one unit, and say so
                work.msg("warning", f"{gcode}: no spinal region known for {', '.join(u.code for u in uses)}; "
                         "one unit given. Tick the regions.")
                lines.append(GuidanceLine(gcode, 1, base, tuple(dict.fromkeys(u.code for u in uses)), None,
                                          reason, sources, confidence))
                continue
            for n, (region, codes) in enumerate(seen.items()):
                mods = base if n == 0 else (*base, distinct)
                why = reason if n == 0 else (
                    f"A further spinal region ({REGION_LABEL[region].lower()}) is one more unit of {gcode} on its "
                    f"own line with {distinct} ({why_xs}); "
                    "77003 is counted per region, never per level.")
                srcs = sources if n == 0 else tuple(dict.fromkeys((*sources, *(ginfo.units_sources))))
                lines.append(GuidanceLine(gcode, 1, mods, tuple(codes), region, why, srcs, confidence))
            if len(uses) > 1 or any(len(u.regions) > 1 for u in uses):
                work.msg("info", f"{gcode}: {len(seen)} spinal region(s) "
                         f"({', '.join(r for r in seen)}) → {len(seen)} unit(s), one line each. "
                         f"{ginfo.units_note}", gcode, ginfo.units_sources)
        else:
            for_codes = tuple(dict.fromkeys(u.code for u in uses))
            lines.append(GuidanceLine(gcode, 1, base, for_codes, None, reason, sources, confidence))
            sites = len(uses) > 1 or any(u.multi_site for u in uses)
            if sites and ginfo is not None and not ginfo.units_confirmed:
                work.msg("warning", f"{gcode}: one line of 1 unit is given for {', '.join(for_codes)}, although "
                         "guidance was used at more than one site or side. The unit rule is UNCONFIRMED: "
                         f"{ginfo.units_note}", gcode, ginfo.units_sources)
    return tuple(lines)


def _merge_reasons(uses: list[_Use]) -> tuple[str, tuple[str, ...], Confidence]:
    """One reason for a line serving several procedures: the first policy's, the union of sources and the
    lowest confidence (a line is only as sure as its least sure procedure)."""
    first = uses[0].policy
    sources = tuple(dict.fromkeys(s for u in uses for s in u.policy.sources))
    confidence = min((u.policy.confidence for u in uses), key=lambda c: _CONFIDENCE_ORDER[c])
    return first.reason, sources, confidence

