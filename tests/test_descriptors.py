"""Licensed CPT descriptors (desktop.core.descriptors): the CSV loads, bad rows are reported by line, the
stored file round-trips, and no descriptor text ships with GuideCode."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from desktop.core import descriptors as d

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "descriptors"


def test_good_csv_loads_every_row() -> None:
    result = d.parse_file(FIX / "good.csv")
    assert result.problems == ()
    assert result.rows == 3
    assert dict(result.good) == {
        "64405": "Made-up descriptor text for a test, not AMA text (nerve A)",
        "77003": "Made-up descriptor for a test (guidance B)",
        "62323": "Made-up descriptor for a test (epidural C)",
    }


def test_bad_rows_are_reported_by_line_and_good_rows_kept_apart() -> None:
    result = d.parse_file(FIX / "mixed.csv")
    assert [str(p) for p in result.problems] == [
        "mixed.csv:3: row at line 3: '6440' is not a CPT/HCPCS code (5 characters, e.g. 64405, 0213T, G0260)",
        "mixed.csv:4: 77003: expected 2 columns (code, descriptor), found 3; put descriptors that contain commas "
        "in double quotes",
        "mixed.csv:5: 77002: the descriptor is empty",
        "mixed.csv:6: 64405: code 64405 appears again (first on line 2); only the first is kept",
        "mixed.csv:9: row at line 9: expected 2 columns (code, descriptor), found 1",
        "mixed.csv:11: row at line 11: the CSV cannot be read past this point (unexpected end of data); the rows "
        "after it were not read",
    ]
    assert dict(result.good) == {
        "64405": "Made-up descriptor one",
        "62323": "Made-up descriptor that spans two lines",
        "76942": "Made-up descriptor five",
    }


def test_non_utf8_file_is_refused_with_its_line() -> None:
    result = d.parse_file(FIX / "latin1.csv")
    assert [str(p) for p in result.problems] == [
        "latin1.csv:2: the file is not UTF-8 text; save it from the spreadsheet as \u201cCSV UTF-8\u201d"]
    assert result.good == {}


def test_tab_separated_with_bom_and_header() -> None:
    result = d.parse_file(FIX / "tabs.csv")
    assert result.problems == ()
    assert dict(result.good) == {"64405": "Made-up tab-separated descriptor, with a comma"}


@pytest.mark.parametrize("text", ["", "\n\n", "code,descriptor\n", "\x00\x00", '"', "a" * 100_000,
                                  "64405,\x07bell\n", "64405," + "x" * 2001 + "\n", "٦٤٤٠٥,Made-up\n"])
def test_odd_input_never_raises(text: str) -> None:
    result = d.parse_text(text, "odd.csv")
    assert result.good == {}


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    good = d.parse_file(FIX / "good.csv").good
    path = d.save(tmp_path, good, "good.csv", today=date(2026, 3, 2))
    assert path == tmp_path / "descriptors" / "cpt-descriptors.json"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["notice"] == d.AMA_NOTICE
    loaded, problems = d.load_saved(tmp_path)
    assert problems == []
    assert loaded is not None
    assert (dict(loaded.descriptors), loaded.source_file, loaded.loaded_on, len(loaded)) == (
        dict(good), "good.csv", "2026-03-02", 3)
    assert d.remove_saved(tmp_path) is True
    assert d.load_saved(tmp_path) == (None, [])
    assert d.remove_saved(tmp_path) is False


def test_damaged_store_gives_a_problem_and_nothing(tmp_path: Path) -> None:
    d.store_path(tmp_path).parent.mkdir(parents=True)
    d.store_path(tmp_path).write_text("{not json", encoding="utf-8")
    loaded, problems = d.load_saved(tmp_path)
    assert loaded is None
    assert [str(p) for p in problems] == [
        "descriptors/cpt-descriptors.json:1: the stored descriptors are damaged (Expecting property name enclosed "
        "in double quotes); load the CSV again"]
    d.store_path(tmp_path).write_text('{"format": 1, "descriptors": {"64405": 3}}', encoding="utf-8")
    assert d.load_saved(tmp_path)[0] is None


def test_notice_text() -> None:
    assert d.AMA_NOTICE == "CPT\u00ae descriptors \u00a9 American Medical Association, used under the office's licence"


def test_no_descriptor_text_ships() -> None:
    """GuideCode never ships descriptors: no stored descriptor file in the repository, and every
    descriptor in the test fixtures is made-up text."""
    shipped = [p for top in ("resources", "desktop", "packaging", "docs") for p in (ROOT / top).rglob("*")
               if p.name.startswith("cpt-descriptors") or p.suffix == ".json" and "descriptor" in p.name]
    assert shipped == []
    for csv_file in FIX.glob("*.csv"):
        result = d.parse_file(csv_file)
        assert all(text.startswith("Made-up") for text in result.good.values()), csv_file
