"""desktop.app_logging: rotating log file in the user log folder, console only with a stderr, Qt messages
into logging, the excepthook's details, and no crash when a windowed build has no stdout/stderr."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop import __version__, app_logging
from desktop.userdirs import user_log_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def logging_installed() -> Iterator[None]:
    yield
    app_logging.shutdown_logging()


def _raise_and_catch() -> tuple[type[BaseException], BaseException, object]:
    try:
        {}["no such key"]  # noqa: B018 - the point is the KeyError and its traceback
    except KeyError:
        return sys.exc_info()  # type: ignore[return-value]
    raise AssertionError("unreachable")


def test_log_file_goes_to_the_user_log_folder(logging_installed: None) -> None:
    path = app_logging.setup_logging()
    assert path == user_log_dir() / "guidecode.log"
    assert path == Path(os.environ["GUIDECODE_USER_DIR"]) / "logs" / "guidecode.log"
    logging.getLogger("desktop.test").warning("hello from the test")
    text = path.read_text(encoding="utf-8")
    assert f"GuideCode {__version__} starting" in text
    assert "WARNING  desktop.test: hello from the test" in text


def test_log_file_rotates(tmp_path: Path, logging_installed: None) -> None:
    app_logging.setup_logging(tmp_path, max_bytes=2000, backup_count=2)
    for i in range(200):
        logging.getLogger("desktop.test").info("line %d %s", i, "x" * 40)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["guidecode.log", "guidecode.log.1", "guidecode.log.2"]
    assert all((tmp_path / n).stat().st_size <= 2000 for n in names)


def test_rotation_keeps_the_newest_lines_in_order(tmp_path: Path, logging_installed: None) -> None:
    """guidecode.log holds the newest lines, .1 the ones before, .2 the oldest kept; nothing is duplicated."""
    app_logging.setup_logging(tmp_path, max_bytes=1500, backup_count=2)
    for i in range(120):
        logging.getLogger("desktop.test").info("line %03d %s", i, "y" * 30)
    app_logging.shutdown_logging()

    def numbers(name: str) -> list[int]:
        text = (tmp_path / name).read_text(encoding="utf-8")
        return [int(w.split()[1]) for w in text.split("desktop.test: ")[1:]]

    oldest, older, newest = numbers("guidecode.log.2"), numbers("guidecode.log.1"), numbers("guidecode.log")
    assert newest[-1] == 119
    assert oldest + older + newest == list(range(oldest[0], 120))
    assert all((tmp_path / n).stat().st_size <= 1500 for n in ("guidecode.log", "guidecode.log.1", "guidecode.log.2"))


def test_rotation_without_backups_starts_the_file_again(tmp_path: Path, logging_installed: None) -> None:
    app_logging.setup_logging(tmp_path, max_bytes=1000, backup_count=0)
    for i in range(100):
        logging.getLogger("desktop.test").info("line %03d %s", i, "z" * 30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["guidecode.log"]
    text = (tmp_path / "guidecode.log").read_text(encoding="utf-8")
    assert "line 099" in text and "line 000" not in text
    assert (tmp_path / "guidecode.log").stat().st_size <= 1000


def test_start_up_line_names_the_system_without_the_platform_module(tmp_path: Path,
                                                                   logging_installed: None) -> None:
    import platform

    app_logging.setup_logging(tmp_path)
    text = (tmp_path / "guidecode.log").read_text(encoding="utf-8")
    # Windows: "on Windows 10.0.<build> AMD64" (the build number where platform.release() says "10" or "11")
    release = "" if sys.platform == "win32" else f" {platform.release()}"
    assert f"Python {platform.python_version()} on {platform.system()}{release}" in text, text


def test_console_handler_only_with_a_stderr(tmp_path: Path, logging_installed: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    app_logging.setup_logging(tmp_path)
    assert any(type(h) is logging.StreamHandler for h in logging.getLogger().handlers)
    monkeypatch.setattr(sys, "stderr", None)
    app_logging.setup_logging(tmp_path)
    assert not any(type(h) is logging.StreamHandler for h in logging.getLogger().handlers)
    logging.getLogger("desktop.test").error("no stderr, still logged")
    assert "no stderr, still logged" in (tmp_path / "guidecode.log").read_text(encoding="utf-8")


def test_unwritable_log_folder_loses_only_the_file(tmp_path: Path, logging_installed: None) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be", encoding="utf-8")
    assert app_logging.setup_logging(blocker / "logs") is None
    logging.getLogger("desktop.test").error("still fine")
    assert app_logging.log_file() is None


def test_setup_twice_does_not_duplicate_handlers(tmp_path: Path, logging_installed: None) -> None:
    before = len(logging.getLogger().handlers)
    app_logging.setup_logging(tmp_path)
    once = len(logging.getLogger().handlers)
    app_logging.setup_logging(tmp_path)
    assert len(logging.getLogger().handlers) == once
    app_logging.shutdown_logging()
    assert len(logging.getLogger().handlers) == before


def test_qt_messages_are_routed_into_logging(qapp: object, caplog: pytest.LogCaptureFixture) -> None:
    from PySide6.QtCore import qInstallMessageHandler, qWarning

    previous = app_logging.install_qt_message_handler()
    try:
        with caplog.at_level(logging.DEBUG):
            qWarning("probe from the Qt side")
    finally:
        qInstallMessageHandler(previous)
    hits = [r for r in caplog.records if "probe from the Qt side" in r.getMessage()]
    assert len(hits) == 1
    assert hits[0].name.startswith("qt")
    assert hits[0].levelno == logging.WARNING


def test_excepthook_logs_critical_and_hands_details_to_the_dialog(tmp_path: Path, logging_installed: None) -> None:
    path = app_logging.setup_logging(tmp_path)
    shown: list[str] = []
    restore = app_logging.install_excepthook(shown.append)
    try:
        app_logging.context["data"] = "built-in 2026.1 + Example payer notes 2026.1-sample"
        assert sys.excepthook is app_logging.handle_exception
        sys.excepthook(*_raise_and_catch())  # type: ignore[arg-type]
    finally:
        restore()
        app_logging.context.clear()
    assert sys.excepthook is not app_logging.handle_exception
    assert len(shown) == 1
    details = shown[0]
    assert details.startswith(f"GuideCode {__version__}\nData: built-in 2026.1 + Example payer notes 2026.1-sample")
    assert "Platform: " in details and "Python " in details and f"Log file: {path}" in details
    assert "Traceback (most recent call last):" in details
    assert "KeyError: 'no such key'" in details
    assert path is not None
    log_text = path.read_text(encoding="utf-8")
    assert "CRITICAL desktop.app_logging: Uncaught exception" in log_text
    assert "KeyError: 'no such key'" in log_text


def test_excepthook_without_dialogs_only_logs(tmp_path: Path, logging_installed: None) -> None:
    path = app_logging.setup_logging(tmp_path)
    restore = app_logging.install_excepthook(None)
    try:
        sys.excepthook(*_raise_and_catch())  # type: ignore[arg-type]
    finally:
        restore()
    assert path is not None and "KeyError: 'no such key'" in path.read_text(encoding="utf-8")


def test_a_failing_dialog_is_logged_not_raised(tmp_path: Path, logging_installed: None) -> None:
    path = app_logging.setup_logging(tmp_path)

    def broken_dialog(details: str) -> None:
        raise RuntimeError("the dialog could not be built")

    restore = app_logging.install_excepthook(broken_dialog)
    try:
        sys.excepthook(*_raise_and_catch())  # type: ignore[arg-type]
    finally:
        restore()
    assert path is not None
    assert "could not show the error dialog" in path.read_text(encoding="utf-8")


def test_no_stdout_no_stderr_never_crashes(tmp_path: Path) -> None:
    """A windowed build starts with sys.stdout and sys.stderr set to None (pyinstaller#7688)."""
    script = textwrap.dedent("""
        import logging, sys, threading, warnings
        sys.stdout = None
        sys.stderr = None
        from desktop import app_logging
        path = app_logging.setup_logging()
        logging.getLogger("desktop.probe").error("error with no streams")
        print("a stray print")
        warnings.warn("a stray warning")
        app_logging.install_excepthook(None)
        try:
            1 / 0
        except ZeroDivisionError:
            sys.excepthook(*sys.exc_info())
        t = threading.Thread(target=lambda: 1 / 0, name="worker")
        t.start(); t.join()
        from PySide6.QtCore import QCoreApplication, qWarning
        app = QCoreApplication([])
        app_logging.install_qt_message_handler()
        qWarning("qt warning with no streams")
        from desktop.app import main
        status = main(["--version"])
        with open(sys.argv[1], "w", encoding="utf-8") as fh:
            fh.write(f"{status}\\n{path}\\n")
    """)
    marker = tmp_path / "done.txt"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", script, str(marker)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    status, path = marker.read_text(encoding="utf-8").splitlines()
    assert status == "0"
    log_text = Path(path).read_text(encoding="utf-8")
    for expected in ("error with no streams", "a stray warning", "ZeroDivisionError", "in thread worker",
                     "qt warning with no streams"):
        assert expected in log_text


def test_user_folders_per_platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from desktop.userdirs import user_data_dir

    monkeypatch.delenv("GUIDECODE_USER_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", "relative/is/ignored")
    assert user_data_dir("win32") == tmp_path / "Roaming" / "GuideCode" / "GuideCode"
    assert user_log_dir("win32") == tmp_path / "Local" / "GuideCode" / "GuideCode" / "logs"
    assert user_data_dir("darwin") == tmp_path / "Library" / "Application Support" / "GuideCode" / "GuideCode"
    assert user_log_dir("darwin") == tmp_path / "Library" / "Logs" / "GuideCode"
    assert user_data_dir("linux") == tmp_path / "data" / "GuideCode" / "GuideCode"
    assert user_log_dir("linux") == tmp_path / ".local" / "state" / "GuideCode" / "GuideCode" / "logs"
    monkeypatch.setenv("GUIDECODE_USER_DIR", str(tmp_path / "portable"))
    assert user_data_dir("win32") == tmp_path / "portable"
    assert user_log_dir("darwin") == tmp_path / "portable" / "logs"
