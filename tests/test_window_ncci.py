"""NCCI in the window (issue 13, "The window shows it"), as a coder sees it: an NCCI line on every card (the
edits between its code and the claim's other codes, "no edit", or "not checked" outside the table's scope,
and the version that answered), the NCCI version in the status bar and Help → About, the date-outside-the-
quarter warning kept out of the way of the lines to bill, and File → Import NCCI edits… (CMS's release
files → a data pack, on a worker thread, with progress and Cancel; a malformed file refused with file:line
and nothing changed). Every assertion reads what the window displays.

The release files are the importer's fixtures (tests/fixtures/ncci/, written in CMS's layouts), renamed as
CMS would name the quarter from 2026-01-01 (version 32.0), so that the story's date of service is inside it.
"""

from __future__ import annotations

import shutil
import threading
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QFileDialog, QPushButton

from desktop.core.encounter_json import resolution_to_json
from desktop.core.model import Catalog
from desktop.ui import ncci_import, packs_control
from desktop.ui.main_window import MainWindow
from desktop.ui.settings import Settings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "ncci"
DOS = date(2026, 3, 16)  # outside the built-in tables' quarter (2024Q3), inside the imported one (2026Q1)
IN_QUARTER = date(2024, 8, 1)
CONTROLLERS: dict[MainWindow, packs_control.PacksController] = {}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "user-data"
    monkeypatch.setenv("GUIDECODE_USER_DIR", str(folder))
    return folder


