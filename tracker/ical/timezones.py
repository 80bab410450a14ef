"""VTIMEZONE components that Outlook, Google and Apple Calendar all read the same way.

icalendar's own `add_missing_timezones` lists every transition since 1970 as RDATEs, and
starts each DAYLIGHT observance an hour late (at the wall-clock time after the change, where
RFC 5545 3.6.5 wants the time before it). Outlook reads only one STANDARD and one DAYLIGHT
observance, so where a zone keeps one yearly rule over the years a calendar needs, it gets
exactly that: two observances with an RRULE ("last Sunday of March"). Zones whose rules change
within those years get every transition written out instead, which every client reads.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import groupby
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Transition:
    """A change of UTC offset, with the wall-clock time at which it happens (before it)."""

    local: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    dst: bool

    @property
    def rule(self) -> tuple[object, ...]:
        """What a yearly RRULE must keep the same for this to be "the same change every year"."""
        day = self.local.day
        last = day + 7 > calendar.monthrange(self.local.year, self.local.month)[1]
        ordinal = -1 if last else (day - 1) // 7 + 1
        return (
            self.local.month,
            self.local.weekday(),
            ordinal,
            self.local.time(),
            self.offset_from,
            self.offset_to,
            self.name,
            self.dst,
        )


def _offset(zone: ZoneInfo, timestamp: int) -> timedelta:
    offset = datetime.fromtimestamp(timestamp, zone).utcoffset()
    assert offset is not None
    return offset


def _transitions(zone: ZoneInfo, first_year: int, last_year: int) -> Iterator[Transition]:
    """Every offset change in the years, found day by day and then to the second."""
    day = int(datetime(first_year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp())
    before = _offset(zone, day)
    while day < end:
        following = day + 86_400
        after = _offset(zone, following)
        if after != before:
            low, high = day, following  # the change happens in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (low, middle) if _offset(zone, middle) != before else (middle, high)
            changed = datetime.fromtimestamp(high, zone)
            yield Transition(
                local=datetime.fromtimestamp(high, UTC).replace(tzinfo=None) + before,
                offset_from=before,
                offset_to=after,
                name=changed.tzname() or "",
                # what clients call daylight time is the later of the two clocks; Dublin's
                # negative "winter time" is standard time to them
                dst=after > before,
            )
        before, day = after, following


@lru_cache(maxsize=64)
def _zone_transitions(tzid: str, first_year: int, last_year: int) -> tuple[Transition, ...]:
    return tuple(_transitions(ZoneInfo(tzid), first_year, last_year))


def _observance(transition: Transition) -> TimezoneStandard | TimezoneDaylight:
    component = TimezoneDaylight() if transition.dst else TimezoneStandard()
    component.add("dtstart", transition.local)
    component.add("tzoffsetfrom", transition.offset_from)
    component.add("tzoffsetto", transition.offset_to)
    if transition.name:
        component.add("tzname", transition.name)
    return component


def _yearly_rule(transitions: tuple[Transition, ...], years: range) -> bool:
    """One change into and one out of daylight time each year, always on the same rule."""
    if len(transitions) != 2 * len(years):
        return False
    by_kind = {dst: [t for t in transitions if t.dst == dst] for dst in (True, False)}
    return all(
        len({t.rule for t in found}) == 1 and [t.local.year for t in found] == list(years)
        for found in by_kind.values()
    )


def _kind_of(transition: Transition) -> tuple[bool, timedelta, timedelta, str]:
    return (transition.dst, transition.offset_from, transition.offset_to, transition.name)


def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for `tzid` that is right for every moment in [first_year, last_year]."""
    # observances begin a year early, so the first moments are after an onset on every reading
    years = range(first_year - 1, last_year + 1)
    transitions = _zone_transitions(tzid, years.start, years.stop - 1)
    component = Timezone()
    component.add("tzid", tzid)
    if transitions and _yearly_rule(transitions, years):
        for transition in transitions[:2]:
            observance = _observance(transition)
            month, weekday, ordinal, *_ = transition.rule
            byday = f"{ordinal}{_WEEKDAYS[weekday]}"
            observance.add("rrule", {"freq": "yearly", "bymonth": month, "byday": byday})
            component.add_component(observance)
        return component
    start = datetime(years.start, 1, 1, tzinfo=ZoneInfo(tzid))
    offset = start.utcoffset()
    assert offset is not None
    naive = start.replace(tzinfo=None)
    component.add_component(
        _observance(Transition(naive, offset, offset, start.tzname() or "", False))
    )
    for _kind, same in groupby(sorted(transitions, key=_kind_of), key=_kind_of):
        first, *others = same
        observance = _observance(first)
        if others:
            observance.add("rdate", [t.local for t in others])
        component.add_component(observance)
    return component
