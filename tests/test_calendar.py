"""Items as iCalendar: dates, zones, series, identity, text; read back by two parsers."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_TODAY
from tests.feeds_support import events, pin_rows, read_both
from tracker.domain.items import ItemFilter, apply_timeline, find_items
from tracker.domain.status import Actor, update_progress
from tracker.feeds.services import FeedOptions, group_feed, programme_feed, render
from tracker.ical.calendar import build_calendar, event_times
from tracker.models import (
    Activity,
    Milestone,
    MilestoneKind,
    Status,
    WorkingGroup,
    code_sort_key,
)
from tracker.timeline import parse_timeline

BASE = "http://tracker.test"
DATA = Path(__file__).parent / "data" / "feeds"


def _group(session, short_name):
    return session.scalars(
        sa.select(WorkingGroup).where(WorkingGroup.short_name == short_name)
    ).one()


def _feed(session, short_name, spans=False, **options):
    return render(
        session,
        group_feed(_group(session, short_name), FeedOptions(ItemFilter(**options), spans)),
        base_url=BASE,
        today=TEST_TODAY,
    )


def _by_code(session, code):
    [item] = find_items(session, ItemFilter(code=code, series=True), TEST_TODAY).items
    return item


def _event(calendar, session, code):
    item = _by_code(session, code)
    return events(calendar)[f"{item.kind}-{item.uid}@workplan-tracker"]


def test_all_day_items_are_dates_with_an_exclusive_end(session):
    body = _feed(session, "EGMS")
    calendar, strict = read_both(body)
    cairo = _event(calendar, session, "IFMS-2020")
    assert cairo.decoded("dtstart") == date(2020, 1, 20)
    assert cairo.decoded("dtend") == date(2020, 1, 22)  # the forum is on the 20th and 21st
    assert "DTSTART;VALUE=DATE:20200120" in body.decode()
    # an activity written as "January 2020" is due on its last day: one all-day event
    forum = _event(calendar, session, "37")
    assert (forum.decoded("dtstart"), forum.decoded("dtend")) == (
        date(2020, 1, 31),
        date(2020, 2, 1),
    )
    assert str(forum["transp"]) == "TRANSPARENT" and str(cairo["transp"]) == "OPAQUE"
    strict_cairo = next(e for e in strict.events if e.uid == str(cairo["uid"]))
    assert (strict_cairo.dtstart, strict_cairo.dtend) == (date(2020, 1, 20), date(2020, 1, 22))
    assert strict_cairo.location == "Cairo, Egypt"


def test_timed_meetings_carry_their_zone_and_a_vtimezone(session):
    body = _feed(session, "M4SD")
    calendar, strict = read_both(body)
    assert "DTSTART;TZID=Europe/Paris:20210929T090000" in body.decode()
    assert "DTEND;TZID=Europe/Paris:20210929T113000" in body.decode()
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Europe/Paris"
    # the zone as written, not as Python knows it: rename it so no reader can look it up
    text = body.decode().replace("Europe/Paris", "Workplan/Paris")
    renamed = icalendar.Calendar.from_ical(text)
    session_one = next(
        e for e in renamed.walk("VEVENT") if str(e["summary"]).endswith("first session")
    )
    assert session_one.decoded("dtstart").astimezone(UTC) == datetime(2021, 9, 29, 7, 0, tzinfo=UTC)
    assert session_one.decoded("dtend").astimezone(UTC) == datetime(2021, 9, 29, 9, 30, tzinfo=UTC)
    strict_one = next(e for e in strict.events if e.summary.endswith("first session"))
    assert strict_one.dtstart.astimezone(UTC) == datetime(2021, 9, 29, 7, 0, tzinfo=UTC)
    assert strict_one.dtend.astimezone(UTC) == datetime(2021, 9, 29, 9, 30, tzinfo=UTC)
    assert [tz.tz_id for tz in strict.timezones] == ["Europe/Paris"]


def test_ifms_is_one_series_every_other_year(session):
    body = _feed(session, "EGMS")
    calendar, strict = read_both(body)
    ifms = _by_code(session, "IFMS-2020")
    uid = f"milestone-{ifms.uid}@workplan-tracker"
    assert body.decode().count(uid) == 1
    assert "RRULE:FREQ=YEARLY;INTERVAL=2" in body.decode()
    found = [
        e
        for e in recurring_ical_events.of(calendar).between(date(2019, 1, 1), date(2031, 1, 1))
        if str(e["uid"]) == uid
    ]
    assert [e.decoded("dtstart") for e in found] == [date(y, 1, 20) for y in range(2020, 2031, 2)]
    assert {e.decoded("dtend") - e.decoded("dtstart") for e in found} == {timedelta(days=2)}
    strict_found = [
        e.dtstart
        for e in strict.timeline_tz(UTC).overlapping(date(2019, 1, 1), date(2031, 1, 1))
        if e.uid == uid
    ]
    assert strict_found == [date(y, 1, 20) for y in range(2020, 2031, 2)]


def _add_recurring_items(session):
    """Series of every shape the domain knows, beside the seed's IFMS and activity 4."""
    group = _group(session, "WS1")
    for code, text in (
        ("9.1", "January 2020 – December 2021 (quarterly)"),
        ("9.2", "2018 – 2022 (annually)"),
    ):
        activity = Activity(
            working_group=group, code=code, sort_key=code_sort_key(code), title=code
        )
        apply_timeline(activity, parse_timeline(text))
        session.add(activity)
    for code, kind, text, extra in (
        ("9-M1", MilestoneKind.DELIVERABLE, "June 2020 (annually)", {}),
        (
            "9-M2",
            MilestoneKind.MEETING,
            "12 March 2021",
            {
                "start_time": time(10),
                "end_time": time(12),
                "timezone": "America/New_York",
                "recurrence": "FREQ=YEARLY;COUNT=3",
            },
        ),
    ):
        milestone = Milestone(working_group=group, code=code, kind=kind, title=code)
        apply_timeline(milestone, parse_timeline(text))
        for name, value in extra.items():
            setattr(milestone, name, value)
        session.add(milestone)
    session.flush()


