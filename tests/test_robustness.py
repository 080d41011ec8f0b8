"""A reference tool that crashes or silently ignores a bad file is worse than none.

- Built-in data broken or missing in the bundle: a clear dialog naming the problem and the log file, exit
  status 1, no traceback (and one stderr line with --no-error-dialogs).
- A broken pack and a corrupt settings file at start-up: the real app starts (on the data that loads,
  with default settings) and says so in the log; the window shows it in the status bar.
- An uncaught exception in the running window: the error dialog with copyable details; the window and
  its encounter survive.
- Fuzzed search text (very long, regex metacharacters, control characters, other scripts) never raises,
  in the core search and in the window's search box.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop import app_logging
from desktop.core import data as core_data
from desktop.core.model import Catalog
from desktop.core.packs import install as pack_install
from desktop.core.packs import report as pack_report
from desktop.core.search import MAX_TOKEN_CHARS, MAX_TOKENS, SearchIndex, tokens
from desktop.ui.error_dialog import ErrorDialog, show_error_dialog
from desktop.ui.main_window import MainWindow
from desktop.ui.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "packs"
SAMPLE = ROOT / "resources" / "samples" / "packs" / "example-payer-notes"
FUZZ_EXAMPLES = 1000
WINDOW_FUZZ_EXAMPLES = 300

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def restore_app_hooks() -> Iterator[None]:
    """run_gui installs the log file, the Qt message handler and the excepthook for the process; put the
    test process's own back afterwards."""
    previous_hook = sys.excepthook
    previous_qt = qInstallMessageHandler(None)
    qInstallMessageHandler(previous_qt)
    yield
    sys.excepthook = previous_hook
    qInstallMessageHandler(previous_qt)
    app_logging.shutdown_logging()
    app_logging.context.clear()


@pytest.fixture
def broken_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The bundle's built-in data folder, copied and then broken by each test."""
    folder = tmp_path / "bundle-data"
    shutil.copytree(ROOT / "resources" / "data", folder)
    monkeypatch.setattr(core_data, "builtin_data_dir", lambda: folder)
    core_data.load_builtin.cache_clear()
    yield folder
    core_data.load_builtin.cache_clear()


def _break(folder: Path, how: str) -> str:
    """Break the data; returns the problem line the dialog must name."""
    if how == "yaml-error":
        path = folder / "codes" / "guidance.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "\n- code: \"77999\n  name: [unclosed\n", encoding="utf-8")
        return "codes/guidance.yaml:"
    if how == "manifest-missing":
        (folder / "manifest.yaml").unlink()
        return "manifest.yaml:1: file is missing"
    if how == "data-missing":
        shutil.rmtree(folder)
        return "manifest.yaml:1: file is missing"
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["yaml-error", "manifest-missing", "data-missing"])
def test_broken_builtin_data_shows_a_dialog_naming_the_problem_and_the_log(  # type: ignore[no-untyped-def]
        qapp, broken_bundle: Path, restore_app_hooks: None, how: str) -> None:
    from desktop.ui.main import run_gui

    expected = _break(broken_bundle, how)
    seen: dict[str, str] = {}

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox), box
        seen.update(name=box.objectName(), text=box.text(), details=box.detailedText())
        box.done(0)

    QTimer.singleShot(0, read_and_close)
    assert run_gui(error_dialogs=True) == 1
    log_path = app_logging.log_file()
    assert log_path is not None and log_path.is_file()
    assert seen["name"] == "dataErrorBox"
    assert "could not be loaded" in seen["text"]
    assert expected in seen["text"]
    assert str(log_path) in seen["text"]
    assert expected in seen["details"]
    assert expected in log_path.read_text(encoding="utf-8")


def test_broken_builtin_data_without_dialogs_prints_one_line(qapp, broken_bundle: Path,  # type: ignore[no-untyped-def]
                                                             restore_app_hooks: None,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.ui.main import run_gui

    _break(broken_bundle, "manifest-missing")
    assert run_gui(error_dialogs=False) == 1
    err_lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("guidecode:")]
    assert err_lines == ["guidecode: the data could not be loaded: manifest.yaml:1: file is missing"]
    assert QApplication.activeModalWidget() is None


