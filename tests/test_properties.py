"""Property-based tests (hypothesis) over the rules engine and the data-pack splice.

Any encounter built from the catalog's codes, the modalities, regions, settings, payers and dates resolves
without an exception, and these invariants hold on the built-in data and on the data with the sample
pack applied:

- no guidance line for a procedure whose policy is ``included`` (every code a line serves has a
  ``separate`` answer, and a procedure whose rule says ``included`` is answered ``included``);
- 77003 units never exceed the number of distinct spinal regions (one unit when none is known);
- modifier 26 is present on a line iff the setting is a facility (and the code has a PC/TC split);
- never both 59 and XS on a line;
- lines are guidance codes with at least one unit; the answer is deterministic and names the packs.

Each engine property runs ``EXAMPLES`` (600) examples; run with ``--hypothesis-show-statistics`` to see
the counts.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.core.data import load_builtin
from desktop.core.engine import resolve
from desktop.core.invariants import overlap_problems
from desktop.core.model import (
    LATERALITIES,
    MODALITIES,
    PAYERS,
    REGIONS,
    SETTINGS,
    Catalog,
    Encounter,
    Location,
    Modality,
    Policy,
    ProcedureEntry,
    Region,
)
from desktop.core.packs import merge as pack_merge
from desktop.core.packs import report as pack_report

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "packs" / "example-payer-notes"
EXAMPLES = 600
MODIFIERS = ("50", "RT", "LT", "59", "XS", "26", "TC", "76", "GA")
PROFILE = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def builtin() -> Catalog:
    return load_builtin()


@cache
def with_sample() -> Catalog:
    report = pack_report.load_report(SAMPLE, builtin())
    catalog, problems = report.catalog, report.problems
    assert problems == ()
    assert len(catalog.packs) == 2
    return catalog


@st.composite
def encounters(draw: st.DrawFn, catalog: Catalog) -> Encounter:
    codes = sorted(catalog.by_code)
    entries = []
    for _ in range(draw(st.integers(0, 6))):
        entries.append(ProcedureEntry(
            code=draw(st.sampled_from(codes)),
            units=draw(st.integers(1, 4)),
            modifiers=tuple(draw(st.lists(st.sampled_from(MODIFIERS), max_size=3, unique=True))),
            modality=draw(st.none() | st.sampled_from(MODALITIES)),
            regions=tuple(draw(st.lists(st.sampled_from(REGIONS), max_size=4, unique=True))),
            laterality=draw(st.none() | st.sampled_from(LATERALITIES)),
        ))
    return Encounter(
        date_of_service=draw(st.dates(min_value=date(2005, 1, 1), max_value=date(2028, 12, 31))),
        setting=draw(st.sampled_from(SETTINGS)),
        payer=draw(st.sampled_from(PAYERS)),
        modality=draw(st.sampled_from(MODALITIES)),
        procedures=tuple(entries),
    )


def check_invariants(catalog: Catalog, enc: Encounter) -> None:
    res = resolve(catalog, enc)
    assert res == resolve(catalog, enc), "the answer must not depend on anything but its input"
    assert res.packs == catalog.packs
    assert len(res.procedures) == len(enc.procedures)
    component = catalog.rules.component(enc.setting, enc.date_of_service)
    facility_modifier = component.modifier if component is not None else None
    dos = enc.date_of_service

    separate = {p.code for p in res.procedures if p.state == "separate"}
    for line in res.guidance_lines:
        grec = catalog.get(line.code)
        assert grec is not None and grec.kind == "guidance" and grec.guidance is not None
        assert line.units >= 1
        assert set(line.for_codes) <= separate, f"{line.display} serves a procedure that is not 'separate'"
        assert not {"59", "XS"} <= set(line.modifiers), f"{line.display} has both 59 and XS"
        wants_26 = facility_modifier is not None and grec.guidance.pc_tc_split
        assert (facility_modifier in line.modifiers) == wants_26 if facility_modifier else "26" not in line.modifiers


    for entry, result in zip(enc.procedures, res.procedures, strict=True):
        rec = catalog.get(entry.code)
        if rec is None or rec.kind != "procedure" or dos < catalog.covers_from or not rec.valid_on(dos):
            continue
        policy = rec.policy_for(entry.modality or enc.modality, dos)
        if policy is not None and policy.state == "included":
            assert result.state == "included", f"{entry.code}: the rule says included, the answer {result.state}"

    regions: set[Region] = set()
    for entry in enc.procedures:
        rec = catalog.get(entry.code)
        regions.update(entry.regions)
        if rec is not None and rec.regions:
            regions.add(rec.regions[0])
    lines_77003 = [ln for ln in res.guidance_lines if ln.code == "77003"]
    assert sum(ln.units for ln in lines_77003) <= max(1, len(regions))
    named = [ln.region for ln in lines_77003 if ln.region is not None]
    assert len(named) == len(set(named)), "a spinal region is counted twice"


@PROFILE
@given(st.data())
def test_engine_invariants_on_the_built_in_data(data: st.DataObject) -> None:
    check_invariants(builtin(), data.draw(encounters(builtin())))


@PROFILE
@given(st.data())
def test_engine_invariants_with_the_sample_pack(data: st.DataObject) -> None:
    check_invariants(with_sample(), data.draw(encounters(with_sample())))


@PROFILE
@given(st.data())
def test_engine_invariants_on_facility_multi_region_spine(data: st.DataObject) -> None:
    """Aimed at 77003 and the 26/59/XS rules: only spinal codes, several regions, facility settings."""
    catalog = builtin()
    spinal = sorted(r.code for r in catalog.records if r.spinal and r.kind == "procedure")
    entries = tuple(
        ProcedureEntry(code=data.draw(st.sampled_from(spinal)),
                       regions=tuple(data.draw(st.lists(st.sampled_from(REGIONS), max_size=4, unique=True))),
                       modality=data.draw(st.none() | st.just("fluoroscopy")))
        for _ in range(data.draw(st.integers(1, 8))))
    enc = Encounter(data.draw(st.dates(min_value=date(2007, 1, 1), max_value=date(2027, 12, 31))),
                    setting=data.draw(st.sampled_from(SETTINGS)), payer=data.draw(st.sampled_from(PAYERS)),
                    modality="fluoroscopy", procedures=entries)
    check_invariants(catalog, enc)


# ---------------------------------------------------------------------------------------------------------
# The splice behind pack overrides: a pack rule wins exactly where it applies, the rest is unchanged.

DAY0 = date(2020, 1, 1)


@st.composite
def rule_sets(draw: st.DrawFn, tag: str, gaps: bool) -> list[Policy]:
    """Non-overlapping rules: modalities split into groups, each group's dates cut into consecutive spans."""
    group_of = {m: draw(st.integers(0, 2)) for m in MODALITIES}
    out: list[Policy] = []
    for g in range(3):
        mods: tuple[Modality, ...] = tuple(m for m in MODALITIES if group_of[m] == g)
        if not mods:
            continue
        cuts = sorted(set(draw(st.lists(st.integers(1, 400), max_size=4))))
        bounds: list[date | None] = [None, *(DAY0 + timedelta(days=c) for c in cuts), None]
        for i in range(len(bounds) - 1):
            if gaps and draw(st.booleans()):
                continue
            start = bounds[i]
            nxt = bounds[i + 1]
            end = nxt - timedelta(days=1) if nxt is not None else None
            out.append(Policy(modalities=mods, start=start, end=end, state="included", reason=f"{tag}{g}.{i}",
                              sources=("S1",), confidence="high", location=Location(tag, len(out) + 1)))
    return out


@PROFILE
@given(st.data())
def test_splice_lets_the_pack_rule_win_exactly_where_it_applies(data: st.DataObject) -> None:
    existing = data.draw(rule_sets("old", gaps=False))
    incoming = data.draw(rule_sets("new", gaps=True))
    merged = pack_merge.splice_policies(existing, incoming)
    assert overlap_problems(merged, "X") == []
    probes = {DAY0 + timedelta(days=d) for d in range(-2, 403)} | {date.min, date.max}
    for m in MODALITIES:
        for day in probes:
            want = next((p for p in incoming if p.applies(m, day)), None) or next(
                (p for p in existing if p.applies(m, day)), None)
            got = [p for p in merged if p.applies(m, day)]
            assert len(got) <= 1
            assert (got[0].reason if got else None) == (want.reason if want else None), (m, day)
