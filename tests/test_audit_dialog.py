"""The audit window (File → Audit claims file…): runs the core audit on a worker thread and shows the
findings in a sortable, filterable table with a progress bar, cancellation, copy, export (CSV, JSON, PDF), the
column-mapping step and opening a finding's claim in the main window (issue 16's stories)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from desktop.core.audit import KINDS, NOTE_KINDS, AuditReport, audit_file
from desktop.core.model import Catalog
from desktop.ui.audit_dialog import COLUMNS, AuditDialog
from tests.auditkit import billing

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "claims-sample.csv"
X12 = ROOT / "tests" / "fixtures" / "x12" / "claims-837p.txt"
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


@pytest.fixture(autouse=True)
def _clear_clipboard_and_us_locale(qapp):  # type: ignore[no-untyped-def]
    """US number format (grouping "1,000") for the texts the tests compare; the clipboard cleared after."""
    from PySide6.QtCore import QLocale

    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    yield
    QLocale.setDefault(before)
    QGuiApplication.clipboard().clear()


def run_to_end(qtbot: QtBot, dlg: AuditDialog, path: Path, **kw: object) -> AuditReport:
    with qtbot.waitSignal(dlg.audit_finished, timeout=120_000) as blocker:
        assert dlg.start(path, **kw)  # type: ignore[arg-type]
    assert not dlg.running
    report = blocker.args[0]
    assert isinstance(report, AuditReport)
    return report


def cell(dlg: AuditDialog, row: int, column: str) -> str:
    return str(dlg.proxy.index(row, COL[column]).data(Qt.ItemDataRole.DisplayRole))


def column_values(dlg: AuditDialog, column: str) -> list[str]:
    return [cell(dlg, r, column) for r in range(dlg.proxy.rowCount())]


def big_claims_file(tmp_path: Path, claims: int) -> Path:
    """``claims`` claims of 64483 + 77003 (guidance_included), dated in the built-in NCCI tables' quarter."""
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "".join(f"C{i:06d},2024-08-05,11,64483,,1\nC{i:06d},2024-08-05,11,77003,,1\n"
                                     for i in range(claims)), encoding="utf-8")
    return path


def test_dialog_audits_the_sample_and_shows_every_finding_but_notes(qtbot: QtBot, dialog: AuditDialog,
                                                                    catalog: Catalog) -> None:
    assert dialog.progress_bar.value() == 0 and not dialog.progress_bar.isTextVisible()  # idle before a file
    report = run_to_end(qtbot, dialog, SAMPLE)
    direct = audit_file(catalog, SAMPLE)  # the command line's answer for the same file
    shown = {(cell(dialog, r, "Claim"), cell(dialog, r, "Kind")) for r in range(dialog.proxy.rowCount())}
    not_notes = [f for f in direct.findings if f.kind not in NOTE_KINDS]
    assert shown == {(f.claim_id, f.kind) for f in not_notes}
    assert "modality_inferred" not in column_values(dialog, "Kind")  # notes are hidden by default
    notes = len(direct.findings) - len(not_notes)
    assert dialog.count_label.text() == (f"{len(not_notes)} of {len(direct.findings)} findings shown "
                                         f"({notes} notes hidden)")
    dialog.set_show_notes(True)
    assert dialog.proxy.rowCount() == len(direct.findings) == report.summary.findings
    assert {cell(dialog, r, "Kind") for r in range(dialog.proxy.rowCount())} == set(KINDS) - {"unreadable_text",
                                                                                              "x12_error"}
    row = column_values(dialog, "Claim").index("C-1010")
    assert (cell(dialog, row, "Severity"), cell(dialog, row, "Kind"), cell(dialog, row, "Rules say"),
            cell(dialog, row, "Sources"), cell(dialog, row, "Id")) == ("error", "redirect_primary", "20611", "S13",
                                                                       "GC-A10")
    assert cell(dialog, row, "What to do") == KINDS["redirect_primary"].action
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum()
    assert "claims checked" in dialog.summary_label.text() and dialog.export_button.isEnabled()