def _starts(value):
    return value.astimezone(UTC) if isinstance(value, datetime) else value


@pytest.mark.parametrize("spans", [False, True])
def test_series_expand_to_the_domains_occurrences(session, spans):
    _add_recurring_items(session)
    body = render(
        session, programme_feed(FeedOptions(spans=spans)), base_url=BASE, today=TEST_TODAY
    )
    calendar, strict = read_both(body)
    low, high = date(2016, 1, 1), date(2032, 1, 1)

    def in_window(value):
        day = value.date() if isinstance(value, datetime) else value
        return low <= day < high

    expected: dict[str, set] = {}
    window = ItemFilter(due_from=date(2010, 1, 1), due_to=date(2040, 12, 31))
    for item in find_items(session, window, TEST_TODAY).items:
        if item.occurrence:
            start = event_times(item, spans=spans).start
            if in_window(start):
                expected.setdefault(f"{item.kind}-{item.uid}@workplan-tracker", set()).add(
                    _starts(start)
                )
    assert len(expected) == 7  # IFMS, activity 4, 3.13-M1 and the four above

    found: dict[str, set] = {}
    for event in recurring_ical_events.of(calendar).between(low, high):
        if str(event["uid"]) in expected:
            found.setdefault(str(event["uid"]), set()).add(_starts(event.decoded("dtstart")))
    assert found == expected

    strict_found: dict[str, set] = {}
    for event in strict.timeline_tz(UTC).overlapping(low, high):
        if event.uid in expected and in_window(event.dtstart):
            strict_found.setdefault(event.uid, set()).add(_starts(event.dtstart))
    assert strict_found == expected


