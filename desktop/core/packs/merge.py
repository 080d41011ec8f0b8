"""Applying data packs to the data: new records, overrides field by field, guidance rules spliced by date,
general rules replaced by id over the pack's dates, and the same checks as the loader on the result
(:mod:`desktop.core.invariants`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from desktop.core import invariants
from desktop.core.loader import Problem, build_catalog
from desktop.core.model import (
    Catalog,
    CodeRecord,
    Manifest,
    Modality,
    PackInfo,
    Policy,
    Rule,
    RuleBook,
    RuleSet,
    Source,
)
from desktop.core.ncci.model import NcciData
from desktop.core.packs.folders import PACK_MANIFEST
from desktop.core.packs.reading import Pack, PackEntry, PackLabels, PackManifest
from desktop.core.schema import override_fields

if TYPE_CHECKING:
    from desktop.core.ncci.model import NcciData

# Pack record key -> CodeRecord field it replaces in an override; derived from the schema ("code" is the
# key itself, "guidance" is spliced by modality and date, not replaced).
OVERRIDE_FIELDS: dict[str, str] = {k: v for k, v in override_fields(CodeRecord).items() if k != "guidance"}

_MIN, _MAX = date.min, date.max
_DAY = timedelta(days=1)
_Dated = TypeVar("_Dated", Policy, Rule)


def _clip(item: _Dated, manifest: PackManifest) -> _Dated | None:
    """A pack's rule limited to the pack's effective dates (None if none of its days is in them)."""
    start = max(item.start or manifest.effective_from, manifest.effective_from)
    ends = [d for d in (item.end, manifest.effective_until) if d is not None]
    end = min(ends) if ends else None
    if end is not None and end < start:
        return None
    return replace(item, start=start, end=end)


def _subtract(spans: list[tuple[date, date]], cut: tuple[date, date]) -> list[tuple[date, date]]:
    a, b = cut
    out: list[tuple[date, date]] = []
    for s, e in spans:
        if b < s or a > e:
            out.append((s, e))
            continue
        if a > s:
            out.append((s, a - _DAY))
        if b < e:
            out.append((b + _DAY, e))
    return out


def _pieces(item: _Dated, cuts: list[tuple[date, date]]) -> list[_Dated]:
    """``item`` with the date ranges ``cuts`` taken out: nothing, itself, shortened, or split in two."""
    spans = [(item.start or _MIN, item.end or _MAX)]
    for cut in cuts:
        spans = _subtract(spans, cut)
    return [replace(item, start=None if s == _MIN else s, end=None if e == _MAX else e) for s, e in spans]


def splice_policies(existing: Sequence[Policy], incoming: Sequence[Policy]) -> tuple[Policy, ...]:
    """``existing`` rules with every (modality, date range) of ``incoming`` cut out, then ``incoming``.

    An existing rule for several modalities is split by modality where only some are cut; a rule whose
    range is cut in the middle becomes two rules. Dates are whole days, both ends inclusive.
    """
    cuts: dict[Modality, list[tuple[date, date]]] = {}
    for p in incoming:
        for m in p.modalities:
            cuts.setdefault(m, []).append((p.start or _MIN, p.end or _MAX))
    out: list[Policy] = []
    for p in existing:
        by_span: dict[tuple[date | None, date | None], list[Modality]] = {}
        for m in p.modalities:
            for piece in _pieces(p, cuts.get(m, [])):
                by_span.setdefault((piece.start, piece.end), []).append(m)
        for (s, e), mods in by_span.items():
            out.append(replace(p, modalities=tuple(mods), start=s, end=e))
    out.extend(incoming)
    out.sort(key=lambda p: (p.start or _MIN, p.modalities))
    return tuple(out)


def splice_rules(existing: RuleBook, incoming: RuleBook) -> RuleBook:
    """``existing`` with each incoming rule in place of the rule of the same id over the incoming rule's
    dates (the existing rule keeps its other days); incoming rules with new ids are added."""
    out: dict[str, tuple[Rule, ...]] = {}
    new_sections = incoming.sections()
    for name, rules in existing.sections().items():
        arriving = new_sections.get(name, ())
        cuts: dict[str, list[tuple[date, date]]] = {}
        for r in arriving:
            cuts.setdefault(r.id, []).append((r.start or _MIN, r.end or _MAX))
        kept = [piece for r in rules for piece in _pieces(r, cuts.get(r.id, []))]
        out[name] = (*kept, *arriving)
    return RuleBook.from_sections(out)


def _override(base: CodeRecord, entry: PackEntry, incoming: tuple[Policy, ...], origin: str) -> CodeRecord:
    changes: dict[str, Any] = {OVERRIDE_FIELDS[k]: getattr(entry.record, OVERRIDE_FIELDS[k])
                               for k in entry.keys if k in OVERRIDE_FIELDS}
    return replace(base, **changes, policies=splice_policies(base.policies, incoming),
                   location=entry.record.location, origin=origin)


@dataclass(slots=True)
class _State:
    """The merged data while packs are applied one after another."""

    records: dict[str, CodeRecord]
    sources: dict[str, Source]
    source_owner: dict[str, str]
    rules: RuleBook
    rule_sets: dict[str, RuleSet]
    ncci: NcciData
    applied: list[PackInfo] = field(default_factory=list)


def _clipped(items: Sequence[_Dated], manifest: PackManifest, origin: str,
             tag: Callable[[_Dated, str], _Dated]) -> tuple[_Dated, ...]:
    out: list[_Dated] = []
    for item in items:
        clipped = _clip(item, manifest)
        if clipped is not None:
            out.append(tag(clipped, origin))
    return tuple(out)


def _apply_one(state: _State, pack: Pack, covers_from: date) -> tuple[_State | None, list[Problem]]:
    problems: list[Problem] = []
    labels = PackLabels(pack.tag)
    origin = pack.manifest.name
    sources = dict(state.sources)
    owners = dict(state.source_owner)
    for sid, src in pack.sources.items():
        if sid in sources:
            problems.append(Problem(labels("sources.yaml"), pack.source_lines.get(sid, 1), sid,
                                    f"source {sid} is already defined by {owners[sid]}; give this source "
                                    "another id"))
        else:
            sources[sid] = src
            owners[sid] = f"data pack {origin!r}"
    records = dict(state.records)
    for entry in pack.entries:
        incoming = _clipped(entry.record.policies, pack.manifest, origin, lambda p, o: replace(p, origin=o))
        base = records.get(entry.record.code)
        if base is None:
            merged = replace(entry.record, policies=incoming)
            if "name" not in entry.keys:
                loc = entry.record.location
                problems.append(Problem(loc.file, loc.line, entry.record.code,
                                        f"missing required key 'name': {entry.record.code} is a new code (only a "
                                        "record that overrides an existing code may leave the name out)"))
        else:
            merged = _override(base, entry, incoming, origin)
            problems.extend(invariants.record_problems(merged, invariants.at_location(merged.location)))
        records[merged.code] = merged
    pack_rules = RuleBook.from_sections({
        name: _clipped(rules, pack.manifest, origin, lambda r, o: replace(r, origin=o))
        for name, rules in pack.rules.sections().items()})
    rules = splice_rules(state.rules, pack_rules)
    problems.extend(invariants.catalog_problems(list(records.values()), sources, rules, covers_from))
    for version in pack.ncci.versions:
        if version.source not in sources:
            at = version.source_at
            problems.append(Problem(at.file if at else labels("ncci/tables.yaml"), at.line if at else 1, "",
                                    f"source {version.source!r} is not in sources.yaml"))
    if problems:
        return None, problems
    return _State(records, sources, owners, rules, {**state.rule_sets, **pack.rule_sets},
                  state.ncci.merged(pack.ncci), [*state.applied, pack.manifest.info]), problems


def _start_state(base: Catalog) -> _State:
    return _State(dict(base.by_code), dict(base.sources), dict.fromkeys(base.sources, "the built-in data"),
                  base.rules, dict(base.rule_sets), base.ncci)


def _catalog(base: Catalog, state: _State) -> Catalog:
    if not state.applied:
        return base
    manifest = Manifest(data_version=base.data_version, code_set_year=base.code_set_year,
                        covers_from=base.covers_from)
    builtin = [p for p in base.packs if p.builtin] or [PackInfo("GuideCode built-in data", base.data_version,
                                                                base.code_set_year, True)]
    return build_catalog(manifest, state.sources, list(state.records.values()), [*builtin, *state.applied],
                         rules=state.rules, rule_sets=state.rule_sets, ncci=state.ncci)


def _order_key(pack: Pack) -> tuple[date, str, str]:
    return pack.manifest.effective_from, pack.manifest.name.casefold(), pack.folder.name


def apply_packs(base: Catalog, packs: Sequence[Pack]) -> tuple[Catalog, dict[str, list[Problem]]]:
    """Apply ``packs`` to ``base`` in order (effective.from, name). Returns the merged catalog and, for
    every skipped pack (by tag), its problems. Pack problems keep their internal labels."""
    state = _start_state(base)
    skipped: dict[str, list[Problem]] = {}
    names: dict[str, Pack] = {}
    for pack in sorted(packs, key=_order_key):
        other = names.get(pack.manifest.name.casefold())
        if other is not None:
            skipped[pack.tag] = [Problem(f"{pack.tag}/{PACK_MANIFEST}", 1, "name",
                                         f"another pack is already named {pack.manifest.name!r} "
                                         f"(folder {other.folder.name}); only one is used")]
            continue
        new_state, problems = _apply_one(state, pack, base.covers_from)
        if new_state is None:
            skipped[pack.tag] = problems
            continue
        state = new_state
        names[pack.manifest.name.casefold()] = pack
    return _catalog(base, state), skipped
