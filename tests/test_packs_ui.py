"""Data packs in the real window: importing the sample changes the displayed answer; each broken pack is
refused with its exact problems and changes nothing; the Data packs dialog turns packs off, on and removes
them; a broken pack or on/off file at start-up leaves the window on the data that loads, and says so."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop.core.model import Catalog
from desktop.core.packs import folders as pack_folders
from desktop.core.packs import install as pack_install
from desktop.ui import packs_control, packs_dialog
from desktop.ui.main_window import MainWindow
from desktop.ui.settings import Settings
from tests.test_packs import BROKEN_NAMES, FIXTURES, SAMPLE, expected_problems, snapshot

# WORKAROUND: the offscreen platform plugin warns on every show() of a window with size constraints;
# it is not a problem of the window (https://bugreports.qt.io/browse/QTBUG-70479).
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

CONTROLLERS: dict[MainWindow, packs_control.PacksController] = {}


def packs_of(window: MainWindow) -> packs_control.PacksController:
    return CONTROLLERS[window]


def open_window(qtbot, tmp_path: Path, data_dir: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    """The window as run_gui builds it, on the user data folder ``data_dir`` (GUIDECODE_USER_DIR); its
    data-pack controller is ``CONTROLLERS[window]``."""
    folder, report = packs_control.load_for_window(None)
    assert folder == data_dir
    window = MainWindow(report.catalog, Settings.at(tmp_path / "GuideCode.ini"))
    qtbot.addWidget(window)
    CONTROLLERS[window] = packs_control.attach(window, folder, report)
    window.show()
    qtbot.waitExposed(window)
    window.set_date(date(2026, 3, 2))
    window.set_setting("office")
    window.set_modality("ultrasound")
    window.add_procedure("64405")
    return window


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "user-data"
    monkeypatch.setenv("GUIDECODE_USER_DIR", str(folder))
    return folder


def test_importing_the_sample_pack_changes_the_answer_in_the_window(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                    data_dir: Path, catalog: Catalog) -> None:
    w = open_window(qtbot, tmp_path, data_dir)
    ctl = packs_of(w)
    assert w.displayed_lines() == ["76942 \u00d71"]
    assert ctl.status_label.text() == f"Data: built-in {catalog.data_version}"
    assert ctl.import_from(SAMPLE) is True
    assert w.displayed_lines() == []
    assert "Example payer notes 2026.1-sample" in w.answer_text()  # the panel's data label names the pack
    assert ctl.status_label.text() == f"Data: built-in {catalog.data_version} + Example payer notes 2026.1-sample"
    assert "Data pack Example payer notes 2026.1-sample imported" in w.statusBar().currentMessage()
    assert (data_dir / "packs" / "example-payer-notes" / "pack.yaml").is_file()
    assert [p.name for p in w.catalog.packs] == ["GuideCode built-in data", "Example payer notes"]


def test_import_menu_action_uses_the_folder_chosen(qtbot, tmp_path: Path, data_dir: Path,  # type: ignore[no-untyped-def]
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    w = open_window(qtbot, tmp_path, data_dir)
    assert packs_of(w).import_action in w.file_menu.actions()
    assert packs_of(w).packs_action in w.file_menu.actions()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(SAMPLE)))
    packs_of(w).import_action.trigger()
    assert w.displayed_lines() == []


@pytest.mark.parametrize("name", BROKEN_NAMES)
def test_a_broken_pack_is_refused_with_every_problem_and_nothing_changes(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, data_dir: Path, catalog: Catalog, name: str) -> None:
    w = open_window(qtbot, tmp_path, data_dir)
    assert packs_of(w).import_from(SAMPLE)
    before_files, before_catalog, before_lines = snapshot(data_dir), w.catalog, w.displayed_lines()
    before_text = w.answer_text()
    assert packs_of(w).import_from(FIXTURES / name) is False
    dialog = packs_of(w).last_dialog
    assert isinstance(dialog, packs_dialog.PackProblemsDialog)
    assert dialog.isVisible()
    assert dialog.text.toPlainText().splitlines() == expected_problems(name, catalog)
    assert "Nothing was changed" in dialog.intro.text()
    assert snapshot(data_dir) == before_files
    assert w.catalog is before_catalog
    assert w.displayed_lines() == before_lines == []
    assert w.answer_text() == before_text
    dialog.reject()


def test_packs_dialog_turns_a_pack_off_and_on_and_removes_it(qtbot, tmp_path: Path, data_dir: Path,  # type: ignore[no-untyped-def]
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    w = open_window(qtbot, tmp_path, data_dir)
    packs_of(w).import_from(SAMPLE)
    dialog = packs_of(w).show_packs_dialog()
    assert dialog.isVisible()
    table = dialog.table
    assert table.rowCount() == 1
    assert [table.item(0, c).text() for c in range(1, 6)] == [
        "Example payer notes", "2026.1-sample", "2026", "2026-01-01..open", "in use"]
    assert table.item(0, 0).checkState() == Qt.CheckState.Checked

    dialog.set_checked("example-payer-notes", False)
    assert w.displayed_lines() == ["76942 \u00d71"]
    assert table.item(0, 5).text() == "off"
    assert json.loads((data_dir / pack_folders.STATE_FILE).read_text()) == {"disabled": ["example-payer-notes"]}

    dialog.set_checked("example-payer-notes", True)
    assert w.displayed_lines() == []
    assert table.item(0, 5).text() == "in use"

    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    table.selectRow(0)
    dialog.remove_button.click()
    assert table.rowCount() == 0
    assert not (data_dir / "packs" / "example-payer-notes").exists()
    assert w.displayed_lines() == ["76942 \u00d71"]
    dialog.reject()


def test_a_broken_pack_at_start_up_is_skipped_and_the_window_says_so(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                     data_dir: Path, catalog: Catalog) -> None:
    pack_install.import_pack(SAMPLE, data_dir, base=catalog)
    shutil.copytree(FIXTURES / "bad-checksum", data_dir / "packs" / "damaged")
    w = open_window(qtbot, tmp_path, data_dir)
    assert w.displayed_lines() == []  # the good pack still applies
    assert packs_of(w).status_label.text() == (
        f"Data: built-in {catalog.data_version} + Example payer notes 2026.1-sample \u2014 \u26a0 data pack "
        "skipped: damaged (File \u2192 Data packs\u2026)")
    # The tooltip ends with the problems (it starts with the whole notice when the notice is elided: beside
    # the status bar's NCCI notice, this long one is, in the offscreen screen's 768-pixel-wide window).
    assert packs_of(w).status_label.toolTip().split("\n\n")[-1] == (
        "packs/damaged/" + expected_problems("bad-checksum", catalog)[0])
    dialog = packs_of(w).show_packs_dialog()
    row = dialog.row_of("damaged")
    assert dialog.table.item(row, 5).text() == "skipped (1 problem)"
    dialog.table.selectRow(row)
    assert dialog.details.toPlainText() == "packs/damaged/" + expected_problems("bad-checksum", catalog)[0]
    dialog.reject()


def test_broken_on_off_file_starts_on_built_in_data_and_says_so(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                data_dir: Path, catalog: Catalog) -> None:
    pack_install.import_pack(SAMPLE, data_dir, base=catalog)
    (data_dir / pack_folders.STATE_FILE).write_text("{broken", encoding="utf-8")
    w = open_window(qtbot, tmp_path, data_dir)
    assert w.catalog == catalog
    assert w.displayed_lines() == ["76942 \u00d71"]
    assert packs_of(w).status_label.text() == (
        f"Data: built-in {catalog.data_version} \u2014 \u26a0 the pack on/off settings are not valid JSON: "
        "Expecting property name enclosed in double quotes; built-in data only")


def test_gui_data_dir_prefers_the_option_then_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              qapp) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QCoreApplication, QStandardPaths

    from desktop.userdirs import APPLICATION, ORGANIZATION, user_data_dir

    assert packs_control.gui_data_dir(tmp_path) == tmp_path
    assert packs_control.gui_data_dir(None) == user_data_dir() == Path(os.environ["GUIDECODE_USER_DIR"])
    monkeypatch.delenv("GUIDECODE_USER_DIR")
    org, app = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    try:
        qt = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
        assert packs_control.gui_data_dir(None) == qt
        assert user_data_dir() == qt  # the Qt-free helper computes the same folder as Qt
    finally:
        QCoreApplication.setOrganizationName(org)
        QCoreApplication.setApplicationName(app)


def test_a_refusal_from_inside_the_packs_dialog_keeps_that_dialog_open(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                       data_dir: Path, catalog: Catalog,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    w = open_window(qtbot, tmp_path, data_dir)
    dialog = packs_of(w).show_packs_dialog()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(FIXTURES / "unknown-key")))
    dialog.import_button.click()
    refusal = packs_of(w).last_dialog
    assert refusal is not None and refusal.isVisible() and refusal.parent() is dialog
    assert refusal.text.toPlainText().splitlines() == expected_problems("unknown-key", catalog)
    assert dialog.isVisible() and dialog.table.rowCount() == 0
    refusal.reject()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(SAMPLE)))
    dialog.import_button.click()
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 5).text() == "in use"
    assert w.displayed_lines() == []
    dialog.reject()
