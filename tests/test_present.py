"""desktop.ui.present without a window: claim lines, notes, the warning line, ASCII, badges, banner."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.dates import DateStyle
from desktop.core.engine import resolve
from desktop.core.model import Encounter, ProcedureEntry
from desktop.ui.present import (
    ClaimLine,
    answer_items,
    ascii_text,
    badge_for,
    banner_text,
    claim_lines,
    claim_notes,
    copy_for,
    row_problems,
    warning_line,
)

DOS = date(2026, 3, 16)


def answer(catalog, *entries: ProcedureEntry, **choices):  # type: ignore[no-untyped-def]
    enc = Encounter(choices.pop("when", DOS), procedures=entries, **choices)
    return enc, resolve(catalog, enc)


def test_claim_lines_are_the_procedures_as_entered_then_the_guidance_lines(catalog) -> None:  # type: ignore[no-untyped-def]
    enc, res = answer(catalog, ProcedureEntry("64405", 2, laterality="right"), ProcedureEntry("62281", regions=(
        "cervical",)), ProcedureEntry("62282", modifiers=("59",), regions=("lumbar",)), setting="asc",
        payer="other")
    lines = claim_lines(res)
    assert [ln.text("claim") for ln in lines] == ["64405 RT 2", "62281 1", "62282 59 1", "77002 26 59 1",
                                                  "77003 26 59 1", "77003 26 59 1"]
    assert [ln.text("display") for ln in lines][:4] == ["64405-RT x2", "62281 x1", "62282-59 x1", "77002-26-59 x1"]
    assert [ln.kind for ln in lines] == ["procedure"] * 3 + ["guidance"] * 3
    assert lines[0].tsv() == "64405\tRT\t\t\t\t2"


@pytest.mark.parametrize(("entries", "expected"), [
    ((ProcedureEntry("62311"),), []),  # deleted: not a claim line (the warning line says why)
    ((ProcedureEntry("77003"),), []),  # a guidance code entered as a procedure: the engine's lines count
    ((ProcedureEntry("64405", modifiers=("LT",), laterality="left"),), ["64405 LT 1", "77002 1"]),  # LT once
    ((ProcedureEntry("64483", laterality="bilateral"),), ["64483 50 1"]),
])
def test_what_is_not_a_claim_line(catalog, entries, expected) -> None:  # type: ignore[no-untyped-def]
    enc, res = answer(catalog, *entries)
    assert [ln.text("claim") for ln in claim_lines(res)] == expected


def test_a_redirect_copies_the_code_it_names_with_a_note(catalog) -> None:  # type: ignore[no-untyped-def]
    enc, res = answer(catalog, ProcedureEntry("20610"), modality="ultrasound")
    assert [ln.text("claim") for ln in claim_lines(res)] == ["20611 1"]  # the engine's procedure line
    assert claim_notes(catalog, enc, res) == ["20610: with ultrasound report 20611 instead, copied as 20611 "
                                              "(source S13)"]


def test_the_warning_line_and_the_banner_name_the_first_error(catalog) -> None:  # type: ignore[no-untyped-def]
    enc, res = answer(catalog, ProcedureEntry("62311"), ProcedureEntry("99999"))
    assert warning_line(res) == ("WARNING: this answer has 2 errors: 62311 was deleted: valid until 12/31/2016; with "
                                 "fluoroscopy report 62323 (the others: 62322). (and 1 more error) Check before "
                                 "billing.")
    uk = DateStyle("DMY", "/")
    assert "31/12/2016" in (warning_line(res, uk) or "")
    assert banner_text(res, uk) == ("Check before billing \u2014 2 errors, 1 warning. 62311 was deleted: valid until "
                                    "31/12/2016; with fluoroscopy report 62323 (the others: 62322).")
    marks = row_problems(enc, res)
    assert sorted(marks) == [0, 1] and all(sev == "error" for sev, _ in marks.values())
    enc, res = answer(catalog, ProcedureEntry("64405"), when=date(2024, 8, 1))
    assert warning_line(res) is None and banner_text(res) is None and row_problems(enc, res) == {}


def test_copy_is_plain_ascii(catalog) -> None:  # type: ignore[no-untyped-def]
    enc, res = answer(catalog, ProcedureEntry("64484", laterality="bilateral"), ProcedureEntry("62311"),
                      payer="medicare")
    copy = copy_for(catalog, enc, res)
    assert copy.text.isascii() and copy.warning is not None
    assert copy.text.splitlines()[0].startswith("WARNING:")
    assert ascii_text("77003-26 \u00d71 \u2192 \u201cno\u201d \u2014 caf\u00e9 \u00b7 CPT\u00ae") == (
        '77003-26 x1 -> "no" - cafe - CPT(R)')
    assert ClaimLine("77003", ("26", "XS"), 1, "guidance").text("display") == "77003-26-XS x1"


def test_badges_error_cards_have_none_and_a_rule_without_a_source_is_never_high(catalog) -> None:  # type: ignore[no-untyped-def]
    assert badge_for("invalid", "high", ("S6",)) is None
    assert badge_for("none_used", "high", ()) == "unsourced"
    assert badge_for("separate", "medium", ("S5",)) == "medium"
    enc, res = answer(catalog, ProcedureEntry("62311"), ProcedureEntry("64405"), modality="none")
    items = answer_items(catalog, enc, res)
    assert all(i.badge != "high" for i in items if not i.sources)
    assert next(i for i in items if i.code == "62311").badge is None


def test_the_banner_names_the_first_problem_in_one_sentence(catalog) -> None:  # type: ignore[no-untyped-def]
    enc, res = answer(catalog, ProcedureEntry("62281", regions=("cervical",)),
                      ProcedureEntry("62282", regions=("lumbar",)), setting="asc", payer="medicare",
                      when=date(2024, 8, 1))  # inside the bundled NCCI quarter: no warning about it
    first = next(m for m in res.messages if m.severity == "warning")
    assert len(first.text) > 150  # the whole message is shown below the banner
    assert banner_text(res) == ("Read before billing \u2014 1 warning. 77003: one line of 1 unit for 2 spinal "
                                "regions (cervical, lumbar).")