def test_series_keep_their_wall_clock_time_across_daylight_saving(session):
    _add_recurring_items(session)
    calendar, _ = read_both(_feed(session, "WS1"))
    meeting = _by_code(session, "9-M2")
    starts = [
        e.decoded("dtstart").astimezone(UTC)
        for e in recurring_ical_events.of(calendar).between(date(2021, 1, 1), date(2030, 1, 1))
        if str(e["uid"]) == f"milestone-{meeting.uid}@workplan-tracker"
    ]
    # 10:00 in New York: standard time in 2021 and 2022, daylight time from 12 March 2023 on
    assert starts == [
        datetime(2021, 3, 12, 15, tzinfo=UTC),
        datetime(2022, 3, 12, 15, tzinfo=UTC),
        datetime(2023, 3, 12, 14, tzinfo=UTC),
    ]
    text = _feed(session, "WS1").decode()
    assert "RRULE:FREQ=YEARLY;UNTIL=20230312T140000Z" in text
    # a quarterly activity written in months is due on each quarter's last day, until its end
    assert "RRULE:FREQ=MONTHLY;UNTIL=20211031;INTERVAL=3;BYMONTHDAY=-1" in text


def test_uids_hold_and_sequence_rises_across_an_edit(session):
    first = events(read_both(_feed(session, "EGMS"))[0])
    milestone = session.scalars(sa.select(Milestone).where(Milestone.code == "37-M2")).one()
    update_progress(
        session, milestone, Actor.system("test", "cli"), status=Status.CANCELLED, today=TEST_TODAY
    )
    session.commit()
    second = events(read_both(_feed(session, "EGMS"))[0])
    assert first.keys() == second.keys()
    uid = f"milestone-{milestone.uid}@workplan-tracker"
    assert second[uid]["sequence"] == first[uid]["sequence"] + 1
    assert str(second[uid]["status"]) == "CANCELLED" and str(first[uid]["status"]) == "CONFIRMED"
    assert str(second[uid]["summary"]).startswith("Cancelled: EGMS: Workshop")
    assert second[uid].decoded("last-modified") >= first[uid].decoded("last-modified")
    unchanged = [u for u in first if u != uid]
    assert [second[u]["sequence"] for u in unchanged] == [first[u]["sequence"] for u in unchanged]


def test_description_gives_status_leads_timeline_and_a_link(session):
    calendar, strict = read_both(_feed(session, "WS1"))
    item = _by_code(session, "3.4")
    text = str(_event(calendar, session, "3.4")["description"])
    assert text.startswith(
        "Status: not reported\nLeads: ILO\nTimeline: Ongoing – June 2020\n"
        "Working group: Thematic workstream 1 (WS1)\nPart of activity 3\n"
    )
    assert text.endswith(f"\n\n{BASE}/activities/{item.id}")
    strict_event = next(e for e in strict.events if e.uid.endswith(f"{item.uid}@workplan-tracker"))
    assert strict_event.description == text
    assert strict_event.url == f"{BASE}/activities/{item.id}"
    assert strict_event.summary.startswith("WS1 3.4 due: Implement the methodology")


def test_calendar_names_itself_and_says_how_often_to_refresh(session):
    body = _feed(session, "WS1", statuses=frozenset({Status.PLANNED, Status.DELAYED}))
    name = "WS1 (delayed or planned) – Workplan Tracker"
    lines = body.decode().split("\r\n")
    assert f"X-WR-CALNAME:{name}" in lines and f"NAME:{name}" in lines
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines and "X-PUBLISHED-TTL:PT1H" in lines
    _calendar, strict = read_both(body)
    assert strict.name == [name] and strict.refresh_interval == timedelta(hours=1)
    assert strict.prodid == "-//Workplan Tracker//workplan-tracker//EN"


def test_spans_option_shows_activities_over_their_span(session):
    calendar, _ = read_both(_feed(session, "WS1", spans=True))
    event = _event(calendar, session, "1.1")  # "November 2019"... as the workplan wrote it
    item = _by_code(session, "1.1")
    assert event.decoded("dtstart") == item.start
    assert event.decoded("dtend") == item.end + timedelta(days=1)
    assert str(event["summary"]).startswith("WS1 1.1: ")
    # without a start, an activity stays on the day it is due
    ongoing = _event(calendar, session, "3.4")
    assert ongoing.decoded("dtstart") == date(2020, 6, 30)


