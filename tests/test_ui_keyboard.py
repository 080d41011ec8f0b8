"""Keyboard-first use: focus, arrows, Enter, Delete, Ctrl+1…4, Ctrl+Backspace; mnemonics and accessible names."""

from __future__ import annotations

import re
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

DOS = date(2026, 3, 16)


def codes(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.code for r in window.editor.enc_model.rows()]


@pytest.mark.parametrize("key", [Qt.Key.Key_F, Qt.Key.Key_L])
def test_ctrl_f_and_ctrl_l_focus_the_search_box_and_select_its_text(qtbot, main_window, key: Qt.Key) -> None:
    w = main_window
    w.search.search_edit.setText("62323")
    w.editor.enc_view.setFocus()
    assert not w.search.search_edit.hasFocus()
    qtbot.keyClick(w, key, Qt.KeyboardModifier.ControlModifier)
    assert w.search.search_edit.hasFocus()
    assert w.search.search_edit.selectedText() == "62323"


def test_arrows_move_the_highlight_and_enter_adds_it(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.focus_search()
    qtbot.keyClicks(w.search.search_edit, "644")
    listed = [w.search.proc_model.record_at(r).code for r in range(w.search.proc_model.rowCount())]
    assert len(listed) >= 3
    assert w.highlighted_record().code == listed[0]
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Down)
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Down)
    assert w.highlighted_record().code == listed[2]
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Up)
    assert w.highlighted_record().code == listed[1]
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Up)
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Up)  # stays on the first row
    assert w.highlighted_record().code == listed[0]
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_PageDown)
    assert w.search.proc_view.currentIndex().row() > 0
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Enter)  # keypad Enter too
    assert codes(w) == [w.highlighted_record().code]
    assert w.search.search_edit.hasFocus() and w.search.search_edit.selectedText() == "644"  # ready for the next code


