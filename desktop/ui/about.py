"""Help → About: app and data versions, code-set year, every source the data cites, the disclaimer."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from desktop import __version__
from desktop.core.model import Catalog
from desktop.ui.present import DISCLAIMER


def about_html(catalog: Catalog) -> str:
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
        + f"<p><i>{e(DISCLAIMER)}</i></p>"
        f"<h3>Sources ({len(catalog.sources)})</h3>"
        f"<table cellspacing='2' cellpadding='2'>{rows}</table>"
    )


class AboutDialog(QDialog):
    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About GuideCode")
        self.setObjectName("aboutDialog")
        self.resize(720, 560)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setObjectName("aboutText")
        self.browser.setAccessibleName("About GuideCode")
        self.browser.setOpenLinks(False)  # offline: nothing to open
        self.browser.setHtml(about_html(catalog))
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
