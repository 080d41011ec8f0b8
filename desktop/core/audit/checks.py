"""Checking claims against the rules: one claim-and-date encounter at a time, through the engine."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Final

from desktop.core.audit.claims import AuditOptions, ClaimLine, read_claims, read_claims_file
from desktop.core.audit.findings import KINDS, SEVERITY_RANK, AuditReport, AuditSummary, CancelFn, Finding, ProgressFn
from desktop.core.engine import resolve
from desktop.core.model import (
    MODALITY_LABELS,
    Catalog,
    CodeRecord,
    Confidence,
    Encounter,
    GuidanceLine,
    Modality,
    Payer,
    ProcedureEntry,
    ProcedureResult,
    Region,
    Resolution,
    Setting,
    Severity,
)

# The audit's modifier, place-of-service and unit checks read the same general rules as the engine
# (catalog.rules, resources/data/rules.yaml), so the two cannot drift apart.
IMAGING_MODALITIES: Final[tuple[Modality, ...]] = ("fluoroscopy", "ct", "ultrasound", "mri")


def _label(modality: Modality) -> str:
    """Modality as a word inside a sentence: fluoroscopy, CT, ultrasound, MR, no imaging."""
    text = MODALITY_LABELS[modality]
    return text if text.isupper() or modality == "mri" else text.lower()


# ---------------------------------------------------------------------------------------------------------
# Auditing encounters


def _line_text(ln: GuidanceLine) -> str:
    where = f" {ln.region}" if ln.region else ""
    return f"{ln.display}{where} (for {', '.join(ln.for_codes)})"


def _lines_text(lines: Iterable[GuidanceLine]) -> str:
    return "; ".join(_line_text(ln) for ln in lines)


def _min_conf(values: Iterable[Confidence]) -> Confidence:
    order: dict[Confidence, int] = {"low": 0, "medium": 1, "high": 2}
    vals = list(values)
    return min(vals, key=lambda c: order[c]) if vals else "high"


def _union(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for g in groups for s in g))


@dataclass(slots=True)
class _Ctx:
    """One encounter being audited: the claim lines, what was inferred, and the findings so far."""

    catalog: Catalog
    claim_id: str
    dos: date
    lines: list[ClaimLine]
    setting: Setting
    check_26: bool
    payer: Payer
    out: list[Finding]
    modality_note: str = ""

    def add(self, line: int, kind: str, message: str, *, billed: str = "", expected: str = "", reason: str = "",
            sources: Sequence[str] = (), confidence: Confidence | None = None, severity: Severity | None = None,
            modality: str | None = None) -> None:
        self.out.append(Finding(
            self.claim_id, line, severity or KINDS[kind].severity, kind, message, billed, expected, reason,
            tuple(sources), confidence, self.dos.isoformat(),
            self.modality_note if modality is None else modality))


def audit_encounter(catalog: Catalog, lines: Sequence[ClaimLine], default_payer: Payer,
                    out: list[Finding]) -> None:
    """Check one claim-and-date group of lines; append its findings to ``out``."""
    first = lines[0]
    pos_counts = Counter(ln.place_of_service for ln in lines)
    pos = pos_counts.most_common(1)[0][0]
    place = catalog.rules.setting_for(pos, first.date_of_service)
    setting = place.setting if place is not None else None
    payer = next((ln.payer for ln in lines if ln.payer is not None), default_payer)
    ctx = _Ctx(catalog, first.claim_id, first.date_of_service, list(lines), setting or "office",
               setting is not None, payer, out)
    if len(pos_counts) > 1:
        odd = next(ln for ln in lines if ln.place_of_service != pos)
        ctx.add(odd.line, "mixed_place_of_service",
                f"Lines of claim {ctx.claim_id} on {ctx.dos.isoformat()} name places of service "
                f"{', '.join(sorted(pos_counts))}; the claim was checked as POS {pos}, the most common.",
                billed=f"POS {odd.place_of_service}", expected=f"POS {pos}", modality="")
    if setting is None:
        known = [r for r in catalog.rules.places if r.in_force(ctx.dos)]
        covered = ", ".join(f"{'/'.join(r.codes)} {r.setting.replace('_', ' ')}" for r in known)
        ctx.add(first.line, "unsupported_place_of_service",
                f"Place of service {pos} is not one GuideCode's rules cover ({covered}): modifier 26 was not "
                "checked on this claim; the rest was.", billed=f"POS {pos}",
                reason=" ".join(r.reason for r in known), sources=_union(r.sources for r in known),
                confidence="high" if known else None, modality="")

    for ln in lines:  # a line takes 59 or an X modifier, never both (rules.yaml, distinct_modifier never_with)
        for rule in catalog.rules.distinct:
            clash = [m for m in rule.never_with if m in ln.modifiers]
            if rule.in_force(ctx.dos) and rule.modifier in ln.modifiers and clash:
                ctx.add(ln.line, "both_59_and_x",
                        f"{ln.code} carries both {rule.modifier} and {'/'.join(clash)}: use the one modifier that "
                        "applies (XS for a separate structure such as another spinal region, 59 for a payer that "
                        "takes no X modifiers), not both.", billed=ln.billed,
                        expected=f"{ln.code} with {rule.modifier} or {'/'.join(clash)}, not both",
                        reason=rule.reason, sources=rule.sources, confidence=rule.confidence, modality="")
                break

    if ctx.dos < catalog.covers_from:
        ctx.add(first.line, "date_out_of_range",
                f"Date of service {ctx.dos.isoformat()} is before {catalog.covers_from.isoformat()}, the earliest "
                "date GuideCode's data covers; this claim's guidance was not checked.", modality="")
        return
    if ctx.dos.year > catalog.code_set_year:
        ctx.add(first.line, "date_after_data",
                f"Date of service {ctx.dos.isoformat()} is after code-set year {catalog.code_set_year}, the last "
                "year GuideCode's data was checked against; the rules may have changed since.", modality="")

    procs: list[ClaimLine] = []
    guides: list[tuple[ClaimLine, CodeRecord]] = []
    for ln in lines:
        rec = catalog.get(ln.code)
        if rec is not None and rec.kind == "guidance" and rec.guidance is not None:
            guides.append((ln, rec))
        else:
            procs.append(ln)
    entries = tuple(ProcedureEntry(ln.code, ln.units, ln.modifiers) for ln in procs)

    by_modality: dict[Modality, list[tuple[ClaimLine, CodeRecord]]] = {}
    for ln, rec in guides:
        assert rec.guidance is not None
        by_modality.setdefault(rec.guidance.modality, []).append((ln, rec))

    if not by_modality:
        ctx.modality_note = "none (no guidance code billed)"
        res = _resolve(ctx, "none", entries)
        _procedure_findings(ctx, procs, res)
        _no_guidance_findings(ctx, procs, res)
        return

    first_res = True
    for modality, billed in by_modality.items():
        codes = ", ".join(dict.fromkeys(ln.code for ln, _ in billed))
        ctx.modality_note = f"{modality} (inferred from {codes} on the claim)"
        res = _resolve(ctx, modality, entries)
        res = _infer_regions(ctx, modality, entries, res, billed)
        if first_res:
            _procedure_findings(ctx, procs, res)
            first_res = False
        _guidance_findings(ctx, modality, procs, res, billed)


def _resolve(ctx: _Ctx, modality: Modality, entries: tuple[ProcedureEntry, ...]) -> Resolution:
    return resolve(ctx.catalog, Encounter(ctx.dos, ctx.setting, ctx.payer, modality, entries))


def _record_sources(rec: CodeRecord | None) -> tuple[tuple[str, ...], Confidence | None]:
    if rec is None or not rec.cautions:
        return (), None
    return _union(n.sources for n in rec.cautions), _min_conf(n.confidence for n in rec.cautions)


def _validity_finding(ctx: _Ctx, ln: ClaimLine, rec: CodeRecord | None, pr: ProcedureResult) -> None:
    """A code the engine refused on this date: unknown, deleted, or not yet valid."""
    if rec is None:
        ctx.add(ln.line, "unknown_code",
                f"{ln.code} is not in GuideCode's data, so it was not checked (the claim's other lines were).",
                billed=ln.billed, reason=pr.reason, sources=pr.sources, confidence=None, modality="")
        return
    srcs, conf = _record_sources(rec)
    if rec.valid_to is not None and ctx.dos > rec.valid_to:
        use = (f"; report {' or '.join(rec.replaced_by)} instead" if rec.replaced_by
               else "; it has no replacement code")
        ctx.add(ln.line, "deleted_code",
                f"{ln.code} was deleted: it was valid until {rec.valid_to.isoformat()}, before this date of "
                f"service{use}.", billed=ln.billed, expected=" or ".join(rec.replaced_by),
                reason=pr.reason, sources=srcs, confidence=conf or pr.confidence, modality="")
    else:
        ctx.add(ln.line, "code_not_yet_valid",
                f"{ln.code} was not valid yet on {ctx.dos.isoformat()}: {pr.reason}", billed=ln.billed,
                reason=pr.reason, sources=pr.sources or srcs, confidence=pr.confidence, modality="")


def _procedure_findings(ctx: _Ctx, procs: list[ClaimLine], res: Resolution) -> None:
    """Modality-independent findings for the procedure lines: validity and the data's cautions."""
    for pr in res.procedures:
        ln = procs[pr.index]
        rec = ctx.catalog.get(ln.code)
        if pr.state == "invalid":
            _validity_finding(ctx, ln, rec, pr)
        elif rec is not None:
            _caution_findings(ctx, ln, rec)


