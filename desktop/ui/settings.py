"""A typed facade over QSettings for GuideCode's window state (UI state only, never rule data).

Every key is declared once with its type and default; :meth:`Settings.read` is the one function that
reads a value, converts it to the declared type and falls back to the default when the stored value is
missing, of the wrong type or not one of the allowed choices. A settings file Qt cannot parse
(``QSettings.FormatError``) is copied aside as ``<file>.corrupt`` and ignored: the window starts with
defaults and the next save writes a clean file.

The file is INI on every platform (``QSettings.IniFormat``) under Qt's per-user config location; call
``QCoreApplication.setOrganizationName``/``setApplicationName`` before :meth:`Settings.user`.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, qVersion

from desktop import APP_NAME, ORG_NAME
from desktop.core.model import MODALITIES, PAYERS, SETTINGS, Modality, Payer, Setting

if TYPE_CHECKING:
    from desktop.ui.present import CopyForm

log = logging.getLogger(__name__)

T = TypeVar("T")

_QT_MINOR = ".".join(qVersion().split(".")[:2])


@dataclass(frozen=True)
class Key(Generic[T]):
    """One setting: its name in the file, its Python type, its default and (optionally) allowed values."""

    name: str
    type: type
    default: T
    choices: tuple[T, ...] | None = None


# Geometry blobs are only valid for the Qt version that wrote them, hence the version in the key.
GEOMETRY: Key[QByteArray] = Key(f"window/geometry-qt{_QT_MINOR}", QByteArray, QByteArray())
SPLITTER: Key[QByteArray] = Key(f"window/splitter-qt{_QT_MINOR}", QByteArray, QByteArray())
SETTING: Key[str] = Key("encounter/setting", str, "office", SETTINGS)
PAYER: Key[str] = Key("encounter/payer", str, "other", PAYERS)
MODALITY: Key[str] = Key("encounter/modality", str, "fluoroscopy", MODALITIES)
#: How Copy writes a claim line: "claim" fields (``64483 50 1``) or the "display" form (``64483-50 x1``).
COPY_FORM: Key[str] = Key("copy/form", str, "claim", ("claim", "display"))

ALL_KEYS: tuple[Key[Any], ...] = (GEOMETRY, SPLITTER, SETTING, PAYER, MODALITY, COPY_FORM)


class Settings:
    """Typed access to one QSettings store."""

    def __init__(self, store: QSettings) -> None:
        self._store = store
        self.was_corrupt = False
        self.problem: str | None = None  # one sentence for the window when the stored settings were not usable
        if store.status() == QSettings.Status.FormatError:
            self.was_corrupt = True
            self.problem = "The window settings could not be read; GuideCode started with its defaults."
            path = store.fileName()
            log.warning("settings file %s cannot be read; using defaults", path)
            try:
                shutil.copyfile(path, path + ".corrupt")
            except OSError as exc:
                log.warning("could not keep a copy of the corrupt settings file: %s", exc)
            store.clear()

    @classmethod
    def at(cls, path: Path | str) -> Settings:
        """Settings stored in the INI file ``path`` (tests, portable use)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    @classmethod
    def user(cls) -> Settings:
        """The user's settings file (needs the organization and application names set first).

        The file is checked before Qt opens it (:func:`prepare_user_settings`): a FIFO, a device, a folder
        or a file over :data:`MAX_SETTINGS_BYTES` in its place is moved aside, because QSettings would block
        on a FIFO or read a huge file whole. Qt's own dialog history goes to GuideCode's folder."""
        path, problem = prepare_user_settings()
        if path is None:  # the settings file cannot be used or moved aside: defaults, kept for this session only
            import tempfile

            settings = cls(QSettings(str(Path(tempfile.mkdtemp(prefix="guidecode-settings-")) / "GuideCode.ini"),
                                     QSettings.Format.IniFormat))
        else:
            settings = cls(QSettings(str(path), QSettings.Format.IniFormat))
        settings.problem = problem or settings.problem
        return settings

    @property
    def file_name(self) -> str:
        return self._store.fileName()

    def read(self, key: Key[T]) -> T:
        """The stored value of ``key`` as its declared type, or its default."""
        if not self._store.contains(key.name):
            return key.default
        try:
            value = self._store.value(key.name, key.default, type=key.type)
        except (TypeError, ValueError, RuntimeError) as exc:
            log.warning("setting %s unreadable (%s); default used", key.name, exc)
            return key.default
        if not isinstance(value, key.type):
            return key.default
        if key.choices is not None and value not in key.choices:
            log.warning("setting %s=%r is not one of %s; default used", key.name, value, key.choices)
            return key.default
        return cast(T, value)

    def write(self, key: Key[T], value: T) -> None:
        if not isinstance(value, key.type):
            raise TypeError(f"{key.name} must be {key.type.__name__}, got {type(value).__name__}")
        if key.choices is not None and value not in key.choices:
            raise ValueError(f"{key.name} must be one of {key.choices}, got {value!r}")
        self._store.setValue(key.name, value)

    def sync(self) -> None:
        self._store.sync()

    # Typed shortcuts used by the window.
    @property
    def setting(self) -> Setting:
        return cast(Setting, self.read(SETTING))

    @property
    def payer(self) -> Payer:
        return cast(Payer, self.read(PAYER))

    @property
    def modality(self) -> Modality:
        return cast(Modality, self.read(MODALITY))

    @property
    def copy_form(self) -> CopyForm:
        return cast("CopyForm", self.read(COPY_FORM))

