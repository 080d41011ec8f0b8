"""The procedure list's cached row painting (desktop/ui/list_paint.py): the same pixels as the style, or
the style itself."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleOption, QWidget

from desktop.ui.list_paint import ProcedureDelegate

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _list_image(window, fast: bool) -> QImage:  # type: ignore[no-untyped-def]
    """The list as painted now, by the cached path (from an empty cache) or by the style alone."""
    view = window.search.proc_view
    delegate = view.itemDelegate()
    assert isinstance(delegate, ProcedureDelegate)
    view.cached_paint = delegate if fast else None
    delegate.fast = False
    delegate._setup = None  # the next paint checks again (and empties the cache)
    return view.viewport().grab().toImage()


def _shown(window, qtbot, text: str) -> None:  # type: ignore[no-untyped-def]
    window.search.search_edit.setText(text)
    qtbot.waitUntil(lambda: window.search.proc_model.query == text)


def test_the_cached_rows_are_the_styles_pixels(main_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    main_window.finish_startup()
    main_window.set_date(date(2026, 3, 16))
    view = main_window.search.proc_view
    main_window.resize(1000, 700)
    # Codes deleted before 2026 (greyed, italic, "[deleted ...]" first), long names to elide, the highlight.
    for query in ("623", "643", "nerve block", ""):
        _shown(main_window, qtbot, query)
        styled = _list_image(main_window, fast=False)
        first = _list_image(main_window, fast=True)  # every row drawn for the first time
        assert view.itemDelegate().fast, "the check against the style failed"
        again = view.viewport().grab().toImage()  # every row from the cache
        assert first == styled, query
        assert again == styled, query
    model = main_window.search.proc_model
    _shown(main_window, qtbot, "623")
    assert not all(model.paint_row(r)[1] for r in range(model.rowCount())), "no greyed row was painted"


class _ShiftedText(QProxyStyle):
    """A style whose item text sits two pixels lower than QCommonStyle puts it."""

    def drawControl(self, element, option, painter, widget=None):  # type: ignore[no-untyped-def]  # noqa: N802
        if element == QStyle.ControlElement.CE_ItemViewItem:
            painter.translate(0, 2)
            super().drawControl(element, option, painter, widget)
            painter.translate(0, -2)
            return
        super().drawControl(element, option, painter, widget)


def test_a_style_painting_otherwise_gets_every_row(main_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    main_window.finish_startup()
    view = main_window.search.proc_view
    _shown(main_window, qtbot, "643")
    view.viewport().grab()
    delegate = view.cached_paint
    assert isinstance(delegate, ProcedureDelegate) and delegate.fast
    style = _ShiftedText("fusion")
    view.setStyle(style)
    try:
        styled = _list_image(main_window, fast=False)
        painted = _list_image(main_window, fast=True)
        assert not delegate.fast  # the check saw the difference
        assert painted == styled
    finally:
        view.setStyle(None)  # type: ignore[arg-type]


def test_the_check_compares_pixels(main_window) -> None:  # type: ignore[no-untyped-def]
    """The self-check itself: it passes with the style, fails when the cached path draws one pixel wrong."""
    main_window.finish_startup()
    view = main_window.search.proc_view
    delegate = view.cached_paint
    assert isinstance(delegate, ProcedureDelegate)
    option = _view_option(view)
    assert delegate.paints_as_style(view, option)
    plain = delegate._paint_plain

    def one_pixel_off(painter: QPainter, rect, state, text, valid) -> None:  # type: ignore[no-untyped-def]
        plain(painter, rect, state, text, valid)
        painter.drawPoint(rect.right() - 1, rect.top())

    delegate._paint_plain = one_pixel_off  # type: ignore[method-assign]
    try:
        assert not delegate.paints_as_style(view, option)
    finally:
        del delegate._paint_plain


def _view_option(view: QWidget):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    view.initViewItemOption(option)  # type: ignore[attr-defined]
    assert isinstance(option, QStyleOption)
    return option


def _painted_as_data(model) -> None:  # type: ignore[no-untyped-def]
    from desktop.ui.models import ValidRole

    for row in range(model.rowCount()):
        idx = model.index(row)
        assert model.paint_row(row) == (idx.data(Qt.ItemDataRole.DisplayRole), idx.data(ValidRole)), row


def test_the_painted_text_follows_the_date_the_favourites_and_the_catalog(catalog) -> None:  # type: ignore[no-untyped-def]
    """paint_row keeps each row's text: it must change with everything that changes the text."""
    from desktop.core.search import SearchIndex
    from desktop.ui.models import ProcedureListModel

    model = ProcedureListModel(SearchIndex(catalog.records), date(2026, 3, 16))
    model.set_query("623")
    _painted_as_data(model)
    before = [model.paint_row(r) for r in range(model.rowCount())]
    assert not all(valid for _, valid in before)  # deleted codes among them
    model.set_date(date(2012, 1, 1))  # valid again then, named as then
    _painted_as_data(model)
    assert [model.paint_row(r) for r in range(model.rowCount())] != before
    model.set_favourites((model.record_at(0).code,))  # type: ignore[union-attr]
    _painted_as_data(model)
    assert model.paint_row(0)[0].startswith("\u2605 ")
    model.set_index(SearchIndex(catalog.records[:40]))
    _painted_as_data(model)


def test_the_kept_row_height_is_the_styles(main_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QStyledItemDelegate

    main_window.finish_startup()
    main_window.set_date(date(2026, 3, 16))
    view = main_window.search.proc_view
    delegate = view.itemDelegate()
    assert isinstance(delegate, ProcedureDelegate)
    plain = QStyledItemDelegate()
    _shown(main_window, qtbot, "623")
    model = main_window.search.proc_model
    option = _view_option(view)
    for _ in range(2):  # computed, then kept
        for row in range(model.rowCount()):
            idx = model.index(row)
            assert delegate.sizeHint(option, idx).height() == plain.sizeHint(option, idx).height()
            assert delegate.sizeHint(option, idx).width() == 1  # as wide as the view: long names elided
