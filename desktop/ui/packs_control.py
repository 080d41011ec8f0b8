"""Data packs in the window: File → Import data pack…, File → Data packs…, File → Import NCCI edits…, and the
status-bar notice.

:class:`PacksController` owns the user data folder's packs for one window. It loads the catalog
(:func:`desktop.core.packs.report.load_report`), switches the window to a new catalog after every change
(``MainWindow.set_catalog``), and says in the status bar which data answers and which packs were skipped.
Importing validates the pack fully first; a refused pack opens
:class:`~desktop.ui.packs_dialog.PackProblemsDialog` listing every problem and nothing changes. The window
itself only calls :func:`attach`; the controller reaches the window through
:class:`desktop.ui.window_api.WindowHost`. The dialogs live in :mod:`desktop.ui.packs_dialog`, imported when
one is first opened (they are not needed to show the window), and do not import this module: they take the
controller as a :class:`desktop.ui.packs_dialog.PackStore`. File → Import NCCI edits… is
:class:`desktop.ui.ncci_import.NcciImporter` (CMS's release files → a data pack, on a worker thread), imported
when the action is first used.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, Signal, Slot
from PySide6.QtWidgets import QWidget

from desktop import APP_NAME, app_logging
from desktop.core.model import Catalog
from desktop.core.packs import report as pack_report
from desktop.ui.present import problems_text
from desktop.ui.widgets import ElidedLabel
from desktop.ui.window_api import WindowHost
from desktop.userdirs import ENV_USER_DIR, user_data_dir

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox  # imported when a refusal is first shown, not at start-up

    from desktop.ui.ncci_import import NcciImporter
    from desktop.ui.packs_dialog import PackProblemsDialog, PacksDialog

log = logging.getLogger(__name__)


def gui_data_dir(data_dir: Path | None = None) -> Path:
    """The folder the window keeps packs in: ``--data-dir``, else ``GUIDECODE_USER_DIR``, else Qt's
    ``AppDataLocation`` (the same folder :func:`desktop.userdirs.user_data_dir` computes without Qt)."""
    if data_dir is not None:
        return data_dir
    if os.environ.get(ENV_USER_DIR, "").strip():
        return user_data_dir()
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location) if location else user_data_dir()


class PacksController(QObject):
    """The window's data packs: load, import, turn on/off, remove; keeps the window's catalog current."""

    changed = Signal()

    def __init__(self, window: WindowHost, data_dir: Path, report: pack_report.LoadReport,
                 base: Catalog | None = None) -> None:
        super().__init__(window.widget())
        self.window = window
        self.data_dir = data_dir
        self.report = report
        self._base = base
        self.last_dialog: PackProblemsDialog | None = None  # the latest refusal, kept for tests and re-reading
        self.packs_dialog: PacksDialog | None = None
        self.notice_text = ""  # the latest start-up or reload notice shown in the status bar
        self.last_error: QMessageBox | None = None  # the latest change the disk refused (full, read-only)
        # Elided, whole in its tooltip: a long data-pack label must not widen the window (issue 15).
        self.status_label = ElidedLabel()
        self.status_label.setObjectName("dataStatus")
        window.statusBar().addPermanentWidget(self.status_label, 1)
        self.import_action = window.add_file_action("&Import data pack\u2026", self.import_pack_dialog)
        self.import_action.setObjectName("importPackAction")
        self.packs_action = window.add_file_action("Data &packs\u2026", self.show_packs_dialog)
        self.packs_action.setObjectName("dataPacksAction")
        self.ncci_action = window.add_file_action("Import &NCCI edits\u2026", self.import_ncci_dialog)
        self.ncci_action.setObjectName("importNcciAction")
        self.ncci_importer: NcciImporter | None = None
        self._show_status(initial=True)

    @property
    def base(self) -> Catalog | None:
        """The data the packs apply to (None: the built-in data)."""
        return self._base

    # Loading --------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load the data again from the data folder and switch the window to it."""
        self.report = pack_report.load_report(self.data_dir, self._base, missing_ok=True)
        if self.window.catalog != self.report.catalog:
            self.window.set_catalog(self.report.catalog)
        self._show_status()
        self.changed.emit()

    def _show_status(self, *, initial: bool = False) -> None:
        catalog = self.report.catalog
        app_logging.context["data"] = catalog.version_label
        skipped = [s for s in self.report.packs if s.enabled and not s.applied]
        text = f"Data: {catalog.version_label}"
        if skipped:
            text += (f" \u2014 \u26a0 data pack skipped: {', '.join(s.title for s in skipped)} "
                     "(File \u2192 Data packs\u2026)")
        elif self.report.problems:
            text += f" \u2014 \u26a0 {self.report.problems[0].message}; built-in data only"
        for problem in self.report.problems:
            log.warning("data pack problem: %s", problem)
        self.status_label.setText(text)
        self.status_label.set_help(problems_text(self.report.problems) or "Every enabled data pack is in use.")
        messages = list(self.report.notices)  # an interrupted pack change completed or rolled back at this load
        for notice in messages:
            log.warning("data packs: %s", notice)
        if initial and self.report.problems:
            messages.append("Some data packs could not be used; GuideCode answers without them. File \u2192 Data "
                            "packs\u2026 lists the problems.")
        if messages:
            self.notice_text = " ".join(messages)
            self.window.statusBar().showMessage(self.notice_text, 30000 if self.report.notices else 15000)

    # Actions --------------------------------------------------------------------------------------
    @Slot()
    def import_pack_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        folder = QFileDialog.getExistingDirectory(self.window.widget(), "Import data pack: choose the pack folder "
                                                  "(it holds pack.yaml)")
        if folder:
            self.import_from(Path(folder))

    def import_from(self, source: Path) -> bool:
        """Validate and install the pack in ``source``; refuse it with every problem listed if invalid."""
        from desktop.core.packs import install as packs
        from desktop.ui.packs_dialog import PackProblemsDialog

        try:
            result = packs.import_pack(source, self.data_dir, base=self._base)
        except packs.PackRefused as refused:
            log.warning("data pack %s refused: %d problem(s)", source, len(refused.problems))
            self.show_problems(PackProblemsDialog(
                f"{APP_NAME}: data pack not imported",
                f"The data pack in {source} was not imported: it has {len(refused.problems)} "
                f"problem{'s' if len(refused.problems) != 1 else ''}. Nothing was changed; GuideCode still "
                f"answers with {self.report.catalog.version_label}.",
                refused.problems, self._dialog_parent()))
            return False
        except OSError as exc:  # StoreError: busy, full or read-only disk; nothing was changed
            log.warning("could not install data pack %s: %s", source, exc)
            self.show_problems(PackProblemsDialog(f"{APP_NAME}: data pack not imported",
                                                  f"The data pack in {source} was not imported into "
                                                  f"{self.data_dir}: {exc}", [], self._dialog_parent()))
            return False
        self.reload()
        m = result.manifest
        verb = "updated" if result.replaced else "imported"
        self.window.statusBar().showMessage(
            f"Data pack {m.name} {m.version} {verb}. Answers now use: {self.report.catalog.version_label}.", 15000)
        log.info("data pack %s %s %s into %s", m.name, m.version, verb, self.data_dir / "packs" / result.folder)
        return True

    def ncci(self) -> NcciImporter:
        """File → Import NCCI edits… (its module is imported on first use, not at start-up)."""
        if self.ncci_importer is None:
            from desktop.ui.ncci_import import NcciImporter

            self.ncci_importer = NcciImporter(self, self)
        return self.ncci_importer

    @Slot()
    def import_ncci_dialog(self) -> None:
        self.ncci().choose_files()

    def _dialog_parent(self) -> QWidget:
        """Over the Data packs dialog when it is open (importing from it), else over the window."""
        if self.packs_dialog is not None and self.packs_dialog.isVisible():
            return self.packs_dialog
        return self.window.widget()

    def show_problems(self, dialog: PackProblemsDialog) -> None:
        """Open ``dialog`` (a refused import's problems), keeping it as :attr:`last_dialog`."""
        if self.last_dialog is not None:
            self.last_dialog.deleteLater()
        self.last_dialog = dialog
        dialog.open()  # window-modal, does not block the caller

    @Slot()
    def show_packs_dialog(self) -> PacksDialog:
        from desktop.ui.packs_dialog import PacksDialog

        if self.packs_dialog is not None:
            self.packs_dialog.deleteLater()
        self.packs_dialog = PacksDialog(self, self.window.widget())
        self.packs_dialog.open()
        return self.packs_dialog

    def set_enabled(self, folder: str, enabled: bool) -> bool:
        """Turn a pack on or off. If the disk refuses (full, read-only) or another GuideCode is busy, nothing
        changes, the dialog shows the stored state again and a message says why; returns whether it worked."""
        from desktop.core.packs.folders import set_enabled

        try:
            set_enabled(self.data_dir, folder, enabled)
        except OSError as exc:
            self._refused(f"The data pack could not be turned {'on' if enabled else 'off'}", exc)
            return False
        self.reload()
        return True

    def remove(self, folder: str) -> bool:
        """Remove a pack; like :meth:`set_enabled`, a refusal changes nothing and says why."""
        from desktop.core.packs import install as packs

        try:
            packs.remove_pack(self.data_dir, folder)
        except (OSError, ValueError) as exc:
            self._refused("The data pack could not be removed", exc)
            self.reload()
            return False
        self.reload()
        return True

    def _refused(self, what: str, exc: Exception) -> None:
        from PySide6.QtWidgets import QMessageBox

        from desktop.core.packs.locking import StoreError

        reason = str(exc)
        text = reason[:1].upper() + reason[1:] if isinstance(exc, StoreError) else f"{what}: {reason}"
        log.warning("%s", text)
        self.window.statusBar().showMessage(text, 15000)
        self.changed.emit()  # the dialog fills again from the state as stored: the checkbox shows the truth
        box = QMessageBox(QMessageBox.Icon.Warning, f"{APP_NAME}: data packs", text, QMessageBox.StandardButton.Close,
                          self._dialog_parent())
        box.setObjectName("packStoreErrorBox")
        if self.last_error is not None:
            self.last_error.deleteLater()
        self.last_error = box
        box.open()


def load_for_window(data_dir: Path | None) -> tuple[Path, pack_report.LoadReport]:
    """The window's data folder and what loading it gave. Raises DataError if the built-in data is broken.
    The user data folder may not exist yet; a ``--data-dir`` that does not exist is reported."""
    folder = gui_data_dir(data_dir)
    return folder, pack_report.load_report(folder, missing_ok=data_dir is None)


def attach(window: WindowHost, data_dir: Path, report: pack_report.LoadReport) -> PacksController:
    """Add the data-pack menu entries and the status-bar notice to ``window``; the controller is a child of
    the window (it lives as long as the window does)."""
    return PacksController(window, data_dir, report)
