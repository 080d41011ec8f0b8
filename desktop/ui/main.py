"""``run_gui``: the QApplication, the catalog, the main window. Called by ``desktop.cli`` when no
command is given."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop import APP_NAME, ORG_NAME, __version__

log = logging.getLogger(__name__)


def _application() -> QApplication:
    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
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
    box = QMessageBox(QMessageBox.Icon.Critical, f"{APP_NAME}: data error", text, QMessageBox.StandardButton.Close)
    box.setObjectName("dataErrorBox")
    box.setDetailedText(details)
    box.exec()


def run_gui(data_dir: Path | None = None, error_dialogs: bool = True) -> int:
    """Open the GuideCode window; returns the exit status (1 if the data cannot be loaded)."""
    from desktop.core.loader import DataError
    from desktop.ui import packs_dialog

    app = _application()
    start_logging(error_dialogs)
    try:
        folder, report = packs_dialog.load_for_window(data_dir)  # built-in data + the office's packs
    except DataError as exc:
        show_data_error(exc, error_dialogs)
        return 1
    catalog = report.catalog

    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings import Settings

    window = MainWindow(catalog, Settings.user())
    packs_dialog.attach(window, folder, report)  # File → Import data pack…, Data packs…, status notice
    _on_first_paint(app, window, report_and_quit=os.environ.get("GUIDECODE_EXIT_AFTER_PAINT") == "1")
    window.show()
    # The licensed-descriptor feature (File → Load CPT descriptors…, shown with the AMA notice) is set up
    # as soon as the event loop runs, not before the window is shown: its import is not needed to paint.
    QTimer.singleShot(0, lambda: _attach_descriptors(window, folder))
    status = app.exec()
    window.save_settings()
    return int(status)


def _attach_descriptors(window: QWidget, folder: Path) -> None:
    from desktop.ui import descriptors_dialog

    descriptors_dialog.attach(window, folder)


def start_logging(error_dialogs: bool) -> None:
    """The log file, Qt messages into logging, and the excepthook's dialog (desktop/app_logging.py)."""
    from desktop import app_logging
    from desktop.ui.error_dialog import show_error_dialog

    app_logging.setup_logging()
    app_logging.install_qt_message_handler()
    app_logging.install_excepthook(show_error_dialog if error_dialogs else None)


def _on_first_paint(app: QApplication, window: QWidget, report_and_quit: bool) -> None:
    """At the first paint of the procedure list: close the onefile build's splash screen (PyInstaller's
    bootloader shows it while it unpacks; packaging/guidecode.spec); with ``GUIDECODE_EXIT_AFTER_PAINT=1``
    (packaging/bench_startup.py) also print ``STARTUP {json}`` with ``time.time()`` and quit, the same probe
    as ../shared/baseline/app.py, so launch -> first painted window is measured the same way for both."""
    splash = "_PYI_SPLASH_IPC" in os.environ  # set by the bootloader only when a splash screen is up
    if not splash and not report_and_quit:
        return
    import json
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QListView

    class FirstPaint(QObject):
        seen = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not self.seen:
                self.seen = True
                stamp = time.time()
                if splash:
                    import pyi_splash  # type: ignore[import-untyped]  # only inside a --splash build

                    pyi_splash.close()
                if report_and_quit:
                    marks = {"epoch_paint": stamp, "platform": app.platformName(),
                             "frozen": bool(getattr(sys, "frozen", False)), "splash": splash}
                    print("STARTUP " + json.dumps(marks), flush=True)
                    QTimer.singleShot(0, app.quit)
            return False

    probe = FirstPaint(window)
    listing = window.findChild(QListView, "procedureList")
    (listing.viewport() if listing is not None else window).installEventFilter(probe)
