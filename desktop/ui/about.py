"""Help → About: app and data versions, code-set year, the NCCI tables, every source the data cites, the
disclaimer, and what GuideCode keeps in the user data folder (codes, dates and settings only, never patient
data)."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from desktop import __version__
from desktop.core.model import Catalog
from desktop.core.ncci.model import NcciVersion
from desktop.ui.present import DISCLAIMER, ncci_choice, ncci_versions_text

SAVED_WORK_NOTE = (
    "GuideCode keeps your work in the user data folder only: the encounter you are working on (saved as you "
    "edit, so it survives a restart or a crash), the recent encounters, your favourite codes and the encounter "
    "files you save. These files hold codes, dates of service and settings only \u2014 never a patient's name, "
    "record number or any other patient data: there is no field for it. Nothing is sent anywhere.")


def _scope(version: NcciVersion) -> str:
    if version.scope_codes is None:
        return "CMS's whole table"
    text = f"the rows of {len(version.scope_codes)} codes"
    if version.scope_paired_with is not None:
        text += f" paired with one of {len(version.scope_paired_with)} imaging codes"
    return text


def ncci_html(catalog: Catalog, when: date | None = None) -> str:
    """The NCCI section: which tables answer for ``when`` (the date of service), and every table the data has
    (version, quarter, built-in or imported, rows, scope, source)."""
    e = html.escape
    versions = catalog.ncci.versions
    if not versions:
        return ("<h3>NCCI tables</h3><p>None: pair edits and MUEs are not checked. File \u2192 Import NCCI "
                "edits\u2026 reads CMS's release files.</p>")
    out = ["<h3>NCCI tables</h3>"]
    choice = ncci_choice(catalog, when) if when is not None else None
    if choice is not None and when is not None:
        out.append(f"<p><b>NCCI version answering for {when.isoformat()}:</b> "
                   f"{e(ncci_versions_text(choice.tables))}<br/>{e(choice.tables.label)}")
        if choice.warning:
            out.append(f"<br/>\u26a0 {e(choice.warning)}")
        out.append("</p>")
    rows = "".join(
        f"<li>{e(v.label)} \u2014 {'built-in' if v.origin == 'built-in' else 'imported: ' + e(v.origin)}; "
        f"{v.rows:,} rows ({e(_scope(v))}); source {e(v.source)}</li>" for v in versions)
    out.append(f"<ul>{rows}</ul><p><small>File \u2192 Import NCCI edits\u2026 imports CMS's quarterly release "
               "files as a data pack.</small></p>")
    return "".join(out)


def about_html(catalog: Catalog, saved_in: Path | None = None, when: date | None = None) -> str:
    e = html.escape
    pack_note = " \u2014 data pack"
    packs = "".join(f"<li>{e(p.name)} {e(p.version)} (code set {p.code_set_year})"
                    f"{'' if p.builtin else pack_note}</li>" for p in catalog.packs)
    rows = "".join(
        f"<tr><td valign='top'><b>{e(s.id)}</b></td><td>{e(s.title)}<br/>"
        f"<small>{e(s.kind)} \u00b7 reliability {e(s.reliability)}</small></td></tr>"
        for s in catalog.sources.values())
    return (
        f"<h2>GuideCode {e(__version__)}</h2>"
        "<p>An offline reference for the imaging-guidance codes billed with needle procedures.</p>"
        f"<p><b>Data version:</b> {e(catalog.version_label)}<br/>"
        f"<b>CPT code-set year:</b> {catalog.code_set_year}<br/>"
        f"<b>Dates covered from:</b> {catalog.covers_from.isoformat()}<br/>"
        f"<b>Codes:</b> {len(catalog.records)}</p>"
        + (f"<ul>{packs}</ul>" if packs else "")
        + ncci_html(catalog, when)
        + f"<p><i>{e(DISCLAIMER)}</i></p>"
        + f"<h3>Your saved work</h3><p>{e(SAVED_WORK_NOTE)}</p>"
        + (f"<p><b>User data folder:</b> {e(str(saved_in))}</p>" if saved_in is not None else "")
        + f"<h3>Sources ({len(catalog.sources)})</h3>"
        f"<table cellspacing='2' cellpadding='2'>{rows}</table>"
    )


class AboutDialog(QDialog):
    def __init__(self, catalog: Catalog, parent: QWidget | None = None, saved_in: Path | None = None,
                 when: date | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About GuideCode")
        self.setObjectName("aboutDialog")
        self.resize(720, 560)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setObjectName("aboutText")
        self.browser.setAccessibleName("About GuideCode")
        self.browser.setOpenLinks(False)  # offline: nothing to open
        self.browser.setHtml(about_html(catalog, saved_in, when))
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