def _caution_findings(ctx: _Ctx, ln: ClaimLine, rec: CodeRecord) -> None:
    for note in rec.cautions:
        ctx.add(ln.line, "caution", f"{rec.code}: {note.text}", billed=ln.billed, reason=note.text,
                sources=note.sources, confidence=note.confidence, modality="")


def _no_guidance_findings(ctx: _Ctx, procs: list[ClaimLine], res: Resolution) -> None:
    """No guidance code billed, so no imaging is inferred; say where that assumption changes the answer."""
    for pr in res.procedures:
        if pr.state != "redirect":
            continue
        ln = procs[pr.index]
        rec = ctx.catalog.get(ln.code)
        with_imaging: list[Modality] = []
        for m in IMAGING_MODALITIES:
            policy = rec.policy_for(m, ctx.dos) if rec is not None else None
            if policy is not None and policy.state in ("included", "separate"):
                with_imaging.append(m)
        tail = (f" If {' or '.join(_label(m) for m in with_imaging)} was used (the claim "
                f"cannot show it), {ln.code} is right as billed." if with_imaging else "")
        ctx.add(ln.line, "modality_inferred",
                f"No guidance code is billed with {ln.code}, so no imaging is inferred; with no imaging the rules "
                f"say report {pr.redirect_to} instead.{tail} Check the procedure note.",
                billed=ln.billed, expected=pr.redirect_to or "", reason=pr.reason, sources=pr.sources,
                confidence=pr.confidence)


