"""desktop.core.dates: what a coder types in the date field, in the locale's order, and how dates are shown."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.core.dates import (
    US_STYLE,
    DateProblem,
    DateStyle,
    localize_dates,
    parse_date,
    style_from_pattern,
)

TODAY = date(2026, 3, 16)
UK = DateStyle("DMY", "/")
JP = DateStyle("YMD", "/")


@pytest.mark.parametrize(("text", "expected"), [
    ("3/10/2016", date(2016, 3, 10)),
    ("03/10/2016", date(2016, 3, 10)),
    (" 3-10-2016 ", date(2016, 3, 10)),
    ("3.10.2016", date(2016, 3, 10)),
    ("03102016", date(2016, 3, 10)),
    ("12012026", date(2026, 12, 1)),
    ("20160310", date(2016, 3, 10)),  # not a date month-first: read year-first
    ("2016-03-10", date(2016, 3, 10)),
    ("2016-3-1", date(2016, 3, 1)),
    ("t", TODAY),
    ("T", TODAY),
    ("today", TODAY),
])
def test_us_order_accepts_every_documented_form(text: str, expected: date) -> None:
    assert parse_date(text, US_STYLE, TODAY) == expected


@pytest.mark.parametrize(("text", "why"), [
    ("", "no date entered"),
    ("3/10/16", "four digits"),
    ("3/10/201", "four digits"),
    ("2/30/2016", "not a real date"),
    ("13/01/2016", "not a real date"),
    ("3/10", "not a date"),
    ("031020", "not a date"),
    ("1/1/1989", "outside 1990-2099"),
    ("1/1/2100", "outside 1990-2099"),
    ("next tuesday", "not a date"),
    ("123/1/2016", "not a date in the order mm/dd/yyyy"),
])
def test_anything_else_is_refused_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(DateProblem, match=why):
        parse_date(text, US_STYLE, TODAY)


def test_day_first_and_year_first_locales() -> None:
    assert parse_date("3/10/2016", UK, TODAY) == date(2016, 10, 3)
    assert parse_date("03102016", UK, TODAY) == date(2016, 10, 3)
    assert parse_date("2016-03-10", UK, TODAY) == date(2016, 3, 10)  # ISO is ISO everywhere
    assert parse_date("2016/03/10", JP, TODAY) == date(2016, 3, 10)
    assert parse_date("20160310", JP, TODAY) == date(2016, 3, 10)
    with pytest.raises(DateProblem):
        parse_date("10/3/2016", JP, TODAY)


@pytest.mark.parametrize(("pattern", "style"), [
    ("M/d/yy", DateStyle("MDY", "/")),
    ("dd/MM/yyyy", DateStyle("DMY", "/")),
    ("dd.MM.yy", DateStyle("DMY", ".")),
    ("yyyy/MM/dd", DateStyle("YMD", "/")),
    ("yyyy-MM-dd", DateStyle("YMD", "-")),
    ("d MMM yyyy", US_STYLE),  # month names: not typeable, the US style
    ("", US_STYLE),
])
def test_the_style_follows_the_locale_pattern(pattern: str, style: DateStyle) -> None:
    assert style_from_pattern(pattern) == style


def test_format_pattern_and_placeholder() -> None:
    assert US_STYLE.format(date(2016, 3, 1)) == "03/01/2016"
    assert US_STYLE.pattern == "MM/dd/yyyy" and US_STYLE.placeholder == "mm/dd/yyyy"
    assert DateStyle("DMY", ".").format(date(2016, 3, 1)) == "01.03.2016"
    for style in (US_STYLE, UK, JP, DateStyle("DMY", ".")):
        when = date(2019, 11, 7)
        assert parse_date(style.format(when), style, TODAY) == when  # what is shown reads back


def test_messages_show_dates_as_the_field_does() -> None:
    text = "62311 was deleted: valid until 2016-12-31; use 62322 / 62323 instead (2017-01-01 on)."
    assert localize_dates(text, US_STYLE) == ("62311 was deleted: valid until 12/31/2016; use 62322 / 62323 "
                                              "instead (01/01/2017 on).")
    assert localize_dates(text, UK).count("31/12/2016") == 1
    assert localize_dates(text, DateStyle("YMD", "-")) == text
    assert localize_dates("not a date 2016-13-45, code 64405-50", US_STYLE) == "not a date 2016-13-45, code 64405-50"
