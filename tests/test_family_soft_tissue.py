"""Family soft-tissue (issue 14): dry needling and a trigger point injection under ultrasound, resolved by the engine
on the shipped data and shown in the window, and the family's lay search terms."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry
from desktop.core.search import SearchIndex
from tests.family_story import type_and_add

# WORKAROUND: the offscreen platform plugin warns on every show() of a window with size constraints;
# it is not a problem of the window (https://bugreports.qt.io/browse/QTBUG-70479).
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

DOS = date(2026, 3, 16)



def test_dry_needling_and_trigger_points_under_ultrasound(catalog: Catalog) -> None:
    res = resolve(catalog, Encounter(DOS, modality="ultrasound",
                                     procedures=(ProcedureEntry("20560"), ProcedureEntry("20552"))))
    needling, tpi = res.procedures
    assert (needling.state, needling.guidance_code) == ("unconfirmed", "76942")
    assert needling.sources == ("X-GC-NOSOURCE",)
    assert (tpi.state, tpi.guidance_code, tpi.confidence) == ("separate", "76942", "high")
    lines = [(ln.code, ln.for_codes, ln.sources) for ln in res.guidance_lines]
    assert lines == [("76942", ("20552",), ("S14", "S111"))]
    # Dry needling did not exist before 2020.
    old = resolve(catalog, Encounter(date(2019, 12, 31), modality="ultrasound", procedures=(ProcedureEntry("20560"),)))
    assert old.procedures[0].state == "invalid"


def test_ct_with_trigger_points_is_not_billed_and_cites_the_ncci_edit(catalog: Catalog) -> None:
    res = resolve(catalog, Encounter(DOS, modality="ct", procedures=(ProcedureEntry("20553"),)))
    (tpi,) = res.procedures
    assert res.guidance_lines == ()
    assert tpi.state == "included" and "X-NCCI-PTP-302" in tpi.sources


def test_tendon_sheath_fluoroscopy_follows_the_2013_ncci_change(catalog: Catalog) -> None:
    mid_2013 = resolve(catalog, Encounter(date(2013, 6, 30), modality="fluoroscopy",
                                          procedures=(ProcedureEntry("20550"),)))
    assert mid_2013.procedures[0].confidence == "low"
    assert [a.sources for a in mid_2013.procedures[0].alternatives] == [("X-NCCI-PTP-302",)]
    later = resolve(catalog, Encounter(date(2013, 7, 1), modality="fluoroscopy", procedures=(ProcedureEntry("20550"),)))
    assert later.procedures[0].confidence == "medium" and later.procedures[0].alternatives == ()
    assert [ln.code for ln in later.guidance_lines] == ["77002"]


def test_window_dry_needling_then_trigger_point_story(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_setting("office")
    w.set_modality("ultrasound")
    type_and_add(qtbot, w, "dry needling")
    assert [r.code for r in w.editor.enc_model.rows()] == ["20560"]
    assert w.displayed_lines() == []
    (card,) = (c for c in w.answer.cards if c.item.kind == "procedure")
    assert "UNCONFIRMED" in card.headline.text()
    assert [chip.text() for chip in card.sources.chips] == ["X-GC-NOSOURCE"]

    type_and_add(qtbot, w, "trigger point")
    assert [r.code for r in w.editor.enc_model.rows()] == ["20560", "20552"]
    assert w.displayed_lines() == ["76942 \u00d71"]
    line = next(c for c in w.answer.cards if c.item.kind == "line")
    assert [chip.text() for chip in line.sources.chips] == ["S14", "S111"]
    assert line.badge.text() == "HIGH"


@pytest.mark.parametrize(("query", "first"), [
    ("dry needling", "20560"),
    ("needle insertion without injection", "20560"),
    ("carpal tunnel injection", "20526"),
    ("trigger point", "20552"),
    ("plantar fasciitis", "20550"),
    ("tennis elbow", "20551"),
])
def test_lay_terms_find_their_code_first(catalog: Catalog, query: str, first: str) -> None:
    hits = SearchIndex(catalog.records).search_records(query, DOS)
    assert hits and hits[0].code == first, [r.code for r in hits[:5]]