def _infer_regions(ctx: _Ctx, modality: Modality, entries: tuple[ProcedureEntry, ...], res: Resolution,
                   billed: list[tuple[ClaimLine, CodeRecord]]) -> Resolution:
    """For a per-region code (77003) billed for more units than the procedures' implied regions, tick the
    further regions the procedures can cover (each line at most its units) and resolve again."""
    wanted: dict[str, int] = {}
    for ln, rec in billed:
        unit = ctx.catalog.rules.units_for(rec.code, ctx.payer, ctx.dos)
        if unit is not None and unit.basis == "per_region" and rec.valid_on(ctx.dos):
            wanted[rec.code] = wanted.get(rec.code, 0) + ln.units
    new = list(entries)
    changed = False
    for gcode, units in wanted.items():
        have = sum(1 for gl in res.guidance_lines if gl.code == gcode)
        if units <= have:
            continue
        cands: dict[int, tuple[Region, ...]] = {}
        for pr in res.procedures:
            prec = ctx.catalog.get(pr.code)
            if pr.state == "separate" and pr.guidance_code == gcode and prec is not None and prec.regions:
                cands[pr.index] = prec.regions
        if not cands:
            continue
        order = sorted(cands, key=lambda i: (len(cands[i]), i))
        used: list[Region] = []
        assigned: dict[int, list[Region]] = {i: [] for i in cands}
        for i in order:
            pick = next((r for r in cands[i] if r not in used), cands[i][0])
            assigned[i].append(pick)
            if pick not in used:
                used.append(pick)
        grew = True
        while len(used) < units and grew:
            grew = False
            for i in order:
                if len(used) >= units:
                    break
                if len(assigned[i]) >= entries[i].units:
                    continue
                extra = next((r for r in cands[i] if r not in used), None)
                if extra is not None:
                    assigned[i].append(extra)
                    used.append(extra)
                    grew = True
        for i, regions in assigned.items():
            new[i] = replace(new[i], regions=tuple(regions))
        changed = True
    return _resolve(ctx, modality, tuple(new)) if changed else res


