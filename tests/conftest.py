"""Test set-up shared by all tests: offscreen Qt, one QApplication per session (pytest-qt's qapp),
settings isolated in a temporary folder, and the built-in catalog loaded once."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def catalog():  # type: ignore[no-untyped-def]
    """The shipped data, loaded once for the whole session."""
    from desktop.core.data import load_builtin

    return load_builtin()


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the real user's settings, data packs and logs."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("GUIDECODE_USER_DIR", str(home / "guidecode-user"))


@pytest.fixture
def ui_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A window-settings store in a fresh INI file (desktop.ui.settings), never the user's."""
    from desktop.ui.settings import Settings

    return Settings.at(tmp_path / "GuideCode.ini")


@pytest.fixture
def main_window(qtbot, catalog, ui_settings):  # type: ignore[no-untyped-def]
    """The real GuideCode window over the shipped data, shown (offscreen) and closed after the test."""
    from desktop.ui.main_window import MainWindow

    window = MainWindow(catalog, ui_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture(autouse=True)
def _clipboard_released() -> object:
    """WORKAROUND: with the offscreen platform plugin, a QMimeData left on the clipboard at exit crashes the
    interpreter's shutdown (PySide6 6.11.3; not with xcb on a real X server). Every test that copies
    leaves its data there, so it is cleared after each test; no test reads what another copied."""
    yield None
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is not None and widgets.QApplication.instance() is not None:
        widgets.QApplication.clipboard().clear()
