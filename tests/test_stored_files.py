"""Stored files and bounded input (issue 12, parts 4 and 5): resolve's input limits, the stored descriptors,
the window settings, and patient data left by the file dialogs.

- ``resolve``: /dev/zero, an endless stream, a 5,000-digit number, ``--indent 300000000``, duplicate keys,
  deep nesting: each one line on stderr and exit 2, never a traceback;
- a damaged stored descriptor file (deep, huge numbers, a FIFO, binary, the wrong shape): one problem, the
  window starts and its descriptor menu is there; an empty descriptor CSV says so;
- a FIFO, a folder, a 5 MB or a binary settings file: the real app starts and paints (GUIDECODE_EXIT_AFTER_PAINT);
- fake PHI in a claims folder's name, visited with Qt's file dialog in the real start-up set-up: afterwards
  no file outside GuideCode's own settings folder holds it, and File → Clear recent folders removes it there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from faultkit import ROOT, env_for, no_traceback, run_measured  # noqa: E402

from desktop.core import descriptors  # noqa: E402

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ENCOUNTER = json.dumps({"procedures": [{"code": "64405"}]})


# ---------------------------------------------------------------------------------------------------------
# resolve


def _resolve(tmp_path: Path, *args: str, stdin: bytes | None = None, timeout: float = 60):  # type: ignore[no-untyped-def]
    return run_measured(["-m", "desktop", "resolve", *args], env=env_for(tmp_path / "user"), stdin=stdin,
                        timeout=timeout)


def _one_line_exit_2(run, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert no_traceback(run)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert expected in lines[0], lines[0]
    assert run.stdout == ""


def test_resolve_dev_zero_ends_with_one_line(tmp_path: Path) -> None:
    _one_line_exit_2(_resolve(tmp_path, "/dev/zero"), "cannot read /dev/zero: it is a device, not a regular file")


def test_resolve_an_endless_stdin_is_cut_at_the_limit(tmp_path: Path) -> None:
    proc = subprocess.Popen(["sh", "-c", f"cat /dev/zero | {sys.executable} -m desktop resolve -"], cwd=ROOT,
                            env=env_for(tmp_path / "user"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and out == ""
    assert err.strip() == "guidecode: cannot read -: the input is larger than 1 MB"


@pytest.mark.parametrize(("stdin", "expected"), [
    ("9" * 5000, "not valid JSON: a number has more than 30 digits"),
    ('{"procedures": [{"code": "64405", "units": ' + "1" * 5000 + "}]}", "a number has more than 30 digits"),
    ('{"setting": "asc", "setting": "office"}', 'the key "setting" is written twice in one object'),
    ("[" * 100_000, "not valid JSON: nested too deeply"),
    ('{"units": NaN}', "NaN is not a JSON value"),
    ("\ufeff" + "{", "not valid JSON: Expecting property name"),
])
def test_resolve_bad_json_is_one_line_and_exit_2(tmp_path: Path, stdin: str, expected: str) -> None:
    _one_line_exit_2(_resolve(tmp_path, "-", stdin=stdin.encode()), expected)


def test_resolve_not_utf8_is_one_line(tmp_path: Path) -> None:
    _one_line_exit_2(_resolve(tmp_path, "-", stdin=b'{"setting": "\xff"}'), "it is not UTF-8 text")


@pytest.mark.parametrize("value", ["300000000", "-1", "17", "x", "1e3", "٣"])
def test_resolve_indent_is_range_checked(tmp_path: Path, value: str) -> None:
    run = _resolve(tmp_path, "--indent", value, "-", stdin=ENCOUNTER.encode())
    _one_line_exit_2(run, "argument --indent: must be a whole number from 0 to 16")


@pytest.mark.parametrize("value", ["0", "16"])
def test_resolve_indent_in_range_works(tmp_path: Path, value: str) -> None:
    run = _resolve(tmp_path, "--indent", value, "-", stdin=ENCOUNTER.encode())
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["guidance_lines"][0]["code"] == "77002"
    assert (run.stdout.count("\n") == 1) == (value == "0")


def test_resolve_reads_a_pipe_and_refuses_a_folder(tmp_path: Path) -> None:
    fifo = tmp_path / "encounter.json"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"printf '%s' '{ENCOUNTER}' > '{fifo}'"])
    run = _resolve(tmp_path, str(fifo))
    writer.wait(timeout=30)
    assert run.returncode == 0, run.stderr
    _one_line_exit_2(_resolve(tmp_path, str(tmp_path)), "it is a folder, not a regular file")


# ---------------------------------------------------------------------------------------------------------
# Stored descriptors


@pytest.mark.parametrize(("content", "expected"), [
    ("[" * 100_000, "the stored descriptors are damaged (nested too deeply)"),
    ('{"format": 1, "descriptors": {"64405": "x"}, "n": ' + "9" * 5000 + "}", "more than 30 digits"),
    ('{"format": 1, "format": 1, "descriptors": {}}', 'the key "format" is written twice'),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "cannot read the stored descriptors"),
    ('{"format": 1, "descriptors": {"64405": ["not", "text"]}}', "the stored descriptors are damaged"),
    ('{"format": 1, "descriptors": {"64405": "' + "x" * 3000 + '"}}', "the stored descriptors are damaged"),
    ("fifo", "it is a pipe (FIFO), not a regular file"),
])
def test_a_damaged_descriptor_store_is_one_problem(tmp_path: Path, content: str | bytes, expected: str) -> None:
    path = descriptors.store_path(tmp_path)
    path.parent.mkdir(parents=True)
    if content == "fifo":
        os.mkfifo(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    stored, problems = descriptors.load_saved(tmp_path)
    assert stored is None
    assert len(problems) == 1 and expected in problems[0].message, problems


def test_a_damaged_descriptor_store_leaves_the_menu_and_says_so(qtbot, main_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui import descriptors_dialog

    path = descriptors.store_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("[" * 100_000, encoding="utf-8")
    controller = descriptors_dialog.attach(main_window, tmp_path)
    assert controller.load_action.isEnabled()
    assert controller.remove_action.isEnabled()  # the damaged file can be removed from the menu
    assert "could not be read" in main_window.statusBar().currentMessage()
    assert controller.load_action in main_window.file_menu.actions()
    controller.remove()
    assert not path.exists() and not controller.remove_action.isEnabled()


def test_an_empty_descriptor_csv_says_so(tmp_path: Path) -> None:
    for text in ("", "\n\n", "code,descriptor\n"):
        (tmp_path / "d.csv").write_text(text, encoding="utf-8")
        result = descriptors.parse_file(tmp_path / "d.csv")
        assert result.good == {}
        assert [str(p) for p in result.problems] == [
            "d.csv:1: the file has no descriptor rows (it is empty or holds only a header); nothing was loaded"]


def test_a_descriptor_csv_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "d.csv")
    result = descriptors.parse_file(tmp_path / "d.csv")
    assert [p.message for p in result.problems] == ["cannot read the file: it is a pipe (FIFO), not a regular file"]


def test_descriptors_refused_by_the_disk_keep_what_was_stored(qtbot, main_window, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from desktop.ui import descriptors_dialog

    descriptors.save(tmp_path, {"64405": "The office's first text"}, "first.csv")
    controller = descriptors_dialog.attach(main_window, tmp_path)
    (tmp_path / "new.csv").write_text("64405,The office's second text\n", encoding="utf-8")

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(descriptors, "write_text_atomic", full)
    controller.load_from(tmp_path / "new.csv")
    assert main_window.statusBar().currentMessage() == (
        "The CPT descriptors from new.csv could not be stored: the disk is full. The descriptors shown are unchanged.")
    assert controller.descriptor("64405") == "The office's first text"
    assert descriptors.load_saved(tmp_path)[0].get("64405") == "The office's first text"  # type: ignore[union-attr]
    assert sorted(os.listdir(tmp_path / "descriptors")) == ["cpt-descriptors.json"]


# ---------------------------------------------------------------------------------------------------------
# Window settings


def _start_window(user: Path) -> subprocess.CompletedProcess[str]:
    env = env_for(user, GUIDECODE_EXIT_AFTER_PAINT="1")
    return subprocess.run([sys.executable, "-m", "desktop", "--no-error-dialogs"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("damage", ["fifo", "folder", "5 MB", "binary", "fifo org file", "fifo dialog history"])
def test_the_window_starts_whatever_the_settings_file_is(tmp_path: Path, damage: str) -> None:
    user = tmp_path / "user"
    config = user / "home" / ".config"
    settings_file = config / "GuideCode" / "GuideCode.ini"
    settings_file.parent.mkdir(parents=True)
    if damage == "fifo":
        os.mkfifo(settings_file)
    elif damage == "folder":
        settings_file.mkdir()
    elif damage == "5 MB":
        settings_file.write_bytes(b"[window]\n" + b"x" * (5 * 1024 * 1024))
    elif damage == "binary":
        settings_file.write_bytes(bytes(range(256)) * 64)
    elif damage == "fifo org file":
        os.mkfifo(config / "GuideCode.ini")  # Qt's organisation-wide fallback file: no longer read at all
    else:
        os.mkfifo(config / "GuideCode" / "QtProject.conf")
    done = _start_window(user)
    assert done.returncode == 0, done.stderr
    assert "STARTUP " in done.stdout
    assert "Traceback" not in done.stderr
    if damage in ("fifo", "folder", "5 MB"):
        assert (settings_file.parent / "GuideCode.ini.unusable").exists()
        log = (user / "logs").glob("*.log")
        assert any("moved aside" in p.read_text(encoding="utf-8") for p in log)


# ---------------------------------------------------------------------------------------------------------
# Patient data and the file dialogs

FAKE_PHI = "DOE_JANE_1961-04-12_MRN4417"
DIALOG_SNIPPET = """
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit
from desktop import APP_NAME, ORG_NAME
QCoreApplication.setOrganizationName(ORG_NAME)
QCoreApplication.setApplicationName(APP_NAME)
app = QApplication([])
from desktop.ui.settings import Settings
settings = Settings.user()  # what run_gui does first: the dialog history goes to GuideCode's folder
folder = Path(sys.argv[1])