def open_window(qtbot, tmp_path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    """The window as run_gui builds it, with its data-pack controller (``CONTROLLERS[window]``)."""
    folder, report = packs_control.load_for_window(None)
    window = MainWindow(report.catalog, Settings.at(tmp_path / "GuideCode.ini"))
    qtbot.addWidget(window)
    CONTROLLERS[window] = packs_control.attach(window, folder, report)
    window.show()
    qtbot.waitExposed(window)
    return window


def release_2026q1(folder: Path, garble: tuple[int, str, str] | None = None) -> list[Path]:
    """The four PTP parts and the MUE file as CMS names the quarter from 2026-01-01 (PTP version 32.0);
    ``garble`` = (part, old, new) changes one part's text."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n in range(1, 5):
        data = (FIX / f"ccipra-v302r0-f{n}.TXT").read_bytes()
        if garble is not None and garble[0] == n:
            assert garble[1].encode() in data
            data = data.replace(garble[1].encode(), garble[2].encode())
        path = folder / f"ccipra-v320r0-f{n}.TXT"
        path.write_bytes(data)
        out.append(path)
    mue = folder / "MCR_MUE_PractitionerServices_Eff_01-01-2026.csv"
    shutil.copy(FIX / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv", mue)
    return [*out, mue]


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def ncci_of(window: MainWindow, code: str, kind: str = "procedure") -> str:
    card = next(c for c in window.answer.cards if c.item.kind == kind and c.item.code == code)
    assert card.ncci is not None and card.ncci.isVisibleTo(card)
    return card.ncci.text()


def messages(window: MainWindow) -> list[str]:
    return [m.text.text() for m in window.answer.messages]


def two_epidurals(window: MainWindow) -> None:
    window.set_date(DOS)
    window.set_setting("asc")
    window.set_payer("medicare")
    window.set_modality("fluoroscopy")
    window.add_procedure("62321", regions=("cervical",))
    window.add_procedure("62323", regions=("lumbar",))


def import_through_the_menu(qtbot, window: MainWindow, files: list[Path],  # type: ignore[no-untyped-def]
                            monkeypatch: pytest.MonkeyPatch) -> ncci_import.Outcome:
    """File → Import NCCI edits…, the files chosen in the file dialog, Import in the options dialog; waits
    until the import has ended and returns how."""
    ctl = CONTROLLERS[window]
    assert ctl.ncci_action in window.file_menu.actions()
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *a, **k: ([str(f) for f in files], ncci_import.FILE_FILTER)))
    ctl.ncci_action.trigger()
    importer = ctl.ncci_importer
    assert importer is not None and importer.options_dialog is not None
    dialog = importer.options_dialog
    assert dialog.isVisible() and dialog.files.toPlainText().splitlines() == [f.name for f in files]
    with qtbot.waitSignal(importer.finished, timeout=60000) as blocker:
        dialog.import_button.click()
    outcome = blocker.args[0]
    assert isinstance(outcome, ncci_import.Outcome)
    return outcome


def test_each_card_has_an_ncci_line_naming_the_edits_the_codes_without_one_and_the_pairs_not_checked(
        qtbot, tmp_path: Path, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    w = open_window(qtbot, tmp_path)
    w.set_date(IN_QUARTER)  # inside the built-in tables' quarter: no date warning
    w.set_setting("asc")
    w.set_payer("medicare")
    w.set_modality("fluoroscopy")
    w.add_procedure("64405")
    w.add_procedure("62281", regions=("cervical",))
    w.add_procedure("62282", regions=("lumbar",))
    assert w.displayed_lines() == ["77002-26-XS \u00d71", "77003-26-XS \u00d71"]
    tables = "PTP v30.2 + MUE 2024Q3, built-in"
    # A guidance line: the edits that give it its modifier (column two, modifier indicator 1).
    assert ncci_of(w, "77002", "line") == (
        "NCCI: edits 62281/77002, 62282/77002 (modifier indicator 1: XS on this line); edit 77002/77003 (modifier "
        f"indicator 1: 77003 is column two); no edit with 64405 \u00b7 MUE 1 per day (MAI 3) \u00b7 {tables}")
    assert ncci_of(w, "77003", "line") == (
        "NCCI: edit 77002/77003 (modifier indicator 1: XS on this line); no edit with 64405, 62281, 62282 "
        f"\u00b7 MUE 1 per day (MAI 3) \u00b7 {tables}")
    # A procedure: no edit with the guidance codes; two procedures are outside the built-in table's scope.
    assert ncci_of(w, "64405") == (
        "NCCI: no edit with 77002, 77003; not checked with 62281, 62282: outside the built-in table's scope "
        f"\u00b7 MUE 1 per day (MAI 3) \u00b7 {tables}")
    assert ncci_of(w, "62281") == (
        "NCCI: edit 62281/77002 (modifier indicator 1: 77002 is column two); no edit with 77003; not checked with "
        f"64405, 62282: outside the built-in table's scope \u00b7 MUE 1 per day (MAI 3) \u00b7 {tables}")
    line = next(c for c in w.answer.cards if c.item.kind == "line" and c.item.code == "77002")
    assert line.ncci is not None
    tip = line.ncci.toolTip()
    assert "Edit 62281/77002 (column 2, 77002, is the code denied; modifier indicator 1" in tip
    assert "Misuse of Column Two code with Column One code" in tip or "CPT Manual" in tip  # CMS's rationale
    assert "NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30)" in tip
    # and the documentation the modifier needs, as rules.yaml's ptp_edits rule says it
    assert ("  Bill 77002-XS only if the guidance was for a different procedure at a separate site, and the report "
            "documents that guidance on its own.") in tip.splitlines()
    assert "\u26a0" not in w.answer_text()
    assert w.ncci_status.text() == f"NCCI {tables}"
    assert not w.answer.banner.ncci_text.isVisibleTo(w.answer.banner)


def test_a_date_outside_the_quarter_warns_without_pushing_the_lines_to_bill_down(
        qtbot, tmp_path: Path, data_dir: Path, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    w = open_window(qtbot, tmp_path)
    w.resize(1024, 700)
    w.set_date(DOS)
    w.set_setting("office")
    w.set_payer("other")
    w.set_modality("fluoroscopy")
    w.add_procedure("64405")
    assert w.displayed_lines() == ["77002 \u00d71"]
    compact = ("NCCI: the tables are for 2024Q3; 03/16/2026 is outside it, so the edits may differ (File \u2192 "
               "Import NCCI edits\u2026).")
    assert w.answer.banner.text.text() == f"Read before billing \u2014 1 warning. {compact}"
    # The answer starts with the claim lines, not with the warning: the line to bill is in view.
    assert w.answer.first_widget_texts()[1:3] == ["Claim lines (what Copy gives)", "64405 1\n77002 1"]
    card = next(c for c in w.answer.cards if c.item.kind == "line")
    viewport = w.answer.scroll_area.viewport()
    assert card.mapTo(viewport, QPoint(0, card.height())).y() <= viewport.height()
    # Every card says it, in its NCCI line; the status bar too.
    assert all(c.ncci is not None and c.ncci.text().endswith(" \u00b7 \u26a0 date outside 2024Q3")
               for c in w.answer.cards)
    assert w.ncci_status.text() == "NCCI PTP v30.2 + MUE 2024Q3, built-in \u26a0 DOS outside"
    assert "outside the quarter of NCCI PTP practitioner v30.2" in w.ncci_status.toolTip()
    # The whole message is at the foot of the answer; resolve's JSON keeps it as the engine says it.
    engine_text = catalog.ncci.for_date("practitioner", DOS).warning
    assert engine_text is not None
    shown = w.answer_text().splitlines()
    assert shown[-2:] == ["NCCI tables", "Warning: Date of service 03/16/2026 is outside the quarter of NCCI PTP "
                          "practitioner v30.2 (07/01/2024 to 09/30/2024); NCCI MUE practitioner 2024Q3 (07/01/2024 "
                          "to 09/30/2024); the edits may differ on that date. Import the NCCI files of that quarter."]
    assert {"severity": "warning", "text": engine_text, "sources": []} in resolution_to_json(w.resolution())["messages"]
    # With another warning, that one heads the banner, and the NCCI entry is one compact line under it.
    w.set_payer("medicare")
    w.set_laterality("bilateral")
    banner = w.answer.banner
    assert banner.text.text() == ("Read before billing \u2014 2 warnings. 77002: one line of 1 unit for guidance "
                                  "for 64405 at more than one site or side.")
    assert banner.ncci_text.isVisibleTo(banner) and banner.ncci_text.text() == compact
    assert not any("outside the quarter" in t for t in messages(w)[:-1])  # only at the foot
    assert messages(w)[-1].startswith("Warning: Date of service 03/16/2026 is outside the quarter")


def test_import_ncci_edits_from_the_file_menu_changes_the_answer_and_names_the_new_version(
        qtbot, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    w = open_window(qtbot, tmp_path)
    two_epidurals(w)
    assert ncci_of(w, "62321") == ("NCCI: not checked with 62323: outside the built-in table's scope \u00b7 MUE 1 "
                                   "per day (MAI 3) \u00b7 PTP v30.2 + MUE 2024Q3, built-in \u00b7 \u26a0 date "
                                   "outside 2024Q3")
    assert not any("62321 and 62323 on one claim" in t for t in messages(w))
    outcome = import_through_the_menu(qtbot, w, release_2026q1(tmp_path / "cms"), monkeypatch)
    assert outcome.installed
    importer = CONTROLLERS[w].ncci_importer
    assert importer is not None and importer.result_box is not None and importer.result_box.isVisible()
    assert importer.result_box.text().split("\n\n")[:2] == [  # the version, the quarter and the row counts
        "NCCI PTP practitioner v32.0 (2026-01-01 to 2026-03-31): 14 rows kept of 16 read (the rows whose codes "
        "GuideCode has records for), from ccipra-v320r0-f1.TXT, ccipra-v320r0-f2.TXT, ccipra-v320r0-f3.TXT, "
        "ccipra-v320r0-f4.TXT",
        "NCCI MUE practitioner 2026Q1 (2026-01-01 to 2026-03-31): 7 rows kept of 9 read (the rows whose codes "
        "GuideCode has records for), from MCR_MUE_PractitionerServices_Eff_01-01-2026.csv"]
    # The window answers with the new tables at once: the pair edit, its modifier, the new version.
    assert ncci_of(w, "62321") == ("NCCI: edit 62321/62323 (modifier indicator 1: 62323 is column two) \u00b7 MUE 1 "
                                   "per day (MAI 3) \u00b7 PTP v32.0 + MUE 2026Q1, imported")
    assert ncci_of(w, "62323") == ("NCCI: edit 62321/62323 (modifier indicator 1: XS on 62323) \u00b7 no MUE \u00b7 "
                                   "PTP v32.0 + MUE 2026Q1, imported")
    assert any(t.startswith("Warning: 62321 and 62323 on one claim: 62323 is column two.") and "XS" in t
               for t in messages(w))
    assert w.answer.claim_label is not None and w.answer.claim_label.text().splitlines() == ["62321 1", "62323 XS 1"]
    assert "\u26a0" not in w.answer_text() and not w.answer.banner.ncci_text.isVisibleTo(w.answer.banner)
    assert w.ncci_status.text() == "NCCI PTP v32.0 + MUE 2026Q1, imported"
    assert w.resolution().ncci.startswith("NCCI PTP practitioner v32.0 (2026-01-01 to 2026-03-31)")
    assert (data_dir / "packs" / "cms-ncci-practitioner-2026q1-ptp-mue" / "pack.yaml").is_file()
    assert CONTROLLERS[w].ncci_action.isEnabled()
    # Help → About names the version that answers and every table.
    from desktop.ui.about import about_html

    about = about_html(w.catalog, when=w.date_of_service())
    assert "NCCI version answering for 2026-03-16:</b> PTP v32.0 + MUE 2026Q1, imported" in about
    assert "NCCI PTP practitioner v30.2 (2024-07-01 to 2024-09-30) \u2014 built-in" in about


def test_a_malformed_release_file_is_refused_with_its_file_and_line_and_nothing_changes(
        qtbot, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    w = open_window(qtbot, tmp_path)
    two_epidurals(w)
    assert import_through_the_menu(qtbot, w, release_2026q1(tmp_path / "good"), monkeypatch).installed
    importer = CONTROLLERS[w].ncci_importer
    assert importer is not None and importer.result_box is not None
    importer.result_box.close()
    before = (snapshot(data_dir), w.answer_text(), w.ncci_status.text())
    garbled = release_2026q1(tmp_path / "bad", garble=(3, "64449\t77002", "6444\t77002"))
    outcome = import_through_the_menu(qtbot, w, garbled, monkeypatch)
    assert not outcome.installed and outcome.stage == "read"
    dialog = CONTROLLERS[w].last_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.text.toPlainText().splitlines() == [
        "ccipra-v320r0-f3.TXT:8: 6444/77002: column 1 '6444' is not a CPT/HCPCS code (5 characters, e.g. 64405, "
        "0213T)"]
    assert dialog.intro.text().startswith("The NCCI files were not imported: 1 problem")
    assert "Nothing was changed" in dialog.intro.text()
    assert (snapshot(data_dir), w.answer_text(), w.ncci_status.text()) == before  # byte for byte
    assert w.statusBar().currentMessage() == "NCCI import refused; nothing was changed."


def test_a_long_import_shows_its_progress_and_cancel_stops_it_with_nothing_changed(
        qtbot, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from desktop.core.ncci.importer import PROGRESS_EVERY

    w = open_window(qtbot, tmp_path)
    two_epidurals(w)
    before = (snapshot(data_dir), w.answer_text())
    files = release_2026q1(tmp_path / "cms")
    # Part 1 as long as a real one would make it take a while: rows of codes GuideCode does not know.
    row = b"11042\t97598\t\t20130101\t*\t1\tStandards\r\n"
    files[0].write_bytes(files[0].read_bytes() + row * (4 * PROGRESS_EVERY))
    # Hold the worker at its first progress report until Cancel is pressed (only the pace is changed: the
    # report, the label and Cancel are the real ones).
    pressed = threading.Event()
    real_tick = ncci_import.ImportJob._tick

    def tick(job: ncci_import.ImportJob, count: int) -> None:
        real_tick(job, count)
        pressed.wait(20)

    monkeypatch.setattr(ncci_import.ImportJob, "_tick", tick)
    monkeypatch.setattr(ncci_import, "SHOW_PROGRESS_AFTER_MS", 0)
    importer = CONTROLLERS[w].ncci()
    importer.start(files)
    ctl = CONTROLLERS[w]
    assert not any(a.isEnabled() for a in (ctl.ncci_action, ctl.import_action, ctl.packs_action))  # one at a time
    progress = importer.progress
    assert progress is not None
    qtbot.waitUntil(lambda: progress.isVisible() and "codes checked so far" in progress.labelText(), timeout=20000)
    assert progress.windowTitle() == "Importing NCCI edits"
    assert progress.labelText() == f"Reading and checking every row\u2026 {PROGRESS_EVERY:,} codes checked so far."
    cancel = next(b for b in progress.findChildren(QPushButton) if b.text() == "Cancel")
    with qtbot.waitSignal(importer.finished, timeout=20000) as blocker:
        cancel.click()
        pressed.set()
    assert blocker.args[0].cancelled
    assert w.statusBar().currentMessage() == "NCCI import cancelled; nothing was changed."
    assert (snapshot(data_dir), w.answer_text()) == before
    assert all(a.isEnabled() for a in (ctl.ncci_action, ctl.import_action, ctl.packs_action))
    assert importer.progress is None


def test_the_import_dialog_takes_what_the_file_names_do_not_say_in_the_windows_words(
        qtbot, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    w = open_window(qtbot, tmp_path)
    two_epidurals(w)
    one_part = release_2026q1(tmp_path / "cms")[:1]
    # One PTP part of four: refused, and the refusal names the dialog's box, not the command's --partial.
    outcome = import_through_the_menu(qtbot, w, one_part, monkeypatch)
    assert not outcome.installed
    dialog = CONTROLLERS[w].last_dialog
    assert dialog is not None
    text = dialog.text.toPlainText()
    assert text.startswith("ccipra-v320r0-f1.TXT:1: part(s) f2, f3, f4 of the PTP table are missing")
    assert "\u201cAccept fewer PTP parts\u201d (in the import dialog)" in text and "--partial" not in text
    assert snapshot(data_dir) == {}
    # A quarter written wrongly is caught in the dialog, which stays open.
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *a, **k: ([str(one_part[0])], ncci_import.FILE_FILTER)))
    CONTROLLERS[w].ncci_action.trigger()
    importer = CONTROLLERS[w].ncci_importer
    assert importer is not None and importer.options_dialog is not None
    options = importer.options_dialog
    options.quarter_edit.setText("2026-02-01")
    options.import_button.click()
    assert options.isVisible() and importer.job is None
    assert options.problem.isVisible() and options.problem.text() == (
        "Quarter '2026-02-01': write it as 2024Q3, or as its first day, 2024-07-01.")
    # Accepting fewer parts, with the quarter given as its first day: imported.
    options.quarter_edit.setText("2026-01-01")
    options.partial_box.setChecked(True)
    with qtbot.waitSignal(importer.finished, timeout=60000) as blocker:
        options.import_button.click()
    assert blocker.args[0].installed
    # Part f1 has no edit of the pair (it is in f2): a partial import says "no edit" where CMS's whole table
    # has one, the reason the box is off unless ticked. The MUE table is still the built-in 2024Q3 one.
    assert ncci_of(w, "62323") == ("NCCI: no edit with 62321 \u00b7 MUE 1 per day (MAI 3) \u00b7 PTP v32.0 (2026Q1, "
                                   "imported) + MUE 2024Q3 (built-in) \u00b7 \u26a0 date outside 2024Q3")
