"""Checking claims against the rules: one claim-and-date encounter at a time, through the engine."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from desktop.core.audit.claims import ClaimLine, images_of
from desktop.core.audit.context import AuditContext, bounded, lines_text, min_conf, union
from desktop.core.audit.context import label as modality_label
from desktop.core.audit.findings import Finding
from desktop.core.audit.ncci import (
    included_citation,
    mue_note,
    ncci_findings,
    procedure_bundled,
    tables_for,
    withheld_by_edit,
)
from desktop.core.engine import resolve
from desktop.core.model import (
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
    Severity,
)

# The audit's modifier, place-of-service and unit checks read the same general rules as the engine
# (catalog.rules, resources/data/rules.yaml), so the two cannot drift apart.
IMAGING_MODALITIES: Final[tuple[Modality, ...]] = ("fluoroscopy", "ct", "ultrasound", "mri")


# ---------------------------------------------------------------------------------------------------------
# Auditing encounters


def audit_encounter(catalog: Catalog, lines: Sequence[ClaimLine], default_payer: Payer,
                    out: list[Finding]) -> None:
    """Check one claim-and-date group of lines; append its findings to ``out``."""
    first = lines[0]
    pos_counts = Counter(ln.place_of_service for ln in lines)
    pos = pos_counts.most_common(1)[0][0]
    place = catalog.rules.setting_for(pos, first.date_of_service)
    setting = place.setting if place is not None else None
    payer = next((ln.payer for ln in lines if ln.payer is not None), default_payer)
    tables, ncci_label = tables_for(catalog, first.date_of_service)
    ctx = AuditContext(catalog, first.claim_id, first.date_of_service, list(lines), setting or "office",
                       setting is not None, payer, out, images=images_of(lines), tables=tables,
                       ncci_label=ncci_label)
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
                reason=" ".join(r.reason for r in known), sources=union(r.sources for r in known),
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
        ctx.modality_note = ""
        ncci_findings(ctx)
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
    ctx.modality_note = ""
    ncci_findings(ctx)


def _resolve(ctx: AuditContext, modality: Modality, entries: tuple[ProcedureEntry, ...]) -> Resolution:
    return resolve(ctx.catalog, Encounter(ctx.dos, ctx.setting, ctx.payer, modality, entries, ctx.images))


def _record_sources(rec: CodeRecord | None) -> tuple[tuple[str, ...], Confidence | None]:
    if rec is None or not rec.cautions:
        return (), None
    return union(n.sources for n in rec.cautions), min_conf(n.confidence for n in rec.cautions)


def _validity_finding(ctx: AuditContext, ln: ClaimLine, rec: CodeRecord | None, pr: ProcedureResult) -> None:
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


def _procedure_findings(ctx: AuditContext, procs: list[ClaimLine], res: Resolution) -> None:
    """Modality-independent findings for the procedure lines: validity and the data's cautions. The lines valid
    on the date are kept for the NCCI checks."""
    for pr in res.procedures:
        ln = procs[pr.index]
        rec = ctx.catalog.get(ln.code)
        if pr.state == "invalid":
            _validity_finding(ctx, ln, rec, pr)
        elif rec is not None:
            ctx.valid_procs.append(ln)
            _caution_findings(ctx, ln, rec)


def _caution_findings(ctx: AuditContext, ln: ClaimLine, rec: CodeRecord) -> None:
    for note in rec.cautions:
        ctx.add(ln.line, "caution", f"{rec.code}: {note.text}", billed=ln.billed, reason=note.text,
                sources=note.sources, confidence=note.confidence, modality="")


def _no_guidance_findings(ctx: AuditContext, procs: list[ClaimLine], res: Resolution) -> None:
    """No guidance code billed, so no imaging is inferred; say where that assumption changes the answer. A code
    that includes ultrasound guidance (20611) is right as billed when the claim says its images were recorded,
    and not supported when it says they were not (rules.yaml documentation)."""
    for pr in res.procedures:
        if pr.state != "redirect":
            continue
        ln = procs[pr.index]
        rec = ctx.catalog.get(ln.code)
        if rec is not None and ctx.images is not None and _includes_ultrasound(ctx, rec) and (
                ctx.images or _images_missing_included(ctx, ln, rec, pr.redirect_to or "")):
            continue  # images recorded: ultrasound was used and the code stands; not recorded: the finding says so
        with_imaging: list[Modality] = []
        for m in IMAGING_MODALITIES:
            policy = rec.policy_for(m, ctx.dos) if rec is not None else None
            if policy is not None and policy.state in ("included", "separate"):
                with_imaging.append(m)
        tail = (f" If {' or '.join(modality_label(m) for m in with_imaging)} was used (the claim "
                f"cannot show it), {ln.code} is right as billed." if with_imaging else "")
        ctx.add(ln.line, "modality_inferred",
                f"No guidance code is billed with {ln.code}, so no imaging is inferred; with no imaging the rules "
                f"say report {pr.redirect_to} instead.{tail} Check the procedure note.",
                # the inferred code stays in ``expected`` for the folded summary, which shows it as "no
                # imaging: 62322" in its text and leaves "Rules say" empty (an inference, not a correction)
                billed=ln.billed, expected=pr.redirect_to or "", reason=pr.reason, sources=pr.sources,
                confidence=pr.confidence)


def _infer_regions(ctx: AuditContext, modality: Modality, entries: tuple[ProcedureEntry, ...], res: Resolution,
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


def _guidance_findings(ctx: AuditContext, modality: Modality, procs: list[ClaimLine], res: Resolution,
                       billed: list[tuple[ClaimLine, CodeRecord]]) -> None:
    cat = ctx.catalog
    label = modality_label(modality)
    expected_all = [gl for gl in res.guidance_lines]
    expected_text = lines_text(expected_all) or "no guidance line"
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

    for gcode, glines in by_code.items():
        if any(gl.code == gcode for gl in res.guidance_lines):
            ctx.guide_lines[gcode] = glines
            ctx.expected.setdefault(gcode, set()).update(
                c for gl in res.guidance_lines if gl.code == gcode for c in gl.for_codes)

    for pr in valid_procs:
        ln = procs[pr.index]
        prec = cat.get(ln.code)
        if (pr.state == "redirect" and ctx.images is False and prec is not None and _includes_ultrasound(ctx, prec)
                and modality == "ultrasound"
                and _images_missing_included(ctx, ln, prec, pr.redirect_to or "", billed_codes)):
            continue
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
                    "payer's policy.", billed=f"{ln.billed} + {billed_codes}", expected="",
                    reason=pr.reason, sources=pr.sources, confidence=pr.confidence)

    for gcode, glines in by_code.items():
        grec = cat.get(gcode)
        assert grec is not None and grec.guidance is not None
        expected = [gl for gl in res.guidance_lines if gl.code == gcode]
        if expected:
            _check_units_and_modifiers(ctx, grec, glines, expected, res)
            _images_unstated(ctx, modality, glines)
            continue
        if valid_procs and _images_missing_guidance(ctx, modality, gcode, glines):
            continue
        if withheld_by_edit(ctx, gcode, glines, res, by_code):
            continue
        _explain_unsupported(ctx, glines, gcode, modality, valid_procs, expected_text, only_invalid)


# ---------------------------------------------------------------------------------------------------------
# Documentation: the claim's images column (rules.yaml documentation)


def _includes_ultrasound(ctx: AuditContext, rec: CodeRecord) -> bool:
    policy = rec.policy_for("ultrasound", ctx.dos)
    return policy is not None and policy.state == "included"


def _images_missing_included(ctx: AuditContext, ln: ClaimLine, rec: CodeRecord, twin: str,
                             billed_with: str = "") -> bool:
    """A code that includes ultrasound guidance (20611) on a claim that says the images were not recorded: the
    documentation rule's code without imaging. True if a finding was given."""
    rule = ctx.catalog.rules.documentation_for("ultrasound", "no", "included", ctx.dos)
    if rule is None or rule.action != "twin" or not twin:
        return False
    with_text = f" (billed with {billed_with})" if billed_with else ""
    none_policy = rec.policy_for("none", ctx.dos)
    ctx.add(ln.line, "images_not_recorded",
            f"{ln.code}{with_text} includes ultrasound guidance, but the claim says the images were not recorded: "
            f"{rule.note} Report {twin}.", billed=ln.billed, expected=twin, reason=rule.reason,
            sources=union((rule.sources, none_policy.sources if none_policy is not None else ())),
            confidence=rule.confidence, modality="ultrasound (the code includes it)")
    return True


