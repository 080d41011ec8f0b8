"""File → Audit claims file…: run :mod:`desktop.core.audit` on a claims file (CSV or 837P) off the UI thread and
show the findings in a sortable, filterable table that can be copied, opened in the window and exported.

The audit runs in an :class:`AuditThread` (a :class:`QThread` whose ``run`` audits; the thread object itself
lives in the UI thread, so no object is moved between threads: PySide runs Qt's ``moveToThread`` holding the
GIL, and a worker moving itself back while the UI thread was deleting a widget deadlocked both). The core
reports progress through a callback and polls a cancel flag (a :class:`threading.Event`); the thread's progress
signal reaches the dialog through a blocking queued connection, so the audit waits while the dialog shows each
step (every 1,000 lines). That keeps the progress bar exact, never floods the event queue, and means a Cancel handled
during a progress step is seen by the worker before it reads another line. A cancelled audit keeps what it
checked: "Cancelled after N lines: M claims checked, K findings", and its export says it is partial.

Filtering: free text, any set of severities and kinds, and "Show notes" (the folded inferences and reminders,
hidden by default); the count of rows shown is always on screen ("N of M findings shown"). A new file resets
the filters, and the status line says so. Ctrl+C copies the selected rows as tab-separated text with a
header. Double-clicking a finding opens its claim as an encounter in the main window (:func:`open_claim_in_window`,
through the ``open_claim_requested`` signal carrying an :class:`~desktop.core.audit.encounter.AuditClaim`).

Sorting is done by :class:`FindingsModel` itself (a Python key sort), which the :class:`FindingsProxy`
delegates to: a proxy comparing rows through ``data()`` calls took 1.8 s to sort the 23,000 findings of a
100,000-line file on the 2-core build machine, the key sort 0.07-0.12 s.

When a file's header is not recognised, the dialog shows its columns beside the fields the audit needs
(:class:`ColumnMapper`); the choice is remembered per set of header names (the names only, never a value), and
Enter runs the audit with it.
"""

from __future__ import annotations

import logging
import sys
import threading
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QEventLoop,
    QLocale,
    QMimeData,
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
from PySide6.QtGui import QAction, QCloseEvent, QFont, QGuiApplication, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QTableView,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core import frozen
from desktop.core.audit import (
    FIELD_LABELS,
    FIELDS,
    KINDS,
    NOTE_KINDS,
    REQUIRED_FIELDS,
    SEVERITIES,
    SEVERITY_RANK,
    X12_VALIDATION_LABELS,
    AuditInputError,
    AuditOptions,
    AuditProgress,
    AuditReport,
    ColumnsNotRecognised,
    Finding,
    audit_file,
    check_encoding,
    columns_spec,
    findings_tsv,
    parse_columns_spec,
    plural,
    write_report,
)
from desktop.core.audit.encounter import AuditClaim, claim_encounter
from desktop.core.engine import resolve
from desktop.core.model import PAYER_LABELS, PAYERS, Catalog, Encounter, Payer
from desktop.ui.settings import Key, Settings

log = logging.getLogger(__name__)

_ModelIndex = QModelIndex | QPersistentModelIndex
_INVALID = QModelIndex()
SortRole = Qt.ItemDataRole.UserRole.value + 1
FindingRole = Qt.ItemDataRole.UserRole.value + 2
PROGRESS_EVERY = 1000
_PROGRESS_SCALE = 1000

# (header, attribute of Finding)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Severity", "severity"), ("Id", "kind_id"), ("Kind", "kind"), ("Claim", "claim_id"),
    ("Date", "date_of_service"), ("Line", "line"), ("Where", "place"), ("Billed", "billed"),
    ("Rules say", "expected"), ("What to do", "action"), ("Finding", "message"), ("Sources", "sources"),
    ("Confidence", "confidence"), ("Count", "count"),
)
_WIDTHS = (64, 64, 170, 90, 84, 60, 150, 150, 150, 260, 480, 100, 80, 50)
_CONF_RANK = {"high": 0, "medium": 1, "low": 2, None: 3}
_SEV_LABELS = {"error": "Errors", "warning": "Warnings", "info": "Info"}


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


def help_path() -> Path:
    """The audit documentation: bundled as resources/help/audit.md in the frozen app, docs/audit.md from
    source."""
    from desktop.paths import resource

    bundled = resource("help/audit.md")
    if getattr(sys, "frozen", False) or bundled.is_file():
        return bundled
    return Path(__file__).resolve().parents[2] / "docs" / "audit.md"


