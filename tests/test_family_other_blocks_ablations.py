"""Family other-blocks-ablations (issue 14): basivertebral nerve ablation, Morton's neuroma injection and
neurolysis, G0259 and the cryoablation codes 0440T-0442T. One encounter through the engine and the same one
in the window; every new lay term finds its code first. Expected answers from
docs/fact-base/other-blocks-ablations.md."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry
from desktop.core.search import SearchIndex
from tests.family_story import chips, message_texts, procedure_card, type_and_add

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

DOS = date(2025, 9, 8)
FAMILY = "other-blocks-ablations"


def test_engine_iovera_knee_under_ultrasound_is_0441t_with_guidance_included(catalog: Catalog) -> None:
    res = resolve(catalog, Encounter(DOS, payer="medicare", modality="ultrasound",
                                     procedures=(ProcedureEntry("0441T"),)))
    assert res.guidance_lines == ()
    (result,) = res.procedures
    assert (result.state, result.confidence) == ("included", "high")
    assert "S320" in result.sources  # CGS cryoneurolysis instructions
    assert any("CGS" in m.text and "64640" in m.text for m in res.messages)


def test_engine_basivertebral_ablation_and_mortons_neuroma(catalog: Catalog) -> None:
    res = resolve(catalog, Encounter(DOS, modality="fluoroscopy",
                                     procedures=(ProcedureEntry("64628"), ProcedureEntry("64629"))))
    assert res.guidance_lines == ()  # no 77003/77002: imaging is part of the ablation codes
    assert [p.state for p in res.procedures] == ["included", "included"]
    assert any("L3-S1" in m.text and "S316" in m.sources for m in res.messages)
    neuroma = resolve(catalog, Encounter(DOS, modality="ultrasound", procedures=(ProcedureEntry("64455"),)))
    assert neuroma.guidance_lines == ()  # unconfirmed: no line, never a guess
    assert (neuroma.procedures[0].state, neuroma.procedures[0].guidance_code) == ("unconfirmed", "76942")
    old = resolve(catalog, Encounter(date(2008, 6, 2), modality="ultrasound", procedures=(ProcedureEntry("64455"),)))
    assert old.procedures[0].state == "invalid"  # CPT 2009 code (S318)


def test_window_story_iovera_genicular_cryoneurolysis(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_payer("medicare")
    w.set_setting("office")
    w.set_modality("ultrasound")
    type_and_add(qtbot, w, "iovera")
    assert [r.code for r in w.editor.enc_model.rows()] == ["0441T"]
    assert w.displayed_lines() == []
    card = procedure_card(w, "0441T")
    assert card.headline.text().startswith("Guidance included in 0441T")
    assert "S320" in chips(card)
    assert card.badge.text() == "HIGH"
    assert any("Iovera" in t for t in message_texts(w))


@pytest.mark.parametrize(("query", "code"), [
    ("basivertebral", "64628"),
    ("basivertebral nerve ablation", "64628"),
    ("BVNA", "64628"),
    ("Intracept", "64628"),
    ("vertebrogenic pain", "64628"),
    ("BVNA add-on", "64629"),
    ("Morton's neuroma", "64455"),
    ("Morton neuroma", "64455"),
    ("Morton's neuroma neurolysis", "64632"),
    ("neuroma alcohol injection", "64632"),
    ("SI joint arthrography injection", "G0259"),
    ("cryoneurolysis", "0440T"),
    ("iovera", "0441T"),
    ("cryoneurolysis knee", "0441T"),
    ("pudendal cryoablation", "0442T"),
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
