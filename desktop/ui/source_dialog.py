"""The source panel: what a source id in the answer stands for.

Clicking a source id (``S5``) opens it: the id, the title (where the document is), its kind and
reliability, its web address — selectable, and openable in the coder's own browser with *Open in browser*
or a click on it (the coder's action; GuideCode itself never goes on the network) — and the rule text that
cites it. Imported when a source is first clicked, not at start-up.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import APP_NAME
from desktop.core.model import Catalog, Source

_OPENABLE = ("http://", "https://")


def _selectable(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    return label


class SourceDialog(QDialog):
    """One source's details; reused for the next source clicked (non-modal: the answer stays usable)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceDialog")
        self.setWindowTitle(f"{APP_NAME}: source")
        self.source: Source | None = None
        self.source_id = ""
        self.heading = _selectable("sourceHeading")
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() + 2)
        self.heading.setFont(font)
        self.title_label = _selectable("sourceTitle")
        self.kind_label = _selectable("sourceKind")
        self.reliability_label = _selectable("sourceReliability")
        self.address = QLabel()
        self.address.setObjectName("sourceAddress")
        self.address.setWordWrap(True)
        self.address.setTextFormat(Qt.TextFormat.RichText)
        self.address.setOpenExternalLinks(False)  # opened by open_address, and only http(s)
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction
                                             | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.address.linkActivated.connect(self._on_link)
        self.cited = QPlainTextEdit()
        self.cited.setObjectName("sourceCitedBy")
        self.cited.setAccessibleName("The rule text that cites this source")
        self.cited.setReadOnly(True)
        self.cited.setMaximumHeight(160)
        form = QFormLayout()
        form.addRow("Title:", self.title_label)
        form.addRow("Kind:", self.kind_label)
        form.addRow("Reliability:", self.reliability_label)
        form.addRow("Address:", self.address)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = QPushButton("&Open in browser")
        self.open_button.setObjectName("openSourceButton")
        self.open_button.setToolTip("Open the address in your web browser (GuideCode itself stays offline)")
        self.copy_button = QPushButton("Copy &address")
        self.copy_button.setObjectName("copySourceAddressButton")
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.open_button.clicked.connect(self.open_address)
        self.copy_button.clicked.connect(self.copy_address)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addWidget(QLabel("Cited by:"))
        layout.addWidget(self.cited)
        layout.addWidget(buttons)
        self.resize(620, 380)

    def show_source(self, catalog: Catalog, source_id: str, cited_by: str) -> None:
        """Fill the panel with ``source_id`` of ``catalog`` and show it."""
        import html  # when a source is first shown, not at start-up

        self.source_id = source_id
        self.source = src = catalog.sources.get(source_id)
        self.heading.setText(source_id)
        if src is None:
            self.title_label.setText("This id is not in GuideCode's source list (a data pack may cite a source "
                                     "it does not define).")
            self.kind_label.setText("")
            self.reliability_label.setText("")
        else:
            self.title_label.setText(src.title)
            self.kind_label.setText(src.kind)
            self.reliability_label.setText(src.reliability)
        url = src.url if src is not None else ""
        if url:
            self.address.setText(f"<a href=\"{html.escape(url, quote=True)}\">{html.escape(url)}</a>")
            self.address.setToolTip(url)
        else:
            self.address.setText("<i>No web address is recorded for this source; the title says where it is."
                                 "</i>")
            self.address.setToolTip("")
        self.open_button.setEnabled(url.startswith(_OPENABLE))
        self.copy_button.setEnabled(bool(url))
        self.cited.setPlainText(cited_by)
        self.setWindowTitle(f"{APP_NAME}: source {source_id}")
        self.show()

    @property
    def url(self) -> str:
        return self.source.url if self.source is not None else ""

    @Slot(str)
    def _on_link(self, _link: str) -> None:
        self.open_address()

    @Slot()
    def open_address(self) -> bool:
        """Open the address in the coder's browser (http and https only). Returns whether it was handed on."""
        if not self.url.startswith(_OPENABLE):
            return False
        return QDesktopServices.openUrl(QUrl(self.url))

    @Slot()
    def copy_address(self) -> None:
        if self.url:
            QGuiApplication.clipboard().setText(self.url)