def test_sorting_by_columns(qtbot: QtBot, dialog: AuditDialog) -> None:
    run_to_end(qtbot, dialog, SAMPLE)
    dialog.set_show_notes(True)
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


def test_story_multi_select_filters_and_the_count_shown(qtbot: QtBot, dialog: AuditDialog) -> None:
    report = run_to_end(qtbot, dialog, SAMPLE)
    errors_warnings = [f for f in report.findings if f.severity in ("error", "warning")]
    qtbot.mouseClick(dialog.severity_buttons["error"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.severity_buttons["warning"], Qt.MouseButton.LeftButton)
    assert set(column_values(dialog, "Severity")) == {"error", "warning"}
    assert dialog.proxy.rowCount() == len(errors_warnings)
    assert dialog.count_label.text().startswith(f"{len(errors_warnings)} of {len(report.findings)} findings shown")
    dialog.kind_actions["missing_26"].trigger()
    dialog.kind_actions["unexpected_26"].trigger()
    assert sorted(column_values(dialog, "Kind")) == ["missing_26", "unexpected_26"]
    assert dialog.kind_button.text() == "2 kinds"
    dialog.set_kind_filter(None)
    dialog.set_severity_filter(None)
    qtbot.keyClicks(dialog.filter_edit, "c-1011")
    qtbot.waitUntil(lambda: dialog.proxy.rowCount() == 1, timeout=5000)
    assert column_values(dialog, "Kind") == ["missing_distinct_modifier"]
    dialog.set_text_filter("77003 s19")  # every word must match somewhere in the finding
    assert dialog.proxy.rowCount() > 1
    assert all("S19" in cell(dialog, r, "Sources") for r in range(dialog.proxy.rowCount()))


def test_filters_reset_on_a_new_file_with_a_notice(qtbot: QtBot, dialog: AuditDialog, tmp_path: Path) -> None:
    run_to_end(qtbot, dialog, SAMPLE)
    dialog.set_severity_filter(["warning"])
    dialog.set_text_filter("c-10")
    other = tmp_path / "other.csv"
    other.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    run_to_end(qtbot, dialog, other)
    assert dialog.proxy.severities == frozenset() and dialog.filter_edit.text() == ""
    assert "Filters were reset" in dialog.status_label.text()


def test_story_ctrl_c_copies_the_selected_rows_as_tsv_with_a_header(qtbot: QtBot, dialog: AuditDialog) -> None:
    run_to_end(qtbot, dialog, SAMPLE)
    dialog.set_severity_filter("error")
    dialog.table.setFocus()
    dialog.table.selectRow(0)
    sel = dialog.table.selectionModel()
    sel.select(dialog.proxy.index(2, 0), sel.SelectionFlag.Select | sel.SelectionFlag.Rows)
    qtbot.keyClick(dialog.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QGuiApplication.clipboard().text()
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    assert rows[0][:4] == ["id", "severity", "kind", "claim_id"] and len(rows) == 3
    assert [r[3] for r in rows[1:]] == [cell(dialog, 0, "Claim"), cell(dialog, 2, "Claim")]
    assert all(r[1] == "error" for r in rows[1:])
    assert "Copied 2 rows" in dialog.status_label.text()


def test_story_cancel_keeps_the_partial_result_and_the_export_says_so(qtbot: QtBot, dialog: AuditDialog,
                                                                      tmp_path: Path) -> None:
    path = big_claims_file(tmp_path, 15_000)  # 30,000 lines
    dialog.progressed.connect(lambda p: dialog.cancel())  # cancel at the first progress step
    report = run_to_end(qtbot, dialog, path)
    s = report.summary
    assert s.cancelled and s.lines_read == 1000
    # the worker waits while the dialog shows each progress step, so it stops right after the first one
    assert s.encounters_checked == 499 and dialog.proxy.rowCount() == len(report.findings) == 499
    assert dialog.summary_label.text().startswith("Cancelled after 1,000 lines: 499 claims checked, 499 findings")
    assert not dialog.cancel_button.isEnabled()
    out = tmp_path / "partial.csv"
    assert dialog.export(out, "csv") == 499
    assert out.read_text(encoding="utf-8-sig").startswith("# PARTIAL REPORT: the audit was cancelled after 1,000")
    js = tmp_path / "partial.json"
    dialog.export(js, "json")
    assert json.loads(js.read_text(encoding="utf-8"))["summary"]["partial"] is True
    dialog.progressed.disconnect()
    full = run_to_end(qtbot, dialog, path)
    assert not full.summary.cancelled and full.summary.encounters_checked == 15_000


def test_export_matches_what_is_shown_csv_json_pdf(qtbot: QtBot, dialog: AuditDialog, tmp_path: Path) -> None:
    run_to_end(qtbot, dialog, SAMPLE)
    dialog.set_severity_filter(["warning"])
    dialog.table.sortByColumn(COL["Claim"], Qt.SortOrder.DescendingOrder)
    out = tmp_path / "findings.csv"
    n = dialog.export(out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert n == len(rows) == dialog.proxy.rowCount() > 1
    assert [r["claim_id"] for r in rows] == column_values(dialog, "Claim")
    assert [r["id"] for r in rows] == [dialog.proxy.index(i, 0).data(Qt.ItemDataRole.UserRole.value + 2).finding_id
                                       for i in range(n)]
    assert {r["severity"] for r in rows} == {"warning"} and all(r["what_to_do"] for r in rows)
    js = tmp_path / "findings.json"
    assert dialog.export(js, "json") == n
    assert [f["claim_id"] for f in json.loads(js.read_text(encoding="utf-8"))["findings"]] == column_values(
        dialog, "Claim")
    pdf = tmp_path / "findings.pdf"
    assert dialog.export(pdf, "pdf") == n
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.replace("\ufb01", "fi")  # the PDF's fonts join "fi"
    assert "GuideCode claims audit" in text and "Findings by kind" in text
    for claim in column_values(dialog, "Claim"):
        assert claim in text
    assert f"{n} of {dialog.model.rowCount()} findings" in text


def test_pdf_export_loads_no_print_support(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from desktop.core.data import load_builtin\n"
        "from desktop.core.audit import audit_file\n"
        "from desktop.ui.audit_pdf import write_pdf\n"
        "c = load_builtin(); r = audit_file(c, Path(sys.argv[1]))\n"
        "write_pdf(Path(sys.argv[2]), r, r.findings, c)\n"
        "print(sorted(m for m in sys.modules if 'PrintSupport' in m or 'pyx12' in m))\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_DEBUG_PLUGINS="1")
    proc = subprocess.run([sys.executable, "-c", code, str(SAMPLE), str(tmp_path / "r.pdf")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"
    assert "printsupport" not in proc.stderr.lower() and "cups" not in proc.stderr.lower()
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


def test_story_the_mapping_step_runs_the_audit_with_the_chosen_columns_and_remembers(
        qtbot: QtBot, catalog: Catalog, tmp_path: Path, ui_settings) -> None:  # type: ignore[no-untyped-def]
    dialog = AuditDialog(catalog, settings=ui_settings)
    qtbot.addWidget(dialog)
    dialog.show()
    path = tmp_path / "custom.csv"
    path.write_text("Ref,Svc,Where,Proc,Extra,Qty\nK1,2025-03-10,24,62282,,1\nK1,2025-03-10,24,62281,,1\n"
                    "K1,2025-03-10,24,77003,26,1\nK1,2025-03-10,24,77003,26 59,1\n", encoding="utf-8")
    with qtbot.waitSignal(dialog.audit_failed, timeout=60_000):
        dialog.start(path)
    assert dialog.mapper.isVisible() and "Ref" in dialog.mapper.header
    for fld, name in (("claim_id", "Ref"), ("date_of_service", "Svc"), ("place_of_service", "Where"),
                      ("code", "Proc"), ("modifiers", "Extra"), ("units", "Qty")):
        dialog.mapper.set_choice(fld, name)
    with qtbot.waitSignal(dialog.audit_finished, timeout=60_000) as blocker:
        qtbot.keyClick(dialog.mapper.boxes["units"], Qt.Key.Key_Return)  # Enter runs the audit
    assert [f.kind for f in billing(blocker.args[0])] == []  # two regions, 59 on the second: clean
    assert not dialog.mapper.isVisible()
    # the same header again: the remembered columns are used without asking
    other = tmp_path / "custom2.csv"
    other.write_text(path.read_text(encoding="utf-8").replace("26 59", "26"), encoding="utf-8")
    with qtbot.waitSignal(dialog.audit_finished, timeout=60_000) as blocker:
        dialog.start(other)
    assert [f.kind for f in billing(blocker.args[0])] == ["missing_distinct_modifier"]
    assert "chosen before" in dialog.status_label.text()
    stored = Path(ui_settings.file_name).read_text(encoding="utf-8")
    assert "claim_id=Ref" in stored and "K1" not in stored and "62282" not in stored


def test_enter_never_reopens_the_file_picker(qtbot: QtBot, dialog: AuditDialog) -> None:
    dialog.encoding_edit.setFocus()
    opened: list[bool] = []
    dialog.choose_file = lambda: opened.append(True)  # type: ignore[method-assign]
    qtbot.keyClick(dialog.encoding_edit, Qt.Key.Key_Return)
    assert not opened and dialog.isVisible()


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


def test_no_object_changes_thread_during_an_audit(qtbot: QtBot, dialog: AuditDialog, tmp_path: Path) -> None:
    """The audit's signals come from a QThread object that stays in the UI thread, and the audit runs in
    run() on the other thread: nothing calls moveToThread, which PySide runs holding the GIL (a worker that
    moved itself back to the UI thread deadlocked with a widget being deleted there, in a CI run)."""
    from PySide6.QtCore import QObject, QThread

    from desktop.ui.audit_dialog import AuditThread

    moves: list[str] = []
    real = QObject.moveToThread

    def spy(self: QObject, thread: QThread) -> bool:
        moves.append(type(self).__name__)
        return real(self, thread)

    ui_thread = QThread.currentThread()
    seen: list[bool] = []
    dialog.progressed.connect(lambda _p: seen.append(
        isinstance(dialog._thread, AuditThread) and dialog._thread.thread() is ui_thread))
    QObject.moveToThread = spy  # type: ignore[method-assign]
    try:
        run_to_end(qtbot, dialog, big_claims_file(tmp_path, 3_000))
    finally:
        QObject.moveToThread = real  # type: ignore[method-assign]
    assert moves == []
    assert seen and all(seen)
    assert dialog._thread is None and not dialog.running


def test_unreadable_file_and_bad_encoding_fail_with_a_message(qtbot: QtBot, dialog: AuditDialog,
                                                             tmp_path: Path) -> None:
    with qtbot.waitSignal(dialog.audit_failed, timeout=60_000) as blocker:
        dialog.start(tmp_path / "missing.csv")
    assert "no such file" in blocker.args[0] and "no such file" in dialog.file_label.text()
    dialog.encoding_edit.setText("punycode")
    assert not dialog.start(SAMPLE) and "not a text file encoding" in dialog.file_label.text()
    assert not dialog.running and dialog.choose_button.isEnabled()


def test_837p_file_in_the_dialog(qtbot: QtBot, dialog: AuditDialog) -> None:
    report = run_to_end(qtbot, dialog, X12)
    assert report.summary.source_format == "837p"
    row = column_values(dialog, "Kind").index("guidance_included")
    assert column_values(dialog, "Where")[row] == "claim X12-001 line 2 (LX*2), SV1 at segment 26"
    # the fixture is dated 2025: the summary names the NCCI tables and warns once, with the count
    text = dialog.summary_label.text()
    assert "NCCI: NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30)" in text
    assert "Warning: 5 encounters on 5 claims dated outside the quarter of the NCCI tables" in text
    assert column_values(dialog, "Kind").count("ncci_outside_quarter") == 1


def test_837p_validation_level_is_the_users_choice_and_the_report_says_which(qtbot: QtBot,
                                                                            dialog: AuditDialog) -> None:
    from desktop.ui.audit_pdf import report_html

    assert dialog.validate_box.isChecked()  # full validation against the X222A1 map unless the user unticks it
    stray = X12.parent / "broken-stray_segment.txt"
    full = run_to_end(qtbot, dialog, stray)
    assert full.summary.x12_validation == "full"
    assert "837P validation: every segment validated against the X222A1 map" in dialog.summary_label.text()
    assert any("(ZZZ)" in f.where for f in full.findings)  # only the map knows ZZZ does not belong there
    dialog.validate_box.setChecked(False)
    quick = run_to_end(qtbot, dialog, stray)
    assert quick.summary.x12_validation == "envelope"
    assert "837P validation: envelope checks only" in dialog.summary_label.text()
    assert not any("(ZZZ)" in f.where for f in quick.findings)
    assert "ST envelope error" in " ".join(f.message for f in quick.findings)  # pyx12's SE count still checked
    html_text = report_html(quick, quick.findings)
    assert "837P validation" in html_text and "envelope checks only" in html_text
    csv_report = run_to_end(qtbot, dialog, SAMPLE)
    assert csv_report.summary.x12_validation == "" and "837P validation" not in dialog.summary_label.text()


def test_help_opens_the_audit_documentation(qtbot: QtBot, dialog: AuditDialog) -> None:
    from PySide6.QtWidgets import QTextBrowser

    help_dialog = dialog.show_help()
    text = help_dialog.findChild(QTextBrowser, "auditHelpText")
    assert text is not None and "modality_inferred" in text.toPlainText() and "837P" in text.toPlainText()
    help_dialog.close()


def test_story_double_click_opens_the_claim_in_the_window(qtbot: QtBot, main_window) -> None:  # type: ignore[no-untyped-def]
    main_window.audit_action.trigger()
    dlg = main_window.findChild(AuditDialog, "auditDialog")
    run_to_end(qtbot, dlg, X12)
    row = column_values(dlg, "Claim").index("X12-001")
    index = dlg.proxy.index(row, COL["Finding"])
    dlg.table.scrollTo(index)
    rect = dlg.table.visualRect(index)
    # a press first: the view takes a double-click only on the row the button went down on
    qtbot.mouseClick(dlg.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dlg.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    enc = main_window.encounter()
    assert [p.code for p in enc.procedures] == ["64483"]  # the billed 77003 is guidance: the window answers it
    assert enc.procedures[0].laterality == "bilateral"  # 64483-50
    assert (enc.date_of_service.isoformat(), enc.setting, enc.payer, enc.modality) == (
        "2025-03-10", "hospital_outpatient", "medicare", "fluoroscopy")
    assert "Claim X12-001" in main_window.statusBar().currentMessage()
    assert "77003-26" in main_window.statusBar().currentMessage()
    assert "X12-001" in dlg.claim_view.text() and "Billed" in dlg.claim_view.text()
    # undo: the window's previous (empty) encounter comes back, through the window's undo stack where it has
    # one (the editor of issue "A window a coder trusts all day"), else the audit window's "Undo open claim"
    editor = getattr(main_window, "editor", None)
    if editor is not None and hasattr(editor, "undo_stack"):
        assert not dlg.undo_open_button.isVisibleTo(dlg)
        editor.undo_stack.undo()
    else:
        assert dlg.undo_open_button.isVisibleTo(dlg)
        dlg.undo_open_claim()
    assert main_window.encounter().procedures == ()


def test_file_menu_action_opens_the_audit_dialog_over_the_window_catalog(qtbot: QtBot, main_window) -> None:  # type: ignore[no-untyped-def]
    action = main_window.audit_action
    assert action in main_window.file_menu.actions() and "Audit claims file" in action.text()
    action.trigger()
    dlg = main_window.findChild(AuditDialog, "auditDialog")
    assert dlg is not None and dlg.isVisible() and dlg.catalog is main_window.catalog
    action.trigger()  # a second time: the same dialog is raised, not a new one
    assert main_window.findChildren(AuditDialog) == [dlg]
    report = run_to_end(qtbot, dlg, SAMPLE)
    assert report.summary.findings >= dlg.proxy.rowCount() > 0


def test_closing_the_window_during_an_audit_cancels_it(qtbot: QtBot, main_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    main_window.audit_action.trigger()
    dlg = main_window.findChild(AuditDialog, "auditDialog")
    assert dlg.start(big_claims_file(tmp_path, 15_000))
    main_window.close()
    assert not dlg.running
    assert dlg.report is not None and dlg.report.summary.cancelled


def test_numbers_follow_the_locale_and_counts_are_pluralised(qtbot: QtBot, catalog: Catalog, tmp_path: Path) -> None:
    from PySide6.QtCore import QLocale

    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    dlg = AuditDialog(catalog)
    qtbot.addWidget(dlg)
    report = run_to_end(qtbot, dlg, big_claims_file(tmp_path, 1_000))
    assert report.summary.claims_checked == 1000
    assert dlg.summary_label.text().startswith("1.000 claims checked (2.000 lines read, 0 malformed rows skipped)")
    assert dlg.count_label.text() == "1.000 of 1.000 findings shown"
    one = tmp_path / "one.csv"
    one.write_text(HEADER + "C1,2024-08-05,11,64483,,1\nC1,2024-08-05,11,77003,,1\n", encoding="utf-8")
    run_to_end(qtbot, dlg, one)
    assert dlg.summary_label.text().startswith("1 claim checked (2 lines read, 0 malformed rows skipped): 1 finding")
    assert dlg.count_label.text() == "1 of 1 finding shown"


def test_the_column_mapping_offers_images_recorded_and_the_audit_reads_it(
        qtbot: QtBot, catalog: Catalog, tmp_path: Path, ui_settings) -> None:  # type: ignore[no-untyped-def]
    """Issue 14: the images column is a field of the column mapping; a claim whose chosen column says the images
    were not recorded gets images_not_recorded on its 76942 line, and opens in the window with "no"."""
    dialog = AuditDialog(catalog, settings=ui_settings)
    qtbot.addWidget(dialog)
    dialog.show()
    path = tmp_path / "pics.csv"
    path.write_text("Ref,Svc,Where,Proc,Qty,Pics saved?\nU1,2024-08-05,11,20552,1,n\nU1,2024-08-05,11,76942,1,n\n",
                    encoding="utf-8")
    with qtbot.waitSignal(dialog.audit_failed, timeout=60_000):
        dialog.start(path)
    assert "images_recorded" in dialog.mapper.boxes
    for fld, name in (("claim_id", "Ref"), ("date_of_service", "Svc"), ("place_of_service", "Where"),
                      ("code", "Proc"), ("units", "Qty"), ("images_recorded", "Pics saved?")):
        dialog.mapper.set_choice(fld, name)
    with qtbot.waitSignal(dialog.audit_finished, timeout=60_000) as blocker:
        qtbot.keyClick(dialog.mapper.boxes["units"], Qt.Key.Key_Return)
    report = blocker.args[0]
    assert [(f.claim_id, f.line, f.kind) for f in report.findings] == [("U1", 3, "images_not_recorded")]
    claim = dialog.claim_of(report.findings[0])
    assert claim is not None and claim.encounter.images_recorded is False
