"""The procedure list's painter: plain rows from a cache of laid-out text, checked against the style.

Measured (bench/bench_search.py; docs/window.md, "Search"): repainting the list after a keystroke was most
of the key's time, and most of that was the style laying out each row's text three or four times over
(QCommonStyle's item drawing builds a QTextLayout for each sub-element rectangle it asks for, one more to
elide and one to draw), 50-80 µs a row on the reference machine. A plain row (not selected, hovered or
focused) is the style's item panel and its text in the palette's text colour, elided at the style's text
margin and centred vertically; :class:`ProcedureDelegate` draws exactly that with one ``drawText`` of the
elided text, which it keeps per row text and item size, so a row seen before costs one text layout instead
of four, and one model call instead of seven. (A QStaticText per row would draw a seen row a little
faster, but thousands of long-lived Python wrappers, tracked by the garbage collector, bring its full
collections, 70-95 ms with 10,000 codes, sooner; the cache holds only strings.)

It does so only where that gives the very pixels the style gives: when the list first paints, and again
whenever the font, style, palette, pixel ratio or view options change, it paints sample rows both ways
(active and inactive window) and compares the images; if one pixel differs, every row is left to the style.
Selected, hovered, focused and right-to-left rows always go to the style.

Not imported before the window's first paint (QStyle's Python type alone costs ~6-10 ms to create): the
search pane installs it from ``MainWindow.finish_startup``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPalette,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import QListView, QStyle, QStyleOptionViewItem

from desktop.ui.models import ElidingDelegate, ProcedureListModel, not_valid_brush

log = logging.getLogger(__name__)
_ModelIndex = QModelIndex | QPersistentModelIndex
#: Rows in these states are painted by the style itself (selection, hover, focus and editing look differ
#: between platforms); every other row is "plain". Plain ints: a Python enum operation costs microseconds.
_STYLED = (QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_MouseOver | QStyle.StateFlag.State_HasFocus
           | QStyle.StateFlag.State_Editing)
_STYLED_INT = _STYLED.value
_ENABLED = QStyle.StateFlag.State_Enabled
_ACTIVE = QStyle.StateFlag.State_Active
_GROUP_MASK = (_ENABLED | _ACTIVE).value
#: Rows painted both ways when the delegate checks itself against the style, as ProcedureListModel shows
#: them: a long name to elide (with descenders), a code not valid on the date (greyed, italic), a short row.
SAMPLE_ROWS: tuple[tuple[str, bool], ...] = (
    ("64405   Nerve block, greater occipital nerve, anaesthetic injected; by a qualified physician, "
     "typically judged by the amount of pain relief given by the injection, jpqgy", True),
    ("62311   [deleted 2017 \u2192 use 62322 / 62323]   Epidural or subarachnoid injection, lumbar or sacral "
     "(caudal), with imaging guidance (fluoroscopy or CT) by a physician", False),
    ("\u2605 20610   Joint injection, major joint (shoulder, hip, knee)", True),
)


class ProcedureDelegate(ElidingDelegate):
    """Paints the rows of ``view`` (showing ``model``); see the module's docstring. ``fast`` says whether
    plain rows are drawn from the cache (True once :meth:`begin_paint` found the same pixels as the style).
    The view calls :meth:`begin_paint` as each of its paints begins."""

    CACHE_LIMIT = 4000  # row texts kept; cleared when full

    def __init__(self, view: QListView, model: ProcedureListModel) -> None:
        super().__init__(view)  # the view is the parent: not kept here, so no reference cycle with it
        self._model = model
        self._style: QStyle = view.style()
        # Row text -> the text as shown (elided), per item size and validity: str and int keys only, so
        # nothing here is tracked by Python's garbage collector (thousands of long-lived tracked objects
        # would bring its full collections, 70-95 ms with 10,000 codes, into the typing).
        self._rows: dict[int, dict[str, str]] = {}
        self._baselines: dict[int, float] = {}
        self._kept = 0
        self._setup: tuple[object, ...] | None = None
        self._samples: QStandardItemModel | None = None
        self._hints: dict[tuple[object, ...], QSize] = {}
        self.fast = False
        # What every plain row is drawn with, set by _take_option for the view's option of the moment.
        self._margin = 0
        self._fonts: dict[bool, QFont] = {}
        self._metrics: dict[bool, QFontMetricsF] = {}
        self._pens: dict[int, QColor] = {}
        self._grey = QColor()

    def sizeHint(self, option: QStyleOptionViewItem, index: _ModelIndex) -> QSize:  # noqa: N802 - Qt override
        # Asked for the first row after every model reset (uniform item sizes), and the style lays out the
        # whole text to answer: the height of one unwrapped line depends on the font and style, not on
        # which text it is, so it is kept per font, style, validity (italic or not) and view options.
        view = self.parent()
        if index.model() is not self._model or not isinstance(view, QListView) or view.wordWrap():
            return super().sizeHint(option, index)
        text, valid = self._model.paint_row(index.row())
        if "\n" in text:
            return super().sizeHint(option, index)
        key = (option.font.key(), view.style(), valid, option.decorationSize.height(), view.iconSize().height(),
               view.devicePixelRatioF())
        hint = self._hints.get(key)
        if hint is None:
            hint = self._hints[key] = super().sizeHint(option, index)
        return QSize(hint)

    def begin_paint(self, view: QListView, option: QStyleOptionViewItem) -> None:
        """``view`` begins a paint, with this item option: re-check the fast path against the style when
        anything it depends on changed (a tuple comparison otherwise)."""
        style = view.style()
        viewport = view.viewport()
        setup = (option.font.key(), style, style.objectName(), option.palette.cacheKey(),
                 viewport.devicePixelRatioF(), view.textElideMode(), view.wordWrap(),
                 view.alternatingRowColors(), option.direction, view.isEnabled(), view.model())
        if setup == self._setup:
            return
        self._setup = setup
        self._style = style
        self.fast = (option.direction == Qt.LayoutDirection.LeftToRight and not view.wordWrap()
                     and not view.alternatingRowColors() and view.textElideMode() == Qt.TextElideMode.ElideRight
                     and view.model() is self._model and self.paints_as_style(view, option))
        log.info("procedure list: plain rows painted %s (style %s, pixel ratio %s)",
                 "from the cache" if self.fast else "by the style", style.name(), setup[4])

    def _take_option(self, view: QListView, option: QStyleOptionViewItem) -> None:
        self._rows.clear()
        self._kept = 0
        font = QFont(option.font)  # copies: the option's font and palette die with the option
        italic = QFont(font)
        italic.setItalic(True)  # ProcedureListModel.data's FontRole for a code not valid on the date
        self._fonts = {True: font, False: italic}
        self._metrics = {True: QFontMetricsF(font), False: QFontMetricsF(italic)}
        # QCommonStyle's item text (viewItemDrawText): inside a margin of PM_FocusFrameHMargin + 1.
        self._margin = self._style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
        palette = option.palette
        text_role = QPalette.ColorRole.Text
        # The text colour QCommonStyle gives an item that is not selected, by its enabled/active state;
        # a code not valid on the date: ProcedureListModel.data's ForegroundRole.
        self._pens = {(_ENABLED | _ACTIVE).value: palette.color(QPalette.ColorGroup.Normal, text_role),
                      _ENABLED.value: palette.color(QPalette.ColorGroup.Inactive, text_role),
                      _ACTIVE.value: palette.color(QPalette.ColorGroup.Disabled, text_role),
                      0: palette.color(QPalette.ColorGroup.Disabled, text_role)}
        self._grey = not_valid_brush().color()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _ModelIndex) -> None:
        state = option.state.value
        if not self.fast or state & _STYLED_INT:
            super().paint(painter, option, index)
            return
        text, valid = self._model.paint_row(index.row())
        self._paint_plain(painter, option.rect, state, text, valid)

    def _paint_plain(self, painter: QPainter, rect: QRect, state: int, text: str, valid: bool) -> None:
        size = (rect.width() << 16 | rect.height()) << 1 | valid
        rows = self._rows.get(size)
        if rows is None:
            rows = self._sized(size, rect.height(), valid)
        shown = rows.get(text)
        if shown is None:
            # Elided to the room inside the margins (elidedText returns a text that fits as it is).
            shown = self._metrics[valid].elidedText(text, Qt.TextElideMode.ElideRight,
                                                    rect.width() - 2 * self._margin)
            if self._kept >= self.CACHE_LIMIT:
                self._rows.clear()
                self._kept = 0
                rows = self._sized(size, rect.height(), valid)
            rows[text] = shown
            self._kept += 1
        painter.save()
        painter.setFont(self._fonts[valid])
        painter.setPen(self._pens[state & _GROUP_MASK] if valid else self._grey)
        painter.drawText(QPointF(rect.left() + self._margin, rect.top() + self._baselines[size]), shown)
        painter.restore()

    def _sized(self, size: int, height: int, valid: bool) -> dict[str, str]:
        """The rows kept for one item size and validity; their baseline: the line centred vertically."""
        metrics = self._metrics[valid]
        ascent = metrics.ascent()
        self._baselines[size] = (height - (ascent + metrics.descent())) / 2 + ascent
        rows: dict[str, str] = {}
        self._rows[size] = rows
        return rows

    def paints_as_style(self, view: QListView, option: QStyleOptionViewItem) -> bool:
        """Paint :data:`SAMPLE_ROWS` with the style, and twice with the cached path (first seen, then from
        the cache), in an active and an inactive window, at the view's width and pixel ratio: the same
        pixels every time?"""
        self._take_option(view, option)
        samples = self._sample_model()
        viewport = view.viewport()
        width = max(viewport.width(), 200)
        height = max(super().sizeHint(option, samples.index(0, 0)).height(), 1)
        ratio = viewport.devicePixelRatioF()
        base = option.palette.color(QPalette.ColorRole.Base)

        def image() -> QImage:
            out = QImage(round(width * ratio), round(height * ratio), QImage.Format.Format_ARGB32_Premultiplied)
            out.setDevicePixelRatio(ratio)
            out.fill(base)
            return out

        try:
            for active in (True, False):
                opt = QStyleOptionViewItem(option)
                opt.rect = QRect(0, 0, width, height)
                opt.state = (opt.state | _ENABLED) & ~_STYLED
                opt.state = opt.state | _ACTIVE if active else opt.state & ~_ACTIVE
                for n, (text, valid) in enumerate(SAMPLE_ROWS):
                    styled = image()
                    painter = QPainter(styled)
                    super().paint(painter, opt, samples.index(n, 0))
                    painter.end()
                    for _ in range(2):
                        cached = image()
                        painter = QPainter(cached)
                        self._paint_plain(painter, opt.rect, opt.state.value, text, valid)
                        painter.end()
                        if cached != styled:
                            return False
            return True
        finally:
            self._rows.clear()
            self._kept = 0

    def _sample_model(self) -> QStandardItemModel:
        if self._samples is None:
            self._samples = QStandardItemModel(self)
            for text, valid in SAMPLE_ROWS:
                item = QStandardItem(text)
                if not valid:
                    font = QFont()
                    font.setItalic(True)
                    item.setData(font, Qt.ItemDataRole.FontRole)
                    item.setData(not_valid_brush(), Qt.ItemDataRole.ForegroundRole)
                self._samples.appendRow(item)
        return self._samples
