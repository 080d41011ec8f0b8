"""Help → About, the File menu, Quit, switching catalogs. (run_gui's data-error dialog is covered with really
broken data in tests/test_robustness.py.)"""

from __future__ import annotations

import pytest

from desktop import __version__
from desktop.ui.about import AboutDialog
from desktop.ui.present import DISCLAIMER

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_about_shows_versions_sources_and_disclaimer(qtbot, main_window) -> None:
    w = main_window
    w.about_action.trigger()
    dialog = w.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible()
    text = dialog.browser.toPlainText()
    assert f"GuideCode {__version__}" in text
    assert w.catalog.version_label in text
    assert f"CPT code-set year: {w.catalog.code_set_year}" in text
    assert DISCLAIMER in text
    for source in w.catalog.sources.values():
        assert source.id in text
        assert source.title[:40] in text
    assert f"Sources ({len(w.catalog.sources)})" in text
    dialog.reject()


def test_the_file_menu_takes_a_new_action_in_one_line_above_quit(qtbot, main_window) -> None:
    w = main_window

    def entries() -> list[str]:
        return [a.text() for a in w.file_menu.actions() if not a.isSeparator()]

    before = entries()
    assert before[-1] == "&Quit"
    hits: list[str] = []
    action = w.add_file_action("Import something\u2026", lambda: hits.append("import"))
    assert entries() == [*before[:-1], "Import something\u2026", "&Quit"]
    w.add_file_action("Audit something\u2026", lambda: hits.append("audit"), "Ctrl+Shift+F12")
    assert entries() == [*before[:-1], "Import something\u2026", "Audit something\u2026", "&Quit"]
    action.trigger()
    assert hits == ["import"]
    assert w.file_menu.actions()[-2].isSeparator()  # Quit stays apart at the bottom


def test_quit_closes_the_window(qtbot, main_window) -> None:
    w = main_window
    assert w.isVisible()
    w.quit_action.trigger()
    assert not w.isVisible()


def test_set_catalog_keeps_the_encounter_and_re_resolves(qtbot, main_window, catalog) -> None:
    w = main_window
    w.add_procedure("64405")
    before = w.displayed_lines()
    w.set_catalog(catalog)
    assert w.displayed_lines() == before
    assert [r.code for r in w.editor.enc_model.rows()] == ["64405"]
