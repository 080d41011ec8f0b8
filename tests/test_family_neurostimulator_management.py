"""Family neurostimulator-management (issue 14): a permanent SCS implant (lead + pulse generator) under
fluoroscopy, programming visits where imaging does not apply, the pre-2010 lead revision code, and a C1-C2
puncture whose 77003 stays a candidate (fact-base Q2); engine, window and search."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry
from desktop.core.search import SearchIndex
from tests.family_story import chips, lay_terms_checked, procedure_card, type_and_add

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

FAMILY = "neurostimulator-management"
DOS = date(2026, 3, 16)


def test_permanent_scs_implant_lead_and_generator_bill_no_guidance(catalog: Catalog) -> None:
    enc = Encounter(DOS, "asc", "medicare", "fluoroscopy",
                    (ProcedureEntry("63650", units=2, regions=("thoracic",)), ProcedureEntry("63685")))
    res = resolve(catalog, enc)
    assert res.guidance_lines == ()
    by_code = {p.code: p for p in res.procedures}
    assert by_code["63650"].state == "included"  # the lead code's rule (Medicare NCCI bundles 77003)
    generator = by_code["63685"]
    assert (generator.state, generator.guidance_code, generator.confidence) == ("unconfirmed", None, "low")
    assert generator.sources == ("X-GC-NOSOURCE", "S453")
    assert any(m.code == "63685" and "UNCONFIRMED" in m.text for m in res.messages)


@pytest.mark.parametrize("code", ["95970", "95971", "95972"])
@pytest.mark.parametrize("modality", ["fluoroscopy", "ultrasound", "ct", "mri"])
def test_programming_has_no_needle_so_imaging_does_not_apply(catalog: Catalog, code: str, modality: str) -> None:
    res = resolve(catalog, Encounter(DOS, "office", "other", modality, (ProcedureEntry(code),)))  # type: ignore[arg-type]
    assert res.guidance_lines == ()
    assert (res.procedures[0].state, res.procedures[0].sources) == ("not_applicable", ("S456", "S455"))


def test_pre_2010_lead_revision_code_points_to_its_successors(catalog: Catalog) -> None:
    old = resolve(catalog, Encounter(date(2009, 6, 1), "office", "other", "fluoroscopy", (ProcedureEntry("63660"),)))
    assert old.procedures[0].state == "unconfirmed"
    later = resolve(catalog, Encounter(date(2010, 1, 1), "office", "other", "fluoroscopy",
                                       (ProcedureEntry("63660"),)))
    assert later.procedures[0].state == "invalid"
    assert later.procedures[0].confidence == "low" and "S451" in later.procedures[0].sources
    assert catalog.by_code["63660"].replaced_by == ("63661", "63662", "63663", "63664")


def test_c1_c2_puncture_under_fluoroscopy_gives_77003_only_as_a_candidate(catalog: Catalog) -> None:
    res = resolve(catalog, Encounter(DOS, "hospital_outpatient", "other", "fluoroscopy",
                                     (ProcedureEntry("61055", regions=("cervical",)),)))
    assert res.guidance_lines == ()
    (puncture,) = res.procedures
    assert (puncture.state, puncture.guidance_code, puncture.confidence) == ("unconfirmed", "77003", "low")
    assert puncture.sources == ("S2", "X-GC-NOSOURCE")


def test_window_scs_programming_then_cisternal_puncture(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_setting("office")
    w.set_payer("other")
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "SCS programming")
    assert [r.code for r in w.editor.enc_model.rows()] == ["95971"]
    assert w.displayed_lines() == []
    card = procedure_card(w, "95971")
    assert card.headline.text() == "Fluoroscopy does not apply to 95971: no guidance code to bill"
    assert chips(card) == ["S456", "S455"] and card.badge.text() == "MEDIUM"

    w.clear_encounter()
    w.set_setting("hospital_outpatient")
    type_and_add(qtbot, w, "cisternal puncture")
    assert [r.code for r in w.editor.enc_model.rows()] == ["61050"]
    assert w.displayed_lines() == []
    card = procedure_card(w, "61050")
    assert card.headline.text() == "61050 with fluoroscopy: UNCONFIRMED \u2014 no guidance line given; candidate 77003"
    assert chips(card) == ["S2", "X-GC-NOSOURCE"] and card.badge.text() == "LOW"


def test_each_lay_term_of_the_family_finds_its_code_first(catalog: Catalog) -> None:
    index = SearchIndex(catalog.records)
    checked = lay_terms_checked(catalog, FAMILY, DOS)
    assert checked >= 30
    for term, code in (("pulse generator", "63685"), ("SCS battery", "63685"), ("IPG", "63685"),
                       ("IPG revision", "63688"), ("SCS programming", "95971"), ("complex SCS programming", "95972"),
                       ("SCS interrogation", "95970"), ("cisternal puncture", "61050"), ("C1-C2 injection", "61055")):
        assert index.search_records(term, DOS)[0].code == code, term