def _images_missing_guidance(ctx: AuditContext, modality: Modality, gcode: str, glines: Sequence[ClaimLine]) -> bool:
    """A guidance line (76942) on a claim that says the images were not recorded, where the documentation rule
    withholds it. True if findings were given."""
    if ctx.images is not False:
        return False
    rule = ctx.catalog.rules.documentation_for(modality, "no", "guidance_line", ctx.dos)
    if rule is None or rule.action != "withhold":
        return False
    for ln in glines:
        ctx.add(ln.line, "images_not_recorded",
                f"{gcode} billed, but the claim says the images were not recorded: {rule.note}", billed=ln.billed,
                expected=f"no {gcode}", reason=rule.reason, sources=rule.sources, confidence=rule.confidence)
    return True


def _images_unstated(ctx: AuditContext, modality: Modality, glines: Sequence[ClaimLine]) -> None:
    """A guidance line the rules give, whose imaging needs recorded images, on a claim that does not say whether
    they were recorded: the documentation rule's note (folded into one line per audit)."""
    if ctx.images is not None:
        return
    rule = ctx.catalog.rules.documentation_for(modality, "unstated", "guidance_line", ctx.dos)
    if rule is None or rule.action not in ("note", "warn"):
        return
    ln = glines[0]
    ctx.add(ln.line, "images_not_stated", f"{ln.code}: {rule.note}", billed=ln.billed, reason=rule.reason,
            sources=rule.sources, confidence=rule.confidence)