def _guidance_findings(ctx: _Ctx, modality: Modality, procs: list[ClaimLine], res: Resolution,
                       billed: list[tuple[ClaimLine, CodeRecord]]) -> None:
    cat = ctx.catalog
    label = _label(modality)
    expected_all = [gl for gl in res.guidance_lines]
    expected_text = _lines_text(expected_all) or "no guidance line"
    valid_procs = [pr for pr in res.procedures if pr.state != "invalid"]
    only_invalid = bool(res.procedures) and not valid_procs

    by_code: dict[str, list[ClaimLine]] = {}
    for ln, rec in billed:
        assert rec.guidance is not None
        _caution_findings(ctx, ln, rec)
        if not rec.valid_on(ctx.dos) or not rec.guidance.suggest:
            _refused_guidance(ctx, ln, rec, expected_text)
            continue
        by_code.setdefault(ln.code, []).append(ln)
    justified = any(gl.code in by_code for gl in res.guidance_lines)
    billed_codes = " + ".join(by_code) or " + ".join(dict.fromkeys(ln.code for ln, _ in billed))

    for pr in valid_procs:
        ln = procs[pr.index]
        if pr.state == "redirect":
            sev: Severity = "warning" if justified else "error"
            maybe = (f" (if {ln.code} was the procedure done under {label}; another procedure on the claim does "
                     "take the guidance line)" if justified else "")
            ctx.add(ln.line, "redirect_primary",
                    f"{ln.code} billed with {billed_codes} ({label}): the rules say report {pr.redirect_to} "
                    f"instead{maybe}.", billed=f"{ln.billed} + {billed_codes}", expected=pr.redirect_to or "",
                    reason=pr.reason, sources=pr.sources, confidence=pr.confidence, severity=sev)
        elif pr.state == "unconfirmed":
            cand = f" ({pr.guidance_code} is the candidate code)" if pr.guidance_code else ""
            ctx.add(ln.line, "unconfirmed",
                    f"{ln.code} with {label}: no confirmed rule{cand}; {billed_codes} is billed. Check the "
                    "payer's policy.", billed=f"{ln.billed} + {billed_codes}", expected=pr.guidance_code or "",
                    reason=pr.reason, sources=pr.sources, confidence=pr.confidence)

    for gcode, glines in by_code.items():
        grec = cat.get(gcode)
        assert grec is not None and grec.guidance is not None
        expected = [gl for gl in res.guidance_lines if gl.code == gcode]
        if expected:
            _check_units_and_modifiers(ctx, grec, glines, expected, res)
            continue
        for ln in glines:
            _explain_unsupported(ctx, ln, gcode, modality, procs, valid_procs, expected_text, only_invalid)


def _refused_guidance(ctx: _Ctx, ln: ClaimLine, rec: CodeRecord, expected_text: str) -> None:
    """A billed guidance code that is deleted, not yet valid, or never suggested (76000, 77001): the engine's
    verdict on that code alone gives the reason and sources."""
    res = resolve(ctx.catalog, Encounter(ctx.dos, ctx.setting, ctx.payer, "none", (ProcedureEntry(ln.code),)))
    pr = res.procedures[0]
    if pr.state == "invalid":
        _validity_finding(ctx, ln, rec, pr)
        return
    assert rec.guidance is not None
    kind = "integral_76000" if rec.code == "76000" else "not_guidance_for_procedure"
    ctx.add(ln.line, kind, f"{ln.code} billed: {rec.guidance.not_suggested_reason} What the rules give for this "
            f"claim: {expected_text}.", billed=ln.billed, expected=expected_text, reason=pr.reason,
            sources=pr.sources, confidence=pr.confidence)


