"""Copy (what the clipboard receives, byte for byte) and Print / Save as PDF (a real one-page PDF)."""

from __future__ import annotations

import re
import zlib
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtPrintSupport import QPrintDialog, QPrinter

from desktop import __version__
from desktop.core.dates import US_STYLE, localize_dates
from desktop.ui.present import DISCLAIMER, TSV_MIME, summary_html

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

DOS = date(2026, 3, 16)


@pytest.fixture
def worked_example(main_window):  # type: ignore[no-untyped-def]
    """64405 + 62281 cervical + 62282 lumbar, fluoroscopy, ASC, Medicare."""
    w = main_window
    w.set_date(DOS)
    w.set_setting("asc")
    w.set_payer("medicare")
    w.set_modality("fluoroscopy")
    w.add_procedure("64405")
    w.add_procedure("62281")
    w.set_region("cervical", True)
    w.add_procedure("62282")
    w.set_region("lumbar", True)
    # Medicare: one 77003 per encounter (NCCI ch. IX); XS on 77002 (NCCI edit 62281/77002) and on 77003
    # (77002/77003: 77003 is column two).
    assert w.displayed_lines() == ["77002-26-XS \u00d71", "77003-26-XS \u00d71"]
    return w


EXPECTED_TEXT = "64405 1\n62281 1\n62282 1\n77002 26 XS 1\n77003 26 XS 1"
EXPECTED_DISPLAY = "64405 x1\n62281 x1\n62282 x1\n77002-26-XS x1\n77003-26-XS x1"
EXPECTED_TSV = ("64405\t\t\t\t\t1\r\n62281\t\t\t\t\t1\r\n62282\t\t\t\t\t1\r\n"
                "77002\t26\tXS\t\t\t1\r\n77003\t26\tXS\t\t\t1\r\n")


def clipboard_formats() -> dict[str, bytes]:
    mime = QGuiApplication.clipboard().mimeData()
    return {fmt: bytes(mime.data(fmt).data()) for fmt in mime.formats()}


def test_ctrl_c_in_the_search_box_copies_the_claim_lines_in_three_formats(qtbot, worked_example) -> None:
    w = worked_example
    QGuiApplication.clipboard().clear()
    w.focus_search()
    w.search.search_edit.deselect()
    assert w.search.search_edit.hasFocus() and not w.search.search_edit.hasSelectedText()
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    formats = clipboard_formats()
    assert sorted(formats) == sorted(["text/plain", TSV_MIME, "text/html"])
    assert formats["text/plain"].decode("ascii") == EXPECTED_TEXT  # ASCII: no ×, no dash
    assert QGuiApplication.clipboard().text() == EXPECTED_TEXT
    assert formats[TSV_MIME].decode("utf-8") == EXPECTED_TSV
    html = formats["text/html"].decode("utf-8")
    assert "<table" in html and "<td>77003</td><td>26 XS</td><td>1</td>" in html
    assert w.statusBar().currentMessage() == "Copied 5 claim lines."


def test_the_copy_format_setting_picks_the_display_form_and_is_kept(qtbot, worked_example, ui_settings) -> None:
    w = worked_example
    w.copy_form_actions["display"].trigger()
    w.copy_lines()
    assert QGuiApplication.clipboard().text() == EXPECTED_DISPLAY
    assert clipboard_formats()[TSV_MIME].decode() == EXPECTED_TSV  # the same rows whatever the form
    assert w.answer.claim_label is not None and w.answer.claim_label.text() == EXPECTED_DISPLAY
    w.save_settings()
    assert ui_settings.copy_form == "display"


