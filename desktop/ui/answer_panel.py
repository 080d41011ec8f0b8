"""The answer pane: what to bill, rebuilt whenever the resolution changes.

From the top: a banner naming how many errors and warnings the answer has and the first of them (outside
the scrolling area, so it is always in view); then, scrolling, the errors and warnings, the claim lines
Copy gives, a card per guidance line, a card per procedure, and the notes; under it Copy and Print.

Rendered from :mod:`desktop.ui.present`, so the panel, the clipboard and the printed summary always agree.
Colours come from the palette (light or dark theme) except the badge and banner accents, chosen to read on
both.

Signals:
    replace_requested(int, str): the Replace button of a redirect or deleted-code card (row, new code).
    source_requested(str, str): a source id was clicked (the id, the rule text that cites it).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.dates import US_STYLE, DateStyle, localize_dates
from desktop.core.model import Catalog, Encounter, Message, Resolution
from desktop.ui.present import (
    BADGE_HELP,
    BADGE_TEXT,
    SEVERITY_LABELS,
    AnswerItem,
    Badge,
    CopyForm,
    answer_items,
    banner_text,
    claim_lines,
    data_label,
    ncci_banner_text,
    ncci_warning,
    problems,
    source_title,
)
from desktop.ui.widgets import ElidedLabel, FlowLayout

BADGE_COLOURS: dict[Badge, str] = {"high": "#2E7D32", "medium": "#8A5A00", "low": "#B3261E", "unsourced": "#5F6368"}
BANNER_COLOURS = {"error": "#D93025", "warning": "#B06000"}


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
    """HIGH / MEDIUM / LOW / NO SOURCE on an accent colour that reads in light and dark themes."""

    def __init__(self, badge: Badge, parent: QWidget | None = None) -> None:
        super().__init__(BADGE_TEXT[badge], parent)
        self.setObjectName("confidenceBadge")
        self.badge = badge
        colour = BADGE_COLOURS[badge]
        self.setStyleSheet(f"QLabel#confidenceBadge {{ background-color: {colour}; color: #FFFFFF; "
                           "border-radius: 3px; padding: 1px 6px; font-weight: bold; }")
        self.setToolTip(BADGE_HELP[badge] + "\n(Help \u2192 What the confidence badges mean)")
        self.setAccessibleName(f"Confidence: {BADGE_TEXT[badge].lower()}")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)


class SourceChips(QWidget):
    """"Sources: S10 S5 S2": each id a link-like button (keyboard too) whose tooltip is the source's title;
    a click opens the source panel. ``cited_by`` is the rule text that cites them."""

    clicked = Signal(str, str)

    def __init__(self, catalog: Catalog, sources: tuple[str, ...], cited_by: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceChips")
        self.cited_by = cited_by
        layout = FlowLayout(self)  # many sources wrap onto a second row instead of widening the answer
        head = _label("Sources:" if sources else "No source cited", role=QPalette.ColorRole.PlaceholderText)
        layout.addWidget(head)
        self.chips: list[QToolButton] = []
        for sid in sources:
            chip = QToolButton()
            chip.setObjectName("sourceChip")
            chip.setText(sid)
            chip.setAutoRaise(True)
            title = source_title(catalog, sid)
            chip.setToolTip(f"{title}\n\nClick for the source's details and address.")
            chip.setAccessibleName(f"Source {sid}")
            chip.setAccessibleDescription(title)
            chip.setCursor(Qt.CursorShape.PointingHandCursor)
            font = chip.font()
            font.setUnderline(True)
            chip.setFont(font)
            chip.setForegroundRole(QPalette.ColorRole.Link)
            palette = chip.palette()
            palette.setColor(QPalette.ColorRole.ButtonText, palette.color(QPalette.ColorRole.Link))
            chip.setPalette(palette)
            chip.clicked.connect(lambda _=False, s=sid: self.clicked.emit(s, self.cited_by))
            layout.addWidget(chip)
            self.chips.append(chip)

    def chip(self, source_id: str) -> QToolButton:
        return next(c for c in self.chips if c.text() == source_id)


class AnswerCard(QFrame):
    """One guidance line (or one procedure's verdict): headline, badge, context, reason, sources, and a
    Replace button where the answer is "report another code"."""

    def __init__(self, catalog: Catalog, item: AnswerItem, when: date, parent: QWidget | None = None) -> None:
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
        badge = item.badge
        self.badge: ConfidenceBadge | None = None  # an error card has none
        if badge is not None:
            self.badge = ConfidenceBadge(badge)
            top.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        box.addLayout(top)
        self.context = _label(item.context, name="cardContext", wrap=True, role=QPalette.ColorRole.PlaceholderText)
        self.context.setToolTip(item.context)
        box.addWidget(self.context)
        self.reason = _label(item.reason, name="cardReason", wrap=True)
        box.addWidget(self.reason)
        self.ncci: QLabel | None = None  # the NCCI line: edits with the claim's other codes, MUE, tables
        if item.ncci is not None:
            self.ncci = _label(item.ncci.text, name="cardNcci", wrap=True, role=QPalette.ColorRole.PlaceholderText,
                               point_delta=-1)
            self.ncci.setToolTip(item.ncci.detail)
            self.ncci.setAccessibleDescription(item.ncci.detail)
            box.addWidget(self.ncci)
        self.sources = SourceChips(catalog, item.sources, f"{item.headline}\n{item.context}\n\n{item.reason}")
        self.replace_button: QPushButton | None = None
        target = catalog.get(item.replace_with) if item.replace_with else None
        if target is not None and item.replace_with:
            row = QHBoxLayout()
            row.addWidget(self.sources, 1)
            code = item.code
            self.replace_button = QPushButton(f"Replace {code} with {item.replace_with}")
            self.replace_button.setObjectName("replaceButton")
            self.replace_button.setAccessibleName(f"Replace {code} with {item.replace_with} in the encounter")
            self.replace_button.setToolTip(f"Put {item.replace_with} ({target.name_on(when)}) in place of {code} "
                                           "in the encounter, keeping units, side and regions; Ctrl+Z undoes it.")
            row.addWidget(self.replace_button, 0, Qt.AlignmentFlag.AlignRight)
            box.addLayout(row)
        else:
            box.addWidget(self.sources)
        what = "Guidance line" if item.kind == "line" else "Procedure"
        basis = f" Confidence {BADGE_TEXT[badge].lower()}." if badge is not None else ""
        self.setAccessibleName(f"{what}: {item.headline}")
        ncci = f" {item.ncci.text}." if item.ncci is not None else ""
        self.setAccessibleDescription(f"{item.context}. {item.reason}{basis}{ncci}")


class MessageRow(QFrame):
    """A warning, error or note from the engine, with its icon and sources; never collapsed."""

    def __init__(self, catalog: Catalog, message: Message, style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = message
        self.setObjectName(f"message_{message.severity}")
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 4, 4, 4)
        self.icon = _severity_icon(self, message.severity)
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        col = QVBoxLayout()
        col.setSpacing(2)
        text = f"{SEVERITY_LABELS[message.severity]}: {localize_dates(message.text, style)}"
        self.text = _label(text, name="messageText", wrap=True, bold=message.severity == "error")
        col.addWidget(self.text)
        self.sources: SourceChips | None = None
        if message.sources:
            self.sources = SourceChips(catalog, message.sources, text)
            col.addWidget(self.sources)
        row.addLayout(col, 1)
        self.setAccessibleName(text)


def _severity_icon(widget: QWidget, severity: str) -> QLabel:
    icon = QLabel()
    icon.setObjectName("messageIcon")
    # QStyle is looked up here, not at import: making its Python type costs ~4 ms, and the empty window shown
    # at start-up has no message to draw.
    from PySide6.QtWidgets import QStyle

    standard = {"error": QStyle.StandardPixmap.SP_MessageBoxCritical,
                "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
                "info": QStyle.StandardPixmap.SP_MessageBoxInformation}[severity]
    size = widget.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
    qicon = widget.style().standardIcon(standard)
    icon.setPixmap(qicon.pixmap(QSize(size, size), widget.devicePixelRatioF()))
    icon.setAccessibleName(SEVERITY_LABELS[severity])
    return icon


class ProblemBanner(QFrame):
    """"Check before billing — 1 error, 2 warnings. <the first problem>", always in view above the answer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemBanner")
        self.severity = ""
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(8, 6, 8, 6)
        self.icon: QLabel | None = None
        column = QVBoxLayout()
        column.setSpacing(2)
        self.text = _label("", name="bannerText", wrap=True, bold=True)
        column.addWidget(self.text)
        # The compact entry for the NCCI quarter warning, under the first problem (its full text is at the
        # foot of the answer): shown on every date outside the built-in tables' quarter.
        self.ncci_text = _label("", name="bannerNcci", wrap=True)
        self.ncci_text.hide()
        column.addWidget(self.ncci_text)
        self._row.addLayout(column, 1)
        self.hide()

    def show_problems(self, text: str | None, severity: str, ncci: str | None = None) -> None:
        self.ncci_text.setText(ncci or "")
        self.ncci_text.setVisible(bool(ncci))
        if text is None:
            self.hide()
            self.text.setText("")
            return
        if severity != self.severity:
            if self.icon is not None:
                self.icon.deleteLater()
            self.icon = _severity_icon(self, severity)
            self._row.insertWidget(0, self.icon, 0, Qt.AlignmentFlag.AlignTop)
            colour = BANNER_COLOURS.get(severity, BANNER_COLOURS["warning"])
            self.setStyleSheet(f"QFrame#problemBanner {{ border: 2px solid {colour}; border-radius: 4px; }}")
            self.severity = severity
        self.text.setText(text)
        self.text.setAccessibleName(text)
        self.setAccessibleName(f"{text} {ncci}" if ncci else text)
        self.show()


class AnswerPanel(QWidget):
    """The right-hand pane (see the module docstring)."""

    replace_requested = Signal(int, str)
    source_requested = Signal(str, str)

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("answerPane")
        self.catalog = catalog
        self.date_style: DateStyle = US_STYLE
        self.copy_form: CopyForm = "claim"
        self._shown: tuple[Encounter, Resolution, DateStyle, CopyForm] | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 8, 8, 8)
        head = QHBoxLayout()
        self.title = _label("Imaging guidance to bill", name="answerTitle", bold=True, point_delta=2)
        head.addWidget(self.title, 0)
        self.data_version = ElidedLabel(data_label(catalog), help_text=(
            "Version of GuideCode's rule data and the CPT code-set year it was checked against (Help \u2192 "
            "About lists the sources)."))
        self.data_version.setObjectName("dataVersion")
        self.data_version.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.data_version.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.data_version, 1)
        outer.addLayout(head)
        self.banner = ProblemBanner()
        outer.addWidget(self.banner)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("answerScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setAccessibleName("Answer")
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(self.scroll_area, 1)
        row = QHBoxLayout()
        self.copy_button = QPushButton("&Copy lines")
        self.copy_button.setObjectName("copyButton")
        self.copy_button.setAccessibleName("Copy the claim lines")
        self.copy_button.setToolTip("Copy the claim lines (procedures and guidance) and the notes, as plain "
                                    "ASCII text, tab-separated and HTML (Ctrl+C)")
        self.print_button = QPushButton("P&rint or PDF\u2026")
        self.print_button.setObjectName("printButton")
        self.print_button.setAccessibleName("Print a one-page summary")
        self.print_button.setToolTip("Print the one-page summary, or save it as PDF (Ctrl+P)")
        row.addStretch(1)
        row.addWidget(self.copy_button)
        row.addWidget(self.print_button)
        outer.addLayout(row)
        self._buttons_row = row
        self.cards: list[AnswerCard] = []
        self.messages: list[MessageRow] = []
        self.claim_label: QLabel | None = None
        self.empty_label: QLabel | None = None
        self._build(None, None)

    def set_catalog(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.data_version.setText(data_label(catalog))
        self._shown = None

    def add_below_answer(self, widget: QWidget) -> None:
        """Put ``widget`` between the answer and the buttons (the licensed descriptors of the encounter)."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.indexOf(self.scroll_area) + 1, widget)

    def show_answer(self, encounter: Encounter, resolution: Resolution) -> bool:
        """Show ``resolution``; returns False (and does nothing) if it is what is already shown."""
        key = (encounter, resolution, self.date_style, self.copy_form)
        if key == self._shown:
            return False
        self._shown = key
        errors, _ = problems(resolution)
        compact = self._ncci_message(encounter, resolution)
        compact_text = ncci_banner_text(self.catalog, encounter.date_of_service, self.date_style) or ""
        main = banner_text(resolution, self.date_style, compact=compact, compact_text=compact_text)
        extra = compact_text if compact is not None and main is not None and not main.endswith(compact_text) else None
        self.banner.show_problems(main, "error" if errors else "warning", extra)
        if not encounter.procedures and not resolution.messages:
            self._build(None, None)
        else:
            self._build(encounter, resolution, compact)
        return True

    def _ncci_message(self, encounter: Encounter, resolution: Resolution) -> Message | None:
        """The engine's NCCI warning in ``resolution`` (outside the tables' quarter, or no table), if any."""
        text = ncci_warning(self.catalog, encounter.date_of_service)
        if text is None:
            return None
        return next((m for m in resolution.messages if m.severity == "warning" and m.code is None
                     and m.text == text), None)

    def _section(self, layout: QVBoxLayout, text: str, name: str) -> None:
        label = _label(text, name=name, bold=True)
        label.setContentsMargins(0, 8, 0, 2)
        layout.addWidget(label)

    def _card(self, layout: QVBoxLayout, item: AnswerItem, when: date) -> None:
        card = AnswerCard(self.catalog, item, when)
        card.sources.clicked.connect(self.source_requested)
        if card.replace_button is not None and item.replace_with:
            card.replace_button.clicked.connect(
                lambda _=False, i=item.index, c=item.replace_with: self.replace_requested.emit(i, c))
        layout.addWidget(card)
        self.cards.append(card)

    def _message(self, layout: QVBoxLayout, message: Message) -> None:
        row = MessageRow(self.catalog, message, self.date_style)
        if row.sources is not None:
            row.sources.clicked.connect(self.source_requested)
        layout.addWidget(row)
        self.messages.append(row)

    def _build(self, encounter: Encounter | None, resolution: Resolution | None,
               ncci_message: Message | None = None) -> None:
        content = QWidget()
        content.setObjectName("answerContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(2, 2, 8, 2)
        layout.setSpacing(6)
        self.cards, self.messages, self.claim_label, self.empty_label = [], [], None, None
        if encounter is None or resolution is None:
            self.empty_label = _label("Add a procedure: type a code, a name or a lay term in the search box "
                                      "and press Enter.", name="emptyAnswer", wrap=True,
                                      role=QPalette.ColorRole.PlaceholderText)
            layout.addWidget(self.empty_label)
        else:
            items = answer_items(self.catalog, encounter, resolution, self.date_style)
            lines = [i for i in items if i.kind == "line"]
            procs = [i for i in items if i.kind == "procedure"]
            errors, warnings = problems(resolution)
            warnings = [m for m in warnings if m != ncci_message]  # at the foot, compact in the banner
            notes = [m for m in resolution.messages if m.severity == "info"]
            if errors or warnings:
                self._section(layout, "Errors and warnings" if errors else "Warnings", "problemsHeading")
                for msg in (*errors, *warnings):
                    self._message(layout, msg)
            claims = claim_lines(resolution)
            if claims:
                self._section(layout, "Claim lines (what Copy gives)", "claimsHeading")
                text = "\n".join(c.text(self.copy_form) for c in claims)
                self.claim_label = _label(text, name="claimLines", fixed=True)
                self.claim_label.setToolTip("The claim lines Copy (Ctrl+C) gives: the procedures as entered and "
                                            "the guidance lines. Edit \u2192 Copy format picks the form.")
                self.claim_label.setAccessibleName("Claim lines: " + text.replace("\n", "; "))
                layout.addWidget(self.claim_label)
            self._section(layout, "Bill these lines" if lines else "No imaging-guidance line to bill",
                          "linesHeading")
            for item in lines:
                self._card(layout, item, encounter.date_of_service)
            if procs:
                self._section(layout, "Per procedure", "proceduresHeading")
                for item in procs:
                    self._card(layout, item, encounter.date_of_service)
            if notes:
                self._section(layout, f"Notes ({len(notes)})", "notesHeading")
                for msg in notes:
                    self._message(layout, msg)
            if ncci_message is not None:
                self._section(layout, "NCCI tables", "ncciHeading")
                self._message(layout, ncci_message)
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
        if self.banner.isVisibleTo(self):
            texts.append(self.banner.text.text())
            if self.banner.ncci_text.isVisibleTo(self.banner):
                texts.append(self.banner.ncci_text.text())
        texts += [label.text() for label in content.findChildren(QLabel) if label.text()]
        return "\n".join(texts)

    def first_widget_texts(self) -> list[str]:
        """The texts of the answer's top, in order: the banner, then the first labels of the scroll area."""
        out = [self.banner.text.text()] if self.banner.isVisibleTo(self) else []
        content = self.scroll_area.widget()
        if content is not None:
            out += [label.text() for label in content.findChildren(QLabel) if label.text()][:6]
        return out