class FindingsModel(QAbstractTableModel):
    """The findings of one audit, one row each; sorts itself with a Python key (see the module docstring)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.findings: list[Finding] = []
        self._haystack: list[str] = []
        self._bold = QFont()
        self._bold.setBold(True)
        self._locale = QLocale()

    def set_findings(self, findings: Sequence[Finding]) -> None:
        self.beginResetModel()
        self.findings = list(findings)
        self._haystack = [" ".join((f.claim_id, f.kind, f.kind_id, f.billed, f.expected, f.message, f.place,
                                    " ".join(f.sources), f.date_of_service, str(f.line))).lower()
                          for f in self.findings]
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
    def text(f: Finding, attr: str) -> str:
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
            if attr in ("line", "count"):
                return self._locale.toString(int(getattr(f, attr)))
            return self.text(f, attr)
        if role == Qt.ItemDataRole.ToolTipRole:
            if attr in ("message", "expected", "billed", "action", "place"):
                extra = f"\n\nRule: {f.reason}" if f.reason else ""
                return (f"{f.message}{extra}\n\nWhat to do: {f.action}\n\nSources: {' '.join(f.sources) or 'none'}; "
                        f"confidence: {f.confidence or 'n/a'}")
            if attr in ("kind", "kind_id"):
                return f"{KINDS[f.kind].id} {f.kind}: {KINDS[f.kind].title}"
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and attr in ("line", "count"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and attr == "severity" and f.severity == "error":
            return self._bold
        if role == SortRole:
            return self._key(index.column())(f)
        if role == FindingRole:
            return f
        return None

    def _key(self, column: int) -> Callable[[Finding], Any]:
        attr = COLUMNS[column][1]
        if attr == "severity":
            return lambda f: (SEVERITY_RANK[f.severity], f.line)
        if attr in ("line", "count"):
            return lambda f: (getattr(f, attr), f.line)
        if attr == "confidence":
            return lambda f: (_CONF_RANK[f.confidence], f.line)
        return lambda f: (self.text(f, attr).lower(), f.line)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        old = list(self.findings)
        key = self._key(column)
        pairs = sorted(zip(self.findings, self._haystack, strict=True), key=lambda p: key(p[0]),
                       reverse=order == Qt.SortOrder.DescendingOrder)
        self.findings = [p[0] for p in pairs]
        self._haystack = [p[1] for p in pairs]
        position = {id(f): row for row, f in enumerate(self.findings)}
        from_list = self.persistentIndexList()
        to_list = [self.index(position[id(old[i.row()])], i.column()) for i in from_list]
        self.changePersistentIndexList(from_list, to_list)
        self.layoutChanged.emit()


class FindingsProxy(QSortFilterProxyModel):
    """Filters findings by free text (claim, code, kind, message, sources), a set of severities, a set of
    kinds and whether notes are shown; sorting is passed to the source model."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._severities: frozenset[str] = frozenset()  # empty: all
        self._kinds: frozenset[str] = frozenset()  # empty: all
        self._notes = False
        self.setSortRole(SortRole)

    @property
    def severities(self) -> frozenset[str]:
        return self._severities

    @property
    def kinds(self) -> frozenset[str]:
        return self._kinds

    @property
    def show_notes(self) -> bool:
        return self._notes

    @property
    def text(self) -> str:
        return self._text

    def set_filters(self, *, text: str | None = None, severities: Sequence[str] | None = None,
                    kinds: Sequence[str] | None = None, notes: bool | None = None) -> None:
        self.beginFilterChange()  # Qt 6.10+: replaces the deprecated invalidateFilter()
        if text is not None:
            self._text = text.strip().lower()
        if severities is not None:
            self._severities = frozenset(severities)
        if kinds is not None:
            self._kinds = frozenset(kinds)
        if notes is not None:
            self._notes = notes
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _ModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, FindingsModel)
        f = model.findings[source_row]
        if f.kind in NOTE_KINDS and not self._notes and f.kind not in self._kinds:
            return False
        if self._severities and f.severity not in self._severities:
            return False
        if self._kinds and f.kind not in self._kinds:
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


class AuditThread(QThread):
    """Runs one audit on its own thread (``run``). ``report_ready`` carries the :class:`AuditReport` (also when
    cancelled: its summary says so and holds what was checked); ``failed`` the exception (an
    :class:`AuditInputError`, with the header when the columns were not recognised) or a sentence. The signals
    are emitted from the audit's thread to receivers in the UI thread: queued (progress: blocking queued)."""

    progress = Signal(object)
    report_ready = Signal(object)
    failed = Signal(object)

    def __init__(self, catalog: Catalog, path: Path, options: AuditOptions, cancel: threading.Event,
                 encoding: str | None) -> None:
        super().__init__()
        self.setObjectName("auditThread")
        self._catalog = catalog
        self._path = path
        self._options = options
        self._cancel = cancel
        self._encoding = encoding

    def run(self) -> None:
        try:
            report = audit_file(self._catalog, self._path, self._options, encoding=self._encoding,
                                progress=self.progress.emit, progress_every=PROGRESS_EVERY,
                                cancel=self._cancel.is_set, keep_claims=True)
        except AuditInputError as exc:
            self.failed.emit(exc)
            return
        except Exception as exc:  # a bug must not kill the thread silently: show it and log it (no data in it)
            log.error("audit failed: %s", type(exc).__name__)
            self.failed.emit(AuditInputError(f"The audit stopped on an unexpected error ({type(exc).__name__})."))
            return
        self.report_ready.emit(report)


def header_key(header: Sequence[str]) -> str:
    """The settings key of a set of header names (names only: a header holds no patient data)."""
    norm = "\x1f".join(h.strip().lower() for h in header)
    return f"audit/columns/{zlib.crc32(norm.encode('utf-8')):08x}-{len(header)}"


