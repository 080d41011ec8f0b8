"""Family vertebral-augmentation (issue 14): a pre-2015 kyphoplasty bills the S&I code 72291 per level, the
2015 codes include all imaging, sacroplasty 0200T/0201T changes in 2015; engine, window and search."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry
from desktop.core.search import SearchIndex
from tests.family_story import lay_terms_checked, procedure_cards, type_and_add

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

FAMILY = "vertebral-augmentation"




def test_2014_two_level_kyphoplasty_in_a_facility_bills_72291_with_26_once_per_level(
        catalog: Catalog) -> None:
    enc = Encounter(date(2014, 9, 2), "hospital_outpatient", "medicare", "fluoroscopy",
                    (ProcedureEntry("22524"), ProcedureEntry("22525")))
    res = resolve(catalog, enc)
    assert [(ln.code, ln.units, ln.modifiers, ln.for_codes) for ln in res.guidance_lines] == [
        ("72291", 2, ("26",), ("22524", "22525"))]  # one unit per vertebral body (rules.yaml, S203, S204)
    assert {p.code: p.state for p in res.procedures} == {"22524": "separate", "22525": "separate"}
    assert "S203" in res.guidance_lines[0].sources
    assert any("72291" in m.text and "per vertebral body" in m.text for m in res.messages)
    # The same encounter in 2015 is refused: the codes are deleted and point to 22514/22515.
    later = resolve(catalog, Encounter(date(2015, 1, 2), "office", "other", "fluoroscopy",
                                       (ProcedureEntry("22524"),)))
    assert later.guidance_lines == ()
    assert later.procedures[0].state == "invalid" and later.procedures[0].redirect_to == "22514"
    assert "S205" in later.procedures[0].sources


@pytest.mark.parametrize(("when", "modality", "state", "line"), [
    (date(2014, 12, 31), "ct", "separate", "72292"),
    (date(2015, 1, 1), "ct", "included", None),
    (date(2026, 3, 16), "fluoroscopy", "included", None),
])
def test_sacroplasty_changes_on_2015_01_01(catalog: Catalog, when: date, modality: str, state: str,
                                           line: str | None) -> None:
    res = resolve(catalog, Encounter(when, "office", "other", modality, (ProcedureEntry("0201T"),)))  # type: ignore[arg-type]
    assert res.procedures[0].state == state
    assert [ln.code for ln in res.guidance_lines] == ([line] if line else [])
    assert any("0201T" in m.text and "2009-07-01" in m.text for m in res.messages)  # start-date caution


def test_window_kyphoplasty_2014_then_2026_then_sacroplasty(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(date(2014, 6, 10))
    w.set_setting("asc")
    w.set_payer("other")
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "22523")
    assert w.displayed_lines() == ["72291-26 \u00d71"]
    line_card = next(c for c in w.answer.cards if c.item.kind == "line")
    chips = [chip.text() for chip in line_card.sources.chips]
    assert "S203" in chips and line_card.badge.text() == "HIGH"

    w.set_date(date(2026, 3, 16))
    assert w.displayed_lines() == []
    assert any("22523 was deleted" in t and "22513" in t for t in (m.text.text() for m in w.answer.messages))

    w.clear_encounter()
    type_and_add(qtbot, w, "kypho")
    assert [r.code for r in w.editor.enc_model.rows()] == ["22513"]
    card = procedure_cards(w)[-1]
    assert card.headline.text().startswith("Guidance included in 22513")
    assert "X-NCCI-PTP-302" in [chip.text() for chip in card.sources.chips]

    type_and_add(qtbot, w, "sacroplasty")
    assert [r.code for r in w.editor.enc_model.rows()][-1] == "0200T"
    assert procedure_cards(w)[-1].headline.text().startswith("Guidance included in 0200T")


def test_each_lay_term_of_the_family_finds_its_code_first(catalog: Catalog) -> None:
    index = SearchIndex(catalog.records)
    checked = lay_terms_checked(catalog, FAMILY, date(2026, 3, 16))
    assert checked >= 40
    # The distinctive ones go to exactly their code.
    for term, code, when in (("kypho", "22513", date(2026, 3, 16)), ("sacroplasty", "0200T", date(2026, 3, 16)),
                             ("bilateral sacroplasty", "0201T", date(2026, 3, 16)),
                             ("old kyphoplasty code", "22523", date(2014, 5, 1)),
                             ("vertebroplasty fluoroscopy", "72291", date(2014, 5, 1))):
        assert index.search_records(term, when)[0].code == code, term