def pick() -> None:  # the person picks claims.csv (or the suggested name) and presses Open / Save
    for w in app.topLevelWidgets():
        if isinstance(w, QFileDialog) and w.isVisible():
            if w.acceptMode() == QFileDialog.AcceptMode.AcceptOpen:
                w.findChild(QLineEdit, "fileNameEdit").setText("claims.csv")  # typed in the name box
            w.accept()

timer = QTimer()
timer.timeout.connect(pick)
timer.start(100)
for _ in range(2):
    name, _ = QFileDialog.getOpenFileName(None, "Audit claims file", str(folder), "CSV files (*.csv)")
    assert name.endswith("claims.csv"), name
    name, _ = QFileDialog.getSaveFileName(None, "Export findings", str(folder / "findings.csv"), "CSV (*.csv)")
    assert name.endswith("findings.csv"), name
timer.stop()
settings.sync()
if sys.argv[2] == "clear":
    from desktop.ui.dialog_history import clear_history
    print(clear_history())
print("dialogs done")
"""


def _files_holding(root: Path, needle: bytes) -> list[str]:
    out = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
            out.append(path.relative_to(root).as_posix())
    return sorted(out)


@pytest.mark.parametrize("then", ["keep", "clear"])
def test_file_dialogs_leave_no_patient_folder_outside_guidecode(tmp_path: Path, then: str) -> None:
    user = tmp_path / "user"
    claims = tmp_path / "claims" / FAKE_PHI
    claims.mkdir(parents=True)
    (claims / "claims.csv").write_text("claim_id,date,code\n1,2026-03-02,64405\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", DIALOG_SNIPPET, str(claims), then], cwd=ROOT, env=env_for(user),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "dialogs done" in done.stdout, done.stderr
    written = _files_holding(user, FAKE_PHI.encode())
    if then == "keep":
        assert written == ["home/.config/GuideCode/QtProject.conf"]  # GuideCode's own, clearable
    else:
        assert written == []
        assert "Recent folders cleared" in done.stdout
    assert not (user / "home" / ".config" / "QtProject.conf").exists()


def test_without_the_redirect_the_dialog_writes_the_shared_file(tmp_path: Path) -> None:
    """The check above can fail: plain Qt writes the patient folder into ~/.config/QtProject.conf."""
    user = tmp_path / "user"
    claims = tmp_path / FAKE_PHI
    claims.mkdir()
    (claims / "claims.csv").write_text("x\n", encoding="utf-8")
    snippet = DIALOG_SNIPPET.replace("settings = Settings.user()", "settings = Settings.at(Path(sys.argv[1]).parent / "
                                     "'s.ini')")
    done = subprocess.run([sys.executable, "-c", snippet, str(claims), "keep"], cwd=ROOT, env=env_for(user),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert _files_holding(user, FAKE_PHI.encode()) == ["home/.config/QtProject.conf"]


def test_the_shared_history_guard_puts_the_values_back(tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    from desktop.ui.dialog_history import SharedHistoryGuard

    store = QSettings(str(tmp_path / "QtProject.conf"), QSettings.Format.IniFormat)
    store.setValue("FileDialog/history", ["file:///srv/other-app"])
    store.setValue("Other/key", 1)
    guard = SharedHistoryGuard(store)
    store.setValue("FileDialog/history", [f"file:///claims/{FAKE_PHI}"])
    store.setValue("FileDialog/lastVisited", f"file:///claims/{FAKE_PHI}")
    guard.restore()
    assert FAKE_PHI.encode() not in (tmp_path / "QtProject.conf").read_bytes()
    assert store.value("FileDialog/history") == ["file:///srv/other-app"]
    assert store.value("FileDialog/lastVisited") is None
    assert int(store.value("Other/key")) == 1


# ---------------------------------------------------------------------------------------------------------
# Saved work (autosave, recent encounters, favourites): state files the window reads after its first paint


@pytest.mark.parametrize(("which", "content", "expected"), [
    ("favourites", "fifo", "it is a pipe (FIFO), not a regular file"),
    ("favourites", '{"format": 1, "codes": [' + "9" * 5000 + "]}", "a number has more than 30 digits"),
    ("recent", '{"format": 1, "format": 1, "encounters": []}', 'the key "format" is written twice'),
    ("recent", "[" * 100_000, "nested too deeply"),
])
def test_a_damaged_saved_work_file_is_one_sentence_and_kept(tmp_path: Path, which: str, content: str,
                                                            expected: str) -> None:
    from datetime import date

    from desktop.core.saved_work import WorkStore

    store = WorkStore(tmp_path)
    path = store.favourites_path if which == "favourites" else store.recent_path
    path.parent.mkdir(parents=True, exist_ok=True)
    if content == "fifo":
        os.mkfifo(path)
    else:
        path.write_text(content, encoding="utf-8")
    if which == "favourites":
        value, problem = store.favourites()
    else:
        value, problem = store.recent(today=date(2026, 3, 2))
    assert not value
    assert problem is not None and expected in problem
    assert path.with_name(path.name + ".damaged").exists()  # kept aside, not lost


def test_an_encounter_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    from datetime import date

    from desktop.core.encounter_json import EncounterError
    from desktop.core.saved_work import load_encounter_file

    os.mkfifo(tmp_path / "e.json")
    with pytest.raises(EncounterError, match="e.json cannot be read: it is a pipe"):
        load_encounter_file(tmp_path / "e.json", today=date(2026, 3, 2))


def test_start_up_clean_up_leaves_other_writers_temp_files(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    """Only the temp files of files written under the pack lock are stale for the pack store; the saved-work
    writer's may be in flight in another window."""
    from desktop.core.packs import report as pack_report

    (tmp_path / "packs").mkdir()
    (tmp_path / ".tmp-favourites.json.abc123").write_text("{", encoding="utf-8")
    (tmp_path / ".tmp-data-packs.json.abc123").write_text("{", encoding="utf-8")
    pack_report.load_report(tmp_path, catalog)
    assert sorted(n for n in os.listdir(tmp_path) if n.startswith(".tmp-")) == [".tmp-favourites.json.abc123"]