def _explain_unsupported(ctx: _Ctx, ln: ClaimLine, gcode: str, modality: Modality, procs: list[ClaimLine],
                         valid: list[ProcedureResult], expected_text: str, only_invalid: bool) -> None:
    """A billed guidance line the engine gives no line for: say why, from the procedures' answers."""
    cat = ctx.catalog
    label = _label(modality)
    included = [pr for pr in valid if pr.state == "included"]
    wrong = [pr for pr in valid if pr.state == "separate" and pr.guidance_code and pr.guidance_code != gcode
             and gcode not in {a.code for a in pr.alternatives}]
    alt = [pr for pr in valid if pr.state in ("separate", "unconfirmed")
           and gcode in {a.code for a in pr.alternatives}]
    explained = False
    if included:
        names = ", ".join(pr.code for pr in included)
        ctx.add(ln.line, "guidance_included",
                f"{gcode} billed with {names}: {'its' if len(included) == 1 else 'their'} code already includes "
                f"{label} guidance, so {gcode} is not reported. " + " ".join(f"{pr.code}: {pr.reason}"
                                                                            for pr in included),
                billed=ln.billed, expected=f"no {gcode} (included in {names})",
                reason=included[0].reason, sources=_union(pr.sources for pr in included),
                confidence=_min_conf(pr.confidence for pr in included))
        explained = True
    if wrong:
        fluoro = all((r := cat.get(c)) is not None and r.guidance is not None and r.guidance.modality == "fluoroscopy"
                     for c in (gcode, *(pr.guidance_code or "" for pr in wrong)))
        names = ", ".join(f"{pr.guidance_code} for {pr.code}" for pr in wrong)
        ctx.add(ln.line, "wrong_fluoro_code" if fluoro else "unsupported_guidance",
                f"{gcode} billed, but the rules give {names}. " + " ".join(f"{pr.code}: {pr.reason}" for pr in wrong),
                billed=ln.billed, expected=expected_text, reason=wrong[0].reason,
                sources=_union(pr.sources for pr in wrong), confidence=_min_conf(pr.confidence for pr in wrong),
                severity="error" if fluoro else None)
        explained = True
    for pr in alt:
        a = next(a for a in pr.alternatives if a.code == gcode)
        preferred = pr.guidance_code or "no separate guidance code"
        ctx.add(ln.line, "conflicting_sources",
                f"{gcode} billed with {pr.code}: sources disagree. GuideCode's preferred answer is {preferred} "
                f"({', '.join(pr.sources)}, {pr.confidence}); {gcode} is the other answer ({', '.join(a.sources)}, "
                f"{a.confidence}): {a.reason}", billed=ln.billed, expected=preferred,
                reason=a.reason, sources=_union((pr.sources, a.sources)), confidence=a.confidence)
        explained = True
    if explained or only_invalid:
        return
    if any(pr.state in ("redirect", "unconfirmed") for pr in valid):
        return  # the procedure line's own finding says what to do
    if not valid:
        ctx.add(ln.line, "unsupported_guidance",
                f"{gcode} billed with no procedure on this claim and date for it to guide (is the procedure on "
                "another claim?).", billed=ln.billed, expected="a procedure line that takes guidance")
        return
    ctx.add(ln.line, "unsupported_guidance",
            f"{gcode} billed, but no procedure on the claim takes {label} guidance: "
            + " ".join(f"{pr.code}: {pr.reason}" for pr in valid), billed=ln.billed, expected=expected_text,
            reason=valid[0].reason, sources=_union(pr.sources for pr in valid),
            confidence=_min_conf(pr.confidence for pr in valid))


def _distinct_modifiers(ctx: _Ctx) -> frozenset[str]:
    """Every modifier a distinct-procedure rule in force names (59, XS)."""
    return frozenset(r.modifier for r in ctx.catalog.rules.distinct if r.in_force(ctx.dos))


