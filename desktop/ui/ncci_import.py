"""File → Import NCCI edits…: CMS's quarterly NCCI release files into the window, as a data pack.

The same import as ``python -m desktop import-ncci FILE… --install`` (docs/ncci.md): the files are read and
every row checked (:func:`desktop.core.ncci.importer.read_release`, keeping the rows about the codes the
window's data has), the pack is written and installed with the data-pack import
(:func:`desktop.core.ncci_install.install_pack`, which validates it on the data as installed and changes
nothing if it refuses it), then the data-pack controller reloads, so the answer uses the new tables.

- :class:`ImportOptionsDialog`: the files chosen, and what their names may not say (kind, CMS version,
  quarter, fewer than the four PTP parts); the command's ``--kind``, ``--version``, ``--quarter``,
  ``--partial``.
- :class:`ImportJob`: the reading and the install on a worker thread (a quarter's practitioner table is
  millions of rows), with progress; Cancel stops the reading, and nothing is written.
- :class:`NcciImporter`: the whole action for one window: choose files, options, the progress dialog
  (shown only when the import takes a moment), then the result: the version, quarter and row counts, or
  every problem as ``file:line: entry: what is wrong`` with nothing changed.

Imported when the action is first used, never at start-up (tests/test_startup.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.core import frozen
from desktop.core.model import Catalog
from desktop.core.ncci.importer import ImportOptions, ImportProblems, NcciImport, parse_quarter_option, read_release
from desktop.core.ncci.model import KIND_LABELS, TABLE_KINDS, TableKind
from desktop.core.problems import Problem
from desktop.ui.widgets import combo

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from desktop.core.packs.report import LoadReport
    from desktop.ui.packs_dialog import PackProblemsDialog
    from desktop.ui.window_api import WindowHost

log = logging.getLogger(__name__)

FILE_FILTER = "CMS NCCI release files (*.zip *.ZIP *.txt *.TXT *.csv *.CSV *.xlsx *.XLSX);;All files (*)"
#: The progress dialog appears only if the import is still running after this long.
SHOW_PROGRESS_AFTER_MS = 400
# The command's options, as the refusal sentences name them, and where the window has them.
_OPTION_NAMES = {"--kind": "Kind (in the import dialog)", "--version": "PTP version (in the import dialog)",
                 "--quarter": "Quarter (in the import dialog)",
                 "--partial": "\u201cAccept fewer PTP parts\u201d (in the import dialog)"}


class PacksHost(Protocol):
    """What the import needs of the window's data packs (:class:`desktop.ui.packs_control.PacksController`):
    the window, the data folder and what loading it gave, the data the packs apply to, the menu action, and
    reloading and showing a refusal."""

    window: WindowHost
    data_dir: Path
    report: LoadReport
    ncci_action: QAction
    import_action: QAction
    packs_action: QAction

    @property
    def base(self) -> Catalog | None: ...

    def reload(self) -> None: ...

    def show_problems(self, dialog: PackProblemsDialog) -> None: ...


class Cancelled(Exception):
    """Raised by the progress callback when the coder pressed Cancel: the reading stops, nothing is written."""


@dataclass(frozen=True)
class Outcome:
    """How an import ended: installed (``imported``, ``folder``), refused (``problems``; ``stage`` "read":
    the files, "install": the pack on the installed data), cancelled, or failed (``error``)."""

    imported: NcciImport | None = None
    folder: str = ""
    problems: tuple[Problem, ...] = ()
    stage: str = ""
    cancelled: bool = False
    error: str = ""

    @property
    def installed(self) -> bool:
        return self.imported is not None and bool(self.folder)


def window_text(problem: Problem) -> Problem:
    """A refusal sentence with the command-line option it names replaced by the window's field."""
    message = problem.message
    for flag, field in _OPTION_NAMES.items():
        message = message.replace(f"give {flag}", f"give the {field}").replace(flag, field)
    return Problem(problem.file, problem.line, problem.entry, message)


# ---------------------------------------------------------------------------------------------------------
# The options


