"""Date windows in questions: "this month", "next 10 days", "between March and June 2020".

Relative windows are computed from today; written dates ("March 2020", "Q1 2021", "1-15 March
2020") are read by `tracker.timeline.parse_timeline`, the same reader the workplans go through,
so "March" means the whole month here exactly as it does in a workplan.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from tracker.domain.rules import UPCOMING_DAYS, upcoming_window
from tracker.timeline import (
    Precision,
    Timeline,
    TimelineError,
    format_date,
    format_span,
    parse_timeline,
)


@dataclass(frozen=True)
class Window:
    """A due-date window; either side may be open."""

    start: date | None
    end: date | None
    #: How an answer names it: "this month (January 2020)", "between March and June 2020".
    label: str
    #: Looks ahead from today like `tracker.domain.rules.upcoming_window`: only items still open.
    open_only: bool = False


_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "sixty": 60,
    "ninety": 90,
    "a couple of": 2,
    "couple of": 2,
    "a few": 3,
    "few": 3,
}
_NUMBER = r"(?:\d{1,3}|" + "|".join(sorted(map(re.escape, _NUMBERS), key=len, reverse=True)) + ")"

_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|sept|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)\b"
)
_YEAR = r"(?:19|20)\d\d"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_PART = (
    r"(?:q[1-4]|h[12]|(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+(?:quarter|half)(?:\s+of)?"
    r"|early|mid|late|(?:the\s+)?(?:end|beginning|start)\s+of)"
)
#: One written date: "2020-03-05", "15 March 2020", "March 15", "Q1 2020", "March 2020", "2021".
_DATE = (
    rf"(?:{_YEAR}-\d\d-\d\d"
    rf"|(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:\s+{_YEAR})?"
    rf"|{_PART}\s+(?:{_MONTH}\s+)?{_YEAR}"
    rf"|{_MONTH}\s+{_YEAR}"
    rf"|{_MONTH}\s+{_DAY}\b(?:,?\s+{_YEAR})?"
    rf"|{_MONTH}"
    rf"|{_YEAR})"
)
_END = r"(?![\w.-])"
_START = r"(?<![\w.-])"

_RANGE = re.compile(
    rf"\b(?:between|from)\s+(?P<a>{_DATE})\s+(?:and|to|until|till|through|thru|-)\s+(?P<b>{_DATE}){_END}"
    rf"|{_START}(?P<c>{_DATE})\s*(?:-|\bto\b|\bthrough\b)\s*(?P<d>{_DATE}){_END}"
)
_RELATIVE = re.compile(
    rf"(?:\b(?:in|within|over|during|for)\s+)?(?:the\s+)?"
    rf"\b(?:next|coming|following)\s+(?P<n>{_NUMBER})\s+(?P<unit>day|week|month)s?\b"
    rf"|\b(?:with)?in\s+(?:the\s+)?(?P<n2>{_NUMBER})\s+(?P<unit2>day|week|month)s?\b"
    rf"|(?:\b(?:in|within|over|during)\s+)?(?:the\s+)?\b(?:next|coming)\s+(?P<fortnight>fortnight)\b"
)
_NAMED = re.compile(
    r"\b(?P<which>this|next|last|previous|current|the\s+coming|coming)\s+"
    r"(?P<unit>week|month|quarter|year)\b"
)
_BY_END_OF = re.compile(
    r"\b(?:by|before)\s+(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<unit>week|month|quarter|year)\b"
)
_DAYS = re.compile(r"\b(?P<day>today|tonight|tomorrow|yesterday)\b")
_SOON = re.compile(
    r"\b(?:soon|shortly|coming\s+up|upcoming|in\s+the\s+(?:coming|next\s+few)\s+(?:days|weeks)"
    r"|on\s+the\s+horizon|in\s+the\s+pipeline|next\s+up)\b"
)
_SINGLE = re.compile(
    r"(?:\b(?P<prep>in|during|for|by|before|until|till|after|from|since|through|throughout|on|of)\s+"
    rf"(?:the\s+(?:month|year)\s+of\s+)?)?{_START}(?P<d>{_DATE}){_END}"
)
_HAS_YEAR = re.compile(rf"{_START}{_YEAR}{_END}")
_BARE_MONTH = re.compile(rf"^{_MONTH}$")


def find_window(text: str, today: date) -> tuple[Window | None, str]:
    """The first date window the (normalized) question names, and the question without it."""
    for finder in (_range, _relative, _by_end_of, _named, _day, _single, _soon):
        found = finder(text, today)
        if found is not None:
            window, match = found
            # "what's coming up in the next 10 days": the window said it, "coming up" adds nothing
            return window, _SOON.sub(" ", _cut(text, match)).strip()
    return None, text


def _cut(text: str, match: re.Match[str]) -> str:
    return re.sub(r"\s+", " ", f"{text[: match.start()]} {text[match.end() :]}").strip()


# --- relative windows -------------------------------------------------------------------------


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[re.sub(r"\s+", " ", word)]


def _relative(text: str, today: date) -> tuple[Window, re.Match[str]] | None:
    match = _RELATIVE.search(text)
    if match is None:
        return None
    if match.group("fortnight"):
        n, unit = 14, "day"
    else:
        n = _number(match.group("n") or match.group("n2"))
        unit = match.group("unit") or match.group("unit2")
    if unit == "day":
        end = today + timedelta(days=n)
    elif unit == "week":
        end = today + timedelta(weeks=n)
    else:
        end = today + relativedelta(months=n)
    words = "fortnight" if match.group("fortnight") else f"{n} {unit}{'s' if n != 1 else ''}"
    label = f"in the next {words} ({format_span(today, end)})"
    return Window(today, end, label, open_only=True), match


def soon_window(today: date) -> Window:
    """ "Due soon": what `tracker.domain.rules.upcoming_window` calls upcoming."""
    start, end = upcoming_window(today)
    label = f"in the next {UPCOMING_DAYS} days ({format_span(today, end)})"
    return Window(start, end, label, open_only=True)


def _soon(text: str, today: date) -> tuple[Window, re.Match[str]] | None:
    match = _SOON.search(text)
    return (soon_window(today), match) if match else None


def _period(unit: str, today: date, shift: int) -> tuple[date, date, Precision]:
    """The week (Monday to Sunday), month, quarter or year `shift` periods from today's."""
    if unit == "week":
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=shift)
        return monday, monday + timedelta(days=6), Precision.DAY
    if unit == "month":
        first = date(today.year, today.month, 1) + relativedelta(months=shift)
        return first, _month_end(first), Precision.MONTH
    if unit == "quarter":
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) + relativedelta(
            months=3 * shift
        )
        return first, _month_end(first + relativedelta(months=2)), Precision.MONTH
    year = today.year + shift
    return date(year, 1, 1), date(year, 12, 31), Precision.YEAR


