"""Start-up order (desktop/ui/main.py): what the window needs is done before its first paint; the rest
(licensed descriptors, the splash screen, the data-pack dialogs, printing, audit, logging.handlers ...) waits
until after it. packaging/bench_startup.py measures the time; these tests pin the order, never a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from desktop.core.model import Catalog
from desktop.ui.main import StartupFinisher
from desktop.ui.main_window import MainWindow
from desktop.ui.settings import Settings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ROOT = Path(__file__).resolve().parents[1]

# Imported only when first used, after the window has painted (or never, for a plain start). The frozen
# build is checked the same way, with yaml too, by packaging/check_first_paint.py in the smoke test.
NOT_BEFORE_FIRST_PAINT = [
    "pyx12", "defusedxml",              # the 837P reader (desktop/core/audit/x12.py): only for an 837P audit
    "desktop.core.audit.x12",
    "desktop.ui.audit_pdf",             # the audit's PDF report
    "logging.handlers",                 # the log rotates with app_logging.SizeRotatingFileHandler
    "socket",                           # came with logging.handlers; GuideCode never opens a socket
    "platform",                         # the start-up log line uses sys and os
    "html",                             # only the printed summary escapes HTML
    "hashlib",                          # desktop/core/sha.py; and no pack is installed here
    "pickle",                           # the catalog cache is read with the C unpickler alone
    "desktop.ui.error_dialog",          # imported when an error first needs the dialog
    "uuid",                             # pack and descriptor writes
    "desktop.ui.descriptors_dialog",    # attached after the first paint
    "desktop.core.descriptors",
    "desktop.ui.packs_dialog",          # opened from File → Data packs… or a refused import
    "desktop.core.packs.reading",       # reading and merging packs: none is installed here
    "desktop.core.packs.merge",
    "desktop.core.packs.install",
    "desktop.ui.audit_dialog",
    "desktop.core.audit",
    "desktop.core.saved_work",          # the saved work is read after the first paint (StartupFinisher)
    "desktop.core.atomicfile",          # written on the first edit
    "desktop.ui.source_dialog",         # opened by a click on a source id
    "desktop.ui.help",                  # the Help pages
    "desktop.ui.list_paint",            # the list's cached row painting, installed by finish_startup
    "desktop.ui.about",
    "desktop.commands.audit",
    "desktop.commands.validate_pack",
    "desktop.commands.import_pack",
    "desktop.commands.import_ncci",
    "desktop.ui.ncci_import",           # File → Import NCCI edits…, imported when the action is used
    "desktop.core.ncci.importer",       # reading CMS's release files and writing the pack
    "desktop.core.ncci.cms",
    "desktop.core.ncci_install",
    "PySide6.QtPrintSupport",
]


def test_a_plain_start_leaves_these_modules_until_after_the_first_paint(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GUIDECODE_EXIT_AFTER_PAINT": "1",
           "GUIDECODE_USER_DIR": str(tmp_path / "user"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    proc = subprocess.run([sys.executable, "-m", "desktop"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    marks = json.loads(next(line[8:] for line in proc.stdout.splitlines() if line.startswith("STARTUP ")))
    loaded = set(marks["modules"])
    assert {"desktop.ui.main_window", "desktop.core.engine", "PySide6.QtWidgets"} <= loaded  # the probe works
    assert [m for m in NOT_BEFORE_FIRST_PAINT if m in loaded] == []
    assert isinstance(marks["epoch_paint"], float)


def _window_and_finisher(qtbot, tmp_path: Path, catalog: Catalog) -> tuple[MainWindow, StartupFinisher]:  # type: ignore[no-untyped-def]
    """A window as run_gui builds it, not yet shown, with its StartupFinisher."""
    window = MainWindow(catalog, Settings.at(tmp_path / "GuideCode.ini"))
    qtbot.addWidget(window)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return window, StartupFinisher(app, window, tmp_path / "user-data", report_and_quit=False)


def test_descriptors_are_attached_right_after_the_first_paint(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                              catalog: Catalog) -> None:
    window, finisher = _window_and_finisher(qtbot, tmp_path, catalog)
    assert finisher.descriptors is None and finisher.painted_at is None
    with qtbot.waitSignal(window.search.proc_view.first_painted, timeout=5000):
        window.show()
    assert finisher.painted_at is not None and not finisher.done  # finishing waits for the event loop
    qtbot.waitUntil(lambda: finisher.done, timeout=5000)
    assert finisher.descriptors is not None  # attached
    assert finisher.descriptors.descriptors is None  # no licensed file loaded in this folder
    assert window._index._text_index is not None  # the search's word indexes are built (finish_startup)
    texts = [a.text().replace("&", "") for a in window.file_menu.actions()]
    assert "Load CPT descriptors\u2026" in texts, texts


def test_a_window_that_is_never_painted_still_gets_its_descriptors(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                   catalog: Catalog) -> None:
    window, finisher = _window_and_finisher(qtbot, tmp_path, catalog)
    qtbot.waitUntil(lambda: finisher.done, timeout=5000)  # the one-second fallback
    assert finisher.painted_at is None
    assert finisher.descriptors is not None
    finisher.finish()  # once only: a second call changes nothing
    assert [a.text().replace("&", "") for a in window.file_menu.actions()].count("Load CPT descriptors\u2026") == 1


def test_the_autosaved_encounter_comes_back_right_after_the_first_paint(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                        catalog: Catalog) -> None:
    from datetime import date

    from desktop.core.model import Encounter, ProcedureEntry
    from desktop.core.saved_work import WorkStore

    WorkStore(tmp_path / "user-data").save_autosave(
        Encounter(date(2026, 3, 16), "asc", "medicare", "fluoroscopy", (ProcedureEntry("64405"),)))
    window, finisher = _window_and_finisher(qtbot, tmp_path, catalog)
    assert window.encounter().procedures == ()  # the first paint does not wait for the saved work
    window.show()
    qtbot.waitUntil(lambda: finisher.done, timeout=5000)
    assert [p.code for p in window.encounter().procedures] == ["64405"]
    assert window.displayed_lines() == ["77002-26 \u00d71"]
    assert window.store is not None and window.store.data_dir == tmp_path / "user-data"