def test_cli_commands_report_broken_builtin_data_without_a_traceback(broken_bundle: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.cli import dispatch

    _break(broken_bundle, "manifest-missing")
    assert dispatch(["validate-pack", str(SAMPLE)]) == 1
    err = capsys.readouterr().err
    assert "the built-in data is broken" in err and "Traceback" not in err


def test_the_real_app_starts_with_a_broken_pack_and_a_corrupt_settings_file(tmp_path: Path) -> None:
    """``python -m desktop`` (quits after its first paint) with a damaged pack installed next to a good
    one and an unreadable settings file: it starts, answers with the good pack, and logs both problems."""
    user = tmp_path / "user"
    pack_install.import_pack(SAMPLE, user)
    shutil.copytree(FIXTURES / "bad-checksum", user / "packs" / "damaged")
    config = tmp_path / "config"
    (config / "GuideCode").mkdir(parents=True)
    (config / "GuideCode" / "GuideCode.ini").write_bytes(b"[window\n\xff\xfegeometry=@ByteArray(\x00\n")
    env = {**os.environ, "GUIDECODE_USER_DIR": str(user), "XDG_CONFIG_HOME": str(config),
           "QT_QPA_PLATFORM": "offscreen", "GUIDECODE_EXIT_AFTER_PAINT": "1"}
    proc = subprocess.run([sys.executable, "-m", "desktop", "--no-error-dialogs"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "STARTUP " in proc.stdout
    log_text = (user / "logs" / "guidecode.log").read_text(encoding="utf-8")
    assert ("data pack problem: packs/damaged/pack.yaml:8: files: checksum of codes/notes.yaml does not "
            "match") in log_text
    assert "GuideCode.ini cannot be read; using defaults" in log_text
    assert (config / "GuideCode" / "GuideCode.ini.corrupt").is_file()


def test_window_with_a_corrupt_settings_file_starts_on_defaults_and_says_so(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                           catalog: Catalog) -> None:
    ini = tmp_path / "GuideCode.ini"
    ini.write_bytes(b"[encounter\n\xff\xfesetting=@Variant(\x00\x01\n")
    w = MainWindow(catalog, Settings.at(ini))
    qtbot.addWidget(w)
    assert w.statusBar().currentMessage() == "The settings file could not be read; defaults are used."
    assert w.setting() == "office"


# ---------------------------------------------------------------------------------------------------------
# Uncaught exceptions in the running window


@pytest.mark.qt_no_exception_capture
def test_an_uncaught_exception_shows_the_error_dialog_and_the_window_survives(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, catalog: Catalog, restore_app_hooks: None) -> None:
    app_logging.setup_logging(tmp_path / "logs")
    app_logging.context["data"] = catalog.version_label
    app_logging.install_excepthook(show_error_dialog)
    w = MainWindow(catalog, Settings.at(tmp_path / "GuideCode.ini"))
    qtbot.addWidget(w)
    w.show()
    w.set_date(date(2026, 3, 2))
    w.add_procedure("64405")
    seen: dict[str, object] = {}

    def boom() -> None:
        raise RuntimeError("simulated failure inside a slot")

    def read_and_close() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ErrorDialog), dialog
        seen["details"] = dialog.text.toPlainText()
        seen["message"] = dialog.message.text()
        dialog.copy_button.click()
        seen["clipboard"] = QApplication.clipboard().text()
        dialog.reject()

    QTimer.singleShot(0, boom)
    QTimer.singleShot(0, read_and_close)
    qtbot.waitUntil(lambda: "clipboard" in seen)
    details = str(seen["details"])
    assert "RuntimeError: simulated failure inside a slot" in details
    assert f"Data: {catalog.version_label}" in details
    assert "PySide6 6.11.3, Qt " in details and "Platform: " in details
    assert seen["clipboard"] == details
    assert str(tmp_path / "logs" / "guidecode.log") in str(seen["message"])
    assert "simulated failure inside a slot" in (tmp_path / "logs" / "guidecode.log").read_text(encoding="utf-8")
    assert w.isVisible() and [r.code for r in w.editor.enc_model.rows()] == ["64405"]
    assert w.displayed_lines() == ["77002 \u00d71"]


def test_error_dialog_shows_details_and_copies_them(qtbot, restore_app_hooks: None,  # type: ignore[no-untyped-def]
                                                    tmp_path: Path) -> None:
    app_logging.setup_logging(tmp_path)
    dialog = ErrorDialog("GuideCode 0.1.0\nTraceback (most recent call last):\nValueError: x")
    qtbot.addWidget(dialog)
    assert dialog.text.isReadOnly()
    assert dialog.text.toPlainText().endswith("ValueError: x")
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == dialog.details
    assert dialog.copy_button.text() == "Copied"


# ---------------------------------------------------------------------------------------------------------
# Fuzzed search text

NASTY = st.sampled_from([
    "", " ", "*", "+?", "(", ")", "[", "]", "{1,}", "\\", "^$", ".*", "(?i)", "(a|b)", "\\d+", "%s%n", "'; --",
    "\x00", "\x1b[31m", "\u200b", "\u202e", "\ufeff", "\ud7ff", "\U0001f600", "\u0645\u0631\u062d\u0628\u0627",
    "\u8840\u7ba1", "\u0939\u093f\u0928\u094d\u0926\u0940", "\uff16\uff14\uff14\uff10\uff15", "64405-26-XS",
    "e\u0301", "\u0130stanbul", "\u00df", "\r\n\t", "77003" * 50,
])
TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(NASTY, max_size=30).map("".join),
    st.builds(lambda a, n: a * n, st.text(min_size=1, max_size=5), st.integers(1, 20_000)),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "P", "S"]), max_size=500),
)