def _refused_guidance(ctx: AuditContext, ln: ClaimLine, rec: CodeRecord, expected_text: str) -> None:
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


def _explain_unsupported(ctx: AuditContext, lns: Sequence[ClaimLine], gcode: str, modality: Modality,
                         valid: list[ProcedureResult], expected_text: str, only_invalid: bool) -> None:
    """Billed guidance lines (of one code) the engine gives no line for: say why, from the procedures' answers.
    The explanation is worked out once for the code and given to each of its lines (linear in the claim's
    lines, however many there are)."""
    cat = ctx.catalog
    label = modality_label(modality)
    included = [pr for pr in valid if pr.state == "included"]
    wrong = [pr for pr in valid if pr.state == "separate" and pr.guidance_code and pr.guidance_code != gcode
             and gcode not in {a.code for a in pr.alternatives}]
    alt = list({pr.code: pr for pr in valid if pr.state in ("separate", "unconfirmed")
                and gcode in {a.code for a in pr.alternatives}}.values())  # one per procedure code
    specs: list[tuple[str, str, dict[str, object]]] = []
    if included:
        names = bounded((pr.code for pr in included), ", ")
        own = [pr for pr in included if not procedure_bundled(ctx, pr)]
        by_edit = [pr for pr in included if procedure_bundled(ctx, pr)]
        lead: list[str] = []
        if own:
            own_names = bounded((pr.code for pr in own), ", ")
            lead.append(f"{gcode} billed with {own_names}: {'its' if len(own) == 1 else 'their'} code already "
                        f"includes {label} guidance, so {gcode} is not reported.")
        if by_edit:  # the engine withheld the line for the edit (the procedure's own rule gives it separately)
            edit_names = bounded((pr.code for pr in by_edit), ", ")
            lead.append(f"{gcode} billed with {edit_names}, the procedure it guides: NCCI bundles {gcode} into "
                        f"{edit_names}, so it is not billed with {'it' if len(by_edit) == 1 else 'them'}. "
                        + bounded((pr.reason for pr in by_edit), " "))
        cited, cited_sources, cited_reason = included_citation(ctx, gcode, [pr.code for pr in own])
        if cited:
            lead.append(cited)
        specs.append(("guidance_included",
                      " ".join(lead) + " " + bounded((f"{pr.code}: {pr.reason}" for pr in own), " "),
                      {"expected": f"no {gcode} (included in {names})",
                       "reason": " ".join(r for r in (included[0].reason, cited_reason) if r),
                       "sources": union((*(pr.sources for pr in included), cited_sources)),
                       "confidence": min_conf(pr.confidence for pr in included)}))
    if wrong:
        fluoro = all((r := cat.get(c)) is not None and r.guidance is not None and r.guidance.modality == "fluoroscopy"
                     for c in dict.fromkeys((gcode, *(pr.guidance_code or "" for pr in wrong))))
        names = bounded((f"{pr.guidance_code} for {pr.code}" for pr in wrong), ", ")
        specs.append(("wrong_fluoro_code" if fluoro else "unsupported_guidance",
                      f"{gcode} billed, but the rules give {names}. "
                      + bounded((f"{pr.code}: {pr.reason}" for pr in wrong), " "),
                      {"expected": expected_text, "reason": wrong[0].reason,
                       "sources": union(pr.sources for pr in wrong),
                       "confidence": min_conf(pr.confidence for pr in wrong),
                       "severity": "error" if fluoro else None}))
    for pr in alt:
        a = next(a for a in pr.alternatives if a.code == gcode)
        preferred = pr.guidance_code or "no separate guidance code"
        specs.append(("conflicting_sources",
                      f"{gcode} billed with {pr.code}: sources disagree. GuideCode's preferred answer is {preferred} "
                      f"({', '.join(pr.sources)}, {pr.confidence}); {gcode} is the other answer "
                      f"({', '.join(a.sources)}, {a.confidence}): {a.reason}",
                      {"expected": preferred, "reason": a.reason, "sources": union((pr.sources, a.sources)),
                       "confidence": a.confidence}))
    if not specs and not only_invalid and not any(pr.state in ("redirect", "unconfirmed") for pr in valid):
        # (a redirect or unconfirmed procedure line's own finding says what to do)
        if not valid:
            specs.append(("unsupported_guidance",
                          f"{gcode} billed with no procedure on this claim and date for it to guide (is the "
                          "procedure on another claim?).", {"expected": "a procedure line that takes guidance"}))
        else:
            specs.append(("unsupported_guidance",
                          f"{gcode} billed, but no procedure on the claim takes {label} guidance: "
                          + bounded((f"{pr.code}: {pr.reason}" for pr in valid), " "),
                          {"expected": expected_text, "reason": valid[0].reason,
                           "sources": union(pr.sources for pr in valid),
                           "confidence": min_conf(pr.confidence for pr in valid)}))
    for ln in lns:
        for kind, message, extra in specs:
            ctx.add(ln.line, kind, message, billed=ln.billed, **extra)  # type: ignore[arg-type]


