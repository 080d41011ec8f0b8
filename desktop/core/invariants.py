"""The rules the data must keep beyond its types, applied alike to the built-in data and to the data after
every data pack (:mod:`desktop.core.packs.merge`): one module, so a pack can never get past a check the
loader makes.

Two levels:

- :func:`policy_problems` and :func:`record_problems`: one record on its own (its keys agree with each
  other, its rules do not overlap);
- :func:`catalog_problems`: the whole data (no code twice; every referenced code, rule set and source
  exists and fits; a rule's target code is valid on every date the rule covers; the general rules of
  rules.yaml name guidance codes and do not overlap).

Each problem is a :class:`~desktop.core.problems.Problem`; where a problem is about a key, ``where(key)``
gives its file and line (the loader knows the key's own line; a merged record only its own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import date, timedelta
from typing import Any

from desktop.core.model import (
    CodeRecord,
    Location,
    Policy,
    Rule,
    RuleBook,
    Source,
)
from desktop.core.problems import Problem

Where = Callable[[str | None], tuple[str, int]]
_DAY = timedelta(days=1)


def at_location(loc: Location) -> Where:
    """Every key of a record reported at the record's own line (for data merged from packs)."""
    return lambda _key: (loc.file, loc.line)


def _span(start: date | None, end: date | None) -> str:
    return f"{start or 'start'}..{end or 'open'}"


def policy_problems(p: Policy, where: Where, entry: str) -> list[Problem]:
    """One guidance rule's keys against each other."""
    out: list[Problem] = []

    def bad(key: str | None, message: str) -> None:
        file, line = where(key)
        out.append(Problem(file, line, entry, message))

    if p.start and p.end and p.start > p.end:
        bad("until", f"date range ends ({p.end}) before it starts ({p.start})")
    if p.state == "separate" and p.code is None:
        bad(None, "state 'separate' needs 'code': the guidance code that is reported")
    if p.state == "redirect" and p.redirect_to is None:
        bad(None, "state 'redirect' needs 'redirect_to': the code to report instead")
    if p.state != "redirect" and p.redirect_to is not None:
        bad("redirect_to", "'redirect_to' is only for state 'redirect'")
    if p.state in ("included", "none_used", "redirect", "not_applicable") and p.code is not None:
        bad("code", f"'code' does not go with state {p.state!r}")
    if p.alternatives and p.state not in ("separate", "unconfirmed"):
        bad("alternatives", "'alternatives' are only for state 'separate' or 'unconfirmed'")
    if "none" in p.modalities and p.state in ("separate", "included"):
        bad("modality", f"modality 'none' cannot be {p.state!r}: no imaging means no guidance")
    return out


def record_problems(rec: CodeRecord, where: Where) -> list[Problem]:
    """One record's keys against each other, and its rules' dates against each other."""
    out: list[Problem] = []
    code = rec.code

    def bad(key: str | None, message: str) -> None:
        file, line = where(key)
        out.append(Problem(file, line, code, message))

    if rec.kind == "guidance" and rec.guidance is None:
        bad("kind", "a record of kind 'guidance' needs a 'guidance_code' section")
    if rec.kind != "guidance" and rec.guidance is not None:
        bad("guidance_code", "'guidance_code' is only for records of kind 'guidance'")
    if rec.kind == "guidance" and rec.policies:
        bad("guidance", "a guidance code has no guidance rules of its own")
    if rec.guidance is not None and not rec.guidance.suggest and not rec.guidance.not_suggested_reason:
        bad("guidance_code", "a code with 'suggest: false' needs 'not_suggested_reason'")
    if rec.regions and not rec.spinal:
        bad("regions", "'regions' is only for spinal codes (spinal: true)")
    if rec.valid_from and rec.valid_to and rec.valid_from > rec.valid_to:
        bad("valid_to", f"valid_to {rec.valid_to} is before valid_from {rec.valid_from}")
    if rec.replaced_by and rec.valid_to is None:
        bad("replaced_by", "'replaced_by' needs 'valid_to': the last day the code was valid")
    if rec.dates_sources and rec.valid_from is None and rec.valid_to is None:
        bad("dates_sources", "'dates_sources' cites the valid_from/valid_to dates, but there are none")
    if code in rec.replaced_by:
        bad("replaced_by", f"{code} cannot replace itself")
    if rec.covers_guidance is not None and not rec.covers_guidance.injections:
        bad("covers_guidance", "'injections' must list at least one code")
    for dated in rec.names:
        if dated.start and dated.end and dated.start > dated.end:
            bad("names", f"a name's dates end ({dated.end}) before they start ({dated.start})")
    out.extend(overlap_problems(rec.policies, code))
    return out