@pytest.fixture(scope="module")
def indexes() -> list[tuple[SearchIndex, int]]:
    base = core_data.load_builtin()
    merged = pack_report.load_report(SAMPLE, base).catalog
    return [(SearchIndex(c.records), len(c.records)) for c in (base, merged)]


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT, when=st.none() | st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)))
def test_fuzzed_search_text_never_raises(indexes: list[tuple[SearchIndex, int]], text: str, when: date | None) -> None:
    toks = tokens(text)
    assert len(toks) <= MAX_TOKENS and all(len(t) <= MAX_TOKEN_CHARS for t in toks)  # bounded work per query
    for index, size in indexes:
        hits = index.search(text, when)
        assert len(hits) == len(set(hits)) and all(0 <= h < size for h in hits)


def test_a_megabyte_of_text_is_cut_before_it_is_searched(indexes: list[tuple[SearchIndex, int]]) -> None:
    huge = ("(a+)+$" * 200_000) + "\x00" * 1000
    assert len(tokens(huge)) <= MAX_TOKENS
    for index, _ in indexes:
        assert isinstance(index.search(huge), list)


@pytest.fixture(scope="module")
def fuzz_window(qapp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    w = MainWindow(core_data.load_builtin(), Settings.at(tmp_path_factory.mktemp("fuzz") / "GuideCode.ini"))
    w.show()
    yield w
    w.close()
    w.deleteLater()


@settings(max_examples=WINDOW_FUZZ_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=TEXT)
def test_fuzzed_text_in_the_window_search_box(fuzz_window: MainWindow, text: str) -> None:
    w = fuzz_window
    w.search.search_edit.setText(text)
    shown = w.search.search_edit.text()
    assert len(shown) <= w.search.search_edit.maxLength() == 200  # the box itself caps what reaches the search
    assert w.search.count_label.text().endswith("codes")
    rows = w.search.proc_model.rowCount()
    assert (w.highlighted_record() is not None) == (rows > 0)
    w.add_highlighted()
    w.clear_encounter()
    assert w.answer_text()


def test_logging_is_quiet_about_fuzz(caplog: pytest.LogCaptureFixture,
                                     indexes: list[tuple[SearchIndex, int]]) -> None:
    with caplog.at_level(logging.WARNING):
        for index, _ in indexes:
            index.search("\x00(?<=x)\\" * 50)
    assert caplog.records == []
