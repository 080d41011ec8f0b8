"""Family myelography (issue 14): 62284 with a myelography S&I code bills no fluoroscopy, 62284 alone bills
77003 (with the Medicare edit shown until mid-2016), the 2018 bundled codes include everything; engine,
window and search."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry
from desktop.core.search import SearchIndex
from tests.family_story import lay_terms_checked, procedure_cards, type_and_add

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

FAMILY = "myelography"




def test_lumbar_myelogram_2017_injection_plus_s_and_i_bills_no_fluoroscopy(catalog: Catalog) -> None:
    enc = Encounter(date(2017, 5, 2), "hospital_outpatient", "medicare", "fluoroscopy",
                    (ProcedureEntry("62284"), ProcedureEntry("72265")))
    res = resolve(catalog, enc)
    assert res.guidance_lines == ()
    first = res.procedures[0]
    assert (first.code, first.state) == ("62284", "included")
    assert first.reason.startswith("Reported with 72265") and "S201" in first.sources


def test_ct_myelogram_alone_bills_77003_and_before_mid_2016_shows_the_medicare_edit(catalog: Catalog) -> None:
    procs = (ProcedureEntry("62284"), ProcedureEntry("72132"))
    now = resolve(catalog, Encounter(date(2026, 3, 16), "office", "other", "fluoroscopy", procs))
    assert [(ln.code, ln.units) for ln in now.guidance_lines] == [("77003", 1)]
    assert now.procedures[0].confidence == "medium" and "S39" in now.guidance_lines[0].sources
    assert now.procedures[1].state == "none_used"  # the CT study is imaging, not guidance
    # Until 2016-06-30 Medicare's NCCI edit 62284/77003 (indicator 1) bundled 77003 into 62284: applied from
    # the NCCI table (rules.yaml ptp_edits), the Medicare answer has no 77003 line and cites the edit.
    old = resolve(catalog, Encounter(date(2016, 6, 30), "office", "medicare", "fluoroscopy", procs))
    assert old.guidance_lines == ()
    assert old.procedures[0].state == "included" and "X-NCCI-PTP-302" in old.procedures[0].sources
    assert "62284/77003" in old.procedures[0].reason
    # Payers that follow CPT keep the line (the data's preferred answer, low) and are warned of the edit.
    other = resolve(catalog, Encounter(date(2016, 6, 30), "office", "other", "fluoroscopy", procs))
    assert [ln.code for ln in other.guidance_lines] == ["77003"]
    assert other.procedures[0].confidence == "low"
    assert any("62284/77003" in m.text and "X-NCCI-PTP-302" in m.sources for m in other.messages)


@pytest.mark.parametrize("code", ["62302", "62303", "62304", "62305"])
def test_bundled_myelograms_start_in_2018_and_include_fluoroscopy(catalog: Catalog, code: str) -> None:
    res = resolve(catalog, Encounter(date(2018, 1, 1), "office", "other", "fluoroscopy", (ProcedureEntry(code),)))
    assert res.guidance_lines == () and res.procedures[0].state == "included"
    before = resolve(catalog, Encounter(date(2017, 12, 31), "office", "other", "fluoroscopy",
                                        (ProcedureEntry(code),)))
    assert before.procedures[0].state == "invalid"


def test_window_myelogram_then_ct_myelogram(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(date(2026, 3, 16))
    w.set_setting("office")
    w.set_payer("other")
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "myelogram")
    assert [r.code for r in w.editor.enc_model.rows()] == ["62304"]
    assert w.displayed_lines() == []
    card = procedure_cards(w)[0]
    assert card.headline.text().startswith("Guidance included in 62304")
    assert "S202" in [chip.text() for chip in card.sources.chips]

    w.clear_encounter()
    type_and_add(qtbot, w, "ct myelogram")
    assert [r.code for r in w.editor.enc_model.rows()] == ["62284"]
    assert w.displayed_lines() == ["77003 \u00d71"]
    line = next(c for c in w.answer.cards if c.item.kind == "line")
    assert "S39" in [chip.text() for chip in line.sources.chips]
    type_and_add(qtbot, w, "72265")
    assert w.displayed_lines() == []  # the S&I code covers the puncture's fluoroscopy
    assert any("62302-62305" in m.text.text() for m in w.answer.messages)


def test_each_lay_term_of_the_family_finds_its_code_first(catalog: Catalog) -> None:
    index = SearchIndex(catalog.records)
    checked = lay_terms_checked(catalog, FAMILY, date(2026, 3, 16))
    assert checked >= 30
    for term, code in (("myelogram", "62304"), ("cervical myelogram", "62302"), ("complete myelogram", "62305"),
                       ("ct myelogram", "62284"), ("ct myelogram lumbar", "72132"),
                       ("lumbar myelogram S&I", "72265")):
        assert index.search_records(term, date(2026, 3, 16))[0].code == code, term