def test_undated_items_are_left_out(session):
    calendar, _ = read_both(_feed(session, "EGMS"))
    undated = _by_code(session, "36(b)")
    assert undated.due is None
    assert f"activity-{undated.uid}@workplan-tracker" not in events(calendar)


def test_mail_attachments_of_single_occurrences_stand_alone(session):
    """The reminders send one occurrence: its own UID, its own dates, no RRULE."""
    window = ItemFilter(code="IFMS-2020", due_from=date(2022, 1, 1), due_to=date(2022, 12, 31))
    [occurrence] = find_items(session, window, TEST_TODAY).items
    body = build_calendar([occurrence], name="Reminder", base_url=BASE)
    calendar, _ = read_both(body)
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]).endswith(f"{occurrence.uid}-20220120@workplan-tracker")
    assert event.decoded("dtstart") == date(2022, 1, 20) and "rrule" not in event


@pytest.mark.parametrize("word", ["Développement", "Côte d'Ivoire", "Migración € 𝄞"])
def test_folding_never_cuts_a_character(session, word):
    item = _by_code(session, "3.4")
    titles = [f"{'x' * pad} {word} " * 6 for pad in range(0, 76)]
    body = build_calendar(
        [replace(item, title=t, code=str(n)) for n, t in enumerate(titles)],
        name=word,
        base_url=BASE,
    )
    calendar, strict = read_both(body)  # checks every line: <= 75 octets, whole characters
    assert max(len(line) for line in body.split(b"\r\n")) == 75
    summaries = sorted(str(e["summary"]) for e in calendar.walk("VEVENT"))
    assert summaries == sorted(f"WS1 {n} due: {t}" for n, t in enumerate(titles))
    assert sorted(e.summary for e in strict.events) == summaries


_TEXT = st.text(
    alphabet=st.sampled_from([*"aé€𝄞 ,;:\\\"'\n\r\t", "\x00", "\x07", "\x1b"]),
    min_size=1,
    max_size=120,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=_TEXT, location=_TEXT)
def test_text_is_escaped_and_reads_back(session, title, location):
    item = replace(_by_code(session, "IFMS-2020"), title=title, location=location)
    body = build_calendar([item], name=title, base_url=BASE)
    calendar, strict = read_both(body)
    [event] = calendar.walk("VEVENT")

    def expected(value):  # control characters other than tab go; line breaks become \n
        value = "".join(c for c in value if c in "\r\n\t" or ord(c) >= 32)
        return value.replace("\r\n", "\n").replace("\r", "\n")

    assert str(event["summary"]) == f"EGMS: {expected(title)}"
    assert str(event["location"]) == expected(location)
    assert [e.location for e in strict.events] == [expected(location)]
    assert strict.name == [expected(title)]


@pytest.mark.parametrize(
    ("file", "short_name", "options"),
    [("egms.ics", "EGMS", {}), ("m4sd.ics", "M4SD", {}), ("ws1-spans.ics", "WS1", {"spans": True})],
)
def test_golden_feeds(session, file, short_name, options):
    """The exact bytes, against files a person has read. TRACKER_UPDATE_GOLDEN=1 rewrites them
    after a deliberate change; review the diff before committing it."""
    pin_rows(session)
    body = _feed(session, short_name, **options)
    golden = DATA / file
    if os.environ.get("TRACKER_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(body)
    read_both(golden.read_bytes())
    assert body == golden.read_bytes()


@given(
    title=st.text(alphabet=st.sampled_from([*'ab ;,\\^:"\n', "é", "漢", "🙂"]), max_size=300),
    padding=st.integers(min_value=0, max_value=80),
)
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_an_event_is_written_as_icalendar_writes_it(session, title, padding):
    """`event_ical`, the build's own writer, against icalendar's `to_ical`: folds at every
    position, escapes at the fold, characters of several octets."""
    from tracker.ical.calendar import event_ical, item_event

    item = replace(_by_code(session, "37-M2"), title="x" * padding + title, location=title)
    event = item_event(item, BASE)
    assert event is not None
    assert event_ical(event) == event.to_ical()
