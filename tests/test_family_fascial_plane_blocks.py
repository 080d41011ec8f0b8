"""Family fascial-plane-blocks (issue 14): the CPT 2025 thoracic and lower-extremity fascial plane blocks.
One encounter through the engine and the same one in the window; every new lay term finds its code first.
Expected answers from docs/fact-base/fascial-plane-blocks.md."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry
from desktop.core.search import SearchIndex
from tests.family_story import chips, procedure_card, type_and_add

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

DOS = date(2025, 6, 2)
FAMILY = "fascial-plane-blocks"
CODES = ("64466", "64467", "64468", "64469", "64473", "64474")


def test_engine_esp_block_under_ultrasound_in_the_hospital_bills_no_guidance(catalog: Catalog) -> None:
    enc = Encounter(DOS, setting="hospital_outpatient", payer="medicare", modality="ultrasound",
                    procedures=(ProcedureEntry("64466"),))
    res = resolve(catalog, enc)
    assert res.guidance_lines == ()  # no 76942-26: the block includes its imaging guidance
    (result,) = res.procedures
    assert (result.state, result.confidence) == ("included", "medium")
    assert "S313" in result.sources
    assert not res.has_errors


def test_engine_the_codes_start_in_2025(catalog: Catalog) -> None:
    for code in CODES:
        res = resolve(catalog, Encounter(date(2024, 12, 31), modality="ultrasound", procedures=(ProcedureEntry(code),)))
        assert res.procedures[0].state == "invalid", code
        assert res.has_errors
        ok = resolve(catalog, Encounter(date(2025, 1, 1), modality="ultrasound", procedures=(ProcedureEntry(code),)))
        assert ok.procedures[0].state == "included", code


def test_window_story_esp_block_for_rib_fractures(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_payer("medicare")
    w.set_setting("hospital_outpatient")
    w.set_modality("ultrasound")
    type_and_add(qtbot, w, "ESP block")
    assert [r.code for r in w.editor.enc_model.rows()] == ["64466"]
    assert w.displayed_lines() == []
    card = procedure_card(w, "64466")
    assert card.headline.text().startswith("Guidance included in 64466")
    assert "76942" in card.headline.text()
    assert "S313" in chips(card)
    assert card.badge.text() == "MEDIUM"


@pytest.mark.parametrize(("query", "code"), [
    ("ESP block", "64466"),
    ("erector spinae plane block", "64466"),
    ("PECS block", "64466"),
    ("serratus anterior plane block", "64466"),
    ("rib fracture block", "64466"),
    ("ESP catheter", "64467"),
    ("bilateral ESP block", "64468"),
    ("bilateral ESP catheter", "64469"),
    ("fascia iliaca block", "64473"),
    ("lower extremity fascial plane block", "64473"),
    ("fascia iliaca catheter", "64474"),
])
def test_lay_terms_find_their_code_first(catalog: Catalog, query: str, code: str) -> None:
    assert SearchIndex(catalog.records).search_records(query, DOS)[0].code == code


def test_every_term_of_the_family_finds_a_record_carrying_it_first(catalog: Catalog) -> None:
    index = SearchIndex(catalog.records)
    recs = [r for r in catalog.records if r.family == FAMILY]
    assert sorted(r.code for r in recs) == list(CODES)
    for rec in recs:
        for term in rec.terms:
            first = index.search_records(term, DOS)[0]
            owners = sorted(r.code for r in catalog.records if term.casefold() in (t.casefold() for t in r.terms))
            assert first.code == owners[0], (term, first.code, owners)
