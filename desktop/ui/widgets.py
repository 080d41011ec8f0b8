"""Small widgets the panes share: a label that elides instead of widening the window, a layout that wraps
its items onto further rows (the source chips), the date-of-service field a coder can type into, combo-box and
form helpers, and the Undo pass-through for text fields."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QEvent, QObject, QRect, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from desktop.core.dates import EARLIEST, EXAMPLES, LATEST, DateProblem, DateStyle, parse_date

#: Text of a field that holds no valid value, and of the messages about it.
ERROR_COLOUR = "#D93025"


def combo(name: str, accessible: str, items: list[tuple[str, object]], min_chars: int = 10) -> QComboBox:
    """A combo box of (text, data) items that asks for ``min_chars`` characters of width, not for its
    longest item: the popup still shows every item whole, and the window can be narrow."""
    box = QComboBox()
    box.setObjectName(name)
    box.setAccessibleName(accessible)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(min_chars)
    for text, data in items:
        box.addItem(text, data)
        box.setItemData(box.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
    return box


def select_data(box: QComboBox, data: object) -> None:
    """Select the item whose data is ``data``; ValueError if there is none."""
    n = box.findData(data)
    if n < 0:
        raise ValueError(f"{box.objectName()}: no choice {data!r}")
    box.setCurrentIndex(n)


def form_row(form: QFormLayout, text: str, field: QWidget, buddy: QWidget | None = None) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy or field)
    form.addRow(label, field)
    return label


class ElidedLabel(QLabel):
    """One line of text that ends in "…" when there is no room, with the whole text in its tooltip, and
    that never asks the window to be wider than a few characters (a long data-pack label must not widen
    the window and squeeze the search list)."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *, help_text: str = "") -> None:
        super().__init__(parent)
        self._help = help_text
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - QLabel's name
        super().setText(text)
        self.setAccessibleName(text)
        self._update_tooltip()

    def set_help(self, text: str) -> None:
        self._help = text
        self._update_tooltip()

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def _update_tooltip(self) -> None:
        parts = [self.text()] if self.is_elided() else []
        if self._help:
            parts.append(self._help)
        self.setToolTip("\n\n".join(parts))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self.fontMetrics().horizontalAdvance("M" * 4)), hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint()
        return QSize(min(hint.width(), self.fontMetrics().horizontalAdvance("M" * 30)), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._update_tooltip()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        rect = self.contentsRect()
        painter.setPen(self.palette().color(self.foregroundRole()))
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), text)
        painter.end()


