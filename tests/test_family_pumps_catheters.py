"""Family pumps-catheters (issue 14): a trial-to-implant pump day and a hard-to-find refill under ultrasound;
engine, window and search. The refill's imaging is UNCONFIRMED on purpose: no line, a warning, a candidate."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry
from desktop.core.search import SearchIndex
from tests.family_story import lay_terms_checked, procedure_cards, type_and_add

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

FAMILY = "pumps-catheters"
DOS = date(2026, 3, 16)




def test_catheter_and_pump_implant_under_fluoroscopy_bill_no_guidance(catalog: Catalog) -> None:
    enc = Encounter(DOS, "hospital_outpatient", "medicare", "fluoroscopy",
                    (ProcedureEntry("62350", regions=("lumbar",)), ProcedureEntry("62362")))
    res = resolve(catalog, enc)
    assert res.guidance_lines == ()
    states = {p.code: (p.state, p.confidence, p.sources) for p in res.procedures}
    assert states["62350"] == ("included", "medium", ("X-NCCI-PTP-302",))
    assert states["62362"][0] == "none_used" and "X-NCCI-PTP-302" in states["62362"][2]


@pytest.mark.parametrize(("modality", "candidate"), [("ultrasound", "76942"), ("fluoroscopy", "77002"),
                                                      ("ct", "77012")])
def test_refill_imaging_is_unconfirmed_with_its_candidate_and_never_77003(catalog: Catalog, modality: str,
                                                                        candidate: str) -> None:
    for code in ("95990", "95991", "62369", "62370"):
        res = resolve(catalog, Encounter(DOS, "office", "other", modality, (ProcedureEntry(code),)))  # type: ignore[arg-type]
        assert res.guidance_lines == ()
        result = res.procedures[0]
        assert (result.state, result.guidance_code, result.confidence) == ("unconfirmed", candidate, "low")
        assert "X-GC-NOSOURCE" in result.sources
        assert any("UNCONFIRMED" in m.text and candidate in m.text for m in res.messages)


def test_pump_check_and_reprogramming_have_no_needle_so_imaging_does_not_apply(catalog: Catalog) -> None:
    for code in ("62367", "62368"):
        res = resolve(catalog, Encounter(DOS, "office", "other", "ultrasound", (ProcedureEntry(code),)))
        assert res.procedures[0].state == "not_applicable" and res.procedures[0].sources == ("S215",)


def test_window_pump_refill_under_ultrasound_warns_and_bills_nothing(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_setting("office")
    w.set_payer("medicare")
    w.set_modality("ultrasound")
    type_and_add(qtbot, w, "pump refill")
    assert [r.code for r in w.editor.enc_model.rows()] == ["95990"]
    assert w.displayed_lines() == []
    card = procedure_cards(w)[0]
    assert card.headline.text() == "95990 with ultrasound: UNCONFIRMED \u2014 no guidance line given; candidate 76942"
    chips = [chip.text() for chip in card.sources.chips]
    assert chips == ["X-GC-NOSOURCE", "S216"]
    assert card.badge.text() == "LOW"

    w.clear_encounter()
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "intrathecal catheter")
    assert [r.code for r in w.editor.enc_model.rows()] == ["62350"]
    assert procedure_cards(w)[0].headline.text().startswith("Guidance included in 62350")
    assert [chip.text() for chip in procedure_cards(w)[0].sources.chips] == ["X-NCCI-PTP-302"]


def test_each_lay_term_of_the_family_finds_its_code_first(catalog: Catalog) -> None:
    index = SearchIndex(catalog.records)
    checked = lay_terms_checked(catalog, FAMILY, DOS)
    assert checked >= 40
    for term, code in (("pump refill", "95990"), ("pain pump", "62362"), ("pump interrogation", "62367"),
                       ("pump reprogramming", "62368"), ("refill with reprogramming", "62369"),
                       ("physician pump refill", "95991"), ("pump removal", "62365"),
                       ("intrathecal reservoir", "62360"), ("difficult refill", "95991")):
        assert index.search_records(term, DOS)[0].code == code, term
