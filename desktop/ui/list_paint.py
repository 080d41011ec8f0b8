"""The procedure list's painter: plain rows from a cache of laid-out text, checked against the style.

Measured (bench/bench_search.py; docs/window.md, "Search"): repainting the list after a keystroke was most
of the key's time, and most of that was the style laying out each row's text three or four times over
(QCommonStyle's item drawing builds a QTextLayout for each sub-element rectangle it asks for, one more to
elide and one to draw), 50-80 µs a row on the reference machine. A plain row (not selected, hovered or
focused) is the style's item panel and its text in the palette's text colour, elided at the style's text
margin and centred vertically; :class:`ProcedureDelegate` draws exactly that, keeping each elided row text
as a :class:`QStaticText` (laid out once) per text and width, so a row already seen on an earlier
keystroke costs a blit and a new one a single layout.

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
    QStaticText,
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


class _Row:
    """A row text as drawn at one width: elided once; drawn with drawText the first time it is seen and
    from a QStaticText (laid out once, then a blit) from the second time on."""

    __slots__ = ("shown", "static", "x", "y", "font", "font_ascent", "colour")

    def __init__(self, shown: str, x: float, y: float, font: QFont, ascent: float, colour: QColor | None) -> None:
        self.shown = shown
        self.static: QStaticText | None = None
        self.x = x  # the text's left edge and baseline (drawText) / top (QStaticText), from the item's corner
        self.y = y
        self.font = font
        self.font_ascent = ascent
        self.colour = colour  # None: the palette's text colour


class ProcedureDelegate(ElidingDelegate):
    """Paints the rows of ``view`` (showing ``model``); see the module's docstring. ``fast`` says whether
    plain rows are drawn from the cache (True once :meth:`begin_paint` found the same pixels as the style)."""

    CACHE_LIMIT = 4000  # row texts kept; cleared when full

    def __init__(self, view: QListView, model: ProcedureListModel) -> None:
        super().__init__(view)
        self._view = view
        self._model = model
        self._style: QStyle = view.style()
        self._rows: dict[tuple[str, bool, int, int], _Row] = {}
        self._pens: dict[int, QColor] = {}
        self._setup: tuple[object, ...] | None = None
        self._samples: QStandardItemModel | None = None
        self._hints: dict[tuple[object, ...], QSize] = {}
        self.fast = False

    def sizeHint(self, option: QStyleOptionViewItem, index: _ModelIndex) -> QSize:  # noqa: N802 - Qt override
        # Asked for the first row after every model reset (uniform item sizes), and the style lays out the
        # whole text to answer: the height of one unwrapped line depends on the font and style, not on
        # which text it is, so it is kept per font, style, validity (italic or not) and view options.
        if index.model() is not self._model or self._view.wordWrap():
            return super().sizeHint(option, index)
        text, valid = self._model.paint_row(index.row())
        if "\n" in text:
            return super().sizeHint(option, index)
        key = (option.font.key(), self._view.style(), valid, option.decorationSize.height(),
               self._view.iconSize().height(), self._view.devicePixelRatioF())
        hint = self._hints.get(key)
        if hint is None:
            hint = self._hints[key] = super().sizeHint(option, index)
        return QSize(hint)

    def begin_paint(self, option: QStyleOptionViewItem) -> None:
        """Called by the view as each of its paints begins, with its item option: re-checks the fast path
        against the style when anything it depends on changed (a tuple comparison otherwise)."""
        view = self._view
        style = view.style()
        viewport = view.viewport()
        setup = (option.font.key(), style, style.objectName(), option.palette.cacheKey(),
                 viewport.devicePixelRatioF(), view.textElideMode(), view.wordWrap(),
                 view.alternatingRowColors(), option.direction, view.isEnabled(), view.model())
        if setup == self._setup:
            return
        self._setup = setup
        self._style = style
        self._rows.clear()
        self.fast = (option.direction == Qt.LayoutDirection.LeftToRight and not view.wordWrap()
                     and not view.alternatingRowColors() and view.textElideMode() == Qt.TextElideMode.ElideRight
                     and view.model() is self._model and self.paints_as_style(option))
        log.info("procedure list: plain rows painted %s (style %s, pixel ratio %s)",
                 "from the cache" if self.fast else "by the style", style.name(), setup[4])

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _ModelIndex) -> None:
        state = option.state.value
        if not self.fast or state & _STYLED_INT:
            super().paint(painter, option, index)
            return
        text, valid = self._model.paint_row(index.row())
        self._paint_plain(painter, option.rect, state, text, valid, option)

    def _paint_plain(self, painter: QPainter, rect: QRect, state: int, text: str, valid: bool,
                     option: QStyleOptionViewItem) -> None:
        key = (text, valid, rect.width(), rect.height())
        row = self._rows.get(key)
        painter.save()
        if row is None:
            row = self._prepare(key, option)
            painter.setFont(row.font)
            painter.setPen(self._pens[state & _GROUP_MASK] if row.colour is None else row.colour)
            painter.drawText(QPointF(rect.left() + row.x, rect.top() + row.y), row.shown)
        else:
            painter.setFont(row.font)
            painter.setPen(self._pens[state & _GROUP_MASK] if row.colour is None else row.colour)
            static = row.static
            if static is None:
                static = row.static = QStaticText(row.shown)
                static.setTextFormat(Qt.TextFormat.PlainText)
            painter.drawStaticText(QPointF(rect.left() + row.x, rect.top() + row.y - row.font_ascent), static)
        painter.restore()

    def _prepare(self, key: tuple[str, bool, int, int], option: QStyleOptionViewItem) -> _Row:
        text, valid, width, height = key
        font = QFont(option.font)  # a copy: the option's font dies with the option
        colour: QColor | None = None
        if not valid:  # ProcedureListModel.data's FontRole and ForegroundRole for such a row
            font.setItalic(True)
            colour = not_valid_brush().color()
        metrics = QFontMetricsF(font)
        # QCommonStyle's item text (viewItemDrawText): inside a margin of PM_FocusFrameHMargin + 1, the
        # line centred vertically, elided to the room left (elidedText returns a text that fits as it is).
        margin = self._style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self._view) + 1
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width - 2 * margin)
        ascent = metrics.ascent()
        row = _Row(shown, margin, (height - (ascent + metrics.descent())) / 2 + ascent, font, ascent, colour)
        if len(self._rows) >= self.CACHE_LIMIT:
            self._rows.clear()
        self._rows[key] = row
        return row

    def paints_as_style(self, option: QStyleOptionViewItem) -> bool:
        """Paint :data:`SAMPLE_ROWS` with the style, and three times with the cached path (first seen, then
        from the cache), in an active and an inactive window, at the view's width and pixel ratio: the same
        pixels every time?"""
        palette = option.palette
        text_role = QPalette.ColorRole.Text
        # The text colour QCommonStyle gives an item that is not selected, by its enabled/active state.
        self._pens = {(_ENABLED | _ACTIVE).value: palette.color(QPalette.ColorGroup.Normal, text_role),
                      _ENABLED.value: palette.color(QPalette.ColorGroup.Inactive, text_role),
                      _ACTIVE.value: palette.color(QPalette.ColorGroup.Disabled, text_role),
                      0: palette.color(QPalette.ColorGroup.Disabled, text_role)}
        samples = self._sample_model()
        viewport = self._view.viewport()
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
                    for _ in range(3):
                        cached = image()
                        painter = QPainter(cached)
                        self._paint_plain(painter, opt.rect, opt.state.value, text, valid, opt)
                        painter.end()
                        if cached != styled:
                            return False
            return True
        finally:
            self._rows.clear()

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