class FlowLayout(QLayout):
    """Items left to right, wrapping onto a further row when the width runs out (Qt's flow-layout example):
    a row of source chips never makes the answer wider than its pane."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 2) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._heights: dict[int, int] = {}  # heightForWidth by width, until the layout is invalidated
        self.setContentsMargins(0, 0, 0, 0)
        self.setSpacing(spacing)

    def invalidate(self) -> None:
        self._heights.clear()
        super().invalidate()

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt override
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt override
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        # Asked many times per layout pass (every wrapped label around asks again): computed once per width.
        height = self._heights.get(width)
        if height is None:
            height = self._heights[width] = self._arrange(QRect(0, 0, width, 0), move=False)
        return height

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt override
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Every item on one row."""
        widths = [item.sizeHint().width() for item in self._items]
        height = max((item.sizeHint().height() for item in self._items), default=0)
        m = self.contentsMargins()
        return QSize(sum(widths) + self.spacing() * max(0, len(widths) - 1) + m.left() + m.right(),
                     height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt override
        """The widest item: the others wrap."""
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, row_height = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            if x > area.x() and x + hint.width() > area.right() + 1:
                x, y, row_height = area.x(), y + row_height + self.spacing(), 0
            if move:
                item.setGeometry(QRect(x, y, hint.width(), hint.height()))
            x += hint.width() + self.spacing()
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y() + m.bottom()


class FittedLabel(ElidedLabel):
    """An :class:`ElidedLabel` that asks for its whole text's width (a short notice such as the status bar's
    NCCI tables), and still shrinks, eliding, when the window is narrow."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *, help_text: str = "") -> None:
        super().__init__(text, parent, help_text=help_text)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = QLabel.sizeHint(self)
        return QSize(self.fontMetrics().horizontalAdvance(self.text()) + 8, hint.height())


class UndoPassThrough(QObject):
    """Installed on a text field: Ctrl+Z / Ctrl+Shift+Z undo the typing in the field as every platform
    does, and only when the field has nothing to undo (or redo) do they reach the window's Edit → Undo of
    the encounter."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(watched, QLineEdit):
            assert isinstance(event, QKeyEvent)
            if event.matches(QKeySequence.StandardKey.Undo) and not watched.isUndoAvailable():
                return True  # not taken by the field: the window's Undo shortcut gets it
            if event.matches(QKeySequence.StandardKey.Redo) and not watched.isRedoAvailable():
                return True
        return False


def forget_text_history(edit: QLineEdit) -> None:
    """Drop the field's own undo history, keeping its text, cursor and selection (after an encounter edit,
    Ctrl+Z in the search box undoes that edit instead of the typing that came before it)."""
    if not (edit.isUndoAvailable() or edit.isRedoAvailable()):
        return
    text, pos = edit.text(), edit.cursorPosition()
    start, length = edit.selectionStart(), len(edit.selectedText())
    blocked = edit.blockSignals(True)
    try:
        edit.setText(text)  # "clears the undo/redo history" (QLineEdit::text)
        if start >= 0 and length:
            if pos == start:
                edit.setSelection(start + length, -length)
            else:
                edit.setSelection(start, length)
        else:
            edit.setCursorPosition(pos)
    finally:
        edit.blockSignals(blocked)


class DateField(QWidget):
    """The date of service: a text field that takes what a coder types (``3/10/2016``, ``03102016``,
    ``2016-03-10``, ``t``; desktop/core/dates.py) at any cursor position, selects all on focus, and shows
    an invalid date as such; plus a calendar button.

    Signals:
        date_changed(date): a new valid date was typed or picked.
        validity_changed(bool): the text became a date, or stopped being one.
    """

    date_changed = Signal(object)
    validity_changed = Signal(bool)

    def __init__(self, style: DateStyle, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.date_style = style
        self._date = today
        self._problem: str | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.edit = QLineEdit()
        self.edit.setObjectName("dateEdit")
        self.edit.setAccessibleName("Date of service")
        self.edit.setAccessibleDescription(f"Type {EXAMPLES}.")
        self.edit.setPlaceholderText(style.placeholder)
        self.edit.setToolTip(f"Date of service: type {EXAMPLES}")
        self.edit.setMaxLength(20)
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("00/00/00000") + 12)
        self.edit.setText(style.format(today))
        self._normal_palette = QPalette(self.edit.palette())
        self.button = QToolButton()
        self.button.setObjectName("dateCalendarButton")
        self.button.setArrowType(Qt.ArrowType.DownArrow)
        self.button.setAccessibleName("Pick the date of service from a calendar")
        self.button.setToolTip("Pick the date from a calendar")
        self.button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.setFocusProxy(self.edit)
        self.edit.installEventFilter(self)
        self.edit.textEdited.connect(self._on_edited)
        self.edit.editingFinished.connect(self._on_finished)
        self.button.clicked.connect(self.pick_from_calendar)
        self._calendar: QWidget | None = None

    # State --------------------------------------------------------------------------------------------
    def current_date(self) -> date:
        """The last valid date entered (see :meth:`is_valid`)."""
        return self._date

    def is_valid(self) -> bool:
        return self._problem is None

    def problem(self) -> str | None:
        """Why the text is not a date (None when it is)."""
        return self._problem

    def set_date(self, when: date) -> None:
        """Show ``when`` (valid) as the field writes it; emits date_changed if it differs."""
        if not EARLIEST <= when <= LATEST:
            raise ValueError(f"{when} is outside {EARLIEST}..{LATEST}")
        self.edit.setText(self.date_style.format(when))
        self._accept(when)

    # Typing -------------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.edit:
            if event.type() == QEvent.Type.FocusIn:
                QTimer.singleShot(0, self.edit.selectAll)  # after the click that gave the focus placed the cursor
            elif event.type() == QEvent.Type.KeyPress:
                assert isinstance(event, QKeyEvent)
                if event.key() == Qt.Key.Key_Escape and not self.is_valid():
                    self.set_date(self._date)  # back to the last valid date
                    return True
        return super().eventFilter(watched, event)

    @Slot(str)
    def _on_edited(self, text: str) -> None:
        try:
            when = parse_date(text, self.date_style, self._today())
        except DateProblem as exc:
            self._reject(str(exc))
            return
        self._accept(when)

    @Slot()
    def _on_finished(self) -> None:
        if self.is_valid() and self.edit.text() != self.date_style.format(self._date):
            self.edit.setText(self.date_style.format(self._date))  # "t" or "03102016" shown as the date it is

    def _today(self) -> date:
        return date.today()

    def _accept(self, when: date) -> None:
        was_valid = self.is_valid()
        self._problem = None
        self.edit.setPalette(self._normal_palette)
        self.edit.setToolTip(f"Date of service: type {EXAMPLES}")
        if not was_valid:
            self.validity_changed.emit(True)
        if when != self._date:
            self._date = when
            self.date_changed.emit(when)

    def _reject(self, why: str) -> None:
        self._problem = why
        bad = QPalette(self._normal_palette)
        bad.setColor(QPalette.ColorRole.Text, QColor(ERROR_COLOUR))
        self.edit.setPalette(bad)
        self.edit.setToolTip(f"Not a date of service: {why}")
        self.validity_changed.emit(False)  # also when it was already invalid: listeners show the new reason

    # Calendar -----------------------------------------------------------------------------------------
    @Slot()
    def pick_from_calendar(self) -> None:
        from PySide6.QtWidgets import QCalendarWidget  # only when asked for

        calendar = QCalendarWidget(self)
        calendar.setWindowFlags(Qt.WindowType.Popup)
        calendar.setObjectName("dateCalendar")
        calendar.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        calendar.setMinimumDate(QDate(EARLIEST.year, EARLIEST.month, EARLIEST.day))
        calendar.setMaximumDate(QDate(LATEST.year, LATEST.month, LATEST.day))
        calendar.setSelectedDate(QDate(self._date.year, self._date.month, self._date.day))
        calendar.clicked.connect(self._on_calendar_pick)
        calendar.activated.connect(self._on_calendar_pick)
        calendar.move(self.edit.mapToGlobal(self.edit.rect().bottomLeft()))
        self._calendar = calendar
        calendar.show()
        calendar.setFocus()

    @Slot(QDate)
    def _on_calendar_pick(self, picked: QDate) -> None:
        self.set_date(date(picked.year(), picked.month(), picked.day()))
        if self._calendar is not None:
            self._calendar.close()
            self._calendar = None
        self.edit.setFocus(Qt.FocusReason.PopupFocusReason)
