"""Saved work in the window (Encounter → Save as / Open, recent encounters, favourites, autosave failures),
the Help pages, the source panel without an address, badges in the window, the locale's date order, and Qt's
own command-line options."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop import cli
from desktop.core.saved_work import WorkStore
from desktop.ui.main_window import MainWindow
from desktop.ui.settings import Settings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

DOS = date(2026, 3, 16)


@pytest.fixture
def stored(qtbot, catalog, tmp_path):  # type: ignore[no-untyped-def]
    """A window with saved work in a temporary user data folder, started as run_gui starts it."""
    w = MainWindow(catalog, Settings.at(tmp_path / "GuideCode.ini"), store=WorkStore(tmp_path / "user"))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.finish_startup()
    w.set_date(DOS)
    return w


def codes(w: MainWindow) -> list[str]:
    return [r.code for r in w.editor.rows()]


def test_save_as_then_open_round_trips_and_open_is_undoable(stored, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    w = stored
    w.set_setting("asc")
    w.add_procedure("64483", laterality="bilateral")
    w.add_procedure("62282")
    w.set_region("sacral", True)
    target = tmp_path / "out" / "enc"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    w.save_as_action.trigger()
    saved = json.loads((tmp_path / "out" / "enc.json").read_text(encoding="utf-8"))
    assert saved == {"date_of_service": "2026-03-16", "setting": "asc", "payer": "other", "modality": "fluoroscopy",
                     "procedures": [{"code": "64483", "laterality": "bilateral"},
                                    {"code": "62282", "regions": ["sacral"]}]}
    lines = w.displayed_lines()
    w.clear_encounter()
    w.set_setting("office")
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "out" / "enc.json"), "")))
    w.open_action.trigger()
    assert codes(w) == ["64483", "62282"] and w.setting() == "asc" and w.displayed_lines() == lines
    w.undo_action.trigger()
    assert codes(w) == [] and w.setting() == "office"


@pytest.mark.parametrize(("content", "why"), [
    ('{"procedures": [{"code": "99999"}]}', "has no code 99999"),
    ('{"patient": "Jane Doe"}', "unknown field 'patient'"),
    ("not json", "not valid JSON"),
])
def test_a_bad_encounter_file_is_refused_and_changes_nothing(stored, tmp_path, content, why) -> None:  # type: ignore[no-untyped-def]
    w = stored
    w.add_procedure("64405")
    before = (codes(w), w.answer_text())
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    assert w.open_encounter(bad) is False
    assert (codes(w), w.answer_text()) == before
    assert why in w.statusBar().currentMessage() and "Nothing was changed" in w.statusBar().currentMessage()
    box = w.findChild(QMessageBox, "encounterRefusedBox")
    if "has no code" not in why:
        assert box is not None and why in box.text()
        box.close()


def test_recent_encounters_are_kept_and_reopened(stored, qtbot, catalog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = stored
    w.add_procedure("27096")
    w.clear_encounter()  # New encounter: the old one goes to the recent list
    w.add_procedure("20611")
    w.close()  # quitting keeps the current one too
    again = MainWindow(catalog, Settings.at(tmp_path / "GuideCode.ini"), store=WorkStore(tmp_path / "user"))
    qtbot.addWidget(again)
    again.finish_startup()
    assert [[p.code for p in e.procedures] for e in again.recent_encounters()] == [["20611"], ["27096"]]
    again._fill_recent_menu()
    labels = [a.text() for a in again.recent_menu.actions()]
    assert labels[0].startswith("&1 03/16/2026  20611") and "Office (POS 11)" in labels[0]
    again.clear_encounter()
    again.recent_menu.actions()[1].trigger()
    assert codes(again) == ["27096"]


def test_favourites_are_pinned_at_the_top_of_the_list_at_rest_and_kept(stored, qtbot, catalog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = stored
    for code in ("64483", "20611"):
        w.search.search_edit.setText(code)
        w.favourite_action.trigger()
    w.search.search_edit.clear()
    model = w.search.proc_model
    assert [model.record_at(n).code for n in range(2)] == ["64483", "20611"]
    assert model.index(0).data(Qt.ItemDataRole.DisplayRole).startswith("\u2605 64483")
    w.search.search_edit.setText("644")  # with a query the ranking stays: Enter adds what was typed
    assert model.record_at(0).code == w._index.search_records("644", DOS)[0].code  # not the pinned 64483
    w.search.search_edit.setText("20610")
    assert w.highlighted_record().code == "20610"
    again = MainWindow(catalog, Settings.at(tmp_path / "Other.ini"), store=WorkStore(tmp_path / "user"))
    qtbot.addWidget(again)
    again.finish_startup()
    assert again.favourites() == ("64483", "20611")
    assert again.search.proc_model.record_at(0).code == "64483"
    again.search.search_edit.setText("64483")
    again.favourite_action.trigger()  # unpin
    assert again.favourites() == ("20611",)


def test_an_autosave_that_cannot_be_written_says_so_once_and_keeps_working(stored, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    w = stored

    def full(*_a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(w.store, "save_autosave", full)
    w.add_procedure("64405")
    w.autosave_now()
    assert "could not be autosaved (No space left on device)" in w.statusBar().currentMessage()
    assert w.displayed_lines() == ["77002 \u00d71"]


def test_help_pages_are_generated_from_the_real_actions(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    dialog = w.show_help("shortcuts")
    text = dialog.browser.toPlainText()
    for action in (w.undo_action, w.redo_action, w.copy_action, w.new_action, w.open_action, w.find_action,
                   w.region_actions["lumbar"], w.favourite_action):
        for key in action.shortcuts():
            assert key.toString(key.SequenceFormat.NativeText) in text, action.text()
    assert "Ctrl+Shift+Z" in text and "Ctrl+N" in text
    assert "Ctrl+Backspace" in text and "edit the search text" in text  # the panes' own keys
    dialog.close()
    badges = w.show_help("badges").browser.toPlainText()
    assert "NO SOURCE" in badges and "HIGH" in badges and "carries no badge" in badges
    sources = w.show_help("sources")
    assert sources.browser.toPlainText().startswith("GuideCode data sources and confidence")
    assert w.shortcuts_action.shortcut().toString()  # F1 (HelpContents) on every platform


def test_the_source_panel_without_an_address_says_where_it_is(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    dialog = w.show_source("S5", "the rule")
    assert "No web address is recorded" in dialog.address.text()
    assert not dialog.open_button.isEnabled() and dialog.open_address() is False
    unknown = w.show_source("S999", "x")
    assert unknown is dialog and "not in GuideCode's source list" in dialog.title_label.text()
    dialog.reject()


def test_error_cards_carry_no_badge_in_the_window(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_modality("none")
    w.add_procedure("62311")
    w.add_procedure("64405")
    cards = {c.item.code: c for c in w.answer.cards}
    assert cards["62311"].badge is None  # an error, not a rule
    assert not cards["64405"].item.sources  # "No imaging was used ...": no source cited
    assert cards["64405"].badge is not None and cards["64405"].badge.text() == "NO SOURCE"
    assert "No source cited" in w.answer_text()


def test_about_says_what_is_kept_and_that_it_is_never_patient_data(stored) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.about import AboutDialog

    w = stored
    w.about_action.trigger()
    dialog = w.findChild(AboutDialog)
    text = dialog.browser.toPlainText()
    assert "codes, dates of service and settings only" in text and "never a patient's name" in text
    assert str(w.store.data_dir) in text
    dialog.reject()


def test_the_date_field_follows_a_day_first_locale(qtbot, catalog, ui_settings) -> None:  # type: ignore[no-untyped-def]
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    try:
        w = MainWindow(catalog, ui_settings)
        qtbot.addWidget(w)
    finally:
        QLocale.setDefault(before)
    field = w.editor.date_edit
    field.selectAll()
    qtbot.keyClicks(field, "3/10/2016")
    assert w.date_of_service() == date(2016, 10, 3)
    assert field.placeholderText() == "dd/mm/yyyy"
    w.add_procedure("62311")
    w.set_date(DOS)
    assert "31/12/2016" in w.answer.banner.text.text()  # messages as the field writes dates


@pytest.mark.parametrize(("words", "expected"), [
    ([], (None, False, [])),
    (["-style", "Fusion"], (None, False, ["-style", "Fusion"])),
    (["-style=fusion", "--no-error-dialogs"], (None, True, ["-style=fusion"])),
    (["--data-dir", "packs", "-platform", "offscreen", "-reverse"], (Path("packs"), False,
                                                                     ["-platform", "offscreen", "-reverse"])),
    (["--style", "Fusion"], (None, False, ["--style", "Fusion"])),
    (["-style"], None),  # no value: argparse reports it
    (["-bogus"], None),
    (["resolve", "-"], None),
])
def test_qt_options_pass_through_without_building_the_parser(words, expected, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert cli._plain_gui_start(words) == expected
    if expected is not None:
        started: list[tuple[object, ...]] = []
        monkeypatch.setattr(cli, "build_parser", lambda *a: pytest.fail("the parser was built"))
        monkeypatch.setattr(cli, "_run_gui", lambda *a: started.append(a) or 0)
        assert cli.dispatch(words) == 0
        assert started == [expected]


def test_a_code_is_named_as_on_the_date_of_service(qtbot, catalog, ui_settings) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from desktop.core.model import DatedName

    old_name = "Sacroiliac joint injection, imaging reported on its own line"
    si = replace(catalog.get("27096"), names=(DatedName(start=None, end=date(2011, 12, 31), name=old_name,
                                                       sources=("S1",)),))
    records = tuple(si if r.code == "27096" else r for r in catalog.records)
    dated = replace(catalog, records=records, by_code={r.code: r for r in records})
    w = MainWindow(dated, ui_settings)
    qtbot.addWidget(w)
    w.add_procedure("27096")
    w.search.search_edit.setText("27096")
    row = w.editor.enc_model.index(0)
    assert old_name not in w.search.proc_model.index(0).data(Qt.ItemDataRole.DisplayRole)
    w.set_date(date(2011, 6, 15))
    assert w.search.proc_model.index(0).data(Qt.ItemDataRole.DisplayRole) == f"27096   {old_name}"
    assert old_name in row.data(Qt.ItemDataRole.DisplayRole)
    assert w.displayed_lines() == ["77003 \u00d71"]  # the rule of that year, under the name of that year
    w.finish_startup()
    w.search.search_edit.setText("reported own line")
    assert w.highlighted_record().code == "27096"  # the name of other years still finds it