def _check_units_and_modifiers(ctx: _Ctx, grec: CodeRecord, glines: list[ClaimLine], expected: list[GuidanceLine],
                               res: Resolution) -> None:
    code = grec.code
    rules = ctx.catalog.rules
    unit = rules.units_for(code, ctx.payer, ctx.dos)
    units = sum(ln.units for ln in glines)
    first = glines[0]
    lines_no = ", ".join(str(ln.line) for ln in glines)
    billed = "; ".join(ln.billed for ln in glines) + (f" (lines {lines_no})" if len(glines) > 1 else "")
    exp_text = _lines_text(expected)
    conf = _min_conf(gl.confidence for gl in expected)
    if unit is not None and unit.basis == "per_region":
        regions = [gl.region for gl in expected if gl.region]
        if units > len(expected):
            included = [pr.code for pr in res.procedures if pr.state == "included"]
            one = len(included) == 1
            inc = (f" ({', '.join(included)} include{'s' if one else ''} {'its' if one else 'their'} own "
                   f"guidance and justif{'ies' if one else 'y'} no unit.)" if included else "")
            where = ", ".join(regions) if regions else "an unnamed region"
            ctx.add(first.line, "per_level_units",
                    f"{code} billed \u00d7{units} but the claim's procedures justify {len(expected)} spinal "
                    f"region(s) ({where}): {code} is reported once per region, never per level.{inc}",
                    billed=billed, expected=exp_text, reason=unit.note, sources=unit.sources, confidence=conf)
        elif len(expected) > 1:
            distinct = rules.distinct_for(ctx.payer, ctx.dos)
            wanted = distinct.modifier if distinct is not None else ""
            known = _distinct_modifiers(ctx)
            ordered = sorted(glines, key=lambda ln: ln.line)
            multi = [ln for ln in ordered if ln.units > 1]
            lacking = [ln for ln in ordered if not known & set(ln.modifiers)]
            extra = expected[1]
            for ln in multi:
                ctx.add(ln.line, "missing_distinct_modifier",
                        f"{code} \u00d7{ln.units} on one line: each further spinal region goes on its own line of "
                        f"one unit with {wanted}.", billed=ln.billed,
                        expected=exp_text, reason=extra.reason, sources=extra.sources, confidence=extra.confidence)
            if not multi:
                for ln in lacking[1:]:
                    ctx.add(ln.line, "missing_distinct_modifier",
                            f"A further {code} line (another spinal region) has no {' or '.join(sorted(known))}.",
                            billed=ln.billed, expected=exp_text, reason=extra.reason, sources=extra.sources,
                            confidence=extra.confidence)
            for ln in ordered:
                other = [m for m in known & set(ln.modifiers) if m != wanted]
                if wanted and other and wanted not in ln.modifiers and distinct is not None:
                    ctx.add(ln.line, "distinct_modifier_choice",
                            f"The further {code} region carries {other[0]}; for this payer the rules give {wanted}.",
                            billed=ln.billed, expected="-".join((code, *(m for m in ln.modifiers if m not in known),
                                                                 wanted)),
                            reason=distinct.reason, sources=distinct.sources, confidence=distinct.confidence)
    elif unit is not None and unit.confirmed and (units > 1 or len(glines) > 1):
        ctx.add(first.line, "units_per_encounter",
                f"{code} billed \u00d7{units}: {unit.note}", billed=billed, expected=exp_text, reason=unit.reason,
                sources=unit.sources, confidence=unit.confidence)
    elif (units > 1 or len(glines) > 1) and (unit is None or not unit.confirmed):
        note = unit.note if unit is not None else "the data has no unit rule for this code and payer."
        ctx.add(first.line, "units_unconfirmed",
                f"{code} billed \u00d7{units}; GuideCode gives one line of one unit. The unit rule for several sites "
                f"is UNCONFIRMED: {note}", billed=billed, expected=exp_text, reason=note,
                sources=unit.sources if unit is not None else (), confidence="low")
    if ctx.check_26:
        _check_component(ctx, code, glines, expected, exp_text)


def _check_component(ctx: _Ctx, code: str, glines: list[ClaimLine], expected: list[GuidanceLine],
                     exp_text: str) -> None:
    """The setting's professional-component rule: 26 in a facility, none in the office."""
    rules = ctx.catalog.rules
    rule = rules.component(ctx.setting, ctx.dos)
    if rule is None:
        return
    pc_modifiers = {r.modifier for r in rules.components if r.modifier}
    for ln in glines:
        if rule.modifier is not None:
            if rule.modifier in expected[0].modifiers and rule.modifier not in ln.modifiers \
                    and "TC" not in ln.modifiers:
                ctx.add(ln.line, "missing_26",
                        f"{code} on a facility claim (POS {ln.place_of_service}) without modifier {rule.modifier}: "
                        "the physician reports the professional component only.", billed=ln.billed,
                        expected=exp_text, reason=rule.reason, sources=rule.sources, confidence=rule.confidence)
        elif pc_modifiers & set(ln.modifiers):
            mod = sorted(pc_modifiers & set(ln.modifiers))[0]
            ctx.add(ln.line, "unexpected_26",
                    f"{code} with modifier {mod} on an office claim (POS {ln.place_of_service}): an office that owns "
                    f"the equipment reports the code without {mod} (global). Keep {mod} only if the equipment is "
                    "not the practice's.", billed=ln.billed, expected=exp_text, reason=rule.reason,
                    sources=rule.sources, confidence=rule.confidence)


