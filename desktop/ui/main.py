"""``run_gui``: the QApplication, the catalog, the main window. Called by ``desktop.cli`` when no
command is given."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication

from desktop import APP_NAME, ORG_NAME, __version__

if TYPE_CHECKING:
    from desktop.ui.descriptors_dialog import DescriptorsController
    from desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def _application(qt_args: Sequence[str] = ()) -> QApplication:
    """The QApplication, given Qt's own command-line options (``-style Fusion``, ``-platform …``)."""
    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance()
    if app is None:
        app = QApplication([*sys.argv[:1], *qt_args])
    assert isinstance(app, QApplication)
    app.setApplicationDisplayName(APP_NAME)
    return app


def data_error_text(exc: Exception) -> tuple[str, str]:
    """The dialog's short text and its details (every problem, one per line) for a DataError."""
    from desktop.app_logging import log_file

    problems = getattr(exc, "problems", ())
    details = "\n".join(str(p) for p in problems) or str(exc)
    text = ("GuideCode cannot start because its built-in rule data could not be loaded.\n\n"
            f"{exc}\n\nReinstall GuideCode. Every problem is listed under Show Details and in the log file:\n"
            f"{log_file() or 'no log file could be written'}")
    return text, details


def show_data_error(exc: Exception, error_dialogs: bool) -> None:
    text, details = data_error_text(exc)
    log.critical("the built-in data could not be loaded:\n%s", details)
    print(f"guidecode: the data could not be loaded: {exc}", file=sys.stderr)
    if not error_dialogs:
        return
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Critical, f"{APP_NAME}: data error", text, QMessageBox.StandardButton.Close)
    box.setObjectName("dataErrorBox")
    box.setDetailedText(details)
    box.exec()


def run_gui(data_dir: Path | None = None, error_dialogs: bool = True, qt_args: Sequence[str] = ()) -> int:
    """Open the GuideCode window; returns the exit status (1 if the data cannot be loaded). ``qt_args`` are
    Qt's own options from the command line (desktop/cli.py passes them through)."""
    from desktop.core.problems import DataError
    from desktop.ui import packs_control

    app = _application(qt_args)
    start_logging(error_dialogs)
    try:
        folder, report = packs_control.load_for_window(data_dir)  # built-in data + the office's packs
    except DataError as exc:
        show_data_error(exc, error_dialogs)
        return 1
    catalog = report.catalog

    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings import Settings

    settings = Settings.user()  # a FIFO, huge or damaged settings file is moved aside, never fatal
    window = MainWindow(catalog, settings)
    _packs = packs_control.attach(window, folder, report)  # File → Import data pack…, Data packs…, the notice
    if settings.problem:
        log.warning("%s", settings.problem)
        window.statusBar().showMessage(settings.problem, 15000)
    StartupFinisher(app, window, folder, report_and_quit=os.environ.get("GUIDECODE_EXIT_AFTER_PAINT") == "1")
    window.show()
    status = app.exec()
    window.save_settings()
    return int(status)


def start_logging(error_dialogs: bool) -> None:
    """The log file, Qt messages into logging, and the excepthook's dialog (desktop/app_logging.py)."""
    from desktop import app_logging

    app_logging.setup_logging()
    app_logging.install_qt_message_handler()
    app_logging.install_excepthook(_show_error_dialog if error_dialogs else None)


def _show_error_dialog(details: str) -> None:
    # The dialog's module (a QDialog subclass) is imported when an error first needs it, not at start-up.
    from desktop.ui.error_dialog import show_error_dialog

    show_error_dialog(details)


class StartupFinisher(QObject):
    """What start-up leaves until the procedure list has painted for the first time, so the window shows
    sooner (packaging/bench_startup.py measures launch -> that paint):

    - closing the onefile build's splash screen (PyInstaller's bootloader shows it while it unpacks;
      packaging/guidecode.spec), first;
    - the search's word indexes (``MainWindow.finish_startup``): listing every code does not need them;
    - the saved work (favourites, recent encounters, the autosaved encounter, ``MainWindow.finish_startup``):
      shown a moment after the window, so the first paint does not wait for files;
    - the licensed-descriptor feature (File → Load CPT descriptors…, and the office's saved CSV shown with
      the AMA notice) and File → Clear recent folders: their import and set-up are not needed to paint;
    - with ``GUIDECODE_EXIT_AFTER_PAINT=1`` (packaging/bench_startup.py, tests): printing ``STARTUP {json}``
      with ``time.time()`` as that paint began and the modules loaded by then, then quitting. It is the
      moment the shared baseline's app.py stamps (the first Paint of its list view's viewport), so launch ->
      first painted window is measured the same way for both.

    A window that is never painted (started minimised) finishes a second after start-up instead."""

    def __init__(self, app: QApplication, window: MainWindow, folder: Path, report_and_quit: bool) -> None:
        super().__init__(window)
        self.app, self.window, self.folder, self.report_and_quit = app, window, folder, report_and_quit
        self.painted_at: float | None = None
        self.modules_at_paint: list[str] = []
        self.done = False
        self.descriptors: DescriptorsController | None = None
        window.search.proc_view.first_painted.connect(self._on_first_paint)
        QTimer.singleShot(1000, self.finish)

    @Slot()
    def _on_first_paint(self) -> None:
        self.painted_at = time.time()
        if self.report_and_quit:
            self.modules_at_paint = sorted(sys.modules)
        QTimer.singleShot(0, self._after_first_paint)  # once this paint has been drawn

    def finish(self) -> None:
        """Set up what was left for after the first paint (once; the first paint or the 1 s timer)."""
        if self.done:
            return
        self.done = True
        if "_PYI_SPLASH_IPC" in os.environ:  # set by the bootloader only when a splash screen is up
            import pyi_splash  # type: ignore[import-untyped]  # only inside a --splash build

            pyi_splash.close()
        # Saved work (autosave, recent encounters, favourites) is kept in the user data folder, beside the
        # data packs; it is read, and the last encounter restored, a moment after the window has painted.
        from desktop.core.saved_work import WorkStore

        self.window.finish_startup(WorkStore(self.folder))
        from desktop.ui import descriptors_dialog, dialog_history

        self.descriptors = descriptors_dialog.attach(self.window, self.folder)
        dialog_history.attach(self.window)  # File → Clear recent folders; the shared Qt dialog history guarded

    def _after_first_paint(self) -> None:
        self.finish()
        if self.report_and_quit:
            import json

            marks = {"epoch_paint": self.painted_at, "platform": self.app.platformName(),
                     "frozen": bool(getattr(sys, "frozen", False)), "splash": "_PYI_SPLASH_IPC" in os.environ,
                     "modules": self.modules_at_paint}
            print("STARTUP " + json.dumps(marks), flush=True)
            QTimer.singleShot(0, self.app.quit)
