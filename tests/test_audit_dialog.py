"""The audit window (File → Audit claims file…): runs the core audit on a worker thread and shows the
findings in a sortable, filterable table with a progress bar, CSV export and cancellation."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.core.audit import KINDS, AuditReport, audit_file
from desktop.core.model import Catalog
from desktop.ui.audit_dialog import COLUMNS, AuditDialog

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "claims-sample.csv"
HEADER = "claim_id,date_of_service,place_of_service,code,modifiers,units\n"
COL = {name: i for i, (name, _) in enumerate(COLUMNS)}

# WORKAROUND: the offscreen platform plugin warns on every show() of a window with size constraints (as in
# test_window_stories.py) and on raise(), which it cannot do; neither is a problem of the dialog.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       r"This plugin does not support raise\(\)")


@pytest.fixture
def dialog(qtbot: QtBot, catalog: Catalog) -> AuditDialog:
    dlg = AuditDialog(catalog)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def run_to_end(qtbot: QtBot, dlg: AuditDialog, path: Path) -> AuditReport:
    with qtbot.waitSignal(dlg.audit_finished, timeout=120_000) as blocker:
        assert dlg.start(path)
    assert not dlg.running
    report = blocker.args[0]
    assert isinstance(report, AuditReport)
    return report


def cell(dlg: AuditDialog, row: int, column: str) -> str:
    return str(dlg.proxy.index(row, COL[column]).data(Qt.ItemDataRole.DisplayRole))


def column_values(dlg: AuditDialog, column: str) -> list[str]:
    return [cell(dlg, r, column) for r in range(dlg.proxy.rowCount())]


def big_claims_file(tmp_path: Path, claims: int) -> Path:
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "".join(f"C{i:06d},2025-03-03,11,64483,,1\nC{i:06d},2025-03-03,11,77003,,1\n"
                                     for i in range(claims)), encoding="utf-8")
    return path


def test_dialog_audits_the_sample_and_shows_every_finding(qtbot: QtBot, dialog: AuditDialog,
                                                          catalog: Catalog) -> None:
    report = run_to_end(qtbot, dialog, SAMPLE)
    direct = audit_file(catalog, SAMPLE)  # the command line's answer for the same file
    shown = {(cell(dialog, r, "Claim"), int(cell(dialog, r, "Line")), cell(dialog, r, "Kind"))
             for r in range(dialog.proxy.rowCount())}
    assert shown == {(f.claim_id, f.line, f.kind) for f in direct.findings}
    assert dialog.proxy.rowCount() == len(direct.findings) == report.summary.findings
    assert {cell(dialog, r, "Kind") for r in range(dialog.proxy.rowCount())} == set(KINDS)
    row = column_values(dialog, "Claim").index("C-1010")
    assert (cell(dialog, row, "Severity"), cell(dialog, row, "Kind"), cell(dialog, row, "Rules say"),
            cell(dialog, row, "Sources")) == ("error", "redirect_primary", "20611", "S13")
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum() > 1
    assert "claims checked" in dialog.summary_label.text() and dialog.export_button.isEnabled()


def test_sorting_by_columns(qtbot: QtBot, dialog: AuditDialog) -> None:
    run_to_end(qtbot, dialog, SAMPLE)
    dialog.table.sortByColumn(COL["Line"], Qt.SortOrder.DescendingOrder)
    lines = [int(v) for v in column_values(dialog, "Line")]
    assert lines == sorted(lines, reverse=True) and len(set(lines)) > 10
    dialog.table.sortByColumn(COL["Severity"], Qt.SortOrder.AscendingOrder)
    sev = column_values(dialog, "Severity")
    rank = {"error": 0, "warning": 1, "info": 2}
    assert [rank[s] for s in sev] == sorted(rank[s] for s in sev) and sev[0] == "error" and sev[-1] == "info"
    dialog.table.sortByColumn(COL["Kind"], Qt.SortOrder.AscendingOrder)
    kinds = column_values(dialog, "Kind")
    assert kinds == sorted(kinds)
    assert dialog.table.horizontalHeader().sortIndicatorSection() == COL["Kind"]


def test_filtering_by_severity_kind_and_text(qtbot: QtBot, dialog: AuditDialog) -> None:
    report = run_to_end(qtbot, dialog, SAMPLE)
    errors = [f for f in report.findings if f.severity == "error"]
    dialog.set_severity_filter("error")
    assert dialog.severity_box.currentData() == "error"
    assert dialog.proxy.rowCount() == len(errors) and set(column_values(dialog, "Severity")) == {"error"}
    dialog.set_kind_filter("missing_26")
    assert column_values(dialog, "Claim") == ["C-1008"]
    dialog.set_kind_filter(None)
    dialog.set_severity_filter(None)
    assert dialog.proxy.rowCount() == len(report.findings)
    # typing in the filter box (applied after a short pause)
    qtbot.keyClicks(dialog.filter_edit, "c-1011")
    qtbot.waitUntil(lambda: dialog.proxy.rowCount() == 1, timeout=5000)
    assert column_values(dialog, "Kind") == ["missing_distinct_modifier"]
    dialog.set_text_filter("77003 s19")  # every word must match somewhere in the finding
    assert dialog.proxy.rowCount() > 1
    assert all("S19" in cell(dialog, r, "Sources") for r in range(dialog.proxy.rowCount()))


def test_export_csv_writes_the_visible_rows_in_table_order(qtbot: QtBot, dialog: AuditDialog,
                                                          tmp_path: Path) -> None:
    run_to_end(qtbot, dialog, SAMPLE)
    dialog.set_severity_filter("warning")
    dialog.table.sortByColumn(COL["Claim"], Qt.SortOrder.DescendingOrder)
    out = tmp_path / "findings.csv"
    n = dialog.export_csv(out)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert n == len(rows) == dialog.proxy.rowCount() > 1
    assert [r["claim_id"] for r in rows] == column_values(dialog, "Claim")
    assert [r["claim_id"] for r in rows] == sorted((r["claim_id"] for r in rows), reverse=True)
    assert {r["severity"] for r in rows} == {"warning"}
    assert set(rows[0]) >= {"claim_id", "line", "severity", "kind", "billed", "expected", "message", "sources",
                            "confidence"}


def test_cancel_stops_the_audit_with_a_partial_report(qtbot: QtBot, dialog: AuditDialog, tmp_path: Path) -> None:
    path = big_claims_file(tmp_path, 15_000)  # 30,000 lines
    dialog.progressed.connect(lambda done, total: dialog.cancel())  # cancel at the first progress step
    report = run_to_end(qtbot, dialog, path)
    assert report.summary.cancelled
    # the worker waits while the dialog shows each progress step, so it stops right after the first one
    assert report.summary.encounters_checked == 500
    assert dialog.proxy.rowCount() == len(report.findings) == 500
    assert "Cancelled" in dialog.summary_label.text() and not dialog.cancel_button.isEnabled()
    # the dialog can run again afterwards, to the end this time
    dialog.progressed.disconnect()
    full = run_to_end(qtbot, dialog, path)
    assert not full.summary.cancelled and full.summary.encounters_checked == 15_000


def test_closing_while_running_cancels_and_leaves_no_thread(qtbot: QtBot, catalog: Catalog,
                                                            tmp_path: Path) -> None:
    dlg = AuditDialog(catalog)
    qtbot.addWidget(dlg)
    dlg.show()
    path = big_claims_file(tmp_path, 15_000)
    assert dlg.start(path)
    assert dlg.running and not dlg.start(path)  # one audit at a time
    dlg.close()
    assert not dlg.running
    assert dlg.report is not None and dlg.report.summary.cancelled


def test_unreadable_file_and_missing_column_fail_with_a_message(qtbot: QtBot, dialog: AuditDialog,
                                                               tmp_path: Path) -> None:
    with qtbot.waitSignal(dialog.audit_failed, timeout=60_000) as blocker:
        dialog.start(tmp_path / "missing.csv")
    assert "no such file" in blocker.args[0] and "no such file" in dialog.file_label.text()
    bad = tmp_path / "bad.csv"
    bad.write_text("claim,dos\nA,2025-01-01\n", encoding="utf-8")
    with qtbot.waitSignal(dialog.audit_failed, timeout=60_000) as blocker:
        dialog.start(bad)
    assert "no column for" in blocker.args[0]
    assert not dialog.running and dialog.choose_button.isEnabled()


def test_custom_column_names_and_payer_from_the_dialog(qtbot: QtBot, dialog: AuditDialog, tmp_path: Path) -> None:
    path = tmp_path / "custom.csv"
    path.write_text("ClaimNo,Svc,Place,CPT,Mods,Qty\nK1,2025-03-10,24,62282,,1\nK1,2025-03-10,24,62281,,1\n"
                    "K1,2025-03-10,24,77003,26,1\nK1,2025-03-10,24,77003,26 59,1\n", encoding="utf-8")
    dialog.columns_edit.setText("claim_id=ClaimNo,date_of_service=Svc,place_of_service=Place")
    report = run_to_end(qtbot, dialog, path)
    assert report.summary.findings == 0
    dialog.payer_box.setCurrentIndex(dialog.payer_box.findData("medicare"))
    report = run_to_end(qtbot, dialog, path)
    assert [f.kind for f in report.findings] == ["units_per_encounter"]
    dialog.columns_edit.setText("nonsense")
    assert not dialog.start(path) and "FIELD=HEADER" in dialog.file_label.text()


def test_file_menu_action_opens_the_audit_dialog_over_the_window_catalog(qtbot: QtBot, main_window) -> None:  # type: ignore[no-untyped-def]
    action = main_window.audit_action
    assert action in main_window.file_menu.actions() and "Audit claims file" in action.text()
    action.trigger()
    dlg = main_window.findChild(AuditDialog, "auditDialog")
    assert dlg is not None and dlg.isVisible() and dlg.catalog is main_window.catalog
    action.trigger()  # a second time: the same dialog is raised, not a new one
    assert main_window.findChildren(AuditDialog) == [dlg]
    report = run_to_end(qtbot, dlg, SAMPLE)
    assert report.summary.findings == dlg.proxy.rowCount() > 0


def test_closing_the_window_during_an_audit_cancels_it(qtbot: QtBot, main_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    main_window.audit_action.trigger()
    dlg = main_window.findChild(AuditDialog, "auditDialog")
    assert dlg.start(big_claims_file(tmp_path, 15_000))
    main_window.close()
    assert not dlg.running
    assert dlg.report is not None and dlg.report.summary.cancelled
