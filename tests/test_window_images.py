"""Documentation prerequisites as input (issue 14): the encounter editor's "Images recorded" box (yes / no /
not stated), shown when the encounter uses ultrasound, undoable, saved with the encounter (resolve's
``images_recorded``) and in the autosave, in the copy and the printed summary; the answer follows the
documentation rules of rules.yaml (ultrasound guidance withheld without recorded images, a code with
ultrasound built in falls back to its code without imaging). Every assertion reads what the window shows.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from desktop.ui.main_window import MainWindow
from desktop.ui.settings import Settings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

DOS = date(2026, 3, 16)


def per_procedure(window: MainWindow) -> list[str]:
    return [c.headline.text() for c in window.answer.cards if c.item.kind == "procedure"]


def messages(window: MainWindow) -> list[str]:
    return [m.text.text() for m in window.answer.messages]


def pick(window: MainWindow, text: str) -> None:
    """Choose ``text`` in the Images recorded box, as a coder does."""
    box = window.editor.images_combo
    assert box.isVisible()
    box.setCurrentIndex(box.findText(text))


def test_the_box_is_shown_with_ultrasound_and_no_images_withholds_76942_undoably(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_setting("office")
    w.set_payer("medicare")
    w.set_modality("fluoroscopy")
    w.add_procedure("64405")
    assert not w.editor.images_combo.isVisible() and not w.editor.images_label.isVisible()
    w.set_modality("ultrasound")
    box = w.editor.images_combo
    assert box.isVisible() and w.editor.images_label.text() == "Images recorded:"
    assert [box.itemText(i) for i in range(box.count())] == ["Not stated", "Yes", "No"]
    assert box.currentText() == "Not stated"
    assert w.displayed_lines() == ["76942 \u00d71"]
    assert any(t.startswith("Note: 76942: Bill ultrasound guidance only if the images were permanently recorded")
               for t in messages(w))
    pick(w, "No")
    assert w.displayed_lines() == []
    assert per_procedure(w) == ["64405: no guidance code to bill"]
    assert any(t.startswith("Warning: 76942: Ultrasound guidance without permanently recorded images and a report "
                            "is not separately reportable") for t in messages(w))
    assert w.undo_action.text() == "&Undo Images recorded: no"
    qtbot.keyClick(w.editor.enc_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert box.currentText() == "Not stated" and w.displayed_lines() == ["76942 \u00d71"]
    qtbot.keyClick(w.editor.enc_view, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert box.currentText() == "No" and w.displayed_lines() == []
    pick(w, "Yes")
    assert w.displayed_lines() == ["76942 \u00d71"]
    assert not any("76942" in t for t in messages(w))  # recorded: no reminder, no warning
    # A procedure's own ultrasound shows the box too; without ultrasound anywhere it is hidden again.
    w.set_modality("fluoroscopy")
    assert not box.isVisible()
    w.editor.override_combo.setCurrentIndex(w.editor.override_combo.findData("ultrasound"))
    assert box.isVisible() and box.currentText() == "Yes"
    # New encounter: the documentation is the encounter's, so it goes back to not stated.
    qtbot.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    w.set_modality("ultrasound")
    assert box.currentText() == "Not stated"


def test_20611_without_recorded_images_falls_back_to_20610_with_a_replace_button(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_setting("office")
    w.set_payer("medicare")
    w.set_modality("ultrasound")
    w.add_procedure("20611")
    assert per_procedure(w) == ["Guidance included in 20611 \u2014 do not bill 76942"]
    pick(w, "No")
    assert per_procedure(w) == ["Ultrasound with 20611 \u2192 report 20610 instead"]
    assert any(t.startswith("Warning: 20611: Without permanently recorded images and a report the ultrasound-guided "
                            "code is not supported") and t.endswith("Report 20610.") for t in messages(w))
    assert w.answer.claim_label is not None and w.answer.claim_label.text() == "20610 1"
    card = next(c for c in w.answer.cards if c.item.code == "20611")
    assert card.replace_button is not None and card.replace_button.text() == "Replace 20611 with 20610"
    qtbot.mouseClick(card.replace_button, Qt.MouseButton.LeftButton)
    assert [r.code for r in w.editor.enc_model.rows()] == ["20610"]
    w.undo_action.trigger()
    assert [r.code for r in w.editor.enc_model.rows()] == ["20611"]
    assert w.editor.images_combo.currentText() == "No"


def test_images_recorded_is_saved_autosaved_restored_and_in_the_copy_and_the_summary(
        qtbot, catalog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from desktop.core.saved_work import WorkStore
    from desktop.ui.present import summary_html

    folder = tmp_path / "user-data"

    def start() -> MainWindow:
        window = MainWindow(catalog, Settings.at(tmp_path / "GuideCode.ini"), store=WorkStore(folder))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.finish_startup()
        return window

    first = start()
    first.set_date(DOS)
    first.set_setting("office")
    first.set_payer("medicare")
    first.set_modality("ultrasound")
    first.add_procedure("64405")
    pick(first, "No")
    # Copy and Print say what the answer depends on.
    first.copy_lines()
    assert QGuiApplication.clipboard().text().splitlines() == [
        "64405 1", "Ultrasound images recorded with a report: no"]
    html = summary_html(first.catalog, first.encounter(), first.resolution(), app_version="x", printed_on=DOS)
    assert "modality Ultrasound<br/>Ultrasound images recorded with a report: no</p>" in html
    # Saved as a file (the resolve input format) and opened again.
    path = tmp_path / "enc.json"
    assert first.save_encounter(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["images_recorded"] is False and saved["modality"] == "ultrasound"
    pick(first, "Yes")
    assert first.open_encounter(path)
    assert first.editor.images_combo.currentText() == "No" and first.displayed_lines() == []
    # Autosaved, and restored after a restart (a crash: the first window is never closed).
    autosave = folder / "encounters" / "autosave.json"
    qtbot.waitUntil(lambda: autosave.is_file() and '"images_recorded": false' in autosave.read_text("utf-8"),
                    timeout=3000)
    second = start()
    assert [r.code for r in second.editor.enc_model.rows()] == ["64405"]
    assert second.editor.images_combo.isVisible() and second.editor.images_combo.currentText() == "No"
    assert second.displayed_lines() == [] and second.encounter().images_recorded is False