class ColumnMapper(QFrame):
    """The header's columns beside the fields the audit needs: one choice per field. Enter (or "Audit with
    these columns") runs the audit."""

    run_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("columnMapper")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.header: tuple[str, ...] = ()
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.boxes: dict[str, QComboBox] = {}
        form = QFormLayout()
        for fld in FIELDS:
            box = QComboBox()
            box.setObjectName(f"column_{fld}")
            box.setAccessibleName(f"Column for {FIELD_LABELS[fld]}")
            self.boxes[fld] = box
            need = " (required)" if fld in REQUIRED_FIELDS else ""
            form.addRow(f"{FIELD_LABELS[fld]}{need}:", box)
        self.run_button = QPushButton("&Audit with these columns")
        self.run_button.setObjectName("runMappedButton")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run_requested)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(self.run_button, 0, Qt.AlignmentFlag.AlignRight)

    def show_header(self, header: Sequence[str], message: str, chosen: dict[str, tuple[str, ...]]) -> None:
        self.header = tuple(header)
        self.message.setText(message)
        for fld, box in self.boxes.items():
            box.clear()
            box.addItem("(none)" if fld not in REQUIRED_FIELDS else "(choose a column)", "")
            for i, name in enumerate(self.header):
                box.addItem(f"{name[:40]} (column {i + 1})", name)
            want = chosen.get(fld, ())
            i = box.findData(want[0]) if want else -1
            box.setCurrentIndex(max(i, 0))
        self.show()
        self.boxes["claim_id"].setFocus()

    def choice(self) -> dict[str, tuple[str, ...]]:
        return {fld: (box.currentData(),) for fld, box in self.boxes.items() if box.currentData()}

    def set_choice(self, fld: str, header_name: str) -> None:
        box = self.boxes[fld]
        box.setCurrentIndex(max(box.findData(header_name), 0))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.run_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class WindowForClaims(Protocol):
    """What :func:`open_claim_in_window` needs of the main window (today's MainWindow has it)."""

    def clear_encounter(self) -> None: ...
    def add_procedure(self, code: str, *, units: int = ..., laterality: Any = ...) -> int: ...
    def set_date(self, when: Any) -> None: ...
    def set_setting(self, setting: Any) -> None: ...
    def set_payer(self, payer: Any) -> None: ...
    def set_modality(self, modality: Any) -> None: ...
    def encounter(self) -> Encounter: ...


def open_claim_in_window(window: Any, claim: AuditClaim) -> Encounter | None:
    """Show ``claim`` as the window's encounter: its procedures (units, side), date, setting (from the place of
    service), payer and inferred modality; the status line names the claim and its billed lines. With the
    window's undoable editor (``window.editor.load_encounter``) it is one undo step; otherwise the previous
    encounter is returned, for the dialog's "Undo open claim". Returns the encounter that was replaced."""
    enc = claim.encounter
    editor = getattr(window, "editor", None)
    previous: Encounter | None = window.encounter() if hasattr(window, "encounter") else None
    if editor is not None and hasattr(editor, "load_encounter"):
        records = {p.code: window.catalog.get(p.code) for p in enc.procedures}
        editor.load_encounter(enc, records, f"Open claim {claim.claim_id} from the audit")
        previous = None
    else:
        load_encounter_plain(window, enc)
    billed = "; ".join(b.split(" (", 1)[0] for b in claim.billed[:8]) + (" …" if len(claim.billed) > 8 else "")
    unknown = f" ({', '.join(claim.unknown_codes)} not in the data)" if claim.unknown_codes else ""
    bar = window.statusBar() if hasattr(window, "statusBar") else None
    if bar is not None:
        bar.showMessage(f"Claim {claim.claim_id} from the audit, POS {claim.place_of_service}: billed {billed}"
                        f"{unknown}. GuideCode's answer is beside it.", 30000)
    return previous


def load_encounter_plain(window: Any, enc: Encounter) -> None:
    """Put ``enc`` in a window without an undoable editor, through its public methods."""
    window.clear_encounter()
    window.set_date(enc.date_of_service)
    window.set_setting(enc.setting)
    window.set_payer(enc.payer)
    window.set_modality(enc.modality)
    if hasattr(window, "set_images_recorded"):
        window.set_images_recorded(enc.images_recorded)
    for p in enc.procedures:
        try:
            window.add_procedure(p.code, units=p.units, laterality=p.laterality)
        except KeyError:
            continue


