"""File → Audit claims file…: run :mod:`desktop.core.audit` on a claims CSV off the UI thread and show the
findings in a sortable, filterable table that can be exported to CSV.

The audit runs in an :class:`AuditWorker` moved to a :class:`QThread`. The core reports progress through a
callback and polls a cancel flag (a :class:`threading.Event`); the worker's progress signal reaches the
dialog through a blocking queued connection, so the worker waits while the dialog shows each step (every
1,000 lines). That keeps the progress bar exact, never floods the event queue, and means a Cancel handled
during a progress step is seen by the worker before it audits another claim.

Sorting is done by :class:`FindingsModel` itself (a Python key sort), which the
:class:`FindingsProxy` (a QSortFilterProxyModel that filters by text, severity and kind) delegates to: a proxy
comparing rows through ``data()`` calls took 1.8 s to sort the 23,000 findings of a 100,000-line file on the
2-core build machine, the key sort 0.07-0.12 s.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QEventLoop,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QThread,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.audit import (
    KINDS,
    SEVERITY_RANK,
    AuditInputError,
    AuditOptions,
    AuditReport,
    Finding,
    audit_file,
    parse_columns_spec,
    write_csv,
)
from desktop.core.model import PAYER_LABELS, PAYERS, Catalog, Payer

log = logging.getLogger(__name__)

_ModelIndex = QModelIndex | QPersistentModelIndex
_INVALID = QModelIndex()
SortRole = Qt.ItemDataRole.UserRole.value + 1
FindingRole = Qt.ItemDataRole.UserRole.value + 2
PROGRESS_EVERY = 1000

# (header, attribute of Finding)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Severity", "severity"), ("Kind", "kind"), ("Claim", "claim_id"), ("Date", "date_of_service"),
    ("Line", "line"), ("Billed", "billed"), ("Rules say", "expected"), ("Finding", "message"),
    ("Sources", "sources"), ("Confidence", "confidence"),
)
_CONF_RANK = {"high": 0, "medium": 1, "low": 2, None: 3}


_LIVE_THREADS: set[QThread] = set()
_QUIT_HOOKED: list[bool] = []


def _prune_threads() -> None:
    for thread in [t for t in _LIVE_THREADS if t.isFinished()]:
        _LIVE_THREADS.discard(thread)
    app = QCoreApplication.instance()
    if app is not None and not _QUIT_HOOKED:
        app.aboutToQuit.connect(wait_for_audits)
        _QUIT_HOOKED.append(True)


def wait_for_audits() -> None:
    """Block (serving events) until every audit thread has ended; run when the application quits. An audit
    whose dialog still exists was cancelled by the dialog closing; one whose dialog is gone runs out."""
    while any(t.isRunning() for t in _LIVE_THREADS):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        for thread in list(_LIVE_THREADS):
            thread.wait(20)
    _LIVE_THREADS.clear()


class FindingsModel(QAbstractTableModel):
    """The findings of one audit, one row each; sorts itself with a Python key (see the module docstring)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.findings: list[Finding] = []
        self._haystack: list[str] = []
        self._bold = QFont()
        self._bold.setBold(True)

    def set_findings(self, findings: list[Finding]) -> None:
        self.beginResetModel()
        self.findings = list(findings)
        self._haystack = [" ".join((f.claim_id, f.kind, f.billed, f.expected, f.message, " ".join(f.sources),
                                    f.date_of_service, str(f.line))).lower() for f in self.findings]
        self.endResetModel()

    def haystack(self, row: int) -> str:
        return self._haystack[row]

    def rowCount(self, parent: _ModelIndex = _INVALID) -> int:
        return 0 if parent.isValid() else len(self.findings)

    def columnCount(self, parent: _ModelIndex = _INVALID) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    @staticmethod
    def _text(f: Finding, attr: str) -> str:
        value = getattr(f, attr)
        if attr == "sources":
            return " ".join(value)
        if value is None:
            return ""
        return str(value)

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        f = self.findings[index.row()]
        attr = COLUMNS[index.column()][1]
        if role == Qt.ItemDataRole.DisplayRole:
            return f.line if attr == "line" else self._text(f, attr)
        if role == Qt.ItemDataRole.ToolTipRole:
            if attr in ("message", "expected", "billed"):
                extra = f"\n\nRule: {f.reason}" if f.reason else ""
                return f"{f.message}{extra}\n\nSources: {' '.join(f.sources) or 'none'}; confidence: " \
                       f"{f.confidence or 'n/a'}"
            if attr == "kind":
                return KINDS[f.kind].title
            return None
        if role == Qt.ItemDataRole.FontRole and attr == "severity" and f.severity == "error":
            return self._bold
        if role == SortRole:
            return self._key(index.column())(f)
        if role == FindingRole:
            return f
        return None

    def _key(self, column: int) -> Any:
        attr = COLUMNS[column][1]
        if attr == "severity":
            return lambda f: (SEVERITY_RANK[f.severity], f.line)
        if attr == "line":
            return lambda f: f.line
        if attr == "confidence":
            return lambda f: (_CONF_RANK[f.confidence], f.line)
        return lambda f: (self._text(f, attr).lower(), f.line)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        old = list(self.findings)
        pairs = sorted(zip(self.findings, self._haystack, strict=True), key=lambda p: self._key(column)(p[0]),
                       reverse=order == Qt.SortOrder.DescendingOrder)
        self.findings = [p[0] for p in pairs]
        self._haystack = [p[1] for p in pairs]
        position = {id(f): row for row, f in enumerate(self.findings)}
        from_list = self.persistentIndexList()
        to_list = [self.index(position[id(old[i.row()])], i.column()) for i in from_list]
        self.changePersistentIndexList(from_list, to_list)
        self.layoutChanged.emit()


