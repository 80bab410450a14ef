"""Recurring items: their occurrences, as the item query and the feeds place them.

An occurrence carries its own dates and no status of its own, which is why a repeating item
is never overdue (`tracker.domain.rules`).
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rruleset, rrulestr

from tracker.domain.item import Item
from tracker.domain.query import ItemFilter
from tracker.domain.rules import milestone_due
from tracker.timeline import Precision


def _period_end(start: date, precision: Precision | None) -> date:
    if precision == Precision.YEAR:
        return date(start.year, 12, 31)
    if precision == Precision.MONTH:
        return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    return start


@functools.lru_cache(maxsize=512)
def _rule(recurrence: str, start: date) -> rrule | rruleset:
    """A rule parsed once and its occurrences kept: stepping through rules on every query cost
    more than the queries themselves. A weekly rule keeps ~2,600 dates for the 50 years the
    next occurrence is looked for in, so the cache is bounded."""
    return rrulestr(recurrence, dtstart=datetime.combine(start, time()), cache=True)


def occurrence_starts(item: Item, after: date, before: date) -> Iterator[date]:
    """Start dates of a recurring item's occurrences with start in [after, before]."""
    if item.recurrence is None or item.start is None:
        return
    rule = _rule(item.recurrence, item.start)
    until = item.end if item.kind == "activity" and not item.ongoing else None
    # lazily: callers that want the next occurrence stop at the first, not decades later
    for moment in rule.xafter(datetime.combine(after, time()), inc=True):  # type: ignore[union-attr]
        if moment.date() > before or (until is not None and moment.date() > until):
            return
        yield moment.date()


def occurrence(item: Item, start: date) -> Item:
    """The occurrence of a recurring item that starts on `start` (see `occurrence_starts`)."""
    if item.kind == "activity":
        # one occurrence is the period the start was written as: "January 2018" recurs as Januaries
        end = _period_end(start, item.start_precision)
        return replace(
            item,
            start=start,
            end=end,
            due=end,
            end_precision=item.start_precision,
            ongoing=False,
            occurrence=True,
        )
    assert item.start is not None
    end = start + ((item.end - item.start) if item.end else timedelta(0))
    if item.end is not None and item.end_precision in (Precision.MONTH, Precision.YEAR):
        # whole periods shift as wholes: "2020" every other year recurs as 2022, not as
        # 2 January 2022 to 1 January 2023
        end = _period_end(item.end + relativedelta(start, item.start), item.end_precision)
    shifted = replace(item, start=start, end=end, occurrence=True)
    return replace(shifted, due=milestone_due(item.milestone_kind, shifted.start, shifted.end))


#: Occurrences in a window at most this long are remembered (each is a copy of the item): a
#: feed's years of a weekly meeting would fill the memory with hundreds of them.
REMEMBERED_WINDOW = timedelta(days=31)


def occurrences_in(item: Item, flt: ItemFilter, today: date) -> list[Item]:
    """A recurring item's occurrences due in the filter's window; without a window, the next one.

    Remembered by the item as it is (an edit makes another key), the window and the day, for
    the next one and for short windows: every list page and dashboard places the occurrences
    of every recurring item it may show, and stepping their rules again on each request was a
    large share of a late page's time."""
    key = (item, flt.windowed, flt.due_from, flt.due_to, today)
    span = flt.due_to - flt.due_from if flt.due_from and flt.due_to else None
    if not flt.windowed or (span is not None and span <= REMEMBERED_WINDOW):
        return list(_remembered_occurrences(*key))
    return list(_occurrences_in(*key))


def _occurrences_in(
    item: Item, windowed: bool, due_from: date | None, due_to: date | None, today: date
) -> tuple[Item, ...]:
    if item.start is None:
        return () if windowed else (item,)
    # an occurrence may start up to one period before its due date
    slack = relativedelta(years=1, days=1)
    if windowed:
        lower = (due_from or item.start) - slack
        upper = due_to or (due_from or today) + relativedelta(years=10)
        found = [occurrence(item, s) for s in occurrence_starts(item, lower, upper)]
        return tuple(
            o
            for o in found
            if o.due is not None
            and (due_from is None or o.due >= due_from)
            and (due_to is None or o.due <= due_to)
        )
    upcoming_ones = (
        occurrence(item, s)
        for s in occurrence_starts(item, today - slack, today + relativedelta(years=50))
    )
    nxt = next((o for o in upcoming_ones if o.due is not None and o.due >= today), None)
    return (nxt,) if nxt else (item,)


_remembered_occurrences = functools.lru_cache(maxsize=1024)(_occurrences_in)


def next_occurrence(item: Item, today: date) -> Item | None:
    """The next occurrence due on or after today, or the item itself if it does not recur."""
    if item.recurrence is None:
        return item if item.due is not None and item.due >= today else None
    found = occurrences_in(item, ItemFilter(), today)
    return found[0] if found and found[0].occurrence else None
