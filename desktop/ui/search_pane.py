"""The search pane: a line edit over the list of every code, ranked by the pure
:class:`desktop.core.search.SearchIndex` (:class:`~desktop.ui.models.ProcedureListModel`). Up/Down move the
highlight while typing, Enter adds it.

It knows nothing of the encounter: it says which code the coder wants (``add_requested``) and when the
highlight moves (``highlight_changed``); the window answers with :meth:`SearchPane.set_preview`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.model import CodeRecord
from desktop.core.search import SearchIndex
from desktop.ui.models import ElidingDelegate, ProcedureListModel, RecordRole
from desktop.ui.widgets import UndoPassThrough, forget_text_history

if TYPE_CHECKING:
    from PySide6.QtGui import QPaintEvent

    from desktop.ui.list_paint import ProcedureDelegate

_NAV_KEYS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}
_ENTER_KEYS = {Qt.Key.Key_Return, Qt.Key.Key_Enter}
#: The list is never narrower than this text: a code and the first words of its name stay readable.
READABLE_ROW = "64405   Nerve block, greater occipital ne"


class ProcedureListView(QListView):
    """The list of procedures; ``first_painted`` is emitted once, as its first paint begins. Start-up leaves
    what the window does not need to appear until then (``StartupFinisher`` in desktop/ui/main.py), and
    packaging/bench_startup.py measures launch -> this moment. Overriding ``paintEvent`` here is cheaper than
    an event filter on ``viewport()``: wrapping the viewport for Python the first time costs ~8 ms."""

    first_painted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.painted = False
        self.cached_paint: ProcedureDelegate | None = None  # set by SearchPane.use_cached_paint

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        if not self.painted:
            self.painted = True
            self.first_painted.emit()
        if self.cached_paint is not None:
            from PySide6.QtWidgets import QStyleOptionViewItem

            option = QStyleOptionViewItem()
            self.initViewItemOption(option)
            self.cached_paint.begin_paint(self, option)
        super().paintEvent(event)


class PreviewLabel(QLabel):
    """The word-wrapped line under the list, at least two lines tall: the preview is one or two lines
    depending on the highlighted code, and a label that grew and shrank with it made the list above jump
    (and relaid out and repainted it) on one keystroke in four (bench/bench_search.py)."""

    LINES = 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reserve()

    def _reserve(self) -> None:
        # A minimum height, not minimumSizeHint: layouts size a word-wrapped label by heightForWidth.
        margins = self.contentsMargins()
        self.setMinimumHeight(self.LINES * self.fontMetrics().lineSpacing() + margins.top() + margins.bottom())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._reserve()


class SearchPane(QWidget):
    """Search box, ranked list, match count, the preview of what Enter adds, and the Add button.

    Signals:
        add_requested(str): the coder asked to add this code (Enter, double-click, the button).
        highlight_changed(): the highlighted record changed (read it with :meth:`highlighted_record`).
    """

    add_requested = Signal(str)
    highlight_changed = Signal()

    #: Keys handled inside the pane (Help → Keyboard shortcuts lists them with the menus' shortcuts).
    KEYS: tuple[tuple[str, str], ...] = (
        ("Up, Down, Page Up, Page Down (in the search box)", "move the highlight in the list"),
        ("Enter (in the search box or the list), double-click", "add the highlighted procedure"),
        ("Ctrl+Backspace, Ctrl+Z and the other text keys (in the search box)", "edit the search text, as in "
         "every text field"),
    )

    def __init__(self, index: SearchIndex, when: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchPane")
        box = QVBoxLayout(self)
        box.setContentsMargins(8, 8, 4, 8)
        self.search_label = QLabel("&Search procedures:")
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("searchEdit")
        self.search_edit.setAccessibleName("Search procedures")
        self.search_edit.setAccessibleDescription(
            "Type a code prefix, or words of the name or a lay term in any order. Up and Down move the "
            "highlight, Enter adds the highlighted procedure to the encounter.")
        self.search_edit.setPlaceholderText("Code, name or lay term \u2014 644, occipital, si joint")
        self.search_edit.setClearButtonEnabled(True)
        for button in self.search_edit.findChildren(QToolButton):  # the clear button Qt adds
            button.setAccessibleName("Clear the search")
            button.setToolTip("Clear the search")
        self.search_edit.setMaxLength(200)
        self.search_label.setBuddy(self.search_edit)
        self.proc_model = ProcedureListModel(index, when, self)
        self.proc_view = ProcedureListView()
        self.proc_view.setObjectName("procedureList")
        self.proc_view.setAccessibleName("Matching procedures")
        # The model hands the view FETCH_BATCH rows at a time (fetchMore on scrolling): QListView's layout
        # asks the model for every row's index (QListViewPrivate::isHidden), one Python call per row, so
        # showing all 10,000 matches at once costs ~5-10 ms per keystroke (bench/bench_search.py).
        self.proc_view.setModel(self.proc_model)
        self.proc_view.setUniformItemSizes(True)  # O(1) layout for 10k rows (packaging.md §1.5)
        self.proc_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.proc_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.proc_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.proc_view.setItemDelegate(ElidingDelegate(self.proc_view))
        self.proc_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.proc_view.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.proc_view.setMinimumWidth(self.min_list_width())
        self.count_label = QLabel()
        self.count_label.setObjectName("searchCount")
        self.count_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.preview_label = PreviewLabel()
        self.preview_label.setObjectName("searchPreview")
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextFormat(Qt.TextFormat.PlainText)
        self.add_button = QPushButton("&Add to encounter")
        self.add_button.setObjectName("addButton")
        self.add_button.setAccessibleName("Add the highlighted procedure to the encounter")
        self.add_button.setToolTip("Add the highlighted procedure (Enter, or double-click it)")
        box.addWidget(self.search_label)
        box.addWidget(self.search_edit)
        box.addWidget(self.proc_view, 1)
        box.addWidget(self.count_label)
        box.addWidget(self.preview_label)
        box.addWidget(self.add_button)
        self._undo_filter = UndoPassThrough(self)
        self.search_edit.installEventFilter(self._undo_filter)

        self.search_edit.textChanged.connect(self._on_search_text)
        self.search_edit.installEventFilter(self)
        self.proc_view.installEventFilter(self)
        self.proc_view.doubleClicked.connect(self._on_double_clicked)
        self.proc_view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.add_button.clicked.connect(self.add_highlighted)
        self.proc_model.set_query("")
        self.select_row(0)

    def use_cached_paint(self) -> None:
        """Paint the list's plain rows from a cache of laid-out text where that gives the style's very
        pixels (desktop/ui/list_paint.py); after the first paint, as the module costs start-up time."""
        if self.proc_view.cached_paint is not None:
            return
        from desktop.ui.list_paint import ProcedureDelegate

        delegate = ProcedureDelegate(self.proc_view, self.proc_model)
        self.proc_view.setItemDelegate(delegate)
        self.proc_view.cached_paint = delegate

    def min_list_width(self) -> int:
        frame = 2 * self.proc_view.frameWidth() + 24  # the frame, a scroll bar
        return self.proc_view.fontMetrics().horizontalAdvance(READABLE_ROW) + frame

    # Keyboard -------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.search_edit:
            if event.type() == QEvent.Type.ShortcutOverride:
                assert isinstance(event, QKeyEvent)
                # WORKAROUND: QLineEdit claims Ctrl+C even with nothing selected; let the window's Copy have it
                # then (with text selected, Ctrl+C copies that text, as everywhere).
                if event.matches(QKeySequence.StandardKey.Copy) and not self.search_edit.hasSelectedText():
                    return True
            elif event.type() == QEvent.Type.KeyPress:
                assert isinstance(event, QKeyEvent)
                if event.key() in _NAV_KEYS and event.modifiers() == Qt.KeyboardModifier.NoModifier:
                    self._move_highlight(Qt.Key(event.key()))
                    return True
                if event.key() in _ENTER_KEYS:
                    self.add_highlighted()
                    return True
        elif watched is self.proc_view and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in _ENTER_KEYS:
                self.add_highlighted()
                return True
        return super().eventFilter(watched, event)

    def _move_highlight(self, key: Qt.Key) -> None:
        model = self.proc_model
        if model.rowCount() == 0:
            return
        current = self.proc_view.currentIndex().row()
        page = max(1, self.proc_view.viewport().height() // max(1, self.proc_view.sizeHintForRow(0)) - 1)
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -page, Qt.Key.Key_PageDown: page}[key]
        target = max(0, current + step if current >= 0 else 0)
        while target >= model.rowCount() and model.canFetchMore(QModelIndex()):
            model.fetchMore(QModelIndex())
        self.select_row(min(model.rowCount() - 1, target))

    @Slot()
    def focus(self) -> None:
        """Focus the search box with its text selected, ready for the next code."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def forget_text_history(self) -> None:
        forget_text_history(self.search_edit)

    # Search ---------------------------------------------------------------------------------------
    @Slot(str)
    def _on_search_text(self, text: str) -> None:
        """One keystroke: filter the list, highlight the best match."""
        self.proc_model.set_query(text)
        self.select_row(0)

    def select_row(self, row: int) -> None:
        count = self.proc_model.rowCount()
        sel = self.proc_view.selectionModel()
        if count == 0:
            sel.clear()
            self.highlight_changed.emit()
        else:
            idx = self.proc_model.index(row)
            sel.setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect)  # autoScroll shows it
        total = self.proc_model.total
        matches = self.proc_model.match_count
        self.count_label.setText(f"{matches:,} of {total:,} codes" if self.proc_model.query.strip()
                                 else f"{total:,} codes")

    @Slot()
    def _on_current_changed(self, *_: object) -> None:
        self.add_button.setEnabled(self.highlighted_record() is not None)
        self.highlight_changed.emit()

    def highlighted_record(self) -> CodeRecord | None:
        idx = self.proc_view.currentIndex()
        return idx.data(RecordRole) if idx.isValid() else None

    def set_preview(self, text: str) -> None:
        """The line under the list: what Enter would add (the window computes it with the engine)."""
        self.preview_label.setText(text)
        self.add_button.setEnabled(self.highlighted_record() is not None)

    def no_match_text(self) -> str:
        return ("No match. Try a code prefix (644), a name word or a lay term." if self.proc_model.query.strip()
                else "")

    @Slot()
    def _on_double_clicked(self, *_: object) -> None:
        self.add_highlighted()

    @Slot()
    def add_highlighted(self) -> None:
        rec = self.highlighted_record()
        self.add_requested.emit(rec.code if rec is not None else "")
        if rec is not None:
            self.search_edit.selectAll()

    # Changes from the window ----------------------------------------------------------------------
    def set_date(self, when: date) -> None:
        """Re-grey the list for another date of service, keeping the highlighted code if it is listed."""
        highlighted = self.highlighted_record()
        self.proc_model.set_date(when)
        row = self.proc_model.row_of(highlighted.code) if highlighted is not None else 0
        self.select_row(max(row, 0))

    def set_index(self, index: SearchIndex) -> None:
        """Another catalog (a data pack) or the descriptors searchable: same query, first row highlighted."""
        self.proc_model.set_index(index)
        self.select_row(0)

    def set_favourites(self, codes: tuple[str, ...]) -> None:
        highlighted = self.highlighted_record()
        self.proc_model.set_favourites(codes)
        row = self.proc_model.row_of(highlighted.code) if highlighted is not None else 0
        self.select_row(max(row, 0))

    def add_below_preview(self, widget: QWidget) -> None:
        """Put ``widget`` under the preview line (the licensed descriptor of the highlighted code)."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.indexOf(self.preview_label) + 1, widget)
