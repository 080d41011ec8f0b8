"""Invariants over every shipped record (issue 2, item 3: "a test loads every shipped record and checks
the invariants"). The loader already refuses malformed data; these are the rules a coder relies on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from desktop.core.model import MODALITIES, PAYERS, Catalog, CodeRecord

GUIDED = [m for m in MODALITIES if m != "none"]


def procedures(catalog: Catalog) -> list[CodeRecord]:
    return [r for r in catalog.records if r.kind == "procedure"]


def lifetime(catalog: Catalog, rec: CodeRecord) -> tuple[date, date]:
    start = max(rec.valid_from or catalog.covers_from, catalog.covers_from)
    end = min(rec.valid_to or date(catalog.code_set_year, 12, 31), date(catalog.code_set_year, 12, 31))
    return start, end


def boundaries(catalog: Catalog, rec: CodeRecord) -> list[date]:
    """Every day on which some rule of the record starts or the day after one ends, within its lifetime."""
    start, end = lifetime(catalog, rec)
    days = {start, end}
    for p in rec.policies:
        if p.start:
            days.add(p.start)
        if p.end:
            days.add(p.end)
            days.add(p.end + timedelta(days=1))
    return sorted(d for d in days if start <= d <= end)


def test_enough_codes_are_shipped(catalog: Catalog) -> None:
    assert len(catalog.records) >= 80
    kinds = {r.kind for r in catalog.records}
    assert kinds == {"procedure", "guidance", "imaging"}


def test_every_guidance_code_of_the_issue_exists(catalog: Catalog) -> None:
    for code in ("77001", "77002", "77003", "77012", "77021", "76942", "76000"):
        rec = catalog.get(code)
        assert rec is not None and rec.kind == "guidance" and rec.guidance is not None, code
    assert catalog.by_code["77001"].guidance.suggest is False  # type: ignore[union-attr]
    assert catalog.by_code["76000"].guidance.suggest is False  # type: ignore[union-attr]
    when = date(2025, 6, 1)
    other = catalog.rules.units_for("77003", "other", when)
    medicare = catalog.rules.units_for("77003", "medicare", when)
    assert other is not None and other.basis == "per_region"
    assert medicare is not None and medicare.basis == "per_encounter" and medicare.confirmed


def test_every_guidance_code_has_a_unit_rule_for_every_payer_on_every_day(catalog: Catalog) -> None:
    """rules.yaml units: no guidance code and payer is left without a rule (the engine would warn)."""
    days = [date(y, m, 1) for y in range(2007, catalog.code_set_year + 1) for m in (1, 7)]
    for rec in catalog.records:
        if rec.kind != "guidance":
            continue
        for payer in PAYERS:
            missing = [d for d in days if rec.valid_on(d) and catalog.rules.units_for(rec.code, payer, d) is None]
            assert missing == [], f"{rec.code} {payer}: no unit rule on {missing[:3]}"


def test_every_rule_cites_a_known_source_and_a_confidence(catalog: Catalog) -> None:
    for rec in catalog.records:
        for p in rec.policies:
            assert p.sources, f"{rec.code} at {p.location}"
            assert all(s in catalog.sources for s in p.sources)
            assert p.confidence in ("high", "medium", "low")
            assert p.reason.endswith((".", ")")), f"{rec.code} at {p.location}: reason is one sentence"


def test_names_and_reasons_are_short_plain_words(catalog: Catalog) -> None:
    for rec in catalog.records:
        assert 5 <= len(rec.name) <= 120, f"{rec.code}: name length {len(rec.name)}"
        for p in rec.policies:
            assert len(p.reason) <= 400, f"{rec.code} at {p.location}: reason too long for one sentence"


def test_procedures_have_search_terms(catalog: Catalog) -> None:
    missing = [r.code for r in procedures(catalog) if r.valid_to is None and not r.terms]
    assert missing == []


@pytest.mark.parametrize("modality", GUIDED)
def test_every_current_procedure_has_a_rule_for_every_modality_on_every_day(catalog: Catalog,
                                                                            modality: str) -> None:
    """No silent gaps: each day of a procedure's lifetime has exactly one rule per modality (checked on
    every boundary day, which is where a gap or an overlap would show)."""
    gaps = []
    for rec in procedures(catalog):
        for day in boundaries(catalog, rec):
            hits = [p for p in rec.policies if p.applies(modality, day)]  # type: ignore[arg-type]
            if len(hits) != 1:
                gaps.append(f"{rec.code} {modality} {day}: {len(hits)} rules")
    assert gaps == []


def test_77003_procedures_are_spinal_with_regions(catalog: Catalog) -> None:
    for rec in procedures(catalog):
        for p in rec.policies:
            codes = {p.code, *(a.code for a in p.alternatives)}
            if "77003" in codes and p.state == "separate":
                assert rec.spinal and rec.regions, f"{rec.code}: 77003 needs spinal regions"


def test_guidance_and_redirect_targets_are_valid_when_the_rule_applies(catalog: Catalog) -> None:
    for rec in procedures(catalog):
        start, end = lifetime(catalog, rec)
        for p in rec.policies:
            first = max(p.start or start, start)
            last = min(p.end or end, end)
            if first > last:
                continue
            for target in (p.code, p.redirect_to):
                if target is None:
                    continue
                t = catalog.by_code[target]
                assert t.valid_on(first) and t.valid_on(last), (
                    f"{rec.code} rule at {p.location} points to {target}, not valid {first}..{last}")


def test_redirects_point_to_a_different_procedure(catalog: Catalog) -> None:
    for rec in procedures(catalog):
        for p in rec.policies:
            if p.state == "redirect":
                assert catalog.by_code[p.redirect_to or ""].kind == "procedure"


def test_deleted_codes_name_replacements_or_say_there_is_none(catalog: Catalog) -> None:
    for rec in catalog.records:
        if rec.valid_to is not None and not rec.replaced_by:
            assert rec.cautions or rec.kind != "procedure" or rec.valid_to.year < 2020 or rec.code in {
                "64402", "64410", "64413"}, rec.code


def test_the_deleted_codes_of_the_fact_base_are_known_as_deleted(catalog: Catalog) -> None:
    expected = {"76001": 2019, "71023": 2018, "71034": 2018, "73542": 2012, "62310": 2017, "62311": 2017,
                "62318": 2017, "62319": 2017, "64470": 2010, "64472": 2010, "64475": 2010, "64476": 2010,
                "64622": 2012, "64623": 2012, "64626": 2012, "64627": 2012,
                # Corrections (docs/fact-base/core.md): every NCCI edit of 72275 ends 2021-12-31; 27370 2018.
                "72275": 2022, "27370": 2019}
    for code, first_invalid_year in expected.items():
        rec = catalog.get(code)
        assert rec is not None, code
        assert rec.valid_to == date(first_invalid_year - 1, 12, 31), code
    assert catalog.by_code["72275"].dates_sources and catalog.by_code["72275"].dates_confidence == "high"


def test_the_new_codes_of_the_corrections_start_on_their_dates(catalog: Catalog) -> None:
    """Corrections (docs/fact-base/core.md): 64461-64463 from CPT 2016, 64486-64489 from CPT 2015."""
    for codes, first in ((("64461", "64462", "64463"), date(2016, 1, 1)),
                         (("64486", "64487", "64488", "64489"), date(2015, 1, 1))):
        for code in codes:
            rec = catalog.by_code[code]
            assert rec.valid_from == first and rec.dates_sources, code
            assert not rec.valid_on(first - timedelta(days=1)) and rec.valid_on(first), code


def test_si_codes_cover_existing_injections(catalog: Catalog) -> None:
    covering = {r.code: r.covers_guidance for r in catalog.records if r.covers_guidance}
    for code in ("73040", "73085", "73115", "73525", "73580", "73615", "72285", "72295"):
        assert code in covering, code
    assert catalog.get("73222") is not None and catalog.by_code["73222"].covers_guidance is None


def test_every_validity_date_cites_its_source(catalog: Catalog) -> None:
    """A code's start or deletion date is a rule too: the error a coder sees for a deleted or not-yet-valid
    code must say where that date comes from."""
    missing = [r.code for r in catalog.records if (r.valid_from or r.valid_to) and not r.dates_sources]
    assert missing == []