def _month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _named(text: str, today: date) -> tuple[Window, re.Match[str]] | None:
    match = _NAMED.search(text)
    if match is None:
        return None
    which = re.sub(r"\s+", " ", match.group("which"))
    shift = {"next": 1, "the coming": 1, "coming": 1, "last": -1, "previous": -1}.get(which, 0)
    unit = match.group("unit")
    start, end, precision = _period(unit, today, shift)
    name = {0: "this", 1: "next", -1: "last"}[shift]
    label = f"{name} {unit} ({format_span(start, end, precision, precision)})"
    return Window(start, end, label), match


def _by_end_of(text: str, today: date) -> tuple[Window, re.Match[str]] | None:
    match = _BY_END_OF.search(text)
    if match is None:
        return None
    unit = match.group("unit")
    _, end, _ = _period(unit, today, 0)
    label = f"by the end of this {unit} ({format_date(end)})"
    return Window(today, end, label, open_only=True), match


def _day(text: str, today: date) -> tuple[Window, re.Match[str]] | None:
    match = _DAYS.search(text)
    if match is None:
        return None
    word = match.group("day")
    shift = {"tomorrow": 1, "yesterday": -1}.get(word, 0)
    day = today + timedelta(days=shift)
    name = "today" if word == "tonight" else word
    return Window(day, day, f"{name} ({format_date(day)})"), match


