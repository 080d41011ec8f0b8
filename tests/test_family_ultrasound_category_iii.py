"""Family ultrasound-category-iii (issue 14): the ultrasound transforaminal epidurals 0228T-0231T and the
ultrasound facet injections 0213T-0218T. One encounter through the engine and the same one in the window;
every new lay term finds its code first. Expected answers from docs/fact-base/ultrasound-category-iii.md."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry
from desktop.core.search import SearchIndex
from tests.family_story import chips, message_texts, procedure_card, type_and_add

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

DOS = date(2025, 3, 3)
FAMILY = "ultrasound-category-iii"


def test_engine_lumbar_tfesi_under_ultrasound_for_medicare_is_included_and_warns(catalog: Catalog) -> None:
    enc = Encounter(DOS, setting="office", payer="medicare", modality="ultrasound",
                    procedures=(ProcedureEntry("0230T"), ProcedureEntry("0231T")))
    res = resolve(catalog, enc)
    assert res.guidance_lines == ()  # no 76942: the codes are defined with ultrasound (S303)
    assert [(p.code, p.state) for p in res.procedures] == [("0230T", "included"), ("0231T", "included")]
    assert all("S303" in p.sources for p in res.procedures)
    cautions = [m for m in res.messages if "fluoroscopy or CT with contrast" in m.text]
    assert cautions and all("S304" in m.sources for m in cautions)  # Medicare ESI LCDs (S304)
    assert not res.has_errors


def test_engine_tfesi_codes_under_ultrasound_point_to_the_category_iii_twins(catalog: Catalog) -> None:
    twins = {"64479": "0228T", "64480": "0229T", "64483": "0230T", "64484": "0231T"}
    for code, twin in twins.items():
        res = resolve(catalog, Encounter(DOS, modality="ultrasound", procedures=(ProcedureEntry(code),)))
        (result,) = res.procedures
        assert (result.state, result.redirect_to) == ("redirect", twin), code
        assert "X-NCCI-PTP-302" in result.sources  # 76942 is bundled into 64479-64484 in the NCCI PTP table
        back = resolve(catalog, Encounter(DOS, modality="fluoroscopy", procedures=(ProcedureEntry(twin),)))
        assert (back.procedures[0].state, back.procedures[0].redirect_to) == ("redirect", code), twin
    before = resolve(catalog, Encounter(date(2010, 6, 1), modality="ultrasound", procedures=(ProcedureEntry("64483"),)))
    assert before.procedures[0].state == "unconfirmed"  # no ultrasound code before CPT 2011
    assert catalog.by_code["0230T"].valid_on(date(2010, 12, 31)) is False


def test_engine_ultrasound_facet_injection_is_high_confidence_and_bilateral_is_modifier_50(catalog: Catalog) -> None:
    res = resolve(catalog, Encounter(DOS, modality="ultrasound",
                                     procedures=(ProcedureEntry("0216T", laterality="bilateral"),)))
    (result,) = res.procedures
    assert (result.state, result.confidence) == ("included", "high")
    assert set(result.sources) >= {"S31", "X-NCCI-PTP-302"}
    assert any("0216T bilateral" in m.text and "modifier 50" in m.text for m in res.messages)
    mri = resolve(catalog, Encounter(DOS, modality="mri", procedures=(ProcedureEntry("0216T"),))).procedures[0]
    assert mri.state == "unconfirmed" and [a.code for a in mri.alternatives] == [None]


def test_window_story_lumbar_tfesi_under_ultrasound(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_payer("medicare")
    w.set_setting("office")
    w.set_modality("ultrasound")
    type_and_add(qtbot, w, "lumbar TFESI ultrasound")
    assert [r.code for r in w.editor.enc_model.rows()] == ["0230T"]
    assert w.displayed_lines() == []
    card = procedure_card(w, "0230T")
    assert card.headline.text().startswith("Guidance included in 0230T")
    assert "76942" in card.headline.text()
    assert "S303" in chips(card)
    assert any("fluoroscopy or CT with contrast" in t for t in message_texts(w))
    w.set_modality("fluoroscopy")
    card = procedure_card(w, "0230T")
    assert card.headline.text() == "Fluoroscopy with 0230T \u2192 report 64483 instead"


@pytest.mark.parametrize(("query", "code"), [
    ("TFESI ultrasound", "0228T"),
    ("ultrasound TFESI", "0228T"),
    ("cervical TFESI ultrasound", "0228T"),
    ("thoracic TFESI ultrasound", "0228T"),
    ("lumbar TFESI ultrasound", "0230T"),
    ("sacral TFESI ultrasound", "0230T"),
    ("ultrasound TFESI add-on", "0229T"),
    ("lumbar TFESI ultrasound additional level", "0231T"),
    ("US TFESI", "0228T"),
])
def test_lay_terms_find_their_code_first(catalog: Catalog, query: str, code: str) -> None:
    assert SearchIndex(catalog.records).search_records(query, DOS)[0].code == code


def test_every_term_of_the_family_finds_a_record_carrying_it_first(catalog: Catalog) -> None:
    index = SearchIndex(catalog.records)
    for rec in catalog.records:
        if rec.family != FAMILY:
            continue
        for term in rec.terms:
            first = index.search_records(term, DOS)[0]
            owners = sorted(r.code for r in catalog.records if term.casefold() in (t.casefold() for t in r.terms))
            assert first.code == owners[0], (term, first.code, owners)
