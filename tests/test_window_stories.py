"""Coder stories against the real window and the shipped data, asserting on what is displayed.

Each story types into the search box and presses keys the way a coder does (pytest-qt's qtbot), then
reads the answer panel's labels: the guidance lines (``77003-26-XS ×1``), the per-procedure verdicts and
the messages.
"""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QGuiApplication, QInputMethodEvent, QKeyEvent, QPalette
from PySide6.QtWidgets import QApplication

from desktop.core.model import MODALITY_LABELS
from desktop.ui.models import FETCH_BATCH, NoteRole, ProblemRole, RecordRole

# WORKAROUND: the offscreen platform plugin warns on every show() of a window with size constraints;
# it is not a problem of the window (https://bugreports.qt.io/browse/QTBUG-70479).
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

DOS = date(2026, 3, 16)


def type_and_add(qtbot, window, text: str) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+L, type ``text``, Enter: what a coder does to add a procedure."""
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.search.search_edit.hasFocus()
    qtbot.keyClicks(window.search.search_edit, text)
    qtbot.keyClick(window.search.search_edit, Qt.Key.Key_Return)


def per_procedure_texts(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.headline.text() for c in window.answer.cards if c.item.kind == "procedure"]


def message_texts(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.text.text() for m in window.answer.messages]


def test_occipital_block_fluoroscopy_then_asc_then_epidural_then_two_spinal_regions(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_payer("other")
    w.set_setting("office")
    w.set_modality("ct")

    type_and_add(qtbot, w, "occipital")
    assert [r.code for r in w.editor.enc_model.rows()] == ["64405"]
    assert w.displayed_lines() == ["77012 \u00d71"]  # CT first: the answer follows the modality

    w.editor.modality_combo.setCurrentIndex(w.editor.modality_combo.findText(MODALITY_LABELS["fluoroscopy"]))
    assert w.displayed_lines() == ["77002 \u00d71"]
    assert "77002 \u00d71" in w.answer_text()

    w.set_setting("asc")
    assert w.displayed_lines() == ["77002-26 \u00d71"]

    type_and_add(qtbot, w, "62323")  # NCCI edit 62323/77002 (indicator 1): 77002 for 64405 takes 59
    assert w.displayed_lines() == ["77002-26-59 \u00d71"]
    verdicts = per_procedure_texts(w)
    assert any(t.startswith("Guidance included in 62323") and "do not bill" in t and "77003" in t
               and "77012" in t for t in verdicts), verdicts
    assert "included" in w.answer_text()

    type_and_add(qtbot, w, "62281")
    qtbot.keyClick(w, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # Ctrl+1: cervical
    type_and_add(qtbot, w, "62282")
    qtbot.keyClick(w, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)  # Ctrl+3: lumbar
    assert [r.regions for r in w.editor.enc_model.rows()][2:] == [("cervical",), ("lumbar",)]
    lines = w.displayed_lines()
    spinal = [line for line in lines if line.startswith("77003")]
    # per region for a payer that follows CPT; every 77003 line takes 59 (NCCI 77002/77003: column two)
    assert spinal == ["77003-26-59 \u00d71", "77003-26-59 \u00d71"], lines
    assert lines[0] == "77002-26-59 \u00d71"

    w.set_payer("medicare")  # Medicare: one 77003 per encounter, whatever the regions (NCCI ch. IX; MUE 1)
    assert [x for x in w.displayed_lines() if x.startswith("77003")] == ["77003-26-XS \u00d71"]


def test_si_joint_injection_in_2011_bills_77003_but_not_since_2012(qtbot, main_window) -> None:
    w = main_window
    w.set_setting("office")
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "si joint")
    assert [r.code for r in w.editor.enc_model.rows()] == ["27096"]

    w.editor.date_edit.setFocus()
    w.editor.date_edit.selectAll()
    qtbot.keyClicks(w.editor.date_edit, "06/15/2011")
    assert w.date_of_service() == date(2011, 6, 15)
    assert w.displayed_lines() == ["77003 \u00d71"]

    w.set_date(DOS)
    assert w.displayed_lines() == []
    assert any(t.startswith("Guidance included in 27096") for t in per_procedure_texts(w))
    assert "No imaging-guidance line to bill" in w.answer_text()


def test_without_imaging_epidural_under_fluoroscopy_redirects_to_the_with_imaging_code(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "62322")
    assert w.displayed_lines() == []
    assert "Fluoroscopy with 62322 \u2192 report 62323 instead" in per_procedure_texts(w)


def test_ultrasound_with_a_joint_injection_redirects_to_the_ultrasound_code(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_modality("ultrasound")
    type_and_add(qtbot, w, "20610")
    assert w.displayed_lines() == []
    assert "Ultrasound with 20610 \u2192 report 20611 instead" in per_procedure_texts(w)


def test_per_procedure_modality_override(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_setting("office")
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "64405")
    assert w.displayed_lines() == ["77002 \u00d71"]
    w.editor.override_combo.setCurrentIndex(w.editor.override_combo.findData("ultrasound"))
    assert w.displayed_lines() == ["76942 \u00d71"]
    assert "Ultrasound (this procedure)" in w.editor.enc_model.data(w.editor.enc_model.index(0))
    w.editor.override_combo.setCurrentIndex(0)  # back to "Same as encounter"
    assert w.displayed_lines() == ["77002 \u00d71"]
    assert w.editor.override_combo.currentText() == "Same as encounter (Fluoroscopy)"
    w.set_modality("ct")
    assert w.editor.override_combo.currentText() == "Same as encounter (CT)"
    assert w.displayed_lines() == ["77012 \u00d71"]


def test_deleted_code_is_listed_greyed_with_its_replacement_not_hidden(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    qtbot.keyClicks(w.search.search_edit, "62311")
    assert w.search.proc_model.rowCount() == 1
    idx = w.search.proc_model.index(0)
    text = idx.data(Qt.ItemDataRole.DisplayRole)
    assert text.startswith("62311") and "deleted 2017 \u2192 use 62322 / 62323" in text
    assert idx.data(NoteRole) == "deleted 2017 \u2192 use 62322 / 62323"
    grey = QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    assert idx.data(Qt.ItemDataRole.ForegroundRole).color() == grey
    # Before its deletion it is an ordinary row again.
    w.set_date(date(2015, 5, 1))
    idx = w.search.proc_model.index(w.search.proc_model.row_of("62311"))
    assert "\u2192 use" not in idx.data(Qt.ItemDataRole.DisplayRole)
    assert idx.data(NoteRole) == ""
    assert idx.data(Qt.ItemDataRole.ForegroundRole) is None
    # Adding it on a date after deletion says so in the answer, as an error.
    w.set_date(DOS)
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Return)
    assert w.displayed_lines() == []
    assert any(t.startswith("Error: 62311 was deleted") and "62322" in t for t in message_texts(w))


def test_search_shows_ranked_matches_and_the_preview_of_the_highlighted_code(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_setting("office")
    w.set_modality("fluoroscopy")
    qtbot.keyClicks(w.search.search_edit, "644")
    codes = [w.search.proc_model.index(r).data(RecordRole).code for r in range(w.search.proc_model.rowCount())]
    assert codes and all(c.startswith("644") for c in codes)
    assert w.search.count_label.text() == f"{len(codes)} of {len(w.catalog.records)} codes"
    w.search.search_edit.clear()
    qtbot.keyClicks(w.search.search_edit, "gon")
    assert w.highlighted_record().code == "64405"
    assert w.search.preview_label.text() == "Enter adds 64405 \u2014 with fluoroscopy \u2192 77002 \u00d71"


def type_text(qtbot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``text`` as a keyboard would: printable ASCII as key clicks, other scripts through the input
    method (as an IME commits them), control characters as bare key presses (QTest cannot click them)."""
    for ch in text:
        if " " <= ch <= "~":
            qtbot.keyClick(widget, ch)
        elif ch.isprintable():
            event = QInputMethodEvent()
            event.setCommitString(ch)
            QApplication.sendEvent(widget, event)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


