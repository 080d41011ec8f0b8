"""NCCI model (desktop.core.ncci.model): pair and code lookups by date, MUEs, quarters, and the choice of a
table by date of service at the quarter edges, including packs that replace or add a quarter. The rows here
are made up for the tests (codes are real, the edits are not claims about CMS's tables)."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.ncci.model import (
    Mue,
    MueTable,
    NcciData,
    NcciVersion,
    PtpEdit,
    PtpTable,
    parse_quarter,
    quarter_end,
    quarter_label,
    quarter_start,
)
from desktop.core.problems import Location

HERE = Location("test", 1)
Q3 = date(2024, 7, 1)
Q4 = date(2024, 10, 1)


def version(table: str = "ptp", start: date = Q3, kind: str = "practitioner", origin: str = "built-in") -> NcciVersion:
    return NcciVersion(kind, table, "30.2" if table == "ptp" else quarter_label(start),  # type: ignore[arg-type]
                       start, quarter_end(start), "X-TEST", "f.csv", 0, origin)


def edit(c1: str, c2: str, effective: date | None = None, deletion: date | None = None, indicator: int = 1,
         rationale: str = "Mutually exclusive procedures") -> PtpEdit:
    return PtpEdit(c1, c2, effective, deletion, indicator, rationale, HERE)  # type: ignore[arg-type]


def tables(*edits: PtpEdit, mues: tuple[Mue, ...] = (), start: date = Q3) -> NcciData:
    return NcciData((PtpTable.build(version("ptp", start), edits),), (MueTable.build(version("mue", start), mues),))


def test_importing_the_package_and_the_model_loads_nothing_heavy() -> None:
    """``desktop.core.ncci`` imports nothing; the model needs neither YAML, CSV, zip nor XML."""
    import subprocess
    import sys

    code = ("import sys, desktop.core.ncci as n; a = set(sys.modules); import desktop.core.ncci.model; "
            "b = set(sys.modules); heavy = {'yaml', 'csv', 'zipfile', 'xml.etree.ElementTree', "
            "'desktop.core.ncci.cms', 'desktop.core.ncci.reader', 'desktop.core.ncci.importer'}; "
            "print(sorted(m for m in a if m.startswith('desktop.core.ncci.')), sorted(heavy & b))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
                         cwd=__import__("pathlib").Path(__file__).resolve().parents[1]).stdout.strip()
    assert out == "[] []"


def test_quarter_helpers() -> None:
    assert quarter_start(date(2024, 8, 15)) == Q3
    assert quarter_end(Q3) == date(2024, 9, 30)
    assert quarter_end(Q4) == date(2024, 12, 31)
    assert quarter_end(date(2024, 2, 10)) == date(2024, 3, 31)
    assert quarter_label(date(2024, 9, 30)) == "2024Q3"
    assert parse_quarter("2024q4") == Q4
    assert parse_quarter("2024Q5") is None
    assert parse_quarter("24Q1") is None


def test_pair_finds_either_order_and_keeps_cms_column_order() -> None:
    data = tables(edit("77002", "77003"))
    t = data.for_date("practitioner", date(2024, 8, 1)).tables
    for a, b in (("77002", "77003"), ("77003", "77002")):
        found = t.pair(a, b, date(2024, 8, 1))
        assert found is not None
        assert (found.column_1, found.column_2) == ("77002", "77003")
    assert t.pair("77002", "77012", date(2024, 8, 1)) is None
    assert t.pair("77002", "77002", date(2024, 8, 1)) is None


def test_pair_respects_effective_and_deletion_dates_both_inclusive() -> None:
    t = tables(edit("64405", "77002", effective=date(2007, 1, 1), deletion=date(2009, 12, 31))).for_date(
        "practitioner", Q3).tables
    assert t.pair("64405", "77002", date(2006, 12, 31)) is None
    assert t.pair("64405", "77002", date(2007, 1, 1)) is not None
    assert t.pair("64405", "77002", date(2009, 12, 31)) is not None
    assert t.pair("64405", "77002", date(2010, 1, 1)) is None


def test_a_deleted_row_and_an_open_row_of_one_pair_with_unknown_starts() -> None:
    """The extract has such pairs (62273/76000: one row deleted 1998-12-31, one open): the row that ends first
    answers up to its deletion, the open row after it."""
    old = edit("62273", "76000", deletion=date(1998, 12, 31), rationale="Standards of medical/surgical practice")
    new = edit("62273", "76000", rationale="CPT Manual or CMS manual coding instruction")
    t = tables(new, old).for_date("practitioner", Q3).tables
    assert t.pair("62273", "76000", date(1998, 6, 1)) is old
    assert t.pair("62273", "76000", date(2024, 8, 1)) is new
    assert t.edits_for("76000", date(1998, 6, 1)) == (old,)
    assert t.edits_for("76000", date(2024, 8, 1)) == (new,)


def test_both_orders_in_force_prefers_the_first_code_as_column_1() -> None:
    ab, ba = edit("77002", "76000"), edit("76000", "77002", deletion=date(2008, 9, 30))
    t = tables(ab, ba).for_date("practitioner", Q3).tables
    assert t.pair("76000", "77002", date(2008, 1, 1)) is ba
    assert t.pair("77002", "76000", date(2008, 1, 1)) is ab
    assert t.pair("76000", "77002", date(2024, 8, 1)) is ab


def test_edits_for_lists_every_pair_of_a_code_in_force() -> None:
    rows = (edit("64449", "77002"), edit("77012", "77002"), edit("77002", "77003"),
            edit("64405", "77002", deletion=date(2009, 12, 31)), edit("64530", "77003"))
    t = tables(*rows).for_date("practitioner", Q3).tables
    got = {e.pair_label for e in t.edits_for("77002", date(2024, 8, 1))}
    assert got == {"64449/77002", "77012/77002", "77002/77003"}
    assert {e.pair_label for e in t.edits_for("77002", date(2008, 1, 1))} == got | {"64405/77002"}
    assert t.edits_for("99999", date(2024, 8, 1)) == ()


def test_mue_lookup() -> None:
    mue = Mue("77003", 1, 3, "CMS Policy", Q3, HERE)
    t = tables(mues=(mue,)).for_date("practitioner", Q3).tables
    assert t.mue("77003") is mue
    assert t.mue("77003") is not None and t.mue("77003").mai_label == "date-of-service edit, clinical"  # type: ignore[union-attr]
    assert t.mue("77002") is None


@pytest.mark.parametrize(("when", "quarter", "outside"), [
    (date(2024, 6, 30), Q3, True),   # before the only quarter: the earliest table, flagged
    (date(2024, 7, 1), Q3, False),   # first day
    (date(2024, 9, 30), Q3, False),  # last day
    (date(2024, 10, 1), Q4, False),  # next quarter's table
    (date(2024, 12, 31), Q4, False),
    (date(2025, 1, 1), Q4, True),    # after the last quarter: the nearest earlier one, flagged
])
def test_for_date_at_quarter_edges(when: date, quarter: date, outside: bool) -> None:
    data = tables(edit("77002", "77003"), start=Q3).merged(tables(edit("77012", "77003"), start=Q4))
    choice = data.for_date("practitioner", when)
    assert choice.tables.ptp is not None
    assert choice.tables.ptp.version.quarter_start == quarter
    assert choice.outside_quarter is outside
    assert (choice.warning is not None) is outside
    if outside:
        assert when.isoformat() in (choice.warning or "")
        assert "NCCI PTP practitioner v30.2" in (choice.warning or "")


def test_for_date_between_two_quarters_takes_the_earlier_one() -> None:
    q1 = date(2024, 1, 1)
    data = tables(edit("77002", "77003"), start=q1).merged(tables(edit("77012", "77003"), start=Q4))
    choice = data.for_date("practitioner", date(2024, 8, 1))
    assert choice.tables.ptp is not None and choice.tables.ptp.version.quarter_start == q1
    assert choice.outside_quarter


def test_ptp_and_mue_are_chosen_separately() -> None:
    """A pack with only a later MUE table changes the MUE answer but keeps the earlier PTP table."""
    base = tables(edit("77002", "77003"), mues=(Mue("77003", 1, 3, "CMS Policy", Q3, HERE),))
    later_mue = NcciData((), (MueTable.build(version("mue", Q4), (Mue("77003", 2, 3, "CMS Policy", Q4, HERE),)),))
    choice = base.merged(later_mue).for_date("practitioner", date(2024, 11, 5))
    assert choice.tables.mue("77003") is not None and choice.tables.mue("77003").value == 2  # type: ignore[union-attr]
    assert choice.tables.pair("77002", "77003", date(2024, 11, 5)) is not None
    assert choice.outside_quarter  # the PTP table is of the quarter before


def test_no_table_of_a_kind() -> None:
    choice = tables(edit("77002", "77003")).for_date("outpatient_hospital", Q3)
    assert choice.tables.empty
    assert choice.tables.pair("77002", "77003", Q3) is None
    assert choice.tables.mue("77003") is None
    assert not choice.tables.covers(Q3)
    assert choice.warning is not None and "outpatient hospital" in choice.warning


def test_a_pack_table_of_the_same_quarter_replaces_the_built_in_one() -> None:
    base = tables(edit("77002", "77003"))
    pack = NcciData((PtpTable.build(version("ptp", Q3, origin="Office pack"), (edit("62321", "62323"),)),))
    merged = base.merged(pack)
    assert len(merged.ptp_tables) == 1 and len(merged.mue_tables) == 1
    t = merged.for_date("practitioner", Q3).tables
    assert t.pair("62321", "62323", Q3) is not None
    assert t.pair("77002", "77003", Q3) is None
    assert t.ptp is not None and t.ptp.version.origin == "Office pack"


def test_labels_name_kind_version_and_quarter() -> None:
    t = tables(edit("77002", "77003")).for_date("practitioner", Q3).tables
    assert t.label == ("NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30); "
                       "NCCI MUE practitioner 2024Q3 (2024-07-01 to 2024-09-30)")


def test_a_filtered_table_tells_no_edit_from_not_checked() -> None:
    """The built-in extract holds only pairs with an imaging code among the codes it was cut to: outside that
    scope, finding no edit must not read as "CMS has none"."""
    ptp_v = NcciVersion("practitioner", "ptp", "30.2", Q3, quarter_end(Q3), "X-TEST", "f.csv", 1,
                        scope_codes=frozenset({"64449", "62321", "62323", "77002"}),
                        scope_paired_with=frozenset({"77002"}))
    mue_v = NcciVersion("practitioner", "mue", "2024Q3", Q3, quarter_end(Q3), "X-TEST", "m.csv", 0,
                        scope_codes=frozenset({"77002", "27370"}))
    t = NcciData((PtpTable.build(ptp_v, (edit("64449", "77002"),)),), (MueTable.build(mue_v, ()),)).for_date(
        "practitioner", Q3).tables
    assert t.knows_pair("77002", "64449") and t.pair("77002", "64449", Q3) is not None
    assert t.knows_pair("62321", "77002") and t.pair("62321", "77002", Q3) is None  # checked: no edit
    assert not t.knows_pair("62321", "62323")  # neither is an imaging code of the extract: not checked
    assert not t.knows_pair("10160", "77002")  # a code the table was not cut to
    assert t.knows_code("27370") and t.mue("27370") is None  # checked: CMS lists no MUE
    assert not t.knows_code("10160")
    whole = tables(edit("77002", "77003")).for_date("practitioner", Q3).tables  # no scope: the whole table
    assert whole.knows_pair("10160", "62323") and whole.knows_code("10160")
    assert not tables().for_date("outpatient_hospital", Q3).tables.knows_pair("77002", "77003")