class FindingsProxy(QSortFilterProxyModel):
    """Filters findings by free text (claim, code, kind, message, sources), severity and kind; sorting is
    passed to the source model."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._severity: str | None = None
        self._kind: str | None = None
        self.setSortRole(SortRole)

    def set_filters(self, *, text: str | None = None, severity: str | None | bool = False,
                    kind: str | None | bool = False) -> None:
        self.beginFilterChange()  # Qt 6.10+: replaces the deprecated invalidateFilter()
        if text is not None:
            self._text = text.strip().lower()
        if severity is not False:
            self._severity = severity or None  # type: ignore[assignment]
        if kind is not False:
            self._kind = kind or None  # type: ignore[assignment]
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _ModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, FindingsModel)
        f = model.findings[source_row]
        if self._severity is not None and f.severity != self._severity:
            return False
        if self._kind is not None and f.kind != self._kind:
            return False
        return not self._text or all(word in model.haystack(source_row) for word in self._text.split())

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        model = self.sourceModel()
        if isinstance(model, FindingsModel):
            model.sort(column, order)

    def visible_findings(self) -> list[Finding]:
        model = self.sourceModel()
        assert isinstance(model, FindingsModel)
        return [model.findings[self.mapToSource(self.index(r, 0)).row()] for r in range(self.rowCount())]


class AuditWorker(QObject):
    """Runs one audit on a worker thread. ``finished`` carries the :class:`AuditReport` (also when cancelled:
    its summary says so and holds what was checked); ``failed`` one sentence when the file cannot be read."""

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, catalog: Catalog, path: Path, options: AuditOptions, cancel: threading.Event) -> None:
        super().__init__()
        self._catalog = catalog
        self._path = path
        self._options = options
        self._cancel = cancel

    @Slot()
    def run(self) -> None:
        try:
            report = audit_file(self._catalog, self._path, self._options, progress=self._progress,
                                progress_every=PROGRESS_EVERY, cancel=self._cancel.is_set)
        except AuditInputError as exc:
            self._end(failure=str(exc))
            return
        except Exception as exc:  # a bug must not kill the thread silently: show it and log it
            log.exception("audit failed")
            self._end(failure=f"The audit stopped on an unexpected error: {exc}")
            return
        self._end(report=report)

    def _end(self, *, report: AuditReport | None = None, failure: str = "") -> None:
        """Hand the worker back to the main thread (so it is deleted there), report, and stop this thread."""
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        if report is not None:
            self.finished.emit(report)
        else:
            self.failed.emit(failure)
        thread = QThread.currentThread()
        if thread is not None:
            thread.quit()

    def _progress(self, done: int, total: int) -> None:
        self.progress.emit(done, total)


class AuditDialog(QDialog):
    """The audit window. Drive it from code with :meth:`start`, :meth:`cancel`, :meth:`set_text_filter`,
    :meth:`set_severity_filter`, :meth:`set_kind_filter` and :meth:`export_csv`."""

    progressed = Signal(int, int)
    audit_finished = Signal(object)  # AuditReport (QDialog.finished is the dialog's own close signal)
    audit_failed = Signal(str)

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditDialog")
        self.setWindowTitle("Audit claims file")
        self.resize(1100, 640)
        self._catalog = catalog
        self._thread: QThread | None = None
        self._worker: AuditWorker | None = None
        self._cancel = threading.Event()
        self.path: Path | None = None
        self.report: AuditReport | None = None

        self.file_label = QLabel("No file chosen. The file is CSV with a header row: claim_id, "
                                 "date_of_service, place_of_service, code, modifiers, units (see docs/audit.md).")
        self.file_label.setWordWrap(True)
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.setObjectName("chooseButton")
        self.payer_box = QComboBox()
        self.payer_box.setObjectName("payerBox")
        self.payer_box.setAccessibleName("Payer when the file has no payer column")
        for p in PAYERS:
            self.payer_box.addItem(PAYER_LABELS[p], p)
        self.payer_box.setCurrentIndex(PAYERS.index("other"))
        self.columns_edit = QLineEdit()
        self.columns_edit.setObjectName("columnsEdit")
        self.columns_edit.setPlaceholderText("Other column names, e.g. claim_id=ClaimNo,code=CPT")
        self.columns_edit.setAccessibleName("Column names")
        self.cancel_button = QPushButton("Cancel audit")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setEnabled(False)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("auditProgress")
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("%v of %m lines")

        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText("Filter: claim id, code, words of the finding…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter findings")
        self.severity_box = QComboBox()
        self.severity_box.setObjectName("severityBox")
        self.severity_box.setAccessibleName("Severity")
        for text, value in (("All severities", None), ("Errors", "error"), ("Warnings", "warning"),
                            ("Info", "info")):
            self.severity_box.addItem(text, value)
        self.kind_box = QComboBox()
        self.kind_box.setObjectName("kindBox")
        self.kind_box.setAccessibleName("Kind of finding")
        self.kind_box.addItem("All kinds", None)
        for kind in KINDS:
            self.kind_box.addItem(kind, kind)

        self.model = FindingsModel(self)
        self.proxy = FindingsProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("findingsTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for col, width in enumerate((70, 190, 90, 90, 50, 150, 200, 520, 110, 80)):
            self.table.setColumnWidth(col, width)
        self.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)

        self.summary_label = QLabel("")
        self.summary_label.setObjectName("summaryLabel")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setObjectName("exportButton")
        self.export_button.setEnabled(False)
        self.close_button = QPushButton("Close")

        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(QLabel("Payer:"))
        top.addWidget(self.payer_box)
        top.addWidget(self.columns_edit, 1)
        top.addWidget(self.cancel_button)
        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.severity_box)
        filters.addWidget(self.kind_box)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary_label, 1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.file_label)
        layout.addLayout(top)
        layout.addWidget(self.progress_bar)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        self._filter_timer.timeout.connect(self._apply_text_filter)
        self.filter_edit.textChanged.connect(self._filter_timer.start)
        self.severity_box.currentIndexChanged.connect(
            lambda _i: self.set_severity_filter(self.severity_box.currentData()))
        self.kind_box.currentIndexChanged.connect(lambda _i: self.set_kind_filter(self.kind_box.currentData()))
        self.choose_button.clicked.connect(self.choose_file)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button.clicked.connect(self.choose_export)
        self.close_button.clicked.connect(self.close)
        if parent is not None:  # the window closing first cancels a running audit and waits for it
            parent.installEventFilter(self)

    # --- running -------------------------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def set_catalog(self, catalog: Catalog) -> None:
        """Audit with another catalog from the next run on (e.g. after a data pack was imported)."""
        self._catalog = catalog

    @property
    def running(self) -> bool:
        return self._thread is not None

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Audit claims file", str(self.path.parent if self.path else ""),
                                              "Claims files (*.csv *.txt *.tsv);;All files (*)")
        if name:
            self.start(Path(name))

    def start(self, path: Path, payer: Payer | None = None) -> bool:
        """Start auditing ``path`` on a worker thread; False (and a message) if one is running or the column
        names are not valid. ``audit_finished`` or ``audit_failed`` is emitted when it ends."""
        if self.running:
            return False
        try:
            columns = parse_columns_spec(self.columns_edit.text())
        except AuditInputError as exc:
            self._show_failure(str(exc))
            return False
        if payer is not None:
            self.payer_box.setCurrentIndex(PAYERS.index(payer))
        options = AuditOptions(payer=self.payer_box.currentData(), columns=columns)
        self.path = path
        self.report = None
        self.model.set_findings([])
        self.file_label.setText(f"Auditing {path} …")
        self.summary_label.setText("")
        self.progress_bar.setRange(0, 0)  # busy until the first count arrives
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.choose_button.setEnabled(False)
        self._cancel = threading.Event()
        _prune_threads()
        # No parent: if the dialog is destroyed mid-run (its window deleted), the thread must not be destroyed
        # with it while running; _LIVE_THREADS keeps it until it ends, and aboutToQuit waits for it.
        thread = QThread()
        thread.setObjectName("auditThread")
        _LIVE_THREADS.add(thread)
        cancel = self._cancel
        self.destroyed.connect(lambda *_: cancel.set())
        worker = AuditWorker(self._catalog, path, options, self._cancel)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._on_progress, Qt.ConnectionType.BlockingQueuedConnection)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        self._thread, self._worker = thread, worker
        thread.start()
        return True

    @Slot()
    def cancel(self) -> None:
        """Ask the running audit to stop; it ends with a partial report (``summary.cancelled``)."""
        if self.running:
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self.file_label.setText(f"Cancelling the audit of {self.path} …")

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        self.progressed.emit(done, total)

    @Slot(object)
    def _on_finished(self, report: AuditReport) -> None:
        self._stop_thread()
        self.report = report
        self.model.set_findings(list(report.findings))
        self.proxy.sort(self.table.horizontalHeader().sortIndicatorSection(),
                        self.table.horizontalHeader().sortIndicatorOrder())
        s = report.summary
        if not s.cancelled:
            self.progress_bar.setRange(0, max(s.lines_read - s.rows_skipped, 1))
            self.progress_bar.setValue(max(s.lines_read - s.rows_skipped, 1))
        state = "Cancelled: partial result. " if s.cancelled else ""
        self.file_label.setText(f"{state}{self.path}")
        sev = ", ".join(f"{n} {k}" for k, n in s.by_severity.items()) or "no findings"
        self.summary_label.setText(
            f"{state}{s.claims_checked} claims checked ({s.lines_read} lines read, {s.rows_skipped} malformed "
            f"rows skipped): {s.findings} findings ({sev}). Data {s.data_version}.")
        self.export_button.setEnabled(True)
        self.audit_finished.emit(report)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._stop_thread()
        self._show_failure(message)
        self.audit_failed.emit(message)

    def _show_failure(self, message: str) -> None:
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.file_label.setText(f"Cannot audit {self.path or 'the file'}: {message}")

    def _stop_thread(self) -> None:
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        self.cancel_button.setEnabled(False)
        self.choose_button.setEnabled(True)
        if thread is not None:
            thread.quit()
            thread.wait()
            _LIVE_THREADS.discard(thread)
        if worker is not None:
            worker.deleteLater()

    def shutdown(self) -> None:
        """Cancel a running audit and wait for its worker, serving its progress steps meanwhile (it blocks on
        them), so no thread outlives the dialog. Called on close, Escape and Close."""
        if not self.running:
            return
        self.cancel()
        while self._thread is not None:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if self._thread is not None:
                self._thread.wait(20)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Close:
            self.shutdown()
        return super().eventFilter(watched, event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def reject(self) -> None:
        self.shutdown()
        super().reject()

    # --- filtering and export ------------------------------------------------------------------------------

    @Slot()
    def _apply_text_filter(self) -> None:
        self.proxy.set_filters(text=self.filter_edit.text())

    def set_text_filter(self, text: str) -> None:
        self._filter_timer.stop()
        self.filter_edit.blockSignals(True)
        self.filter_edit.setText(text)
        self.filter_edit.blockSignals(False)
        self.proxy.set_filters(text=text)

    def set_severity_filter(self, severity: str | None) -> None:
        i = self.severity_box.findData(severity)
        if i >= 0 and i != self.severity_box.currentIndex():
            self.severity_box.setCurrentIndex(i)  # re-enters through currentIndexChanged
            return
        self.proxy.set_filters(severity=severity)

    def set_kind_filter(self, kind: str | None) -> None:
        i = self.kind_box.findData(kind)
        if i >= 0 and i != self.kind_box.currentIndex():
            self.kind_box.setCurrentIndex(i)
            return
        self.proxy.set_filters(kind=kind)

    def visible_findings(self) -> list[Finding]:
        """The findings the table shows, in its order (filtered and sorted)."""
        return self.proxy.visible_findings()

    def export_csv(self, path: Path) -> int:
        """Write the findings the table shows (filtered, in its order) as CSV; returns the number of rows."""
        rows = self.visible_findings()
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            write_csv(rows, fh)
        return len(rows)

    def choose_export(self) -> None:
        default = str(self.path.with_name(self.path.stem + "-findings.csv")) if self.path else "findings.csv"
        name, _ = QFileDialog.getSaveFileName(self, "Export findings", default, "CSV files (*.csv)")
        if not name:
            return
        try:
            n = self.export_csv(Path(name))
        except OSError as exc:
            self.summary_label.setText(f"Cannot write {name}: {exc.strerror or exc}")
            return
        self.summary_label.setText(f"{n} findings exported to {name}.")


def show_audit_dialog(parent: QWidget, catalog: Catalog) -> AuditDialog:
    """File → Audit claims file…: show the parent window's audit dialog (one per window, kept between uses,
    modeless so the coder can go on working) over the window's current catalog."""
    dialog = parent.findChild(AuditDialog, "auditDialog")
    if dialog is None:
        dialog = AuditDialog(catalog, parent)
    elif not dialog.running:
        dialog.set_catalog(catalog)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
