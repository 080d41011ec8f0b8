"""The engine says "not checked" where the NCCI PTP table cannot answer (issue 13; docs/ncci.md, "How the engine
applies the edits").

The built-in PTP table holds only the edits that have an imaging code, among the codes GuideCode had when the
table was cut (its scope, ``NcciTables.knows_pair``). A pair of the claim outside that scope (two procedures, or a
code added to GuideCode later) was not checked: finding no edit there is not CMS's answer. The engine then gives
one info message per encounter naming every such pair and telling the coder to import CMS's quarterly files;
inside the scope it says nothing of the kind. A table imported from CMS's files (the test fixtures, made up in
CMS's layout) covers the procedure pairs, and its 62321/62323 edit then applies."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from desktop.core.engine import resolve
from desktop.core.model import Catalog, Encounter, ProcedureEntry, Resolution
from desktop.core.ncci.model import NcciData
from tests.ncci_kit import with_fixture_tables

WHEN = date(2024, 8, 1)


def answer(catalog: Catalog, *entries: ProcedureEntry, payer: str = "medicare", modality: str = "fluoroscopy",
           setting: str = "asc", when: date = WHEN) -> Resolution:
    return resolve(catalog, Encounter(when, setting, payer, modality, entries))  # type: ignore[arg-type]


def not_checked(res: Resolution) -> list[str]:
    return [m.text for m in res.messages if "not checked" in m.text]


def test_two_procedures_outside_the_built_in_scope_are_not_checked(catalog: Catalog) -> None:
    res = answer(catalog, ProcedureEntry("62321"), ProcedureEntry("62323"))
    assert not_checked(res) == [
        "NCCI pair edits not checked for 62321 + 62323: NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30) holds "
        "only the edits with an imaging code among the codes GuideCode had when it was made. Import CMS's quarterly "
        "NCCI files to check it: python -m desktop import-ncci, or File \u2192 Import NCCI edits\u2026 in the window."]
    (msg,) = [m for m in res.messages if "not checked" in m.text]
    assert msg.severity == "info" and msg.sources == ()  # it states no edit, so it cites none; the text names the table
    assert [pl.modifiers for pl in res.procedure_lines] == [(), ()]  # nothing is made up for the pair


def test_one_message_per_encounter_names_every_pair_not_checked(catalog: Catalog) -> None:
    res = answer(catalog, ProcedureEntry("62321"), ProcedureEntry("62323"), ProcedureEntry("64483"))
    (text,) = not_checked(res)
    assert "for 62321 + 62323, 62321 + 64483, 62323 + 64483:" in text
    assert "to check them:" in text


def test_a_code_added_after_the_table_is_not_checked_with_its_guidance(catalog: Catalog) -> None:
    """20526 came to GuideCode after the extract was cut: its pair with the 76942 line was not checked."""
    res = answer(catalog, ProcedureEntry("20526"), modality="ultrasound", setting="office")
    assert [ln.code for ln in res.guidance_lines] == ["76942"]
    (text,) = not_checked(res)
    assert text.startswith("NCCI pair edits not checked for 20526 + 76942:")


def test_inside_the_scope_no_edit_is_an_answer_and_nothing_is_said(catalog: Catalog) -> None:
    for entries in ([ProcedureEntry("64405")], [ProcedureEntry("62281", regions=("cervical",))],
                    [ProcedureEntry("20610")]):
        res = answer(catalog, *entries)
        assert res.guidance_lines and not_checked(res) == [], entries
    # 64405 + 62281: both lines and both procedures are in the scope, but the procedure pair is not
    res = answer(catalog, ProcedureEntry("64405"), ProcedureEntry("62281"))
    (text,) = not_checked(res)
    assert "for 64405 + 62281:" in text


def test_a_catalog_without_ncci_tables_names_none_and_checks_none(catalog: Catalog) -> None:
    """A catalog built without NCCI tables (a test catalog; the built-in data always has them): no NCCI line in
    the answer and no pair message, since no table was consulted."""
    res = answer(replace(catalog, ncci=NcciData()), ProcedureEntry("62321"), ProcedureEntry("62323"))
    assert res.ncci == "" and not_checked(res) == []
    assert answer(catalog, ProcedureEntry("62321")).ncci.startswith("NCCI PTP practitioner v30.2")


def test_a_table_cut_to_other_codes_says_what_it_holds(catalog: Catalog) -> None:
    """A table imported before 62323 was known (its scope lacks the code): the pair is not checked, and the
    message does not speak of imaging codes."""
    tables = catalog.ncci.ptp_tables[0]
    assert tables.version.scope_codes is not None
    version = replace(tables.version, scope_codes=tables.version.scope_codes - {"62323"} | {"62321"},
                      scope_paired_with=None)
    cut = replace(catalog, ncci=replace(catalog.ncci, ptp_tables=(replace(tables, version=version),)))
    (text,) = not_checked(answer(cut, ProcedureEntry("62321"), ProcedureEntry("62323")))
    assert "holds only the codes GuideCode had when it was made." in text


@pytest.fixture(scope="module")
def imported(catalog: Catalog) -> Catalog:
    """The built-in data with the fixtures' tables applied as a data pack (made-up rows in CMS's layout)."""
    return with_fixture_tables(catalog)


def test_an_imported_table_checks_the_procedure_pair_and_applies_its_edit(imported: Catalog) -> None:
    res = answer(imported, ProcedureEntry("62321"), ProcedureEntry("62323"))
    assert not_checked(res) == []
    assert [(pl.code, pl.modifiers) for pl in res.procedure_lines] == [("62321", ()), ("62323", ("XS",))]
    (warning,) = [m for m in res.messages if m.severity == "warning"]
    assert warning.text.startswith("62321 and 62323 on one claim: 62323 is column two. NCCI PTP edit 62321/62323 "
                                   "(NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30), modifier indicator 1")
    assert "Bill 62323-XS only if" in warning.text


def test_the_outside_the_quarter_warning_comes_with_codes_not_with_an_empty_encounter(catalog: Catalog) -> None:
    """An empty encounter has nothing to check against NCCI (the window opens on one; its status bar names the
    tables' quarter); the first procedure brings the warning that the edits may differ on that date."""
    when = date(2026, 12, 1)  # outside the built-in tables' quarter (2024Q3)
    empty = resolve(catalog, Encounter(when, "office", "medicare", "fluoroscopy", ()))
    assert [m.text for m in empty.messages if "outside the quarter" in m.text] == []
    one = resolve(catalog, Encounter(when, "office", "medicare", "fluoroscopy", (ProcedureEntry("64405"),)))
    (warning,) = [m for m in one.messages if "outside the quarter" in m.text]
    assert warning.severity == "warning" and warning.text.startswith("Date of service 2026-12-01 is outside")
