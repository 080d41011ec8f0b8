"""The window's structure (issue 15, part 10): one class per pane in its own module, the data-pack and
descriptor features typed against the WindowHost protocol, no import circle, no dead window API."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[1] / "desktop" / "ui"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


def test_the_packs_dialog_does_not_import_its_controller() -> None:
    assert "desktop.ui.packs_control" not in imported_modules(UI / "packs_dialog.py")


def test_the_features_reach_the_window_through_the_typed_protocol_only() -> None:
    for name in ("packs_control.py", "descriptors_dialog.py"):
        text = (UI / name).read_text(encoding="utf-8")
        assert "window: WindowHost" in text, name
        typing_names = {a.name for node in ast.walk(ast.parse(text)) if isinstance(node, ast.ImportFrom)
                        and node.module == "typing" for a in node.names}
        assert "Any" not in typing_names, name
        assert "desktop.ui.main_window" not in imported_modules(UI / name), name
        for private in ("search_pane", "answer_pane", "proc_view", "enc_model", "preview_label"):
            assert f"window.{private}" not in text, (name, private)


def test_each_pane_is_its_own_class_in_its_own_module() -> None:
    from desktop.ui.answer_panel import AnswerPanel
    from desktop.ui.encounter_editor import EncounterEditor
    from desktop.ui.main_window import MainWindow
    from desktop.ui.search_pane import SearchPane

    assert {c.__module__ for c in (SearchPane, EncounterEditor, AnswerPanel)} == {
        "desktop.ui.search_pane", "desktop.ui.encounter_editor", "desktop.ui.answer_panel"}
    main = (UI / "main_window.py").read_text(encoding="utf-8")
    for widget in ("QLineEdit(", "QListView(", "QSpinBox(", "QComboBox(", "QGroupBox("):
        assert widget not in main, f"the window builds a pane's widget itself: {widget}"
    for dead in ("def set_units", "def set_procedure_modality", "def lines_text"):
        assert dead not in main
    assert not hasattr(MainWindow, "set_units") and not hasattr(MainWindow, "set_procedure_modality")
    assert "def encounter_summary" not in (UI / "present.py").read_text(encoding="utf-8")
