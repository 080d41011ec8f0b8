"""Shared helpers of the family story tests (tests/test_family_*.py): drive the real window as a coder does
and read what it displays. Not a test module itself."""

from __future__ import annotations

from PySide6.QtCore import Qt


def type_and_add(qtbot, window, text: str) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+L, type ``text``, Enter: the first search hit is added to the encounter."""
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.search.search_edit.hasFocus()
    qtbot.keyClicks(window.search.search_edit, text)
    qtbot.keyClick(window.search.search_edit, Qt.Key.Key_Return)


def procedure_card(window, code: str):  # type: ignore[no-untyped-def]
    """The answer card of the procedure ``code`` (its verdict headline, reason and source chips)."""
    cards = [c for c in window.answer.cards if c.item.kind == "procedure" and c.item.headline.find(code) >= 0]
    assert cards, [c.item.headline for c in window.answer.cards]
    return cards[0]


def chips(card) -> list[str]:  # type: ignore[no-untyped-def]
    return [chip.text() for chip in card.sources.chips]


def message_texts(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.text.text() for m in window.answer.messages]
