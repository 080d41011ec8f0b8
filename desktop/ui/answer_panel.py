"""The live answer: guidance lines to bill, what happens to each procedure, and every message.

Rendered from :func:`desktop.ui.present.answer_items`, so the panel, the clipboard and the printed
summary always agree. Colours come from the palette (light or dark theme) except the three confidence
badge accents, chosen to read with white text on both.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.core.model import Catalog, Encounter, Message, Resolution
from desktop.ui.present import SEVERITY_LABELS, AnswerItem, answer_items, data_label, source_title

BADGE_COLOURS = {"high": "#2E7D32", "medium": "#8A5A00", "low": "#B3261E"}
BADGE_HELP = {
    "high": "High confidence: a primary source, or two reliable sources that agree.",
    "medium": "Medium confidence: one reliable secondary source (newsletter, society, MAC page).",
    "low": "Low confidence: thin, old or conflicting sources. Check with the payer.",
}


def _label(text: str, *, name: str = "", wrap: bool = False, role: QPalette.ColorRole | None = None,
           bold: bool = False, point_delta: float = 0.0, fixed: bool = False) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    if wrap:
        label.setWordWrap(True)
    if role is not None:
        label.setForegroundRole(role)
    if bold or point_delta or fixed:
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if fixed else QFont(label.font())
        if fixed:
            font.setPointSizeF(label.font().pointSizeF())
        font.setBold(bold)
        if point_delta:
            font.setPointSizeF(font.pointSizeF() + point_delta)
        label.setFont(font)
    label.setAccessibleName(text)
    return label


class ConfidenceBadge(QLabel):
    """HIGH / MEDIUM / LOW on an accent colour that reads in light and dark themes."""

    def __init__(self, confidence: str, parent: QWidget | None = None) -> None:
        super().__init__(confidence.upper(), parent)
        self.setObjectName("confidenceBadge")
        self.confidence = confidence
        colour = BADGE_COLOURS.get(confidence, "#555555")
        self.setStyleSheet(f"QLabel#confidenceBadge {{ background-color: {colour}; color: #FFFFFF; "
                           "border-radius: 3px; padding: 1px 6px; font-weight: bold; }")
        self.setToolTip(BADGE_HELP.get(confidence, ""))
        self.setAccessibleName(f"Confidence: {confidence}")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)


class SourceChips(QWidget):
    """"Sources: S10 S5 S2", each id a label whose tooltip is the source's title."""

    def __init__(self, catalog: Catalog, sources: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceChips")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        head = _label("Sources:" if sources else "No source cited", role=QPalette.ColorRole.PlaceholderText)
        layout.addWidget(head)
        self.chips: list[QLabel] = []
        for sid in sources:
            chip = _label(sid, name="sourceChip")
            title = source_title(catalog, sid)
            chip.setToolTip(title)
            chip.setAccessibleName(f"Source {sid}")
            chip.setAccessibleDescription(title)
            chip.setCursor(Qt.CursorShape.WhatsThisCursor)
            font = chip.font()
            font.setUnderline(True)
            chip.setFont(font)
            layout.addWidget(chip)
            self.chips.append(chip)
        layout.addStretch(1)


class AnswerCard(QFrame):
    """One guidance line (or one procedure's verdict): headline, context, reason, sources, badge."""

    def __init__(self, catalog: Catalog, item: AnswerItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setObjectName("lineCard" if item.kind == "line" else "procedureCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        box = QVBoxLayout(self)
        box.setContentsMargins(10, 8, 10, 8)
        box.setSpacing(3)
        top = QHBoxLayout()
        if item.kind == "line":
            self.headline = _label(item.headline, name="lineHeadline", bold=True, point_delta=4, fixed=True)
        else:
            self.headline = _label(item.headline, name="procedureHeadline", bold=True, wrap=True)
        top.addWidget(self.headline, 1)
        self.badge = ConfidenceBadge(item.confidence)
        top.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        box.addLayout(top)
        self.context = _label(item.context, name="cardContext", wrap=True, role=QPalette.ColorRole.PlaceholderText)
        box.addWidget(self.context)
        self.reason = _label(item.reason, name="cardReason", wrap=True)
        box.addWidget(self.reason)
        self.sources = SourceChips(catalog, item.sources)
        box.addWidget(self.sources)
        what = "Guidance line" if item.kind == "line" else "Procedure"
        self.setAccessibleName(f"{what}: {item.headline}")
        self.setAccessibleDescription(f"{item.context}. {item.reason} Confidence {item.confidence}.")


class MessageRow(QFrame):
    """A warning, error or note from the engine, with its icon and sources; never collapsed."""

    def __init__(self, catalog: Catalog, message: Message, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = message
        self.setObjectName(f"message_{message.severity}")
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 4, 4, 4)
        icon = QLabel()
        icon.setObjectName("messageIcon")
        # QStyle is looked up here, not at import: making its Python type costs ~4 ms, and the empty
        # window shown at start-up has no message to draw.
        from PySide6.QtWidgets import QStyle

        standard = {"error": QStyle.StandardPixmap.SP_MessageBoxCritical,
                    "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
                    "info": QStyle.StandardPixmap.SP_MessageBoxInformation}[message.severity]
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        qicon = self.style().standardIcon(standard)
        icon.setPixmap(qicon.pixmap(QSize(size, size), self.devicePixelRatioF()))
        icon.setAccessibleName(SEVERITY_LABELS[message.severity])
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        col = QVBoxLayout()
        col.setSpacing(2)
        self.text = _label(f"{SEVERITY_LABELS[message.severity]}: {message.text}", name="messageText", wrap=True,
                           bold=message.severity == "error")
        col.addWidget(self.text)
        if message.sources:
            col.addWidget(SourceChips(catalog, message.sources))
        row.addLayout(col, 1)
        self.setAccessibleName(f"{SEVERITY_LABELS[message.severity]}: {message.text}")


class AnswerPanel(QWidget):
    """The right-hand pane: what to bill, rebuilt whenever the resolution changes."""

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("answerPanel")
        self.catalog = catalog
        self._shown: tuple[Encounter, Resolution] | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.title = _label("Imaging guidance to bill", name="answerTitle", bold=True, point_delta=2)
        head.addWidget(self.title, 1)
        self.data_version = _label(data_label(catalog), name="dataVersion", role=QPalette.ColorRole.PlaceholderText)
        self.data_version.setToolTip("Version of GuideCode's rule data and the CPT code-set year it was checked "
                                     "against (Help \u2192 About lists the sources).")
        head.addWidget(self.data_version, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        outer.addLayout(head)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("answerScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setAccessibleName("Answer")
        outer.addWidget(self.scroll_area, 1)
        self.cards: list[AnswerCard] = []
        self.messages: list[MessageRow] = []
        self.empty_label: QLabel | None = None
        self._build([], ())

    def set_catalog(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.data_version.setText(data_label(catalog))
        self._shown = None

    def show_answer(self, encounter: Encounter, resolution: Resolution) -> bool:
        """Show ``resolution``; returns False (and does nothing) if it is what is already shown."""
        key = (encounter, resolution)
        if key == self._shown:
            return False
        self._shown = key
        if not encounter.procedures and not resolution.messages:
            self._build([], ())
        else:
            self._build(answer_items(self.catalog, encounter, resolution), resolution.messages)
        return True

    def _section(self, layout: QVBoxLayout, text: str, name: str) -> None:
        label = _label(text, name=name, bold=True)
        label.setContentsMargins(0, 8, 0, 2)
        layout.addWidget(label)

    def _build(self, items: list[AnswerItem], messages: tuple[Message, ...]) -> None:
        content = QWidget()
        content.setObjectName("answerContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(2, 2, 8, 2)
        layout.setSpacing(6)
        self.cards, self.messages, self.empty_label = [], [], None
        lines = [i for i in items if i.kind == "line"]
        procs = [i for i in items if i.kind == "procedure"]
        if not items and not messages:
            self.empty_label = _label("Add a procedure: type a code, a name or a lay term in the search box "
                                      "and press Enter.", name="emptyAnswer", wrap=True,
                                      role=QPalette.ColorRole.PlaceholderText)
            layout.addWidget(self.empty_label)
        else:
            self._section(layout, "Bill these lines" if lines else "No imaging-guidance line to bill",
                          "linesHeading")
            for item in lines:
                card = AnswerCard(self.catalog, item)
                layout.addWidget(card)
                self.cards.append(card)
            if procs:
                self._section(layout, "Per procedure", "proceduresHeading")
                for item in procs:
                    card = AnswerCard(self.catalog, item)
                    layout.addWidget(card)
                    self.cards.append(card)
            if messages:
                self._section(layout, f"Warnings and notes ({len(messages)})", "messagesHeading")
                for msg in messages:
                    row = MessageRow(self.catalog, msg)
                    layout.addWidget(row)
                    self.messages.append(row)
        layout.addStretch(1)
        self.scroll_area.setWidget(content)  # deletes the previous content widget

    # What is displayed (tests and the self-test read these) ----------------------------------
    def displayed_lines(self) -> list[str]:
        """The guidance lines exactly as their labels show them: ``["77003-26 ×1", ...]``."""
        return [c.headline.text() for c in self.cards if c.item.kind == "line"]

    def displayed_text(self) -> str:
        """Every text the panel shows, top to bottom, one label per line."""
        content = self.scroll_area.widget()
        if content is None:
            return ""
        texts = [self.title.text(), self.data_version.text()]
        texts += [label.text() for label in content.findChildren(QLabel) if label.text()]
        return "\n".join(texts)
