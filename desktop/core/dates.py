"""Dates of service as a coder types them, and as the window shows them. Pure Python, no Qt.

The window's date field follows the locale's short date order (month/day/year in the US, day/month/year
in most other English locales, year-month-day in Japan or Canada) with two-digit day and month and a
four-digit year, e.g. ``03/10/2016``. :func:`parse_date` accepts, whatever the locale:

- the locale's order with any of ``/ - . `` or space between the parts: ``3/10/2016``, ``03-10-2016``;
- eight digits in the locale's order: ``03102016`` (and ``20160310`` when that is not a date in the
  locale's order);
- ISO ``2016-03-10``;
- ``t`` (or ``today``) for today.

Years have four digits: ``3/10/16`` is refused rather than guessed. Anything else, or a date that does not
exist (``2/30/2016``) or is outside the range the window takes, gives :class:`DateProblem` with a sentence
saying why, so the window can show the field as invalid and give no answer for it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from desktop.core.frozen import frozen

DateOrder = Literal["MDY", "DMY", "YMD"]

EARLIEST = date(1990, 1, 1)
LATEST = date(2099, 12, 31)
EXAMPLES = "3/10/2016, 03102016, 2016-03-10 or t for today"

_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_PARTS_RE = re.compile(r"^(\d{1,4})[/\-. ]+(\d{1,4})[/\-. ]+(\d{1,4})$")
_DIGITS_RE = re.compile(r"^\d{8}$")
_TODAY = frozenset({"t", "today"})


class DateProblem(ValueError):
    """The text is not a date of service; ``str()`` is a sentence for the coder."""


@frozen
class DateStyle:
    """How the window writes and reads dates: the order of the parts and the separator."""

    order: DateOrder = "MDY"
    separator: str = "/"

    @property
    def pattern(self) -> str:
        """The Qt-style display pattern, e.g. ``MM/dd/yyyy``."""
        parts = {"M": "MM", "D": "dd", "Y": "yyyy"}
        return self.separator.join(parts[p] for p in self.order)

    @property
    def placeholder(self) -> str:
        """What an empty field shows, e.g. ``mm/dd/yyyy``."""
        parts = {"M": "mm", "D": "dd", "Y": "yyyy"}
        return self.separator.join(parts[p] for p in self.order)

    def format(self, when: date) -> str:
        parts = {"M": f"{when.month:02d}", "D": f"{when.day:02d}", "Y": f"{when.year:04d}"}
        return self.separator.join(parts[p] for p in self.order)


US_STYLE = DateStyle("MDY", "/")


def style_from_pattern(pattern: str) -> DateStyle:
    """The style of a locale's short date pattern (Qt's ``QLocale.dateFormat(ShortFormat)``: ``M/d/yy``,
    ``dd.MM.yy``, ``yyyy-MM-dd`` ...). A pattern with month names, or one whose order cannot be read, gives
    the US style (GuideCode's users are US billing offices)."""
    if "MMM" in pattern:
        return US_STYLE
    order = ""
    for ch in pattern:
        key = {"M": "M", "d": "D", "y": "Y"}.get(ch)
        if key is not None and key not in order:
            order += key
    if order not in ("MDY", "DMY", "YMD"):
        return US_STYLE
    seps = [ch for ch in pattern if ch in "/-. "]
    separator = seps[0] if seps else "/"
    return DateStyle(order, separator)  # type: ignore[arg-type]


def _build(year: int, month: int, day: int, text: str) -> date:
    try:
        when = date(year, month, day)
    except ValueError:
        raise DateProblem(f"{text!r} is not a real date") from None
    if not EARLIEST <= when <= LATEST:
        raise DateProblem(f"{text!r} is outside {EARLIEST.year}-{LATEST.year}")
    return when


def _in_order(values: tuple[int, int, int], order: DateOrder) -> tuple[int, int, int]:
    """(year, month, day) from three numbers written in ``order``."""
    by = dict(zip(order, values, strict=True))
    return by["Y"], by["M"], by["D"]


def parse_date(text: str, style: DateStyle, today: date) -> date:
    """The date ``text`` names (see the module docstring); raises :class:`DateProblem`."""
    raw = text.strip()
    if not raw:
        raise DateProblem("no date entered")
    if raw.casefold() in _TODAY:
        return today
    iso = _ISO_RE.match(raw)
    if iso:
        return _build(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)), raw)
    if _DIGITS_RE.match(raw):
        widths = {"Y": 4, "M": 2, "D": 2}
        pos, values = 0, []
        for part in style.order:
            values.append(int(raw[pos:pos + widths[part]]))
            pos += widths[part]
        year, month, day = _in_order((values[0], values[1], values[2]), style.order)
        try:
            return _build(year, month, day, raw)
        except DateProblem:
            if style.order != "YMD" and 1900 <= int(raw[:4]) <= 2099:
                return _build(int(raw[:4]), int(raw[4:6]), int(raw[6:]), raw)
            raise
    parts = _PARTS_RE.match(raw)
    if parts:
        groups = (parts.group(1), parts.group(2), parts.group(3))
        year_at = style.order.index("Y")
        if len(groups[year_at]) != 4:
            raise DateProblem(f"{raw!r}: write the year with four digits ({EXAMPLES})")
        if any(len(g) > 2 for n, g in enumerate(groups) if n != year_at):
            raise DateProblem(f"{raw!r} is not a date in the order {style.placeholder}")
        year, month, day = _in_order((int(groups[0]), int(groups[1]), int(groups[2])), style.order)
        return _build(year, month, day, raw)
    raise DateProblem(f"{raw!r} is not a date: type {EXAMPLES}")


_ISO_IN_TEXT_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def localize_dates(text: str, style: DateStyle) -> str:
    """``text`` with every ISO date in it (``2016-12-31``) written in ``style`` (``12/31/2016``): the
    engine's messages name dates in ISO; the window shows them as its date field does."""
    if style.order == "YMD" and style.separator == "-":
        return text

    def repl(m: re.Match[str]) -> str:
        try:
            return style.format(date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        except ValueError:
            return m.group(0)

    return _ISO_IN_TEXT_RE.sub(repl, text)
