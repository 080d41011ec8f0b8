"""Family neurostimulators (issue 14): an SCS trial with two leads under fluoroscopy (Medicare's NCCI table
bundles 77003), a lead revision, a PNS lead under ultrasound and a sacral lead; engine, window and search."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry
from desktop.core.search import SearchIndex
from tests.family_story import lay_terms_checked, procedure_cards, type_and_add

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

FAMILY = "neurostimulators"
DOS = date(2026, 3, 16)




def test_scs_trial_two_leads_under_fluoroscopy_bills_no_77003(catalog: Catalog) -> None:
    enc = Encounter(DOS, "asc", "medicare", "fluoroscopy",
                    (ProcedureEntry("63650", units=2, regions=("thoracic",)),))
    res = resolve(catalog, enc)
    assert res.guidance_lines == ()
    result = res.procedures[0]
    assert (result.state, result.confidence) == ("included", "medium")
    assert result.sources == ("X-NCCI-PTP-302", "S212")
    # CT stays open: a warning with 77012 as the candidate, no line.
    ct = resolve(catalog, Encounter(DOS, "asc", "medicare", "ct", (ProcedureEntry("63650"),)))
    assert ct.guidance_lines == () and ct.procedures[0].state == "unconfirmed"
    assert ct.procedures[0].guidance_code == "77012"


def test_lead_revision_sacral_lead_and_pns_lead(catalog: Catalog) -> None:
    res = resolve(catalog, Encounter(DOS, "hospital_outpatient", "other", "fluoroscopy",
                                     (ProcedureEntry("63663"), ProcedureEntry("64561"))))
    assert res.guidance_lines == ()
    assert [(p.code, p.state) for p in res.procedures] == [("63663", "included"), ("64561", "included")]
    assert res.procedures[1].confidence == "high"
    pns = resolve(catalog, Encounter(DOS, "office", "other", "ultrasound", (ProcedureEntry("64555"),)))
    assert [(ln.code, ln.confidence) for ln in pns.guidance_lines] == [("76942", "low")]
    assert pns.guidance_lines[0].sources == ("S213",)
    # 63661-63664 and 64596-64598 are refused before the start dates GuideCode takes for them.
    early = resolve(catalog, Encounter(date(2009, 12, 31), "office", "other", "fluoroscopy",
                                       (ProcedureEntry("63663"),)))
    assert early.procedures[0].state == "invalid"
    new = resolve(catalog, Encounter(date(2024, 12, 31), "office", "other", "ultrasound", (ProcedureEntry("64596"),)))
    assert new.procedures[0].state == "invalid"


def test_window_scs_trial_then_pns_lead(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_setting("asc")
    w.set_payer("medicare")
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "SCS trial")
    assert [r.code for r in w.editor.enc_model.rows()] == ["63650"]
    assert w.displayed_lines() == []
    card = procedure_cards(w)[0]
    assert card.headline.text() == "Guidance included in 63650 \u2014 do not bill 77002/77003"
    assert [chip.text() for chip in card.sources.chips] == ["X-NCCI-PTP-302", "S212"]
    assert card.badge.text() == "MEDIUM"

    w.clear_encounter()
    w.set_setting("office")
    w.set_modality("ultrasound")
    type_and_add(qtbot, w, "PNS trial")
    assert [r.code for r in w.editor.enc_model.rows()] == ["64555"]
    assert w.displayed_lines() == ["76942 \u00d71"]
    line = next(c for c in w.answer.cards if c.item.kind == "line")
    assert [chip.text() for chip in line.sources.chips] == ["S213"] and line.badge.text() == "LOW"


def test_each_lay_term_of_the_family_finds_its_code_first(catalog: Catalog) -> None:
    index = SearchIndex(catalog.records)
    checked = lay_terms_checked(catalog, FAMILY, DOS)
    assert checked >= 50
    for term, code in (("SCS trial", "63650"), ("paddle lead", "63655"), ("SCS lead removal", "63661"),
                       ("lead migration", "63663"), ("PNS", "64555"), ("occipital nerve stimulator", "64555"),
                       ("InterStim", "64561"), ("integrated neurostimulator", "64596"),
                       ("PNS generator", "64590")):
        assert index.search_records(term, DOS)[0].code == code, term
