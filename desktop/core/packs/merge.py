"""Applying data packs to the data: new records, overrides field by field, guidance rules spliced by date."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from desktop.core.loader import Manifest, Problem, build_catalog, check_overlaps, check_references
from desktop.core.model import Catalog, CodeRecord, Modality, PackInfo, Policy, Source
from desktop.core.packs.folders import PACK_MANIFEST
from desktop.core.packs.reading import Pack, PackEntry, PackLabels, PackManifest

if TYPE_CHECKING:
    from desktop.core.ncci.model import NcciData

# Pack record key -> CodeRecord field it replaces in an override ("code" is the key itself, "notes" is
# an editor's comment that is not stored, "guidance" is spliced, not replaced).
OVERRIDE_FIELDS: dict[str, str] = {
    "kind": "kind", "name": "name", "terms": "terms", "area": "area", "spinal": "spinal",
    "regions": "regions", "add_on": "add_on", "bilateral": "bilateral", "valid_from": "valid_from",
    "valid_to": "valid_to", "replaced_by": "replaced_by", "cautions": "cautions",
    "guidance_code": "guidance", "covers_guidance": "covers_guidance", "family": "family",
}

_MIN, _MAX = date.min, date.max
_DAY = timedelta(days=1)

# ---------------------------------------------------------------------------------------------------------
# Merging


def _clip(policy: Policy, manifest: PackManifest) -> Policy:
    return replace(policy, start=policy.start or manifest.effective_from,
                   end=policy.end if policy.end is not None else manifest.effective_until)


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
        pieces: dict[tuple[date, date], list[Modality]] = {}
        for m in p.modalities:
            spans = [(p.start or _MIN, p.end or _MAX)]
            for cut in cuts.get(m, []):
                spans = _subtract(spans, cut)
            for span in spans:
                pieces.setdefault(span, []).append(m)
        for (s, e), mods in pieces.items():
            out.append(replace(p, modalities=tuple(mods), start=None if s == _MIN else s,
                               end=None if e == _MAX else e))
    out.extend(incoming)
    out.sort(key=lambda p: (p.start or _MIN, p.modalities))
    return tuple(out)


def _check_merged_record(rec: CodeRecord, problems: list[Problem]) -> None:
    """The record-level rules of the loader, again, for a record whose fields came from two places."""
    loc, code = rec.location, rec.code

    def problem(message: str) -> None:
        problems.append(Problem(loc.file, loc.line, code, message))

    if rec.kind == "guidance" and rec.guidance is None:
        problem("after this pack the record is of kind 'guidance' but has no 'guidance_code' section")
    if rec.kind != "guidance" and rec.guidance is not None:
        problem(f"after this pack the record is of kind {rec.kind!r} but keeps a 'guidance_code' section")
    if rec.kind == "guidance" and rec.policies:
        problem("after this pack the record is a guidance code but has guidance rules")
    if rec.regions and not rec.spinal:
        problem("after this pack the record has 'regions' but is not spinal (spinal: true)")
    if rec.valid_from and rec.valid_to and rec.valid_from > rec.valid_to:
        problem(f"after this pack valid_to {rec.valid_to} is before valid_from {rec.valid_from}")
    if rec.replaced_by and rec.valid_to is None:
        problem("after this pack 'replaced_by' has no 'valid_to'")
    check_overlaps(problems, loc.file, code, rec.policies)


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
    code_set_year: int
    applied: list[PackInfo] = field(default_factory=list)


def _apply_one(state: _State, pack: Pack) -> tuple[_State | None, list[Problem]]:
    problems: list[Problem] = []
    labels = PackLabels(pack.tag)
    sources = dict(state.sources)
    owners = dict(state.source_owner)
    for sid, src in pack.sources.items():
        if sid in sources:
            problems.append(Problem(labels("sources.yaml"), pack.source_lines.get(sid, 1), sid,
                                    f"source {sid} is already defined by {owners[sid]}; give this source "
                                    "another id"))
        else:
            sources[sid] = src
            owners[sid] = f"data pack {pack.manifest.name!r}"
    records = dict(state.records)
    for entry in pack.entries:
        incoming = tuple(_clip(p, pack.manifest) for p in entry.record.policies)
        base = records.get(entry.record.code)
        if base is None:
            merged = replace(entry.record, policies=incoming)
            if "name" not in entry.keys:
                loc = entry.record.location
                problems.append(Problem(loc.file, loc.line, entry.record.code,
                                        f"missing required key 'name': {entry.record.code} is a new code (only a "
                                        "record that overrides an existing code may leave the name out)"))
        else:
            merged = _override(base, entry, incoming, pack.manifest.name)
            _check_merged_record(merged, problems)
        records[merged.code] = merged
    check_references(list(records.values()), sources, problems)
    for version in pack.ncci.versions if pack.ncci is not None else ():
        if version.source not in sources:
            at = version.source_at
            problems.append(Problem(at.file if at else labels("ncci/tables.yaml"), at.line if at else 1, "",
                                    f"source {version.source!r} is not in sources.yaml"))
    if problems:
        return None, problems
    # A pack of NCCI tables only does not make the data checked against a later CPT code set.
    year = max(state.code_set_year, pack.manifest.code_set_year) if pack.entries else state.code_set_year
    return _State(records, sources, owners, year, [*state.applied, pack.manifest.info]), problems


def _start_state(base: Catalog) -> _State:
    return _State(dict(base.by_code), dict(base.sources), dict.fromkeys(base.sources, "the built-in data"),
                  base.code_set_year)


def _catalog(base: Catalog, state: _State) -> Catalog:
    if not state.applied:
        return base
    manifest = Manifest(base.data_version, state.code_set_year, base.covers_from, "")
    builtin = [p for p in base.packs if p.builtin] or [PackInfo("GuideCode built-in data", base.data_version,
                                                                base.code_set_year, True)]
    return build_catalog(manifest, state.sources, list(state.records.values()), [*builtin, *state.applied])


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
        new_state, problems = _apply_one(state, pack)
        if new_state is None:
            skipped[pack.tag] = problems
            continue
        state = new_state
        names[pack.manifest.name.casefold()] = pack
    return _catalog(base, state), skipped


def merged_ncci(base: NcciData, packs: Sequence[Pack], skipped: Collection[str]) -> NcciData:
    """``base`` (the built-in NCCI tables) with the tables of every pack that was applied (not in
    ``skipped``, by tag), in the order packs apply: a pack's table replaces the one of the same kind,
    content and quarter (docs/ncci.md)."""
    from desktop.core.ncci.data import merge_ncci

    applied = [p.ncci for p in sorted(packs, key=_order_key) if p.tag not in skipped and p.ncci is not None]
    return merge_ncci(base, applied)