def overlap_problems(policies: Sequence[Policy], entry: str) -> list[Problem]:
    """Two rules of one record that share a modality and overlap in dates: reported at the second one."""
    out: list[Problem] = []
    lo, hi = date.min, date.max
    for i, a in enumerate(policies):
        for b in policies[i + 1:]:
            shared = set(a.modalities) & set(b.modalities)
            if not shared:
                continue
            if (a.start or lo) <= (b.end or hi) and (b.start or lo) <= (a.end or hi):
                other = f"line {a.location.line}" if a.location.file == b.location.file else str(a.location)
                if a.rule_set:
                    other += f" (rule set {a.rule_set})"
                out.append(Problem(
                    b.location.file, b.location.line, entry,
                    f"guidance rules for {', '.join(sorted(shared))} overlap in dates with the rule at "
                    f"{other} ({_span(a.start, a.end)} and {_span(b.start, b.end)})",
                ))
    return out


# ---------------------------------------------------------------------------------------------------------
# The whole data


def catalog_problems(records: Sequence[CodeRecord], sources: Mapping[str, Source], rules: RuleBook,
                     covers_from: date, broken: frozenset[str] = frozenset()) -> list[Problem]:
    """Every cross-reference of the whole data. ``broken``: codes whose records were already refused, so
    that references to them are not reported a second time."""
    out: list[Problem] = []
    by_code: dict[str, CodeRecord] = {}
    for rec in records:
        if rec.code in by_code:
            first = by_code[rec.code].location
            out.append(Problem(rec.location.file, rec.location.line, rec.code,
                               f"code {rec.code} is defined twice (first at {first})"))
        else:
            by_code[rec.code] = rec
    placeholders = frozenset(s.id for s in sources.values() if s.placeholder)

    def need_sources(loc: Location, entry: str, ids: Iterable[str], confidence: str | None = None) -> None:
        cited = tuple(ids)
        for sid in cited:
            if sid not in sources:
                out.append(Problem(loc.file, loc.line, entry, f"source {sid!r} is not in sources.yaml"))
        if confidence == "high" and cited and all(s in placeholders for s in cited):
            out.append(Problem(loc.file, loc.line, entry, "confidence 'high' needs a real source: "
                               f"{', '.join(cited)} means that no source was found"))

    def missing(code: str) -> bool:
        return code not in by_code and code not in broken

    for rec in records:
        loc = rec.location
        for other in rec.replaced_by:
            if missing(other):
                out.append(Problem(loc.file, loc.line, rec.code, f"replaced_by names {other}, which has no record"))
        need_sources(loc, rec.code, rec.dates_sources, rec.dates_confidence)
        need_sources(loc, rec.code, rec.bilateral_sources)
        for dated in rec.names:
            need_sources(loc, rec.code, dated.sources)
        for note in rec.cautions:
            need_sources(loc, rec.code, note.sources, note.confidence)
        if rec.guidance is not None:
            need_sources(loc, rec.code, rec.guidance.not_suggested_sources)
        if rec.covers_guidance is not None:
            need_sources(loc, rec.code, rec.covers_guidance.sources, rec.covers_guidance.confidence)
            for inj in rec.covers_guidance.injections:
                if missing(inj):
                    out.append(Problem(loc.file, loc.line, rec.code,
                                       f"covers_guidance names {inj}, which has no record"))
        for policy in rec.policies:
            need_sources(policy.location, rec.code, policy.sources, policy.confidence)
            for alt in policy.alternatives:
                need_sources(policy.location, rec.code, alt.sources, alt.confidence)
            _policy_references(rec, policy, by_code, broken, covers_from, out)
    for rule in rules.all_rules():
        need_sources(rule.location, rule.id, rule.sources, rule.confidence)
    out.extend(rule_problems(rules, by_code, broken))
    return out


