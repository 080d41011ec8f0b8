"""Family diagnostic-imaging (issue 14): a diagnostic ultrasound or x-ray entered beside a guided injection gets no
guidance line of its own and shows the sourced rule (the guidance images belong to the guidance; a separate
diagnostic study needs its own order, images and report); the 2011 ultrasound and 2016 hip x-ray code changes;
engine, window and search."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry
from desktop.core.search import SearchIndex
from desktop.ui.answer_panel import SourceChips
from tests.family_story import lay_terms_checked, message_texts, procedure_card, type_and_add

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

FAMILY = "diagnostic-imaging"
DOS = date(2026, 3, 16)
XRAYS = ("72020", "72040", "72050", "72070", "72072", "72080", "72100", "72110", "72114", "72120",
         "73030", "73502", "73521", "73522", "73523", "73560", "73562", "73564")


def test_diagnostic_ultrasound_with_an_ultrasound_guided_knee_injection(catalog: Catalog) -> None:
    enc = Encounter(DOS, "office", "medicare", "ultrasound", (ProcedureEntry("20611"), ProcedureEntry("76881")))
    res = resolve(catalog, enc)
    assert res.guidance_lines == ()  # 20611 includes the ultrasound; 76881 is not guidance
    by_code = {p.code: p for p in res.procedures}
    assert by_code["20611"].state == "included"
    assert by_code["76881"].state == "none_used"
    rule = next(m for m in res.messages if m.code == "76881" and "S446" in m.sources)
    assert rule.severity == "warning" and "different anatomic regions" in rule.text
    assert rule.sources == ("S446", "S430", "S431", "S432")
    assert any(m.code == "76881" and m.sources == ("S430",) and "not checked" in m.text for m in res.messages)


def test_lumbar_x_ray_beside_a_transforaminal_injection_is_its_own_study(catalog: Catalog) -> None:
    enc = Encounter(DOS, "office", "medicare", "fluoroscopy",
                    (ProcedureEntry("64483", regions=("lumbar",)), ProcedureEntry("72100")))
    res = resolve(catalog, enc)
    assert res.guidance_lines == ()
    assert [p.state for p in res.procedures] == ["included", "none_used"]
    (rule,) = (m for m in res.messages if m.code == "72100")
    assert "not this x-ray" in rule.text and "signed written report" in rule.text
    assert rule.sources == ("S41", "S440", "S439", "S437", "S438")


def test_every_x_ray_and_ultrasound_of_the_family_carries_the_rule(catalog: Catalog) -> None:
    for code in XRAYS + ("76881", "76882"):
        rec = catalog.by_code[code]
        assert rec.kind == "imaging" and rec.family == FAMILY, code
        assert rec.cautions and all(c.sources for c in rec.cautions), code
        assert rec.policies == (), code  # never a guidance line of its own


@pytest.mark.parametrize(("old", "last_day", "new"), [
    ("76880", date(2010, 12, 31), ("76881", "76882")),
    ("73520", date(2015, 12, 31), ("73521", "73522", "73523")),
])
def test_the_replaced_imaging_codes_end_on_their_dates(catalog: Catalog, old: str, last_day: date,
                                                       new: tuple[str, ...]) -> None:
    assert catalog.by_code[old].valid_to == last_day and catalog.by_code[old].replaced_by == new
    after = date.fromordinal(last_day.toordinal() + 1)
    res = resolve(catalog, Encounter(after, "office", "other", "ultrasound", (ProcedureEntry(old),)))
    assert res.procedures[0].state == "invalid"
    for code in new:
        assert catalog.by_code[code].valid_from == after
        too_early = resolve(catalog, Encounter(last_day, "office", "other", "none", (ProcedureEntry(code),)))
        assert too_early.procedures[0].state == "invalid"


def test_window_knee_injection_under_ultrasound_with_a_diagnostic_scan(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_setting("office")
    w.set_payer("medicare")
    w.set_modality("ultrasound")
    type_and_add(qtbot, w, "20611")
    type_and_add(qtbot, w, "diagnostic ultrasound")
    assert [r.code for r in w.editor.enc_model.rows()] == ["20611", "76881"]
    assert w.displayed_lines() == []
    card = procedure_card(w, "76881")
    assert card.headline.text() == "76881: no guidance code to bill"
    assert "imaging code" in card.reason.text()
    rows = [m for m in w.answer.messages if "different anatomic regions" in m.text.text()]
    assert len(rows) == 1
    (chips,) = rows[0].findChildren(SourceChips)
    assert [chip.text() for chip in chips.chips] == ["S446", "S430", "S431", "S432"]

    w.clear_encounter()
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "knee x-ray")
    assert [r.code for r in w.editor.enc_model.rows()] == ["73560"]
    assert any("not this x-ray" in text for text in message_texts(w))


def test_each_lay_term_of_the_family_finds_its_code_first(catalog: Catalog) -> None:
    index = SearchIndex(catalog.records)
    checked = lay_terms_checked(catalog, FAMILY, DOS)
    assert checked >= 50
    for term, code in (("diagnostic ultrasound", "76881"), ("MSK ultrasound", "76881"),
                       ("limited ultrasound", "76882"), ("knee x-ray", "73560"), ("knee x-ray 3 views", "73562"),
                       ("lumbar x-ray", "72100"), ("C-spine x-ray", "72040"), ("flexion extension x-ray", "72120"),
                       ("shoulder x-ray", "73030"), ("hip x-ray", "73502"), ("both hips x-ray", "73521")):
        assert index.search_records(term, DOS)[0].code == code, term
