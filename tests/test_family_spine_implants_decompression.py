"""Family spine-implants-decompression (issue 14): an SI fusion and a MILD decompression bill no guidance code,
the intradiscal allograft codes redirect between their fluoroscopy and CT versions, the SI fusion and spacer codes
change on their dates (0334T -> 27279 in 2015, 0775T -> 27278 in 2025, 0171T -> 22869 in 2017); engine, window
and search."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry
from desktop.core.search import SearchIndex
from tests.family_story import chips, lay_terms_checked, message_texts, procedure_card, type_and_add

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

FAMILY = "spine-implants-decompression"
DOS = date(2026, 3, 16)


def test_si_fusion_and_mild_in_an_asc_bill_no_guidance_line(catalog: Catalog) -> None:
    enc = Encounter(DOS, "asc", "medicare", "fluoroscopy",
                    (ProcedureEntry("27279", regions=("sacral",)), ProcedureEntry("0275T", regions=("lumbar",))))
    res = resolve(catalog, enc)
    assert res.guidance_lines == ()
    by_code = {p.code: p for p in res.procedures}
    assert (by_code["27279"].state, by_code["27279"].confidence) == ("included", "high")
    assert by_code["27279"].sources == ("S401", "S402", "S400")
    assert (by_code["0275T"].state, by_code["0275T"].confidence) == ("included", "high")
    assert "S414" in by_code["0275T"].sources
    # Medicare covers MILD only in a CED study: the caution cites the NCD and names G0276.
    assert any(m.code == "0275T" and "G0276" in m.text and "S414" in m.sources for m in res.messages)


def test_intradiscal_allograft_under_ct_is_reported_with_the_ct_codes(catalog: Catalog) -> None:
    res = resolve(catalog, Encounter(DOS, "office", "other", "ct",
                                     (ProcedureEntry("0627T"), ProcedureEntry("0628T"))))
    assert res.guidance_lines == ()
    assert [(p.code, p.state, p.redirect_to) for p in res.procedures] == [
        ("0627T", "redirect", "0629T"), ("0628T", "redirect", "0630T")]
    ct = resolve(catalog, Encounter(DOS, "office", "other", "ct", (ProcedureEntry("0629T"),)))
    assert (ct.procedures[0].state, ct.procedures[0].sources) == ("included", ("S416",))
    # Ultrasound is not how these codes are defined: UNCONFIRMED, no line.
    us = resolve(catalog, Encounter(DOS, "office", "other", "ultrasound", (ProcedureEntry("0627T"),)))
    assert us.guidance_lines == () and us.procedures[0].state == "unconfirmed"
    before = resolve(catalog, Encounter(date(2020, 12, 31), "office", "other", "fluoroscopy",
                                        (ProcedureEntry("0627T"),)))
    assert before.procedures[0].state == "invalid"


@pytest.mark.parametrize(("old", "last_day", "new"), [
    ("0334T", date(2014, 12, 31), "27279"),
    ("0775T", date(2024, 12, 31), "27278"),
    ("0171T", date(2016, 12, 31), "22869"),
])
def test_category_iii_codes_hand_over_to_their_category_i_codes(catalog: Catalog, old: str, last_day: date,
                                                                new: str) -> None:
    on_last = resolve(catalog, Encounter(last_day, "asc", "other", "fluoroscopy", (ProcedureEntry(old),)))
    assert on_last.procedures[0].state != "invalid"
    day_after = date.fromordinal(last_day.toordinal() + 1)
    after = resolve(catalog, Encounter(day_after, "asc", "other", "fluoroscopy", (ProcedureEntry(old),)))
    assert after.procedures[0].state == "invalid" and after.procedures[0].redirect_to == new
    successor = resolve(catalog, Encounter(day_after, "asc", "other", "fluoroscopy", (ProcedureEntry(new),)))
    assert successor.procedures[0].state == "included"
    early = resolve(catalog, Encounter(last_day, "asc", "other", "fluoroscopy", (ProcedureEntry(new),)))
    assert early.procedures[0].state == "invalid"


def test_interspinous_spacer_and_idet_and_endoscopic_decompression(catalog: Catalog) -> None:
    res = resolve(catalog, Encounter(DOS, "hospital_outpatient", "other", "fluoroscopy",
                                     (ProcedureEntry("22869"), ProcedureEntry("22870"))))
    assert res.guidance_lines == ()
    assert [(p.state, p.confidence, p.sources) for p in res.procedures] == [
        ("included", "high", ("S407", "S408"))] * 2
    idet_ct = resolve(catalog, Encounter(DOS, "office", "other", "ct", (ProcedureEntry("22526"),)))
    assert idet_ct.procedures[0].state == "unconfirmed" and "X-GC-NOSOURCE" in idet_ct.procedures[0].sources
    endo = resolve(catalog, Encounter(DOS, "asc", "other", "fluoroscopy", (ProcedureEntry("62380"),)))
    assert (endo.procedures[0].state, endo.procedures[0].confidence) == ("included", "low")
    assert endo.guidance_lines == ()


def test_window_si_fusion_then_mild(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_setting("asc")
    w.set_payer("medicare")
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "SI fusion")
    assert [r.code for r in w.editor.enc_model.rows()] == ["27279"]
    assert w.displayed_lines() == []
    card = procedure_card(w, "27279")
    assert card.headline.text() == "Guidance included in 27279 \u2014 do not bill 77002/77003/77012"
    assert chips(card) == ["S401", "S402", "S400"]
    assert card.badge.text() == "HIGH"

    w.clear_encounter()
    type_and_add(qtbot, w, "MILD")
    assert [r.code for r in w.editor.enc_model.rows()] == ["0275T"]
    assert w.displayed_lines() == []
    assert procedure_card(w, "0275T").headline.text().startswith("Guidance included in 0275T")
    assert any("G0276" in text and "NCD 150.13" in text for text in message_texts(w))


def test_each_lay_term_of_the_family_finds_its_code_first(catalog: Catalog) -> None:
    index = SearchIndex(catalog.records)
    checked = lay_terms_checked(catalog, FAMILY, DOS)
    assert checked >= 60
    for term, code in (("SI fusion", "27279"), ("iFuse", "27279"), ("posterior SI fusion", "27278"),
                       ("MILD", "0275T"), ("PILD", "0275T"), ("MILD trial", "G0276"), ("spacer", "22869"),
                       ("Superion", "22869"), ("coflex", "22867"), ("X-STOP", "0171T"), ("IDET", "22526"),
                       ("VIA Disc", "0627T"), ("CT disc allograft injection", "0629T"),
                       ("endoscopic discectomy", "62380")):
        assert index.search_records(term, DOS)[0].code == code, term