@pytest.mark.parametrize("text", ["(*?[", "\\", "a" * 300, "\u819d\u6ce8\u5c04", "\t\x01\x7f\x1b", ".*+?^$|",
                                  "\u0645\u0641\u0635\u0644 \u043a\u043e\u043b\u0435\u043d\u043e \U0001F489"])
def test_any_text_typed_or_pasted_never_crashes_and_says_when_nothing_matches(qtbot, main_window, text: str) -> None:
    w = main_window
    type_text(qtbot, w.search.search_edit, text)
    assert w.search.search_edit.text() == "".join(ch for ch in text if ch.isprintable())[:200]
    matches = len(w._index.search(w.search.search_edit.text(), w.date_of_service()))
    assert w.search.proc_model.rowCount() == min(FETCH_BATCH, matches)  # the first batch; scrolling fetches more
    if w.search.proc_model.rowCount() == 0:
        assert w.search.preview_label.text().startswith("No match")
        assert not w.search.add_button.isEnabled()
        qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Return)  # Enter with nothing highlighted adds nothing
        assert w.editor.enc_model.rowCount() == 0
    # Pasted (e.g. from a claim file) instead of typed.
    w.search.search_edit.clear()
    QGuiApplication.clipboard().setText(text + "\x00\u202e" + text)
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    pasted = w.search.search_edit.text()
    assert pasted
    assert w.search.proc_model.rowCount() == min(FETCH_BATCH, len(w._index.search(pasted, w.date_of_service())))