def _policy_references(rec: CodeRecord, policy: Policy, by_code: Mapping[str, CodeRecord], broken: frozenset[str],
                       covers_from: date, out: list[Problem]) -> None:
    ploc = policy.location
    span = _effective_span(rec, policy, covers_from)
    for ref in [policy.code, *(a.code for a in policy.alternatives)]:
        if ref is None:
            continue
        target = by_code.get(ref)
        if target is None:
            if ref not in broken:
                out.append(Problem(ploc.file, ploc.line, rec.code, f"guidance rule names {ref}, which has no record"))
        elif target.kind != "guidance":
            out.append(Problem(ploc.file, ploc.line, rec.code,
                               f"guidance rule names {ref}, which is not a guidance code"))
        elif target.guidance is not None and target.guidance.modality not in policy.modalities:
            out.append(Problem(ploc.file, ploc.line, rec.code,
                               f"{ref} is a {target.guidance.modality} code but the rule is for "
                               f"{', '.join(policy.modalities)}"))
        elif ref == policy.code and span is not None:
            _valid_over(rec.code, ref, target, span, ploc, out)
    if policy.redirect_to is not None:
        target = by_code.get(policy.redirect_to)
        if target is None:
            if policy.redirect_to not in broken:
                out.append(Problem(ploc.file, ploc.line, rec.code,
                                   f"redirect_to names {policy.redirect_to}, which has no record"))
        elif policy.redirect_to == rec.code:
            out.append(Problem(ploc.file, ploc.line, rec.code, "a code cannot redirect to itself"))
        elif target.kind != "procedure":
            out.append(Problem(ploc.file, ploc.line, rec.code,
                               f"redirect_to names {policy.redirect_to}, which is not a procedure code"))
        elif span is not None:
            _valid_over(rec.code, policy.redirect_to, target, span, ploc, out)


def _effective_span(rec: CodeRecord, policy: Policy, covers_from: date) -> tuple[date, date | None] | None:
    """The days a rule can answer for: its own dates within the record's validity (None: no such day)."""
    start = max(d for d in (policy.start, rec.valid_from, covers_from) if d is not None)
    ends = [d for d in (policy.end, rec.valid_to) if d is not None]
    end = min(ends) if ends else None
    if end is not None and end < start:
        return None
    return start, end


def _valid_over(code: str, ref: str, target: CodeRecord, span: tuple[date, date | None], loc: Location,
                out: list[Problem]) -> None:
    start, end = span
    if target.valid_from is not None and start < target.valid_from:
        out.append(Problem(loc.file, loc.line, code, f"the rule answers {ref} from {start}, but {ref} is valid only "
                           f"from {target.valid_from}"))
    if target.valid_to is not None and (end is None or end > target.valid_to):
        until = f"until {end}" if end is not None else "with no end date"
        out.append(Problem(loc.file, loc.line, code, f"the rule answers {ref} {until}, but {ref} was deleted after "
                           f"{target.valid_to}"))


def rule_problems(rules: RuleBook, by_code: Mapping[str, CodeRecord], broken: frozenset[str] = frozenset()
                  ) -> list[Problem]:
    """rules.yaml on its own and against the records: dates, codes, and no two rules of a section that
    match the same case on the same day."""
    out: list[Problem] = []
    for rule in rules.all_rules():
        if rule.start and rule.end and rule.start > rule.end:
            out.append(Problem(rule.location.file, rule.location.line, rule.id,
                               f"the rule's dates end ({rule.end}) before they start ({rule.start})"))
    for rule in rules.units:
        for code in rule.codes:
            rec = by_code.get(code)
            if rec is None and code not in broken:
                out.append(Problem(rule.location.file, rule.location.line, rule.id,
                                   f"names {code}, which has no record"))
            elif rec is not None and rec.kind != "guidance":
                out.append(Problem(rule.location.file, rule.location.line, rule.id,
                                   f"names {code}, which is not a guidance code"))
    seen_ids: dict[str, list[Rule]] = {}
    lo, hi = date.min, date.max
    # One id may hold several date ranges (a pack replaced part of it), but never two rules on one day.
    for rule in rules.all_rules():
        for first in seen_ids.get(rule.id, []):
            if (first.start or lo) <= (rule.end or hi) and (rule.start or lo) <= (first.end or hi):
                out.append(Problem(rule.location.file, rule.location.line, rule.id,
                                   f"rule id {rule.id!r} is used twice (first at {first.location})"))
                break
        seen_ids.setdefault(rule.id, []).append(rule)
    for section_rules in rules.sections().values():
        out.extend(_rule_overlaps(section_rules))
    return out


def _conditions(rule: Rule) -> dict[str, frozenset[Any]]:
    names = type(rule).CONDITIONS
    return {f.name: frozenset(getattr(rule, f.name)) for f in fields(rule) if f.name in names}


def _rule_overlaps(section: Sequence[Rule]) -> list[Problem]:
    out: list[Problem] = []
    lo, hi = date.min, date.max
    for i, a in enumerate(section):
        ca = _conditions(a)
        for b in section[i + 1:]:
            if not ((a.start or lo) <= (b.end or hi) and (b.start or lo) <= (a.end or hi)):
                continue
            cb = _conditions(b)
            if all(not ca[k] or not cb[k] or ca[k] & cb[k] for k in ca):
                out.append(Problem(b.location.file, b.location.line, b.id,
                                   f"matches the same cases as rule {a.id!r} at {a.location} on the same days "
                                   f"({_span(a.start, a.end)} and {_span(b.start, b.end)}); narrow one of them"))
    return out