# --- written dates ----------------------------------------------------------------------------


def _read(phrase: str) -> Timeline | None:
    phrase = re.sub(r"^the\s+", "", phrase.strip())
    try:
        timeline = parse_timeline(phrase)
    except TimelineError:
        return None
    return timeline if timeline.start is not None and timeline.end is not None else None


def _read_in_year(phrase: str, year: int) -> Timeline | None:
    return _read(phrase if _HAS_YEAR.search(phrase) else f"{phrase} {year}")


def _read_ahead(phrase: str, today: date) -> Timeline | None:
    """A date written without a year means the next one that has not passed: in November,
    "March" is next March."""
    if _HAS_YEAR.search(phrase):
        return _read(phrase)
    this_year = _read_in_year(phrase, today.year)
    if this_year is None or (this_year.end is not None and this_year.end >= today):
        return this_year
    return _read_in_year(phrase, today.year + 1)


def _range(text: str, today: date) -> tuple[Window, re.Match[str]] | None:
    for match in _RANGE.finditer(text):
        left, right = match.group("a") or match.group("c"), match.group("b") or match.group("d")
        span = _read_range(left, right, today)
        if span is not None:
            first, last = span
            assert first.start is not None and last.end is not None
            start, end = first.start, last.end
            if end < start:
                continue
            label = _between(start, end, first.start_precision, last.end_precision)
            return Window(start, end, label), match
    return None


def _read_range(left: str, right: str, today: date) -> tuple[Timeline, Timeline] | None:
    left_year, right_year = _HAS_YEAR.search(left), _HAS_YEAR.search(right)
    if left_year and right_year:
        first, last = _read(left), _read(right)
    elif right_year:  # "between March and June 2020"
        last = _read(right)
        if last is None or last.start is None:
            return None
        first = _read_in_year(left, last.start.year)
        if first is not None and first.start is not None and first.start > last.start:
            first = _read_in_year(left, last.start.year - 1)
    else:  # "from March 2020 to June", or no year at all
        first = _read(left) if left_year else _read_ahead(left, today)
        if first is None or first.start is None:
            return None
        last = _read_in_year(right, first.start.year)
        if last is not None and last.end is not None and last.end < first.start:
            last = _read_in_year(right, first.start.year + 1)
    if first is None or last is None:
        return None
    return first, last


def _between(
    start: date, end: date, start_precision: Precision | None, end_precision: Precision | None
) -> str:
    written_end = format_date(end, end_precision)
    if start.year == end.year and start_precision != Precision.YEAR:
        written_start = format_date(start, start_precision).removesuffix(f" {start.year}")
    else:
        written_start = format_date(start, start_precision)
    return f"between {written_start} and {written_end}"


def _single(text: str, today: date) -> tuple[Window, re.Match[str]] | None:
    for match in _SINGLE.finditer(text):
        prep, phrase = match.group("prep"), match.group("d")
        if _BARE_MONTH.match(phrase) and prep is None:
            continue  # "may" alone is a verb more often than a month
        timeline = _read_ahead(phrase, today)
        if timeline is None:
            continue
        assert timeline.start is not None and timeline.end is not None
        return _window_for(prep, timeline, today), match
    return None


def _window_for(prep: str | None, timeline: Timeline, today: date) -> Window:
    start, end = timeline.start, timeline.end
    assert start is not None and end is not None
    sp, ep = timeline.start_precision, timeline.end_precision
    if prep in ("by", "until", "till"):
        return Window(today, end, f"by {format_date(end, ep)}", open_only=True)
    if prep == "before":
        return Window(
            today, start - timedelta(days=1), f"before {format_date(start, sp)}", open_only=True
        )
    if prep == "after":
        return Window(end + timedelta(days=1), None, f"after {format_date(end, ep)}")
    if prep == "from":
        return Window(start, None, f"from {format_date(start, sp)}")
    if prep == "since":
        return Window(start, today, f"since {format_date(start, sp)}")
    written = format_span(start, end, sp, ep)
    on_a_day = start == end and sp == Precision.DAY
    return Window(start, end, f"{'on' if on_a_day else 'in'} {written}")