def test_ctrl_c_with_text_selected_in_the_search_box_copies_that_text(qtbot, worked_example) -> None:
    w = worked_example
    w.search.search_edit.setText("neurolytic")
    w.focus_search()  # selects all of it
    qtbot.keyClick(w.search.search_edit, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "neurolytic"


def test_copy_button_and_the_encounter_list_copy_the_same(qtbot, worked_example) -> None:
    w = worked_example
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(w.answer.copy_button, Qt.MouseButton.LeftButton)
    formats = clipboard_formats()
    assert (formats["text/plain"], formats[TSV_MIME]) == (EXPECTED_TEXT.encode(), EXPECTED_TSV.encode())
    QGuiApplication.clipboard().clear()
    w.editor.enc_view.setFocus()
    qtbot.keyClick(w.editor.enc_view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == EXPECTED_TEXT


def test_ctrl_shift_c_puts_the_tab_separated_lines_in_plain_text(qtbot, worked_example) -> None:
    w = worked_example
    qtbot.keyClick(w, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert clipboard_formats() == {"text/plain": EXPECTED_TSV.encode(), TSV_MIME: EXPECTED_TSV.encode()}


def test_nothing_to_bill_copies_nothing(qtbot, main_window) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_modality("fluoroscopy")
    w.add_procedure("62311")  # deleted in 2017: no claim line, no note (the error says why)
    QGuiApplication.clipboard().setText("previous")
    assert not w.answer.copy_button.isEnabled()
    w.copy_lines()
    assert QGuiApplication.clipboard().text() == "previous"
    assert w.statusBar().currentMessage().startswith("Nothing to copy")


def _pdf_page_count(data: bytes) -> int:
    """Pages in a PDF written by Qt: the /Count of the page tree (uncompressed objects)."""
    counts = [int(m) for m in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data, re.S)]
    counts += [int(m) for m in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data, re.S)]
    assert counts, "no page tree found"
    return max(counts)


def _pdf_streams_text(data: bytes) -> bytes:
    out = b""
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out += zlib.decompress(raw)
        except zlib.error:
            out += raw
    return out


def test_save_as_pdf_writes_a_one_page_pdf(worked_example, tmp_path) -> None:
    w = worked_example
    path = w.save_pdf(tmp_path / "summary.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) > 10_000
    assert data.rstrip().endswith(b"%%EOF")
    assert _pdf_page_count(data) == 1
    assert b"GuideCode" in data  # document title / creator in the info dictionary
    assert len(_pdf_streams_text(data)) > len(data) // 2  # real page content, not an empty page


def test_a_long_encounter_still_fits_one_page(main_window, tmp_path) -> None:
    w = main_window
    w.set_date(DOS)
    w.set_payer("medicare")
    for code in ["64405", "62281", "62282", "62323", "62322", "27096", "20610", "64450", "62311", "76000"]:
        w.add_procedure(code)
    w.set_region("cervical", True, row=1)
    w.set_region("thoracic", True, row=1)
    w.set_region("lumbar", True, row=2)
    w.set_region("sacral", True, row=2)
    data = w.save_pdf(tmp_path / "long.pdf").read_bytes()
    assert _pdf_page_count(data) == 1


def test_ctrl_p_prints_through_the_print_dialog(qtbot, worked_example, tmp_path, monkeypatch) -> None:
    """Ctrl+P opens the print dialog; accepting it prints. The dialog is answered by code (a test cannot
    click a modal dialog), pointing the dialog's printer at a PDF file as "Print to file" would."""
    w = worked_example
    out = tmp_path / "printed.pdf"
    seen = {}

    def accept(dialog: QPrintDialog) -> int:
        printer = dialog.printer()
        seen["title"] = dialog.windowTitle()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        return QPrintDialog.DialogCode.Accepted.value

    monkeypatch.setattr(QPrintDialog, "exec", accept)
    qtbot.keyClick(w, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert seen["title"] == "Print the GuideCode summary"
    assert out.read_bytes().startswith(b"%PDF-")
    assert _pdf_page_count(out.read_bytes()) == 1


def test_summary_has_encounter_lines_reasons_sources_versions_and_disclaimer(worked_example) -> None:
    w = worked_example
    enc, res = w.encounter(), w.resolution()
    text = summary_html(w.catalog, enc, res, app_version=__version__, printed_on=DOS)
    for needle in ["77002-26-XS \u00d71", "77003-26-XS \u00d71", "62281", "62282", "64405", "ASC (POS 24)",
                   "Medicare", "03/16/2026", "<b>77003 26 XS 1</b>", f"Data {w.catalog.version_label}",
                   f"CPT code set {w.catalog.code_set_year}",
                   __version__, DISCLAIMER.replace("'", "&#x27;")]:
        assert needle in text, needle
    for line in res.guidance_lines:
        assert localize_dates(line.reason, US_STYLE).replace("'", "&#x27;") in text  # dates as the field shows
        for sid in line.sources:
            title = w.catalog.sources[sid].title
            assert sid in text and title[:30].replace('"', "&quot;") in text
    assert DISCLAIMER == ("Not coding advice. CPT is a registered trademark of the American Medical Association. "
                          "Descriptions are GuideCode's own words.")