class AuditDialog(QDialog):
    """The audit window. Drive it from code with :meth:`start`, :meth:`cancel`, :meth:`set_text_filter`,
    :meth:`set_severity_filter`, :meth:`set_kind_filter`, :meth:`set_show_notes`, :meth:`copy_selected`,
    :meth:`open_claim` and :meth:`export`."""

    progressed = Signal(object)  # AuditProgress
    audit_finished = Signal(object)  # AuditReport (QDialog.finished is the dialog's own close signal)
    audit_failed = Signal(str)
    open_claim_requested = Signal(object)  # AuditClaim

    def __init__(self, catalog: Catalog, parent: QWidget | None = None, settings: Settings | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditDialog")
        self.setWindowTitle("Audit claims file")
        self.resize(1180, 720)
        self._catalog = catalog
        self._thread: QThread | None = None
        self._cancel = threading.Event()
        self._store = settings
        self._memory: dict[str, str] = {}
        self._locale = QLocale()
        self.path: Path | None = None
        self.report: AuditReport | None = None
        self.previous_encounter: Encounter | None = None
        self._pending_columns: dict[str, tuple[str, ...]] | None = None

        self.file_label = QLabel("No file chosen. Choose a claims file: CSV with a header row (claim id, date of "
                                 "service, place of service, code, modifiers, units) or an X12 837P file. Help "
                                 "explains the formats and every finding.")
        self.file_label.setObjectName("fileLabel")
        self.file_label.setWordWrap(True)
        self.choose_button = QPushButton("&Choose file…")
        self.choose_button.setObjectName("chooseButton")
        self.payer_box = QComboBox()
        self.payer_box.setObjectName("payerBox")
        self.payer_box.setAccessibleName("Payer when the file names none")
        for p in PAYERS:
            self.payer_box.addItem(PAYER_LABELS[p], p)
        self.payer_box.setCurrentIndex(PAYERS.index("other"))
        self.encoding_edit = QLineEdit("auto")
        self.encoding_edit.setObjectName("encodingEdit")
        self.encoding_edit.setAccessibleName("Text encoding of the file")
        self.encoding_edit.setToolTip("auto (UTF-8, UTF-16, UTF-32), or e.g. cp1252 for a Windows export")
        self.encoding_edit.setMaximumWidth(90)
        self.validate_box = QCheckBox("Validate 837P against the &map")
        self.validate_box.setObjectName("validateBox")
        self.validate_box.setChecked(True)
        self.validate_box.setToolTip(
            "Checked: every segment of an X12 837P file is validated against the 005010X222A1 map (pyx12), which "
            "finds a segment out of place or a bad element. Unchecked: only pyx12's envelope checks (control "
            "numbers, counts, HL numbering), many times faster on a large file. CSV files are not affected.")
        self.help_button = QPushButton("&Help")
        self.help_button.setObjectName("helpButton")
        self.cancel_button = QPushButton("Cancel audit")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setEnabled(False)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("auditProgress")
        self._idle_progress()

        self.mapper = ColumnMapper(self)
        self.mapper.hide()
        self.mapper.run_requested.connect(self._run_mapped)

        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText("Filter: claim id, code, words of the finding…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter findings")
        self.severity_buttons: dict[str, QToolButton] = {}
        for sev in SEVERITIES:
            b = QToolButton()
            b.setObjectName(f"severity_{sev}")
            b.setText(_SEV_LABELS[sev])
            b.setCheckable(True)
            b.setAccessibleName(f"Show {_SEV_LABELS[sev].lower()}")
            b.toggled.connect(self._on_severity_toggled)
            self.severity_buttons[sev] = b
        self.kind_button = QToolButton()
        self.kind_button.setObjectName("kindButton")
        self.kind_button.setText("All kinds")
        self.kind_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.kind_menu = QMenu(self.kind_button)
        self.kind_actions: dict[str, QAction] = {}
        for kind, info in KINDS.items():
            act = self.kind_menu.addAction(f"{info.id} {kind}")
            act.setCheckable(True)
            act.setData(kind)
            act.toggled.connect(self._on_kind_toggled)
            self.kind_actions[kind] = act
        self.kind_menu.addSeparator()
        self.kind_menu.addAction("Clear kinds", lambda: self.set_kind_filter([]))
        self.kind_button.setMenu(self.kind_menu)
        self.notes_box = QCheckBox("Show &notes")
        self.notes_box.setObjectName("notesBox")
        self.notes_box.setToolTip("Notes: inferences and reminders (modality inferred, cautions, codes not in the "
                                  "data), folded into one row per kind with a count")
        self.notes_box.toggled.connect(lambda on: self.set_show_notes(on))
        self.count_label = QLabel("")
        self.count_label.setObjectName("countLabel")

        self.model = FindingsModel(self)
        self.proxy = FindingsProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("findingsTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for col, width in enumerate(_WIDTHS):
            self.table.setColumnWidth(col, width)
        self.table.sortByColumn(COL_LINE, Qt.SortOrder.AscendingOrder)
        self.table.doubleClicked.connect(self._on_double_clicked)
        self.copy_shortcut = QShortcut(QKeySequence.StandardKey.Copy, self.table)
        self.copy_shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_shortcut.activated.connect(self.copy_selected)

        self.claim_view = QLabel("")
        self.claim_view.setObjectName("claimView")
        self.claim_view.setWordWrap(True)
        self.claim_view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table.selectionModel().currentRowChanged.connect(self._show_claim)

        self.summary_label = QLabel("")
        self.summary_label.setObjectName("summaryLabel")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel("")
        self.status_label.setObjectName("statusLabel")
        self.status_label.setWordWrap(True)
        self.export_button = QPushButton("&Export…")
        self.export_button.setObjectName("exportButton")
        self.export_button.setEnabled(False)
        export_menu = QMenu(self.export_button)
        export_menu.addAction("PDF report…", lambda: self.choose_export("pdf"))
        export_menu.addAction("CSV…", lambda: self.choose_export("csv"))
        export_menu.addAction("JSON…", lambda: self.choose_export("json"))
        self.export_button.setMenu(export_menu)
        self.undo_open_button = QPushButton("&Undo open claim")
        self.undo_open_button.setObjectName("undoOpenButton")
        self.undo_open_button.hide()
        self.undo_open_button.clicked.connect(self.undo_open_claim)
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)

        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(QLabel("Payer:"))
        top.addWidget(self.payer_box)
        top.addWidget(QLabel("Encoding:"))
        top.addWidget(self.encoding_edit)
        top.addWidget(self.validate_box)
        top.addStretch(1)
        top.addWidget(self.help_button)
        top.addWidget(self.cancel_button)
        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        for b in self.severity_buttons.values():
            filters.addWidget(b)
        filters.addWidget(self.kind_button)
        filters.addWidget(self.notes_box)
        filters.addWidget(self.count_label)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary_label, 1)
        bottom.addWidget(self.undo_open_button)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.file_label)
        layout.addLayout(top)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.mapper)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.claim_view)
        layout.addWidget(self.status_label)
        layout.addLayout(bottom)

        for button in (self.choose_button, self.help_button, self.cancel_button, self.export_button):
            button.setAutoDefault(False)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        self._filter_timer.timeout.connect(self._apply_text_filter)
        self.filter_edit.textChanged.connect(self._filter_timer.start)
        self.choose_button.clicked.connect(self.choose_file)
        self.cancel_button.clicked.connect(self.cancel)
        self.help_button.clicked.connect(self.show_help)
        self.close_button.clicked.connect(self.close)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self._update_count()
        if parent is not None:  # the window closing first cancels a running audit and waits for it
            parent.installEventFilter(self)

    # --- settings: the column choice per header set (names only) ---------------------------------------------

    def _remembered(self, header: Sequence[str]) -> dict[str, tuple[str, ...]]:
        key = header_key(header)
        raw = self._store.read(Key(key, str, "")) if self._store is not None else self._memory.get(key, "")
        try:
            return parse_columns_spec(str(raw or ""))
        except AuditInputError:
            return {}

    def _remember(self, header: Sequence[str], columns: dict[str, tuple[str, ...]]) -> None:
        key = header_key(header)
        spec = columns_spec(columns)
        if self._store is not None:
            self._store.write(Key(key, str, ""), spec)
        else:
            self._memory[key] = spec

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

    def _idle_progress(self) -> None:
        self.progress_bar.setRange(0, _PROGRESS_SCALE)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(False)

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Audit claims file", str(self.path.parent if self.path else ""),
                                              "Claims files (*.csv *.txt *.tsv *.837 *.x12 *.edi);;All files (*)")
        if name:
            self.start(Path(name))

    def start(self, path: Path, payer: Payer | None = None,
              columns: dict[str, tuple[str, ...]] | None = None) -> bool:
        """Start auditing ``path`` on a worker thread; False (and a message) if one is running or the options
        are not valid. ``audit_finished`` or ``audit_failed`` is emitted when it ends. ``columns``: the header
        names for the fields (else the ones remembered for this file's header, else the aliases)."""
        if self.running:
            return False
        try:
            encoding = check_encoding(self.encoding_edit.text())
        except AuditInputError as exc:
            self._show_failure(str(exc))
            return False
        if payer is not None:
            self.payer_box.setCurrentIndex(PAYERS.index(payer))
        self._pending_columns = columns
        options = AuditOptions(payer=self.payer_box.currentData(), columns=dict(columns or {}),
                               x12_validate=self.validate_box.isChecked())
        if columns is None and self.path != path:
            self.mapper.hide()
        new_file = self.path is not None and self.path != path
        self.path = path
        self.report = None
        self.model.set_findings([])
        self.claim_view.setText("")
        self.undo_open_button.hide()
        if new_file:
            self.reset_filters()
            self.status_label.setText("Filters were reset for the new file.")
        else:
            self.status_label.setText("")
        self.file_label.setText(f"Auditing {path} …")
        self.summary_label.setText("")
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setRange(0, 0)  # busy until the first count arrives
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.choose_button.setEnabled(False)
        self._cancel = threading.Event()
        _prune_threads()
        # No parent: if the dialog is destroyed mid-run (its window deleted), the thread must not be destroyed
        # with it while running; _LIVE_THREADS keeps it until it ends, and aboutToQuit waits for it.
        thread = AuditThread(self._catalog, path, options, self._cancel, encoding)
        _LIVE_THREADS.add(thread)
        cancel = self._cancel
        self.destroyed.connect(lambda *_: cancel.set())
        thread.progress.connect(self._on_progress, Qt.ConnectionType.BlockingQueuedConnection)
        thread.report_ready.connect(self._on_finished)
        thread.failed.connect(self._on_failed)
        self._thread = thread
        frozen.materialize_all()  # no record class is made while the worker may be using it
        thread.start()
        return True

    @Slot()
    def cancel(self) -> None:
        """Ask the running audit to stop; it ends with a partial report (``summary.cancelled``)."""
        if self.running:
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self.file_label.setText(f"Cancelling the audit of {self.path} …")

    def _n(self, n: int) -> str:
        return self._locale.toString(int(n))

    @Slot(object)
    def _on_progress(self, p: AuditProgress) -> None:
        self.progress_bar.setRange(0, _PROGRESS_SCALE)
        self.progress_bar.setValue(int(p.fraction * _PROGRESS_SCALE))
        self.progress_bar.setFormat(f"{plural(p.lines, 'line', fmt=self._n)} read, "
                                    f"{plural(p.claims, 'claim', fmt=self._n)} checked — %p%")
        self.progressed.emit(p)

    @Slot(object)
    def _on_finished(self, report: AuditReport) -> None:
        self._stop_thread()
        self.report = report
        self.model.set_findings(report.findings)
        self.proxy.sort(self.table.horizontalHeader().sortIndicatorSection(),
                        self.table.horizontalHeader().sortIndicatorOrder())
        s = report.summary
        if not s.cancelled:
            self.progress_bar.setRange(0, _PROGRESS_SCALE)
            self.progress_bar.setValue(_PROGRESS_SCALE)
        self.progress_bar.setFormat(f"{plural(s.lines_read, 'line', fmt=self._n)} read"
                                    + (" — cancelled" if s.cancelled else " — done"))
        state = "Cancelled: partial result. " if s.cancelled else ""
        self.file_label.setText(f"{state}{self.path}")
        self.summary_label.setText(self.summary_text())
        self.export_button.setEnabled(True)
        if self._pending_columns and self.path is not None:
            self.mapper.hide()
        self._update_count()
        self.audit_finished.emit(report)

    def summary_text(self) -> str:
        if self.report is None:
            return ""
        s = self.report.summary
        sev = ", ".join(f"{self._n(n)} {k}" for k, n in s.by_severity.items()) or "no findings"
        notes = (f" Notes folded: {plural(s.notes_folded, 'note', fmt=self._n)} in "
                 f"{plural(sum(1 for f in self.report.findings if f.kind in NOTE_KINDS), 'row', fmt=self._n)}."
                 if s.notes_folded else "")
        if s.cancelled:
            return (f"Cancelled after {plural(s.lines_read, 'line', fmt=self._n)}: "
                    f"{plural(s.claims_checked, 'claim', fmt=self._n)} checked, "
                    f"{plural(s.findings, 'finding', fmt=self._n)} ({sev}). Partial result: an export says so."
                    + notes)
        ncci = f" NCCI: {s.ncci_version}." if s.ncci_version else " No NCCI table: pair edits and MUEs not checked."
        if s.ncci_outside:
            ncci += (f" Warning: {plural(s.ncci_outside, 'encounter', fmt=self._n)} on "
                     f"{plural(s.ncci_outside_claims, 'claim', fmt=self._n)} dated outside the quarter of the NCCI "
                     "tables that answered them; import the NCCI files of those quarters.")
        return (f"{plural(s.claims_checked, 'claim', fmt=self._n)} checked "
                f"({plural(s.lines_read, 'line', fmt=self._n)} read, "
                f"{plural(s.rows_skipped, 'malformed row', fmt=self._n)} skipped): "
                f"{plural(s.findings, 'finding', fmt=self._n)} ({sev}).{notes} Data {s.data_version}.{ncci}"
                + (f" 837P validation: {X12_VALIDATION_LABELS[s.x12_validation]}." if s.x12_validation else ""))

    @Slot(object)
    def _on_failed(self, failure: object) -> None:
        self._stop_thread()
        message = str(failure)
        if isinstance(failure, ColumnsNotRecognised) and failure.header:
            remembered = self._remembered(failure.header)
            if remembered and remembered != self._pending_columns and self.path is not None:
                self.start(self.path, columns=remembered)  # the columns chosen before for this header
                self.status_label.setText("The header was not recognised: the columns chosen before for this "
                                          "header are used.")
                return
            chosen = remembered or dict(self._pending_columns or {})
            self.mapper.show_header(failure.header, "The header was not recognised: pick the column for each "
                                    f"field, then press Enter. ({message})", chosen)
        self._show_failure(message)
        self.audit_failed.emit(message)

    def _run_mapped(self) -> None:
        if self.path is None or self.running:
            return
        columns = self.mapper.choice()
        missing = [FIELD_LABELS[f] for f in REQUIRED_FIELDS if f not in columns]
        if missing:
            self.status_label.setText(f"Choose a column for {', '.join(missing)}.")
            return
        self._remember(self.mapper.header, columns)
        self.start(self.path, columns=columns)

    def _show_failure(self, message: str) -> None:
        self._idle_progress()
        self.file_label.setText(f"Cannot audit {self.path or 'the file'}: {message}")

    def _stop_thread(self) -> None:
        thread = self._thread
        self._thread = None
        self.cancel_button.setEnabled(False)
        self.choose_button.setEnabled(True)
        if thread is not None:
            thread.wait()  # run() has returned (its last signal is what brought us here), or returns now
            _LIVE_THREADS.discard(thread)

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

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter runs the audit with the chosen columns when the mapping is shown; it never reopens the picker
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.mapper.isVisible():
                self._run_mapped()
            event.accept()
            return
        super().keyPressEvent(event)

    # --- filtering -----------------------------------------------------------------------------------------

    @Slot()
    def _apply_text_filter(self) -> None:
        self.proxy.set_filters(text=self.filter_edit.text())
        self._update_count()

    def set_text_filter(self, text: str) -> None:
        self._filter_timer.stop()
        self.filter_edit.blockSignals(True)
        self.filter_edit.setText(text)
        self.filter_edit.blockSignals(False)
        self.proxy.set_filters(text=text)
        self._update_count()

    def _on_severity_toggled(self, _checked: bool) -> None:
        self.proxy.set_filters(severities=[s for s, b in self.severity_buttons.items() if b.isChecked()])
        self._update_count()

    def set_severity_filter(self, severities: Sequence[str] | str | None) -> None:
        """Show only these severities (``None`` or empty: all)."""
        want = {severities} if isinstance(severities, str) else set(severities or ())
        for sev, b in self.severity_buttons.items():
            b.blockSignals(True)
            b.setChecked(sev in want)
            b.blockSignals(False)
        self.proxy.set_filters(severities=sorted(want))
        self._update_count()

    def _on_kind_toggled(self, _checked: bool) -> None:
        kinds = [k for k, a in self.kind_actions.items() if a.isChecked()]
        self.proxy.set_filters(kinds=kinds)
        self.kind_button.setText(_kinds_label(kinds))
        self._update_count()

    def set_kind_filter(self, kinds: Sequence[str] | str | None) -> None:
        """Show only these kinds (``None`` or empty: all)."""
        want = {kinds} if isinstance(kinds, str) else set(kinds or ())
        for kind, a in self.kind_actions.items():
            a.blockSignals(True)
            a.setChecked(kind in want)
            a.blockSignals(False)
        self.proxy.set_filters(kinds=sorted(want))
        self.kind_button.setText(_kinds_label(sorted(want)))
        self._update_count()

    def set_show_notes(self, on: bool) -> None:
        if self.notes_box.isChecked() != on:
            self.notes_box.setChecked(on)  # re-enters through toggled
            return
        self.proxy.set_filters(notes=on)
        self._update_count()

    def reset_filters(self) -> None:
        self.set_text_filter("")
        self.set_severity_filter(None)
        self.set_kind_filter(None)
        self.set_show_notes(False)

    def _update_count(self, *_: object) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        hidden_notes = sum(1 for f in self.model.findings if f.kind in NOTE_KINDS) if not self.proxy.show_notes else 0
        extra = (f" ({plural(hidden_notes, 'note', fmt=self._n)} hidden)" if hidden_notes else "")
        self.count_label.setText(f"{self._n(shown)} of {plural(total, 'finding', fmt=self._n)} shown{extra}")

    def visible_findings(self) -> list[Finding]:
        """The findings the table shows, in its order (filtered and sorted)."""
        return self.proxy.visible_findings()

    def filters_note(self) -> str:
        parts = []
        if self.proxy.severities:
            parts.append("severity " + " + ".join(sorted(self.proxy.severities, key=lambda v: SEVERITY_RANK[v])))
        if self.proxy.kinds:
            parts.append("kinds " + ", ".join(sorted(self.proxy.kinds)))
        if self.proxy.text:
            parts.append(f"text {self.proxy.text!r}")
        if not self.proxy.show_notes:
            parts.append("notes hidden")
        shown = self.proxy.rowCount()
        head = f"{self._n(shown)} of {plural(self.model.rowCount(), 'finding', fmt=self._n)} (the rows shown"
        return head + (f"; {'; '.join(parts)})" if parts else ")")

    # --- acting on findings --------------------------------------------------------------------------------

    def selected_findings(self) -> list[Finding]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.proxy.index(r, 0).data(FindingRole) for r in rows]

    def copy_selected(self) -> str:
        """Copy the selected rows (in table order) as tab-separated text with a header; returns the text."""
        rows = self.selected_findings()
        if not rows:
            self.status_label.setText("Nothing to copy: select one or more findings.")
            return ""
        text = findings_tsv(rows)
        mime = QMimeData()
        mime.setText(text)
        mime.setData("text/tab-separated-values", text.encode("utf-8"))
        QGuiApplication.clipboard().setMimeData(mime)
        self.status_label.setText(f"Copied {plural(len(rows), 'row', fmt=self._n)} with a header.")
        return text

    def claim_of(self, f: Finding) -> AuditClaim | None:
        if self.report is None:
            return None
        lines = self.report.claim_lines(f)
        if not lines:
            return None
        return claim_encounter(self._catalog, lines, self.report.summary.payer_default)

    def _show_claim(self, current: QModelIndex, _previous: QModelIndex) -> None:
        f = current.data(FindingRole) if current.isValid() else None
        claim = self.claim_of(f) if isinstance(f, Finding) else None
        if claim is None:
            self.claim_view.setText("")
            return
        res = resolve(self._catalog, claim.encounter)
        answer = "; ".join(gl.display for gl in res.guidance_lines) or "no guidance line"
        self.claim_view.setText(f"Claim {claim.claim_id} ({claim.encounter.date_of_service.isoformat()}, POS "
                                f"{claim.place_of_service}, {PAYER_LABELS[claim.encounter.payer]}). Billed: "
                                f"{'; '.join(b.split(' (', 1)[0] for b in claim.billed[:10])}. GuideCode's answer "
                                f"with {claim.encounter.modality}: {answer}. Double-click to open it in the window.")

    def _on_double_clicked(self, index: QModelIndex) -> None:
        f = index.data(FindingRole) if index.isValid() else None
        if isinstance(f, Finding):
            self.open_claim(f)

    def open_claim(self, f: Finding) -> AuditClaim | None:
        """Ask the main window to open ``f``'s claim as its encounter (``open_claim_requested``)."""
        claim = self.claim_of(f)
        if claim is None:
            self.status_label.setText("This finding has no claim lines to open (a malformed row, a note or a file "
                                      "error).")
            return None
        self.open_claim_requested.emit(claim)
        return claim

    def claim_opened(self, previous: Encounter | None) -> None:
        """The window opened a claim; ``previous`` is the encounter it replaced when the window cannot undo."""
        self.previous_encounter = previous
        self.undo_open_button.setVisible(previous is not None)

    def undo_open_claim(self) -> None:
        parent = self.parent()
        if self.previous_encounter is None or parent is None:
            return
        load_encounter_plain(parent, self.previous_encounter)
        self.previous_encounter = None
        self.undo_open_button.hide()
        self.status_label.setText("The window's previous encounter is back.")

    # --- export and help -----------------------------------------------------------------------------------

    def export(self, path: Path, fmt: str = "csv") -> int:
        """Write the findings the table shows (filtered, in its order) as CSV, JSON or a PDF report, atomically;
        returns the number of rows. Raises OSError."""
        if self.report is None:
            raise OSError("no audit to export")
        rows = self.visible_findings()
        if fmt == "pdf":
            from desktop.ui.audit_pdf import write_pdf

            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                return write_pdf(path, self.report, rows, self._catalog, shown_note=self.filters_note())
            finally:
                QGuiApplication.restoreOverrideCursor()
        return write_report(self.report, path, fmt, rows)

    def export_csv(self, path: Path) -> int:
        return self.export(path, "csv")

    def choose_export(self, fmt: str) -> None:
        suffix = {"csv": ".csv", "json": ".json", "pdf": ".pdf"}[fmt]
        default = str(self.path.with_name(self.path.stem + "-findings" + suffix)) if self.path else "findings" + suffix
        name, _ = QFileDialog.getSaveFileName(self, "Export findings", default, f"{fmt.upper()} files (*{suffix})")
        if not name:
            return
        out = Path(name)
        if self.path is not None and out.exists() and out.resolve() == self.path.resolve():
            self.status_label.setText("That is the claims file being audited: choose another name.")
            return
        try:
            n = self.export(out, fmt)
        except OSError as exc:
            self.status_label.setText(f"Cannot write {name}: {exc.strerror or exc} (nothing was written).")
            return
        partial = " (partial: the audit was cancelled)" if self.report and self.report.summary.cancelled else ""
        self.status_label.setText(f"{plural(n, 'finding', fmt=self._n)} exported to {name}{partial}.")

    def show_help(self) -> QDialog:
        """The audit documentation (formats, inferences, every finding kind), from the bundled copy."""
        dlg = self.findChild(QDialog, "auditHelp")
        if dlg is None:
            dlg = QDialog(self)
            dlg.setObjectName("auditHelp")
            dlg.setWindowTitle("Audit help")
            dlg.resize(900, 700)
            view = QTextBrowser(dlg)
            view.setObjectName("auditHelpText")
            view.setOpenExternalLinks(False)
            try:
                view.setMarkdown(help_path().read_text(encoding="utf-8"))
            except OSError as exc:
                view.setPlainText(f"The audit help could not be read: {exc.strerror or exc}")
            QVBoxLayout(dlg).addWidget(view)
        dlg.show()
        return dlg


COL_LINE = next(i for i, (_, a) in enumerate(COLUMNS) if a == "line")


def _kinds_label(kinds: Sequence[str]) -> str:
    if not kinds:
        return "All kinds"
    if len(kinds) == 1:
        return KINDS[kinds[0]].id
    return f"{len(kinds)} kinds"


def show_audit_dialog(parent: QWidget, catalog: Catalog) -> AuditDialog:
    """File → Audit claims file…: show the parent window's audit dialog (one per window, kept between uses,
    modeless so the coder can go on working) over the window's current catalog. A finding's claim opens in
    the window (:func:`open_claim_in_window`)."""
    dialog = parent.findChild(AuditDialog, "auditDialog")
    if dialog is None:
        store = getattr(parent, "settings", None)
        dialog = AuditDialog(catalog, parent, store if isinstance(store, Settings) else None)
        dlg = dialog

        def opened(claim: AuditClaim) -> None:
            dlg.claim_opened(open_claim_in_window(parent, claim))

        dialog.open_claim_requested.connect(opened)
    elif not dialog.running:
        dialog.set_catalog(catalog)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