def _distinct_modifiers(ctx: AuditContext) -> frozenset[str]:
    """Every modifier a distinct-procedure rule in force names (59, XS)."""
    return frozenset(r.modifier for r in ctx.catalog.rules.distinct if r.in_force(ctx.dos))


def _check_units_and_modifiers(ctx: AuditContext, grec: CodeRecord, glines: list[ClaimLine],
                               expected: list[GuidanceLine], res: Resolution) -> None:
    code = grec.code
    rules = ctx.catalog.rules
    unit = rules.units_for(code, ctx.payer, ctx.dos)
    units = sum(ln.units for ln in glines)
    first = glines[0]
    lines_no = bounded((str(ln.line) for ln in glines), ", ")
    billed = bounded(ln.billed for ln in glines) + (f" (lines {lines_no})" if len(glines) > 1 else "")
    exp_text = lines_text(expected)
    conf = min_conf(gl.confidence for gl in expected)
    mue_text, mue_sources = mue_note(ctx, code)  # named in a unit finding (then not given as an MUE finding)
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
                    f"region(s) ({where}): {code} is reported once per region, never per level.{inc}{mue_text}",
                    billed=billed, expected=exp_text, reason=unit.note, sources=union((unit.sources, mue_sources)),
                    confidence=conf)
            ctx.unit_flagged.add(code)
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
                f"{code} billed \u00d7{units}: {unit.note}{mue_text}", billed=billed, expected=exp_text,
                reason=unit.reason, sources=union((unit.sources, mue_sources)), confidence=unit.confidence)
        ctx.unit_flagged.add(code)
    elif (units > 1 or len(glines) > 1) and (unit is None or not unit.confirmed):
        note = unit.note if unit is not None else "the data has no unit rule for this code and payer."
        ctx.add(first.line, "units_unconfirmed",
                f"{code} billed \u00d7{units}; GuideCode gives one line of one unit. The unit rule for several sites "
                f"is UNCONFIRMED: {note}{mue_text}", billed=billed, expected=exp_text, reason=note,
                sources=union((unit.sources if unit is not None else (), mue_sources)), confidence="low")
        ctx.unit_flagged.add(code)
    if ctx.check_26:
        _check_component(ctx, code, glines, expected, exp_text)


def _check_component(ctx: AuditContext, code: str, glines: list[ClaimLine], expected: list[GuidanceLine],
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