def test_messages_are_shown_as_warnings_with_sources(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_payer("medicare")
    type_and_add(qtbot, w, "64405")
    w.editor.side_combo.setCurrentIndex(w.editor.side_combo.findData("bilateral"))
    texts = message_texts(w)
    assert any("64405 bilateral" in t and "modifier 50" in t for t in texts), texts
    assert w.answer.findChild(type(w.answer.messages[0]), "message_info") is not None
    assert "Notes (" in w.answer_text()
    w.set_date(date(2006, 6, 1))  # before the data's range: an error, and no lines
    assert any(t.startswith("Error: Date of service 06/01/2006") for t in message_texts(w))  # as the field shows
    assert w.displayed_lines() == []


def test_lines_show_reason_sources_with_titles_and_a_confidence_badge(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "64405")
    card = next(c for c in w.answer.cards if c.item.kind == "line")
    assert card.headline.text() == "77002 \u00d71"
    assert card.reason.text() and card.reason.text() == w.resolution().guidance_lines[0].reason
    assert card.badge.text() == "HIGH"
    chips = {chip.text(): chip.toolTip() for chip in card.sources.chips}
    assert list(chips) == list(w.resolution().guidance_lines[0].sources)
    for sid, tip in chips.items():
        assert tip.startswith(f"{sid}: {w.catalog.sources[sid].title}")


def test_data_version_and_code_set_year_are_visible(main_window) -> None:
    w = main_window
    label = w.answer.data_version
    assert label.isVisible()
    assert label.text() == f"Data {w.catalog.version_label} \u00b7 CPT code set {w.catalog.code_set_year}"


def test_date_of_service_defaults_to_today(main_window) -> None:
    assert main_window.date_of_service() == date.today()


# The nine stories of issue 15 ("a window a coder trusts all day"): each drives the window as a coder does
# and asserts on what is displayed or copied.
def codes_in(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.code for r in window.editor.enc_model.rows()]


def test_story_ctrl_backspace_in_search_keeps_the_encounter(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_setting("asc")
    for text in ("64405", "62281", "62282"):
        type_and_add(qtbot, w, text)
    lines = w.displayed_lines()
    assert lines and codes_in(w) == ["64405", "62281", "62282"]
    w.focus_search()
    qtbot.keyClicks(w.search.search_edit, "knee inj")
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Backspace, Qt.KeyboardModifier.ControlModifier)
    assert w.search.search_edit.text() == "knee "  # the word before the cursor, as in every text field
    assert codes_in(w) == ["64405", "62281", "62282"]
    assert w.displayed_lines() == lines


def test_story_clear_then_ctrl_z_restores_it(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_payer("medicare")
    w.set_setting("asc")
    type_and_add(qtbot, w, "62281")
    qtbot.keyClick(w, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    type_and_add(qtbot, w, "62282")
    qtbot.keyClick(w, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    type_and_add(qtbot, w, "64405")
    before = (w.displayed_lines(), w.answer_text())
    assert before[0] == ["77003-26-XS \u00d71", "77002-26-XS \u00d71"]  # Medicare: 77003 once per encounter
    qtbot.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # Encounter → New encounter
    assert codes_in(w) == [] and w.displayed_lines() == []
    assert "Ctrl+Z brings them back" in w.statusBar().currentMessage()
    w.editor.enc_view.setFocus()
    qtbot.keyClick(w.editor.enc_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert codes_in(w) == ["62281", "62282", "64405"]
    assert [r.regions for r in w.editor.enc_model.rows()] == [("cervical",), ("lumbar",), ()]
    assert (w.displayed_lines(), w.answer_text()) == before


def test_story_a_deleted_code_gives_the_banner_first_and_a_warned_copy(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_setting("asc")
    w.set_payer("medicare")
    for text in ("64405", "62311", "64483"):
        type_and_add(qtbot, w, text)
    banner = w.answer.banner
    assert banner.isVisible()
    assert banner.text.text() == ("Check before billing \u2014 1 error, 2 warnings. 62311 was deleted: valid until "
                                  "12/31/2016; with fluoroscopy report 62323 (the others: 62322).")
    assert banner.geometry().bottom() < w.answer.scroll_area.geometry().top()  # above the answer, never scrolled
    top = w.answer.first_widget_texts()
    assert top[0] == banner.text.text() and top[2].startswith("Error: 62311 was deleted")
    shown = w.answer_text().splitlines()
    error_at = next(n for n, t in enumerate(shown) if t.startswith("Error: 62311"))
    assert error_at < shown.index("Bill these lines")  # the error comes before the lines to bill
    # The row is marked: icon, colour, tooltip.
    row = w.editor.enc_model.index(1)
    assert row.data(ProblemRole) == "error"
    assert not row.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert "Error: 62311 was deleted" in row.data(Qt.ItemDataRole.ToolTipRole)
    assert w.editor.enc_model.index(0).data(ProblemRole) == ""
    # Copy carries a warning line first, and the status bar says so.
    w.editor.enc_view.setFocus()
    qtbot.keyClick(w.editor.enc_view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = QGuiApplication.clipboard().text().splitlines()
    assert copied[0] == ("WARNING: this answer has 1 error: 62311 was deleted: valid until 12/31/2016; with "
                         "fluoroscopy report 62323 (the others: 62322). Check before billing.")
    assert copied[1:] == ["64405 1", "64483 1", "77002 26 XS 1",
                          "64483: imaging guidance included, do not bill 77003 (source S5, S6)"]
    assert w.statusBar().currentMessage().startswith("WARNING: the answer has an error")
    from desktop.ui.present import summary_html

    assert summary_html(w.catalog, w.encounter(), w.resolution(), app_version="x", printed_on=DOS).index(
        "WARNING: this answer has 1 error") < 400  # Print: the warning heads the page
    # The deleted code's card names the exact replacement with the modality used, and Replace puts it in.
    card = next(c for c in w.answer.cards if c.item.code == "62311")
    assert card.badge is None  # an error card: no confidence badge
    assert card.replace_button is not None and card.replace_button.text() == "Replace 62311 with 62323"
    qtbot.mouseClick(card.replace_button, Qt.MouseButton.LeftButton)
    assert codes_in(w) == ["64405", "62323", "64483"]
    assert not w.resolution().has_errors and "error" not in w.answer.banner.text.text()  # warnings may remain


def test_story_a_date_typed_over_the_selected_date_gives_that_dates_answer(qtbot, main_window) -> None:
    w = main_window
    w.set_setting("office")
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "62311")
    assert w.displayed_lines() == []  # deleted in 2017: today it is an error
    field = w.editor.date_edit
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton, pos=field.rect().center())  # focus: all selected
    qtbot.waitUntil(lambda: field.selectedText() == field.text())
    qtbot.keyClicks(field, "3/10/2016")
    assert field.text() == "3/10/2016"
    assert w.date_of_service() == date(2016, 3, 10)
    assert w.displayed_lines() == ["77003 \u00d71"]  # that day's answer
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert field.text() == "03/10/2016"  # shown as the field writes dates
    # Other forms; focus from the keyboard selects all too; "t" is today.
    w.editor.enc_view.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # Alt+D: the date field
    qtbot.waitUntil(lambda: field.hasFocus() and field.selectedText() == field.text())
    qtbot.keyClicks(field, "2016-03-11")
    assert w.date_of_service() == date(2016, 3, 11)
    field.selectAll()
    qtbot.keyClicks(field, "03122016")
    assert w.date_of_service() == date(2016, 3, 12)
    # An invalid date is shown as such, and no answer is given for it.
    field.selectAll()
    qtbot.keyClicks(field, "13/45/2016")
    assert w.displayed_lines() == []
    assert w.editor.date_problem.isVisible() and "not a real date" in w.editor.date_problem.text()
    assert w.answer.banner.text.text().startswith("Check before billing \u2014 1 error. The date of service is not "
                                                  "valid")
    assert not w.answer.copy_button.isEnabled()
    field.selectAll()
    qtbot.keyClicks(field, "t")
    assert w.date_of_service() == date.today() and not w.editor.date_problem.isVisible()


def test_story_copy_of_bilateral_64483_and_64484_in_an_asc_for_medicare_gives_ascii_claim_lines(
        qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    w = main_window
    w.set_date(DOS)
    w.set_setting("asc")
    w.set_payer("medicare")
    w.set_modality("fluoroscopy")
    for text in ("64483", "64484"):
        type_and_add(qtbot, w, text)
        w.editor.side_combo.setCurrentIndex(w.editor.side_combo.findData("bilateral"))
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(w, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QGuiApplication.clipboard().text()
    assert text.isascii()
    assert text.splitlines() == [
        "64483 50 1",
        "64484 50 1",
        "64483: imaging guidance included, do not bill 77003 (source S5, S6)",
        "64484: imaging guidance included, do not bill 77003 (source S5, S6)",
    ]
    mime = QGuiApplication.clipboard().mimeData()
    assert bytes(mime.data("text/tab-separated-values").data()) == b"64483\t50\t\t\t\t1\r\n64484\t50\t\t\t\t1\r\n"
    assert "<td>64483</td><td>50</td><td>1</td>" in mime.html()
    assert w.answer.claim_label is not None and w.answer.claim_label.text() == "64483 50 1\n64484 50 1"
    w.set_copy_form("display")
    w.copy_lines()
    assert QGuiApplication.clipboard().text().splitlines()[:2] == ["64483-50 x1", "64484-50 x1"]


def test_story_an_included_verdict_copies_as_a_note(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_setting("office")
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "si joint")
    assert codes_in(w) == ["27096"] and w.displayed_lines() == []
    assert w.answer.copy_button.isEnabled()
    qtbot.mouseClick(w.answer.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text().splitlines() == [
        "27096 1",
        "27096: imaging guidance included, do not bill 77003 (source S1, S52)",
    ]
    assert w.statusBar().currentMessage() == "Copied 1 claim line and 1 note."


def test_story_the_20610_ultrasound_replace_button_gives_20611(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_modality("ultrasound")
    type_and_add(qtbot, w, "20610")
    card = next(c for c in w.answer.cards if c.item.code == "20610")
    assert card.replace_button is not None and card.replace_button.text() == "Replace 20610 with 20611"
    qtbot.mouseClick(card.replace_button, Qt.MouseButton.LeftButton)
    assert codes_in(w) == ["20611"]
    assert per_procedure_texts(w) == ["Guidance included in 20611 \u2014 do not bill 76942"]
    assert QGuiApplication.clipboard() is not None
    w.copy_lines()
    assert QGuiApplication.clipboard().text().splitlines()[0] == "20611 1"
    w.undo_action.trigger()  # undoable
    assert codes_in(w) == ["20610"]
    assert "Ultrasound with 20610 \u2192 report 20611 instead" in per_procedure_texts(w)


def test_story_an_encounter_survives_a_restart(qtbot, catalog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from desktop.core.saved_work import WorkStore
    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings import Settings

    folder = tmp_path / "user-data"

    def start() -> MainWindow:
        window = MainWindow(catalog, Settings.at(tmp_path / "GuideCode.ini"), store=WorkStore(folder))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(window.isActiveWindow)
        window.finish_startup()  # as run_gui's StartupFinisher does after the first paint
        return window

    first = start()
    first.set_date(date(2016, 3, 10))
    first.set_setting("asc")
    first.set_payer("medicare")
    type_and_add(qtbot, first, "62281")
    qtbot.keyClick(first, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    type_and_add(qtbot, first, "64405")
    first.set_laterality("left")
    shown = (first.displayed_lines(), first.answer_text())
    autosave = folder / "encounters" / "autosave.json"
    qtbot.waitUntil(lambda: autosave.is_file() and "64405" in autosave.read_text(encoding="utf-8"), timeout=3000)
    # A crash: the first window is never closed, nothing else is written.
    second = start()
    assert codes_in(second) == ["62281", "64405"]
    assert second.editor.date_edit.text() == "03/10/2016"
    assert (second.setting(), second.payer()) == ("asc", "medicare")
    assert [r.regions for r in second.editor.enc_model.rows()] == [("cervical",), ()]
    assert second.editor.enc_model.row(1).laterality == "left"
    assert (second.displayed_lines(), second.answer_text()) == shown
    assert second.statusBar().currentMessage().startswith("Restored the encounter you were working on (03/10/2016")
    saved = autosave.read_text(encoding="utf-8")
    assert set(__import__("json").loads(saved)) == {"date_of_service", "setting", "payer", "modality",
                                                    "procedures"}  # codes, dates, settings only


def test_story_the_source_panel_opens_on_click(qtbot, catalog, ui_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from PySide6.QtGui import QDesktopServices

    from desktop.ui.main_window import MainWindow

    s10 = replace(catalog.sources["S10"], url="https://example.org/guidance/s10")
    with_url = replace(catalog, sources={**catalog.sources, "S10": s10})
    w = MainWindow(with_url, ui_settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(w.isActiveWindow)
    w.set_date(DOS)
    w.set_modality("fluoroscopy")
    type_and_add(qtbot, w, "64405")
    card = next(c for c in w.answer.cards if c.item.kind == "line")
    chip = card.sources.chip("S10")
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    dialog = w._source_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.heading.text() == "S10"
    assert dialog.title_label.text() == s10.title
    assert (dialog.kind_label.text(), dialog.reliability_label.text()) == (s10.kind, s10.reliability)
    assert "https://example.org/guidance/s10" in dialog.address.text()
    assert dialog.address.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert card.item.reason in dialog.cited.toPlainText()  # the rule text that cites it
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toString()) or True))
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert opened == ["https://example.org/guidance/s10"]
    dialog.reject()
