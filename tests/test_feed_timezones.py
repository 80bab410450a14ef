"""VTIMEZONEs: right at every moment, and in the one-rule form Outlook reads where it can be."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Timezone

from tracker.ical.timezones import vtimezone

FIRST, LAST = 2019, 2037


def _moments(tzid):
    """Every three days, and a minute either side of each change of offset."""
    zone = ZoneInfo(tzid)
    moment, end = datetime(FIRST, 1, 1, tzinfo=UTC), datetime(LAST + 1, 1, 1, tzinfo=UTC)
    previous = moment.astimezone(zone).utcoffset()
    while moment < end:
        yield moment
        following = moment + timedelta(days=3)
        if following.astimezone(zone).utcoffset() != previous:
            low, high = moment, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                low, high = (
                    (middle, high)
                    if middle.astimezone(zone).utcoffset() == previous
                    else (low, middle)
                )
            yield from (high - timedelta(minutes=1), high, high + timedelta(minutes=1))
            previous = following.astimezone(zone).utcoffset()
        moment = following


@pytest.mark.parametrize(
    ("tzid", "observances"),
    [
        ("Europe/Paris", 2),  # one rule: last Sundays of March and October
        ("America/New_York", 2),
        ("Australia/Sydney", 2),  # daylight time across the new year
        ("Europe/Dublin", 2),  # "winter time" is the negative one
        ("Asia/Tokyo", 1),  # no daylight time at all
        ("Africa/Cairo", 3),  # daylight time again from 2023: every change written out
        ("America/Sao_Paulo", 3),  # daylight time abolished in 2019
    ],
)
def test_vtimezone_agrees_with_the_zone_database(tzid, observances):
    component = vtimezone(tzid, FIRST, LAST)
    assert len(component.subcomponents) == observances
    if observances == 2:
        assert all("RRULE" in sub and "RDATE" not in sub for sub in component.subcomponents)
    # read it back under a name no reader knows, so it is this text that gives the offsets
    renamed = f"Workplan/{tzid.replace('/', '-')}"
    text = component.to_ical().decode().replace(tzid, renamed)
    read = Timezone.from_ical(text).to_tz(lookup_tzid=False)
    zone = ZoneInfo(tzid)
    wrong = [
        m
        for m in _moments(tzid)
        if m.astimezone(read).utcoffset() != m.astimezone(zone).utcoffset()
    ]
    assert wrong == []


def test_daylight_time_begins_at_the_wall_clock_time_before_the_change():
    """RFC 5545 3.6.5: 02:00 in Paris on the last Sunday of March, in the offset before."""
    component = vtimezone("Europe/Paris", 2021, 2021)
    daylight = next(sub for sub in component.subcomponents if sub.name == "DAYLIGHT")
    assert daylight.decoded("dtstart") == datetime(2020, 3, 29, 2, 0)
    assert daylight["rrule"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
