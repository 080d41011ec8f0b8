"""desktop.core.saved_work and the encounter JSON serializer: what Save as, the autosave, the recent list and
favourites write (codes, dates and settings only), that it reads back, and that damaged files are kept."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from desktop.core.encounter_json import (
    EncounterError,
    encounter_to_json,
    encounter_to_text,
    parse_encounter,
    parse_encounter_text,
)
from desktop.core.model import Encounter, ProcedureEntry
from desktop.core.saved_work import MAX_RECENT, WorkStore, load_encounter_file, save_encounter_file

TODAY = date(2026, 3, 16)
ENC = Encounter(date(2016, 3, 10), "asc", "medicare", "fluoroscopy", (
    ProcedureEntry("64483", laterality="bilateral"),
    ProcedureEntry("62282", 2, ("59",), "ct", ("lumbar", "sacral")),
))


def test_the_serializer_writes_the_resolve_input_format_and_reads_back_unchanged() -> None:
    obj = encounter_to_json(ENC)
    assert obj == {
        "date_of_service": "2016-03-10", "setting": "asc", "payer": "medicare", "modality": "fluoroscopy",
        "procedures": [{"code": "64483", "laterality": "bilateral"},
                       {"code": "62282", "units": 2, "modifiers": ["59"], "modality": "ct",
                        "regions": ["lumbar", "sacral"]}],
    }
    assert parse_encounter(obj, today=TODAY) == ENC
    text = encounter_to_text(ENC)
    assert text.endswith("\n") and text.isascii()
    assert parse_encounter_text(text, today=TODAY) == ENC
    empty = Encounter(TODAY)
    assert parse_encounter(encounter_to_json(empty), today=date(2000, 1, 1)) == empty


def test_only_codes_dates_and_settings_are_written(tmp_path: Path) -> None:
    path = save_encounter_file(tmp_path / "enc.json", ENC)
    obj = json.loads(path.read_text(encoding="utf-8"))
    assert set(obj) == {"date_of_service", "setting", "payer", "modality", "procedures"}
    assert {k for p in obj["procedures"] for k in p} <= {"code", "units", "modifiers", "modality", "regions",
                                                         "laterality"}
    assert load_encounter_file(path, today=TODAY) == ENC


def test_a_file_that_is_not_an_encounter_gives_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text('{"patient": "Jane Doe"}', encoding="utf-8")
    with pytest.raises(EncounterError, match="unknown field 'patient'"):
        load_encounter_file(bad, today=TODAY)
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(EncounterError, match="not UTF-8"):
        load_encounter_file(bad, today=TODAY)
    with pytest.raises(FileNotFoundError):
        load_encounter_file(tmp_path / "missing.json", today=TODAY)


def test_autosave_round_trip_and_a_damaged_autosave_is_kept_aside(tmp_path: Path) -> None:
    store = WorkStore(tmp_path / "user")
    assert store.load_autosave(today=TODAY).encounter is None
    store.save_autosave(ENC)
    assert store.autosave_path == tmp_path / "user" / "encounters" / "autosave.json"
    assert store.load_autosave(today=TODAY).encounter == ENC
    store.autosave_path.write_text("{broken", encoding="utf-8")
    restored = store.load_autosave(today=TODAY)
    assert restored.encounter is None
    assert restored.problem is not None and "not valid JSON" in restored.problem
    assert "kept as autosave.json.damaged" in restored.problem
    assert (store.autosave_path.parent / "autosave.json.damaged").read_text(encoding="utf-8") == "{broken"
    assert not store.autosave_path.exists()


def test_recent_encounters_newest_first_without_repeats_or_empties(tmp_path: Path) -> None:
    store = WorkStore(tmp_path)
    assert store.recent(today=TODAY) == ([], None)
    other = Encounter(TODAY, procedures=(ProcedureEntry("64405"),))
    store.push_recent(ENC, today=TODAY)
    store.push_recent(other, today=TODAY)
    store.push_recent(ENC, today=TODAY)
    store.push_recent(Encounter(TODAY), today=TODAY)  # nothing in it: not kept
    assert store.recent(today=TODAY) == ([ENC, other], None)
    for n in range(MAX_RECENT + 3):
        store.push_recent(Encounter(TODAY, procedures=(ProcedureEntry("64405", units=n + 1),)), today=TODAY)
    recent, _ = store.recent(today=TODAY)
    assert len(recent) == MAX_RECENT and recent[0].procedures[0].units == MAX_RECENT + 3
    store.clear_recent()
    assert store.recent(today=TODAY) == ([], None)


@pytest.mark.parametrize("content", ["[1, 2]", '{"format": 1, "encounters": [{"code": 1}]}', '{"format": 9}',
                                     "\u00e9"])
def test_a_damaged_recent_list_is_kept_aside_and_starts_empty(tmp_path: Path, content: str) -> None:
    store = WorkStore(tmp_path)
    store.recent_path.parent.mkdir(parents=True)
    store.recent_path.write_text(content, encoding="latin-1")
    recent, problem = store.recent(today=TODAY)
    assert recent == [] and problem is not None and problem.startswith("recent.json could not be read")
    assert store.recent_path.with_name("recent.json.damaged").exists()
    store.push_recent(ENC, today=TODAY)
    assert store.recent(today=TODAY) == ([ENC], None)


def test_favourites_round_trip_and_refuse_what_is_not_a_code(tmp_path: Path) -> None:
    store = WorkStore(tmp_path)
    assert store.favourites() == ((), None)
    assert store.set_favourites(["64483", " 20611 ", "64483"]) == ("64483", "20611")
    assert store.favourites() == (("64483", "20611"), None)
    with pytest.raises(ValueError, match="not a 5-character code"):
        store.set_favourites(["644"])
    assert store.favourites() == (("64483", "20611"), None)  # unchanged
    store.favourites_path.write_text('{"format": 1, "codes": ["x"]}', encoding="utf-8")
    codes, problem = store.favourites()
    assert codes == () and problem is not None and "favourites.json.damaged" in problem