# ---------------------------------------------------------------------------------------------------------
# Whole files


def audit_lines(catalog: Catalog, lines: Sequence[ClaimLine], *, payer: Payer = "other",
                malformed: Sequence[Finding] = (), rows_read: int | None = None,
                progress: ProgressFn | None = None, progress_every: int = 1000,
                cancel: CancelFn | None = None) -> AuditReport:
    """Group lines into claim-and-date encounters (in file order) and audit each."""
    groups: dict[tuple[str, date], list[ClaimLine]] = {}
    for ln in lines:
        groups.setdefault((ln.claim_id, ln.date_of_service), []).append(ln)
    total = len(lines)
    findings: list[Finding] = list(malformed)
    done = 0
    next_report = progress_every
    reported = -1
    cancelled = False
    checked = 0
    for group in groups.values():
        if cancel is not None and cancel():
            cancelled = True
            break
        audit_encounter(catalog, group, payer, findings)
        checked += 1
        done += len(group)
        if progress is not None and done >= next_report:
            progress(done, total)
            reported = done
            next_report = (done // progress_every + 1) * progress_every
    if progress is not None and not cancelled and reported != total:
        progress(total, total)
    findings = _collapse_unknown(findings)
    findings.sort(key=lambda f: (f.line, SEVERITY_RANK[f.severity], f.kind))
    by_kind = Counter(f.kind for f in findings)
    by_sev = Counter(f.severity for f in findings)
    error_claims = {f.claim_id for f in findings if f.severity == "error"}
    summary = AuditSummary(
        claims_checked=len({cid for cid, _ in list(groups)[:checked]}),
        encounters_checked=checked,
        lines_read=rows_read if rows_read is not None else total + len(malformed),
        rows_skipped=len(malformed),
        findings=len(findings),
        by_kind={k: by_kind[k] for k in KINDS if by_kind[k]},
        by_severity={s: by_sev[s] for s in ("error", "warning", "info") if by_sev[s]},
        claims_with_errors=len(error_claims),
        payer_default=payer,
        data_version=catalog.version_label,
        cancelled=cancelled,
    )
    return AuditReport(tuple(findings), summary)


def _collapse_unknown(findings: list[Finding]) -> list[Finding]:
    """One ``unknown_code`` finding per distinct code, at its first line, with how often it occurs: a
    practice's file is full of office-visit and drug codes GuideCode has no data for, and one finding per
    line would bury the guidance errors."""
    seen: dict[str, list[Finding]] = {}
    rest: list[Finding] = []
    for f in findings:
        if f.kind == "unknown_code":
            seen.setdefault(re.split(r"[- ]", f.billed, maxsplit=1)[0], []).append(f)
        else:
            rest.append(f)
    for code, group in seen.items():
        first = min(group, key=lambda f: f.line)
        claims = len({f.claim_id for f in group})
        where = (f"{len(group)} lines on {claims} claim(s), first on line {first.line}" if len(group) > 1
                 else "1 line")
        rest.append(replace(first, message=(
            f"{code} is not in GuideCode's data, so it was not checked ({where}); the other lines of those "
            "claims were.")))
    return rest


def audit_text(catalog: Catalog, text: str, options: AuditOptions | None = None, *,
               progress: ProgressFn | None = None, progress_every: int = 1000,
               cancel: CancelFn | None = None) -> AuditReport:
    """Audit claims CSV text. Raises :class:`AuditInputError` if it cannot be audited at all."""
    opts = options or AuditOptions()
    lines, bad, read = read_claims(text, opts, cancel=cancel)
    if cancel is not None and cancel():
        lines = []
    report = audit_lines(catalog, lines, payer=opts.payer, malformed=bad, rows_read=read, progress=progress,
                         progress_every=progress_every, cancel=cancel)
    if cancel is not None and cancel() and not report.summary.cancelled:
        report = AuditReport(report.findings, replace(report.summary, cancelled=True))
    return report



def audit_file(catalog: Catalog, path: Path, options: AuditOptions | None = None, *, encoding: str = "utf-8-sig",
               progress: ProgressFn | None = None, progress_every: int = 1000,
               cancel: CancelFn | None = None) -> AuditReport:
    return audit_text(catalog, read_claims_file(path, encoding), options, progress=progress,
                      progress_every=progress_every, cancel=cancel)


