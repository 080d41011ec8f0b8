"""What Qt's file dialogs remember, kept out of other programs' settings: File → Clear recent folders.

Every ``QFileDialog`` (GuideCode's claims, packs, descriptors and PDF dialogs alike) saves its recent folders
and the last folder it showed in the settings of the organisation ``QtProject``, shared by every Qt program
of the user and in the platform's native settings format. A claims folder named after a patient or a
practice would stay there after GuideCode is closed. So:

- on Linux and other Unix systems (native format = INI files), :func:`desktop.ui.settings.prepare_user_settings`
  points that organisation's files at GuideCode's own settings folder: the dialogs write
  ``<GuideCode settings>/QtProject.conf``, nothing else;
- on Windows (registry) and macOS (CFPreferences), where Qt cannot move them, :class:`SharedHistoryGuard`
  notes the shared ``FileDialog`` values at start-up and puts them back exactly when GuideCode quits, so
  the folders GuideCode's dialogs visited do not outlive the session;
- File → Clear recent folders empties GuideCode's own copy at once (:func:`clear_history`).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QSettings, Slot

from desktop.ui.settings import clear_dialog_history

log = logging.getLogger(__name__)

GROUP = "FileDialog"


def redirected() -> bool:
    """Whether Qt's dialog history already goes to GuideCode's folder (native settings are INI files)."""
    return not (sys.platform.startswith("win") or sys.platform == "darwin")


class SharedHistoryGuard(QObject):
    """Snapshot of the shared ``QtProject/FileDialog`` values, restored exactly by :meth:`restore`."""

    def __init__(self, store: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store if store is not None else QSettings(QSettings.Scope.UserScope, "QtProject")
        self.store.beginGroup(GROUP)
        self.saved: dict[str, Any] = {key: self.store.value(key) for key in self.store.allKeys()}
        self.store.endGroup()

    @Slot()
    def restore(self) -> None:
        self.store.remove(GROUP)
        self.store.beginGroup(GROUP)
        for key, value in self.saved.items():
            self.store.setValue(key, value)
        self.store.endGroup()
        self.store.sync()


def clear_history() -> str:
    """Forget the folders GuideCode's file dialogs remember; returns the sentence for the status bar."""
    path = clear_dialog_history()
    guard = _guard()
    if guard is not None:
        guard.restore()  # the shared store back to what it was before GuideCode started
    log.info("file-dialog history cleared (%s)", path)
    return "Recent folders cleared: GuideCode's file dialogs no longer remember any folder."


_GUARDS: list[SharedHistoryGuard] = []


def _guard() -> SharedHistoryGuard | None:
    return _GUARDS[0] if _GUARDS else None


def attach(window: Any) -> Any:
    """Add File → Clear recent folders to ``window``; on Windows and macOS also guard the shared history
    until the application quits."""
    if not redirected() and not _GUARDS:
        app = QCoreApplication.instance()
        guard = SharedHistoryGuard(parent=app)
        _GUARDS.append(guard)
        if app is not None:
            app.aboutToQuit.connect(guard.restore)

    def clear() -> None:
        window.statusBar().showMessage(clear_history(), 8000)

    action = window.add_file_action("Clear recent &folders", clear)
    action.setObjectName("clearRecentFoldersAction")
    action.setToolTip("Forget the folders GuideCode's Open and Save dialogs remember")
    return action
