"""Shared helpers of the family story tests (tests/test_family_*.py): drive the real window as a coder does
and read what it displays. Not a test module itself."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from desktop.core.search import SearchIndex


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


def procedure_cards(window):  # type: ignore[no-untyped-def]
    """Every procedure card of the answer, in order."""
    return [c for c in window.answer.cards if c.item.kind == "procedure"]


def lay_terms_checked(catalog, family: str, when: date) -> int:  # type: ignore[no-untyped-def]
    """Search each lay term of every record of ``family`` (on the record's last valid day, else ``when``) and
    assert that its code comes first, or a code that has the same term; return how many terms were checked."""
    index = SearchIndex(catalog.records)
    checked = 0
    for rec in (r for r in catalog.records if r.family == family):
        on = rec.valid_to or when
        for term in rec.terms:
            sharing = {r.code for r in catalog.records if term.casefold() in (x.casefold() for x in r.terms)}
            first = index.search_records(term, on)[0].code
            assert first == rec.code or first in sharing, (rec.code, term, first)
            checked += 1
    return checked