def test_enter_and_double_click_in_the_list_add_the_row(qtbot, main_window) -> None:
    w = main_window
    qtbot.keyClicks(w.search.search_edit, "6440")
    w.search.proc_view.setFocus()
    qtbot.keyClick(w.search.proc_view, Qt.Key.Key_Return)
    first = w.search.proc_model.record_at(0).code
    assert codes(w) == [first]
    rect = w.search.proc_view.visualRect(w.search.proc_view.model().index(0, 0))
    qtbot.mouseClick(w.search.proc_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert codes(w) == [first]  # one click only highlights
    qtbot.mouseDClick(w.search.proc_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert codes(w) == [first, first]


def test_delete_removes_the_selected_procedure_only(qtbot, main_window) -> None:
    w = main_window
    for code in ("64405", "62323", "27096"):
        w.add_procedure(code)
    w.select_procedure(1)
    w.editor.enc_view.setFocus()
    qtbot.keyClick(w.editor.enc_view, Qt.Key.Key_Delete)
    assert codes(w) == ["64405", "27096"]
    assert w.selected_row() == 1  # the next one is selected, so Delete can repeat
    qtbot.keyClick(w.editor.enc_view, Qt.Key.Key_Delete)
    assert codes(w) == ["64405"]
    # Delete in the search box edits the text; it never removes a procedure.
    w.search.search_edit.setText("abc")
    w.search.search_edit.setFocus()
    w.search.search_edit.setCursorPosition(0)
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Delete)
    assert w.search.search_edit.text() == "bc" and codes(w) == ["64405"]


def test_ctrl_n_clears_the_encounter_even_from_the_search_box_and_ctrl_z_brings_it_back(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.add_procedure("64405")
    w.add_procedure("62323")
    assert w.displayed_lines()
    w.focus_search()
    qtbot.keyClicks(w.search.search_edit, "gon")
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert codes(w) == []
    assert w.displayed_lines() == []
    assert w.search.search_edit.text() == "gon"
    assert w.statusBar().currentMessage() == "Encounter cleared (2 procedures); Ctrl+Z brings them back."
    assert not w.editor.detail_box.isEnabled()
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert codes(w) == ["64405", "62323"]  # the clear is undone, not the typing before it
    assert w.search.search_edit.text() == "gon"
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert codes(w) == []


def test_ctrl_z_in_the_search_box_undoes_typing_first(qtbot, main_window) -> None:
    w = main_window
    w.add_procedure("64405")
    w.focus_search()
    qtbot.keyClicks(w.search.search_edit, "644")
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.search.search_edit.text() != "644"  # the field undid its own typing
    assert codes(w) == ["64405"]
    while w.search.search_edit.isUndoAvailable():
        qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert codes(w) == ["64405"]
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert codes(w) == []  # nothing left to undo in the field: the encounter's Undo


def test_every_encounter_edit_is_one_undo_step(qtbot, main_window) -> None:
    w = main_window
    stack = w.editor.undo_stack
    w.add_procedure("62281")
    w.add_procedure("64405")
    w.select_procedure(0)
    w.set_region("thoracic", True)
    w.select_procedure(1)
    w.editor.units_spin.setFocus()
    w.editor.units_spin.selectAll()
    qtbot.keyClicks(w.editor.units_spin, "12")  # two keys, one step
    w.set_laterality("left")
    w.editor.override_combo.setCurrentIndex(w.editor.override_combo.findData("ct"))
    w.set_setting("asc")
    w.remove_procedure(0)
    texts = [stack.text(i) for i in range(stack.count())]
    assert texts == ["Add 62281", "Add 64405", "Regions of 62281", "Units of 64405", "Side of 64405",
                     "Modality of 64405", "Encounter choices", "Remove 62281"]
    assert w.undo_action.text() == "&Undo Remove 62281"
    final = w.encounter()
    for _ in texts:
        w.undo_action.trigger()
    assert w.encounter().procedures == () and w.setting() == "office"
    for _ in texts:
        w.redo_action.trigger()
    assert w.encounter() == final
    assert final.procedures[0].units == 12 and final.procedures[0].laterality == "left"
    assert final.procedures[0].modality == "ct" and final.setting == "asc"


def test_ctrl_1_to_4_toggle_the_regions_of_the_selected_spinal_procedure(qtbot, main_window) -> None:
    w = main_window
    w.add_procedure("62281")
    keys = [Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_4]
    for key in keys:
        qtbot.keyClick(w, key, Qt.KeyboardModifier.ControlModifier)
    assert w.editor.enc_model.row(0).regions == ("cervical", "thoracic", "lumbar", "sacral")
    assert w.editor.region_model.checked() == ("cervical", "thoracic", "lumbar", "sacral")
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(w, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert w.editor.enc_model.row(0).regions == ("cervical", "lumbar")
    assert "cervical, lumbar" in w.editor.enc_model.index(0).data()
    # A non-spinal procedure has no regions: the keys do nothing and say why.
    w.add_procedure("64405")
    qtbot.keyClick(w, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert w.editor.enc_model.row(1).regions == ()
    assert not w.editor.region_view.isEnabled()
    assert w.statusBar().currentMessage() == "Regions apply to spinal procedures only."


def test_space_in_the_region_list_ticks_the_current_region(qtbot, main_window) -> None:
    w = main_window
    w.add_procedure("62282")
    w.editor.region_view.setFocus()
    w.editor.region_view.setCurrentIndex(w.editor.region_model.index(2, 0))
    qtbot.keyClick(w.editor.region_view, Qt.Key.Key_Space)
    assert w.editor.enc_model.row(0).regions == ("lumbar",)


def test_units_and_side_are_kept_per_procedure(qtbot, main_window) -> None:
    w = main_window
    w.add_procedure("64405")
    w.add_procedure("20610")
    w.select_procedure(0)
    w.editor.units_spin.setFocus()
    w.editor.units_spin.selectAll()
    qtbot.keyClicks(w.editor.units_spin, "2")
    w.set_laterality("bilateral")
    w.select_procedure(1)
    assert w.editor.units_spin.value() == 1 and w.editor.side_combo.currentData() is None
    w.select_procedure(0)
    assert w.editor.units_spin.value() == 2 and w.editor.side_combo.currentData() == "bilateral"
    assert w.encounter().procedures[0].units == 2
    assert w.encounter().procedures[0].laterality == "bilateral"


def _interactive(window) -> list[QWidget]:  # type: ignore[no-untyped-def]
    kinds = (QLineEdit, QComboBox, QAbstractItemView, QAbstractButton, QAbstractSpinBox)
    return [wid for wid in window.findChildren(QWidget) if isinstance(wid, kinds) and wid.isVisibleTo(window)
            and not isinstance(wid.parent(), QAbstractSpinBox | QComboBox)]


def test_every_control_has_an_accessible_name(main_window) -> None:
    main_window.search.search_edit.setText("x")  # shows the clear button
    main_window.add_procedure("62281")
    controls = _interactive(main_window)
    assert len(controls) >= 14
    unnamed = [f"{type(c).__name__} {c.objectName()!r}" for c in controls if not c.accessibleName().strip()]
    assert unnamed == []


def test_every_label_with_a_mnemonic_has_a_buddy_and_no_mnemonic_is_used_twice(main_window) -> None:
    w = main_window
    letters: dict[str, str] = {}
    for menu in w.menuBar().actions():
        m = re.search(r"&(\w)", menu.text())
        assert m, menu.text()
        letters[m.group(1).lower()] = f"menu {menu.text()}"
    labels = [lab for lab in w.findChildren(QLabel) if "&" in lab.text()]
    buttons = [b for b in w.findChildren(QAbstractButton) if "&" in b.text()]
    assert {lab.text() for lab in labels} >= {"&Search procedures:", "&Date of service:", "Pa&yer:", "&Modality:",
                                              "&Procedures in this encounter:", "Re&gions:"}
    for widget in labels + buttons:
        m = re.search(r"&(\w)", widget.text())
        assert m, widget.text()
        letter = m.group(1).lower()
        assert letter not in letters, f"{widget.text()!r} reuses Alt+{letter} of {letters[letter]}"
        letters[letter] = widget.text()
        if isinstance(widget, QLabel):
            assert widget.buddy() is not None, widget.text()


def test_alt_mnemonic_moves_focus_to_the_buddy(qtbot, main_window) -> None:
    w = main_window
    w.editor.enc_view.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert w.search.search_edit.hasFocus()
    qtbot.keyClick(w, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    assert w.editor.date_edit.hasFocus()


def test_scrolling_or_paging_past_the_fetched_rows_reaches_every_match(qtbot, catalog, ui_settings) -> None:
    from dataclasses import replace

    from desktop.ui.main_window import MainWindow
    from desktop.ui.models import FETCH_BATCH

    base = catalog.get("64405")
    extra = [replace(base, code=f"{10000 + i:05d}", name=f"Synthetic nerve block {i}") for i in range(3 * FETCH_BATCH)]
    records = tuple(sorted((*catalog.records, *extra), key=lambda r: r.code))
    big = replace(catalog, records=records, by_code={r.code: r for r in records})
    w = MainWindow(big, ui_settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.keyClicks(w.search.search_edit, "synthetic")
    assert w.search.count_label.text() == f"{3 * FETCH_BATCH:,} of {len(records):,} codes"
    assert w.search.proc_model.rowCount() == FETCH_BATCH
    bar = w.search.proc_view.verticalScrollBar()
    bar.setValue(bar.maximum())  # scrolled to the bottom: the view asks for more
    qtbot.waitUntil(lambda: w.search.proc_model.rowCount() > FETCH_BATCH)
    for _ in range(40):
        qtbot.keyClick(w.search.search_edit, Qt.Key.Key_PageDown)
    assert w.search.proc_model.rowCount() == 3 * FETCH_BATCH
    assert w.highlighted_record().code == f"{10000 + 3 * FETCH_BATCH - 1:05d}"  # the last match
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_Return)
    assert [r.code for r in w.editor.enc_model.rows()] == [f"{10000 + 3 * FETCH_BATCH - 1:05d}"]