MAX_SETTINGS_BYTES = 1024 * 1024  # GuideCode's settings are a few hundred bytes; Qt reads the file whole
QT_DIALOG_SETTINGS = "QtProject.conf"  # what Qt's file dialogs remember (history, last folder), redirected here


def _user_settings_path() -> Path:
    """Where QSettings keeps GuideCode's INI file for this user, computed without opening it: a QSettings
    for an organisation that has no file tells the folder Qt uses (``$XDG_CONFIG_HOME``, ``%APPDATA%``...)."""
    org = QCoreApplication.organizationName() or ORG_NAME
    app = QCoreApplication.applicationName() or APP_NAME
    probe_org = f"GuideCode-probe-{os.getpid()}"  # no such organisation: nothing is read (uuid costs start-up)
    probe = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, probe_org, "probe")
    base = Path(probe.fileName()).parent.parent
    del probe
    return base / org / f"{app}.ini"


def _set_aside_if_unusable(path: Path) -> str | None:
    """Move ``path`` aside (``<name>.unusable``) when it is not a regular file of a sane size; returns a
    problem sentence, or None when the file is fine or absent. Raises OSError if it cannot be moved."""
    from desktop.core.safefile import check_regular

    try:
        check_regular(path, MAX_SETTINGS_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        aside = path.with_name(path.name + ".unusable")
        if aside.is_dir() and not aside.is_symlink():
            shutil.rmtree(aside)
        os.replace(path, aside)
        log.warning("settings file %s is unusable (%s); moved aside to %s", path, reason, aside)
        return (f"The window settings file could not be used ({reason}); it was moved aside and GuideCode "
                "started with its defaults.")
    return None


def prepare_user_settings() -> tuple[Path | None, str | None]:
    """Check GuideCode's settings file before Qt opens it, and send Qt's file-dialog history into GuideCode's
    own settings folder. Returns (the settings file, or None if it cannot be used; a problem sentence or None).

    Qt's file dialogs remember recent folders in the ``QtProject`` organisation's settings
    (``~/.config/QtProject.conf`` on Linux, the registry on Windows), shared by every Qt program: on Linux
    (native format = INI files) its user path is set to GuideCode's folder, so they write
    ``<GuideCode settings folder>/QtProject.conf`` instead, which :func:`clear_dialog_history` empties."""
    path = _user_settings_path()
    folder = path.parent
    # QFileDialog opens QSettings(UserScope, "QtProject"), always in the native format: INI files on Linux and
    # other Unix systems, where setPath moves them; the registry (Windows) and CFPreferences (macOS), where it
    # cannot, and desktop/ui/dialog_history.py puts the shared values back when GuideCode quits.
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(folder))
    problem: str | None = None
    for candidate in (path, folder / QT_DIALOG_SETTINGS):
        try:
            problem = _set_aside_if_unusable(candidate) or problem
        except OSError as exc:
            log.warning("settings file %s is unusable and cannot be moved aside: %s", candidate, exc)
            if candidate == path:
                return None, ("The window settings file cannot be used or moved aside; GuideCode started with "
                              "its defaults and will not remember window settings this time.")
    return path, problem


def dialog_history_path() -> Path:
    """Where Qt's file dialogs keep their history once :func:`prepare_user_settings` has run."""
    return _user_settings_path().parent / QT_DIALOG_SETTINGS


def clear_dialog_history() -> Path:
    """Forget every folder and file GuideCode's file dialogs remember (recent folders, the last folder, the
    sidebar): the ``FileDialog`` group of the redirected Qt dialog settings. Returns the file cleared."""
    path = dialog_history_path()
    store = QSettings(str(path), QSettings.Format.IniFormat)  # the .conf files are INI files
    store.remove("FileDialog")
    store.sync()
    return path
