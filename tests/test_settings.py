"""The typed settings facade (desktop.ui.settings): round trip per key, defaults, corrupt files."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QCoreApplication, QSettings

from desktop import APP_NAME, ORG_NAME
from desktop.ui import settings as keys
from desktop.ui.settings import ALL_KEYS, Key, Settings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

VALUES = {
    keys.GEOMETRY: QByteArray(b"\x01\xd9\xd0\xcb\x00\x03\x00\x00geometry-bytes\x00\xff"),
    keys.SPLITTER: QByteArray(b"\x00\x00\x00\xff\x00\x00\x00\x01splitter"),
    keys.SETTING: "asc",
    keys.PAYER: "medicare",
    keys.MODALITY: "ultrasound",
    keys.COPY_FORM: "display",
}


def test_every_key_is_covered_here() -> None:
    assert set(VALUES) == set(ALL_KEYS)
    assert len({k.name for k in ALL_KEYS}) == len(ALL_KEYS)


@pytest.mark.parametrize("key", ALL_KEYS, ids=lambda k: k.name)
def test_each_key_round_trips_through_the_ini_file_with_its_type(tmp_path: Path, key: Key[object]) -> None:
    path = tmp_path / "s.ini"
    first = Settings.at(path)
    assert first.read(key) == key.default
    first.write(key, VALUES[key])
    first.sync()
    assert "[" in path.read_text(encoding="latin-1")  # really written, INI format
    again = Settings.at(path)
    value = again.read(key)
    assert type(value) is key.type
    assert value == VALUES[key]
    assert value != key.default


def test_defaults_on_a_missing_file(tmp_path: Path) -> None:
    s = Settings.at(tmp_path / "none" / "s.ini")
    assert (s.setting, s.payer, s.modality) == ("office", "other", "fluoroscopy")
    assert s.read(keys.GEOMETRY).isEmpty()
    assert not s.was_corrupt


def test_a_corrupt_file_falls_back_to_defaults_and_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    garbage = b"\x00\xff\xfe[[[not ini\n=\n[encounter\nsetting=asc\npayer\n\x01\x02"
    path.write_bytes(garbage)
    s = Settings.at(path)
    assert s.was_corrupt
    assert (s.setting, s.payer, s.modality) == ("office", "other", "fluoroscopy")
    for key in ALL_KEYS:
        assert s.read(key) == key.default
    assert (tmp_path / "s.ini.corrupt").read_bytes() == garbage
    s.write(keys.PAYER, "medicare")
    s.sync()
    clean = Settings.at(path)
    assert not clean.was_corrupt
    assert clean.payer == "medicare" and clean.setting == "office"


@pytest.mark.parametrize(("text", "expected"), [
    ("[encounter]\nsetting=banana\npayer=medicare\n", ("office", "medicare", "fluoroscopy")),
    ("[encounter]\nsetting=asc\npayer=42\nmodality=\n", ("asc", "other", "fluoroscopy")),
    ("[encounter]\nmodality=@Invalid()\n", ("office", "other", "fluoroscopy")),
    ("[encounter]\nmodality=CT\n", ("office", "other", "fluoroscopy")),  # values are case-sensitive keys
])
def test_values_of_the_wrong_kind_fall_back_to_their_default(tmp_path: Path, text: str, expected: tuple) -> None:
    path = tmp_path / "s.ini"
    path.write_text(text, encoding="utf-8")
    s = Settings.at(path)
    assert (s.setting, s.payer, s.modality) == expected


def test_geometry_of_the_wrong_type_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    path.write_text(f"[window]\n{keys.GEOMETRY.name.split('/')[1]}=just text\n", encoding="utf-8")
    value = Settings.at(path).read(keys.GEOMETRY)
    assert isinstance(value, QByteArray)


def test_writing_a_wrong_type_or_value_is_refused(tmp_path: Path) -> None:
    s = Settings.at(tmp_path / "s.ini")
    with pytest.raises(ValueError, match="must be one of"):
        s.write(keys.SETTING, "hospital")
    with pytest.raises(TypeError):
        s.write(keys.GEOMETRY, "not bytes")  # type: ignore[arg-type]


def test_the_geometry_key_names_the_qt_version() -> None:
    assert keys.GEOMETRY.name.startswith("window/geometry-qt6.")


def test_user_settings_live_under_the_org_and_app_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QCoreApplication, "organizationName", staticmethod(lambda: ORG_NAME))
    monkeypatch.setattr(QCoreApplication, "applicationName", staticmethod(lambda: APP_NAME))
    s = Settings.user()
    assert s.file_name.endswith(f"{ORG_NAME}/{APP_NAME}.ini")
    assert QSettings(s.file_name, QSettings.Format.IniFormat).format() == QSettings.Format.IniFormat


def test_the_window_restores_and_saves_its_settings(qtbot, catalog, tmp_path: Path) -> None:
    from desktop.ui.main_window import MainWindow

    path = tmp_path / "s.ini"
    first = Settings.at(path)
    first.write(keys.SETTING, "hospital_outpatient")
    first.write(keys.PAYER, "medicare")
    first.write(keys.MODALITY, "ct")
    first.sync()
    w = MainWindow(catalog, Settings.at(path))
    qtbot.addWidget(w)
    assert (w.setting(), w.payer(), w.modality()) == ("hospital_outpatient", "medicare", "ct")
    w.resize(701, 503)  # fits the offscreen screen (800x600): restoreGeometry clamps to the screen
    w.set_setting("asc")
    w.set_payer("other")
    w.set_modality("ultrasound")
    w.close()  # closeEvent saves
    saved = Settings.at(path)
    assert (saved.setting, saved.payer, saved.modality) == ("asc", "other", "ultrasound")
    assert not saved.read(keys.GEOMETRY).isEmpty()
    w2 = MainWindow(catalog, saved)
    qtbot.addWidget(w2)
    assert (w2.width(), w2.height()) == (701, 503)
    assert (w2.setting(), w2.payer(), w2.modality()) == ("asc", "other", "ultrasound")


def test_the_window_starts_on_a_corrupt_settings_file_and_says_so(qtbot, catalog, tmp_path: Path) -> None:
    from desktop.ui.main_window import MainWindow

    path = tmp_path / "s.ini"
    path.write_bytes(b"[window]\n\x00\x00garbage=\xff\n[[[")
    w = MainWindow(catalog, Settings.at(path))
    qtbot.addWidget(w)
    assert (w.setting(), w.payer(), w.modality()) == ("office", "other", "fluoroscopy")
    assert "could not be read" in w.statusBar().currentMessage()