class ImportOptionsDialog(QDialog):
    """The files chosen and the options their names may not say; :meth:`options` reads them."""

    def __init__(self, paths: Sequence[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ncciImportOptions")
        self.setWindowTitle("Import NCCI edits")
        self.paths = tuple(paths)
        layout = QVBoxLayout(self)
        intro = QLabel(f"GuideCode reads {len(self.paths)} file{'s' if len(self.paths) != 1 else ''}, checks every "
                       "row and keeps the rows about the codes it knows. The kind, CMS's version and the quarter "
                       "come from CMS's file names; give them here only when the names do not say.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.files = QPlainTextEdit("\n".join(p.name for p in self.paths))
        self.files.setObjectName("ncciImportFiles")
        self.files.setAccessibleName("Files to import")
        self.files.setReadOnly(True)
        self.files.setMaximumHeight(self.files.fontMetrics().height() * 6 + 12)
        layout.addWidget(self.files)
        form = QFormLayout()
        kinds: list[tuple[str, object]] = [(KIND_LABELS[k].capitalize(), k) for k in TABLE_KINDS]
        self.kind_combo = combo("ncciKindCombo", "Kind of NCCI table", [("From the file names", None), *kinds])
        self.version_edit = QLineEdit()
        self.version_edit.setObjectName("ncciVersionEdit")
        self.version_edit.setPlaceholderText("from the file names, e.g. 30.2")
        self.quarter_edit = QLineEdit()
        self.quarter_edit.setObjectName("ncciQuarterEdit")
        self.quarter_edit.setPlaceholderText("from the file names, e.g. 2024Q3")
        self.partial_box = QCheckBox("Accept fewer PTP parts than the four (f1 to f4) CMS publishes")
        self.partial_box.setObjectName("ncciPartialBox")
        form.addRow("&Kind:", self.kind_combo)
        form.addRow("PTP &version:", self.version_edit)
        form.addRow("&Quarter:", self.quarter_edit)
        form.addRow("", self.partial_box)
        layout.addLayout(form)
        self.problem = QLabel()
        self.problem.setObjectName("ncciOptionsProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("&Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("ncciImportButton")
        self.import_button.setDefault(True)
        self.buttons.accepted.connect(self._check_and_accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(560, 360)

    def options(self) -> ImportOptions | str:
        """The options given, or the sentence saying what is wrong with them."""
        quarter: date | None = None
        text = self.quarter_edit.text().strip()
        if text:
            quarter = parse_quarter_option(text)
            if quarter is None:
                return f"Quarter {text!r}: write it as 2024Q3, or as its first day, 2024-07-01."
        version = self.version_edit.text().strip() or None
        if version is not None and len(version) > 24:
            return "PTP version: give CMS's version as written in the file name, e.g. 30.2."
        kind = cast("TableKind | None", self.kind_combo.currentData())
        return ImportOptions(kind=kind, version=version, quarter=quarter, partial=self.partial_box.isChecked())

    @Slot()
    def _check_and_accept(self) -> None:
        options = self.options()
        if isinstance(options, str):
            self.problem.setText(options)
            self.problem.show()
            return
        self.accept()


# ---------------------------------------------------------------------------------------------------------
# The work, on a worker thread


class ImportJob(QObject):
    """Read, check and install one release on a worker thread. Signals (delivered on the window's thread):

    progress(int): code look-ups so far while the rows are checked;
    installing(): the files were read without a problem; the pack is being written and installed (no
      longer cancellable: the data-pack import changes everything or nothing);
    done(object): the :class:`Outcome`.
    """

    progress = Signal(int)
    installing = Signal()
    done = Signal(object)

    def __init__(self, paths: Sequence[Path], codes: Collection[str], options: ImportOptions, data_dir: Path,
                 base: Catalog | None) -> None:
        super().__init__()
        self.paths = tuple(paths)
        self.codes = frozenset(codes)
        self.options = options
        self.data_dir = data_dir
        self.base = base
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self.outcome: Outcome | None = None

    def start(self) -> None:
        # A Python thread, not a QThread: nothing Qt runs in it, and the interpreter waits for it at exit
        # (a QThread destroyed while running aborts the process).
        self._thread = threading.Thread(target=self._run, name="guidecode-ncci-import")
        frozen.materialize_all()  # no record class is made while the worker may be using it
        self._thread.start()

    def cancel(self) -> None:
        """Stop the reading at the next progress call (nothing is written); no effect once installing."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _tick(self, count: int) -> None:
        if self._cancel.is_set():
            raise Cancelled
        self.progress.emit(count)

    def _run(self) -> None:
        outcome = self._work()
        self.outcome = outcome
        self.done.emit(outcome)

    def _work(self) -> Outcome:
        from desktop.core.ncci_install import install_pack
        from desktop.core.packs.install import PackRefused

        try:
            imported = read_release(self.paths, self.codes, self.options, progress=self._tick)
        except Cancelled:
            return Outcome(cancelled=True)
        except ImportProblems as exc:
            return Outcome(problems=exc.problems, stage="read")
        except Exception as exc:  # a bug in reading must come back as a message, never kill the thread silently
            log.exception("NCCI import failed while reading %s", [str(p) for p in self.paths])
            return Outcome(error=f"{type(exc).__name__}: {exc}")
        if self._cancel.is_set():
            return Outcome(cancelled=True)
        self.installing.emit()
        try:
            folder = install_pack(imported, self.data_dir, self.base)
        except PackRefused as exc:
            return Outcome(imported, problems=exc.problems, stage="install")
        except ImportProblems as exc:
            return Outcome(imported, problems=exc.problems, stage="install")
        except OSError as exc:
            return Outcome(imported, error=f"the pack could not be installed into {self.data_dir}: "
                                           f"{exc.strerror or exc}")
        except Exception as exc:
            log.exception("NCCI import failed while installing into %s", self.data_dir)
            return Outcome(imported, error=f"{type(exc).__name__}: {exc}")
        return Outcome(imported, folder)


# ---------------------------------------------------------------------------------------------------------
# The action


class NcciImporter(QObject):
    """File → Import NCCI edits… for one window's data packs (``controller``).

    Signals: finished(object): an import ended, with its :class:`Outcome` (after the window was reloaded)."""

    finished = Signal(object)

    def __init__(self, controller: PacksHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.job: ImportJob | None = None
        self.options_dialog: ImportOptionsDialog | None = None
        self.progress: QProgressDialog | None = None
        self.result_box: QMessageBox | None = None
        self._installing = False
        self._count = 0
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def _parent(self) -> QWidget:
        return self.controller.window.widget()

    @Slot()
    def choose_files(self) -> None:
        """The file dialog (several files at once), then the options."""
        if self.busy():
            self.controller.window.statusBar().showMessage("An NCCI import is already running.", 5000)
            return
        names, _ = QFileDialog.getOpenFileNames(self._parent(), "Import NCCI edits: choose CMS's release files "
                                                "(all PTP parts, and the MUE file of the same quarter)", "",
                                                FILE_FILTER)
        if names:
            self.ask_options([Path(n) for n in names])

    def ask_options(self, paths: Sequence[Path]) -> ImportOptionsDialog:
        if self.options_dialog is not None:
            self.options_dialog.deleteLater()
        dialog = ImportOptionsDialog(paths, self._parent())
        self.options_dialog = dialog
        dialog.accepted.connect(self._options_accepted)
        dialog.open()
        return dialog

    @Slot()
    def _options_accepted(self) -> None:
        dialog = self.options_dialog
        if dialog is None:
            return
        options = dialog.options()
        if isinstance(options, ImportOptions):
            self.start(dialog.paths, options)

    def busy(self) -> bool:
        return self.job is not None

    def start(self, paths: Sequence[Path], options: ImportOptions | None = None) -> ImportJob:
        """Import ``paths`` with ``options`` on a worker thread; the result comes as :attr:`finished`."""
        assert self.job is None, "one NCCI import at a time"
        ctl = self.controller
        job = ImportJob(paths, ctl.report.catalog.by_code, options or ImportOptions(), ctl.data_dir, ctl.base)
        self.job = job
        self._installing = False
        self._count = 0
        job.progress.connect(self._on_progress)
        job.installing.connect(self._on_installing)
        job.done.connect(self._on_done)
        self._set_pack_actions(False)
        self.progress = self._progress_dialog(paths)
        log.info("NCCI import started: %s", ", ".join(str(p) for p in paths))
        job.start()
        return job

    def _set_pack_actions(self, enabled: bool) -> None:
        """While the worker installs, no other change of the packs starts from this window: the data folder's
        lock is per process (desktop/core/packs/locking.py), so it would not make the window's thread wait."""
        ctl = self.controller
        for action in (ctl.ncci_action, ctl.import_action, ctl.packs_action):
            action.setEnabled(enabled)

    def _progress_dialog(self, paths: Sequence[Path]) -> QProgressDialog:
        what = paths[0].name if len(paths) == 1 else f"{len(paths)} files"
        dialog = QProgressDialog(f"Reading and checking every row of {what}\u2026", "Cancel", 0, 0, self._parent())
        dialog.setObjectName("ncciImportProgress")
        dialog.setWindowTitle("Importing NCCI edits")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.cancel)
        dialog.hide()
        QTimer.singleShot(SHOW_PROGRESS_AFTER_MS, self._show_progress)
        return dialog

    @Slot()
    def _show_progress(self) -> None:
        if self.job is not None and self.progress is not None and not self.progress.wasCanceled():
            self.progress.show()

    @Slot()
    def cancel(self) -> None:
        """Cancel: the reading stops at its next progress call and nothing is written (not once installing)."""
        if self.job is None or self._installing:
            return
        self.job.cancel()
        self.controller.window.statusBar().showMessage("Cancelling the NCCI import\u2026", 5000)

    @Slot(int)
    def _on_progress(self, count: int) -> None:
        self._count = count
        if self.progress is not None and not self._installing:
            self.progress.setLabelText(f"Reading and checking every row\u2026 {count:,} codes checked so far.")

    @Slot()
    def _on_installing(self) -> None:
        self._installing = True
        if self.progress is not None:
            self.progress.setLabelText("Writing and installing the data pack\u2026")
            self.progress.setCancelButton(None)  # the data-pack import changes all or nothing: not stopped now

    @Slot(object)
    def _on_done(self, outcome: Outcome) -> None:
        if self.progress is not None:
            self.progress.canceled.disconnect(self.cancel)
            self.progress.reset()
            self.progress.hide()
            self.progress.deleteLater()
            self.progress = None
        if self.job is not None:
            self.job.wait()
            self.job.deleteLater()
            self.job = None
        ctl = self.controller
        self._set_pack_actions(True)
        if outcome.installed:
            self._installed(outcome)
        elif outcome.cancelled:
            ctl.window.statusBar().showMessage("NCCI import cancelled; nothing was changed.", 8000)
            log.info("NCCI import cancelled")
        else:
            self._refused(outcome)
        self.finished.emit(outcome)

    def _installed(self, outcome: Outcome) -> None:
        assert outcome.imported is not None
        ctl = self.controller
        ctl.reload()
        imported = outcome.imported
        lines = [*imported.summary]
        if imported.skipped:
            lines.append(f"Not read: {'; '.join(imported.skipped)}")
        lines.append(f"Installed as the data pack \u201c{imported.name}\u201d (File \u2192 Data packs\u2026 lists it). "
                     f"GuideCode now answers with: {ctl.report.catalog.version_label}.")
        log.info("NCCI import installed %s in %s (folder packs/%s)", imported.name, ctl.data_dir, outcome.folder)
        ctl.window.statusBar().showMessage(f"NCCI edits imported: {imported.name} ({imported.version}).", 15000)
        box = QMessageBox(QMessageBox.Icon.Information, f"{APP_NAME}: NCCI edits imported",
                          "\n\n".join(lines), QMessageBox.StandardButton.Close, self._parent())
        box.setObjectName("ncciImportedBox")
        self._show_box(box)

    def _refused(self, outcome: Outcome) -> None:
        from desktop.ui.packs_dialog import PackProblemsDialog

        ctl = self.controller
        answering = ctl.report.catalog.version_label
        if outcome.problems:
            n = len(outcome.problems)
            what = ("The NCCI files were not imported" if outcome.stage == "read"
                    else "The NCCI data pack written from these files was refused by the data-pack import")
            intro = (f"{what}: {n} problem{'s' if n != 1 else ''}, each as file:line: entry: what is wrong. "
                     f"Nothing was changed; GuideCode still answers with {answering}.")
            problems = [window_text(p) for p in outcome.problems]
        else:
            intro = (f"The NCCI files were not imported: {outcome.error}. Nothing was changed; GuideCode still "
                     f"answers with {answering}.")
            problems = []
        log.warning("NCCI import refused: %s", intro)
        ctl.window.statusBar().showMessage("NCCI import refused; nothing was changed.", 10000)
        ctl.show_problems(PackProblemsDialog(f"{APP_NAME}: NCCI edits not imported", intro, problems,
                                             self._parent()))

    def _show_box(self, box: QMessageBox) -> None:
        if self.result_box is not None:
            self.result_box.deleteLater()
        self.result_box = box
        box.open()

    @Slot()
    def shutdown(self) -> None:
        """The application is quitting: stop a running import's reading and wait for its thread."""
        if self.job is not None:
            self.job.cancel()
            self.job.wait()
