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
        if store.status() == QSettings.Status.FormatError:
            self.was_corrupt = True
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
        """The user's settings file (needs the organization and application names set first)."""
        org = QCoreApplication.organizationName() or ORG_NAME
        app = QCoreApplication.applicationName() or APP_NAME
        return cls(QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, org, app))

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
