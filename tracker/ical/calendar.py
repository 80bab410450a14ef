"""iCalendar for items: the one place an `Item` becomes a VEVENT (feeds, downloads, mail).

What calendar clients need, and why it is done this way:

* All-day items are DATE values with the exclusive DTEND of RFC 5545 3.6.1: a deadline on
  30 June is DTSTART 20200630, DTEND 20200701.
* Timed items carry their TZID, and the calendar a VTIMEZONE Outlook can read
  (`tracker.ical.timezones`).
* A recurring item is one VEVENT with an RRULE, not a list of copies. The rule is the item's
  own, moved to the day its occurrences are due; which occurrences there are is the domain's
  rule (`tracker.domain.items.occurrence_starts`), and the tests hold the two together.
* Without a METHOD, DTSTAMP is when the item last changed (RFC 5545 3.8.7.2), so the same data
  always gives the same bytes: ETags hold, and golden files need no clock.
* SEQUENCE is the item's `version` less one: it starts at 0 and rises with every change.
* icalendar folds lines at 75 octets between whole UTF-8 characters, ends them with CRLF and
  escapes text; the tests check all three.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from icalendar import (
    Calendar,
    Event,
    Parameters,
    vCategory,
    vDDDTypes,
    vDuration,
    vInt,
    vRecur,
    vText,
    vUri,
)
from icalendar.parser import Contentline
from icalendar.parser_tools import DEFAULT_ENCODING

from tracker.domain.item import Item
from tracker.domain.recurrence import occurrence, occurrence_starts
from tracker.ical.timezones import vtimezone
from tracker.links import item_url
from tracker.models import MilestoneKind, Precision, Status
from tracker.monitoring.models import ReportingRound

PRODID = "-//Workplan Tracker//workplan-tracker//EN"
#: How often clients should fetch a feed again (REFRESH-INTERVAL and X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)
#: VTIMEZONEs reach at least this far, for series that go on.
ZONES_UNTIL = 2037
#: A series whose rule finds no occurrence this soon after its start is left out.
FIRST_WITHIN = timedelta(days=3 * 366)

V = TypeVar("V")

#: Control characters TEXT may not hold (RFC 5545 3.3.11); spreadsheets sometimes carry them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: How a VCALENDAR's serialization ends: the events are written in before it.
_CALENDAR_END = b"END:VCALENDAR\r\n"

#: RRULE parts that choose days themselves; a rule with one of them is kept as it is.
_DAY_PARTS = frozenset({"BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS"})


@dataclass(frozen=True)
class EventTimes:
    """When an event is: DATEs with an exclusive end, or zoned datetimes (end may be open)."""

    start: date | datetime
    end: date | datetime | None
    #: The event is the day the item is due, not its span or its meeting time.
    due_day: bool = False
    #: The start is the last day of a month that the workplan gave only as a month.
    month_end: bool = False


class SharedValues:
    """Property values that repeat across the events of one calendar, each made once.

    Every value icalendar makes builds its own `Parameters` dictionary, and for a whole
    programme making the values cost as much as writing them out. Dates, DTSTAMPs, STATUS,
    TRANSP, CATEGORIES and LOCATION repeat across events; icalendar only reads a value when it
    writes it, so one object serves every event of the calendar being built. Kept for one
    build only: a calendar's events never outlive `build_calendar`.
    """

    def __init__(self) -> None:
        self._made: dict[tuple[Callable[..., object], Hashable, object], object] = {}
        self._no_parameters = Parameters()

    def text(self, value: str) -> vText:
        """A TEXT value of one event (UID, SUMMARY, DESCRIPTION), as `text` makes it, but with
        the calendar's one empty `Parameters`: making those was a third of making an event."""
        made = str.__new__(vText, _CONTROL.sub("", value))
        made.encoding = DEFAULT_ENCODING
        made.params = self._no_parameters
        return made

    def __call__(self, make: Callable[[Any], V], value: Hashable) -> V:
        # equal datetimes in different zones are different values: the zone is in the key
        key = (make, value, getattr(value, "tzinfo", None))
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = make(value)
        return made  # type: ignore[return-value]


def text(value: str) -> vText:
    """A TEXT value: escaped by icalendar, without the control characters it would pass on.

    icalendar escapes only the properties it knows as TEXT; NAME and the X-WR names are
    TEXT too (RFC 7986, MS-OXCICAL), but left to it they go out unescaped, and a line
    break in one stops the whole calendar from being written.
    """
    return vText(_CONTROL.sub("", value))


def event_times(item: Item, *, spans: bool = False) -> EventTimes | None:
    """Meetings over their days (at their times, if any); deliverables, deadlines and activities
    on the day they are due; with `spans`, activities over their whole planned span."""
    if item.kind == "milestone" and item.start_time and item.timezone and item.start:
        zone = ZoneInfo(item.timezone)
        start = datetime.combine(item.start, item.start_time, tzinfo=zone)
        end = (
            datetime.combine(item.end or item.start, item.end_time, tzinfo=zone)
            if item.end_time
            else None
        )
        return EventTimes(start, end if end is not None and end > start else None)
    if item.kind == "milestone" and item.milestone_kind == MilestoneKind.MEETING:
        if item.start and item.start_precision == Precision.DAY:
            last = item.end if item.end and item.end_precision == Precision.DAY else item.start
            return EventTimes(item.start, last + timedelta(days=1))
    elif item.kind == "activity" and spans and item.start and item.end:
        return EventTimes(item.start, item.end + timedelta(days=1))
    if item.due is None:
        return None
    precision = item.start_precision if item.kind == "activity" else item.end_precision
    month_end = precision == Precision.MONTH and item.due != item.start
    return EventTimes(item.due, item.due + timedelta(days=1), due_day=True, month_end=month_end)


def summary(item: Item, times: EventTimes) -> str:
    """What a calendar shows in its grid: the group first, so mixed feeds stay readable."""
    due = " due" if times.due_day else ""
    if item.kind == "activity":
        line = f"{item.working_group} {item.code}{due}: {item.title}"
    elif item.milestone_kind == MilestoneKind.MEETING:
        line = f"{item.working_group}: {item.title}"
    else:
        line = f"{item.working_group} {item.milestone_kind}{due}: {item.title}"
    return f"Cancelled: {line}" if item.status == Status.CANCELLED else line


def event_description(item: Item, base_url: str) -> str:
    """Status, leads and the timeline as the workplan wrote it, then the item's own text."""
    lines = [
        f"Status: {item.status.label}",
        f"Leads: {', '.join(item.leads) or 'none named'}",
        f"{'Timeline' if item.kind == 'activity' else 'Date'}: {item.timeline_text or item.when}",
        f"Working group: {item.working_group_name} ({item.working_group})",
    ]
    if item.parent_code:
        lines.append(f"Part of activity {item.parent_code}")
    if item.description:
        lines += ["", item.description]
    lines += ["", item_url(item, base_url)]
    return "\n".join(lines)


def _until(item: Item, rule: vRecur, spans: bool) -> date | datetime | None:
    """The start of the last occurrence of a series that ends, as UNTIL must give it."""
    assert item.start is not None
    bounded_activity = item.kind == "activity" and item.end is not None and not item.ongoing
    if "COUNT" not in rule and "UNTIL" not in rule and not bounded_activity:
        return None
    # a rule with COUNT or UNTIL stops by itself; an activity's stops at its planned end
    last_day = item.end if bounded_activity and item.end else date.max
    starts = list(occurrence_starts(item, item.start, last_day))
    if not starts:
        return None
    last = event_times(occurrence(item, starts[-1]), spans=spans)
    assert last is not None
    if isinstance(last.start, datetime):
        return last.start.astimezone(UTC)  # RFC 5545 3.3.10: UTC when DTSTART has a TZID
    return last.start


def recurrence_rule(item: Item, times: EventTimes, *, spans: bool = False) -> vRecur | None:
    """The item's RRULE, moved from the day its occurrences start to the day the event is on."""
    if item.recurrence is None or item.start is None or item.occurrence:
        return None
    rule = vRecur.from_ical(item.recurrence.removeprefix("RRULE:"))
    if times.month_end and not _DAY_PARTS & rule.keys():
        rule["BYMONTHDAY"] = [-1]  # "January" is due on its last day, in every year it recurs
        if rule["FREQ"] == ["YEARLY"] and "BYMONTH" not in rule:
            rule["BYMONTH"] = [times.start.month]
    until = _until(item, rule, spans)
    if until is not None:
        rule.pop("COUNT", None)
        rule["UNTIL"] = [until]
    return rule


def uid(item: Item) -> str:
    """Stable across exports and edits; an occurrence handed out alone gets its own."""
    suffix = f"-{item.start:%Y%m%d}" if item.occurrence and item.start else ""
    return f"{item.kind}-{item.uid}{suffix}@workplan-tracker"


def first_occurrence(item: Item) -> Item | None:
    """A series starts where its first occurrence does: an ongoing activity that recurs has no
    due date of its own, only its occurrences have."""
    if item.recurrence is None or item.start is None or item.occurrence:
        return item
    first = next(occurrence_starts(item, item.start, item.start + FIRST_WITHIN), None)
    return occurrence(item, first) if first is not None else None


def item_event(
    item: Item, base_url: str, *, spans: bool = False, shared: SharedValues | None = None
) -> Event | None:
    """The VEVENT of an item, a recurring item's series, or one occurrence; None if undated.

    The values are made with the types `Event.add` would choose for them and set directly:
    `add` infers each type again and copies its parameters, for every property of every event.
    """
    first = first_occurrence(item)
    times = event_times(first, spans=spans) if first is not None else None
    if times is None:
        return None
    value = shared or SharedValues()
    changed = value(vDDDTypes, item.updated_at.astimezone(UTC))
    event = Event()
    event["UID"] = value.text(uid(item))
    event["DTSTAMP"] = changed
    event["LAST-MODIFIED"] = changed
    event["SEQUENCE"] = value(vInt, max(item.version - 1, 0))
    event["DTSTART"] = value(vDDDTypes, times.start)
    if times.end is not None:
        event["DTEND"] = value(vDDDTypes, times.end)
    rule = recurrence_rule(item, times, spans=spans)
    if rule is not None:
        event["RRULE"] = rule
    event["SUMMARY"] = value.text(summary(item, times))
    event["DESCRIPTION"] = value.text(event_description(item, base_url))
    if item.location:
        event["LOCATION"] = value(text, item.location)
    event["STATUS"] = value(vText, "CANCELLED" if item.status == Status.CANCELLED else "CONFIRMED")
    meeting = item.milestone_kind == MilestoneKind.MEETING
    # deadlines are reminders, not time taken: they leave free/busy free
    event["TRANSP"] = value(vText, "OPAQUE" if meeting else "TRANSPARENT")
    kind = item.milestone_kind.value if item.milestone_kind else item.kind
    event["CATEGORIES"] = value(vCategory, (kind.capitalize(), item.working_group))
    event["URL"] = vUri(item_url(item, base_url))
    return event


#: RFC 5545 3.1 as icalendar folds: at most 74 octets of the line before each fold.
_FOLD_AT = 74


def fold(line: str) -> str:
    """`line` folded exactly as icalendar's `Contentline.to_ical` folds it, without its loop
    over every character: an ASCII line is cut every 74 characters, a cut never separating a
    backslash or caret from the character it escapes (icalendar's rule); other lines are left
    to icalendar. Folding was a third of a feed's build."""
    if len(line) <= _FOLD_AT or not line.isascii():
        if len(line.encode(DEFAULT_ENCODING)) <= _FOLD_AT:
            return line
        return Contentline(line).to_ical().decode(DEFAULT_ENCODING)
    pieces = []
    start = 0
    while len(line) - start > _FOLD_AT:
        end = start + _FOLD_AT
        if line[end - 1] in "\\^":
            end -= 1  # the escape character begins the next piece
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return "\r\n ".join(pieces)


def _text(value: bytes | str) -> str:
    return value.decode(DEFAULT_ENCODING) if isinstance(value, bytes) else value


def _content_line(name: str, value: Any) -> str:
    """`Contentline.from_parts(name, value.params, value)`, as a plain string."""
    params = getattr(value, "params", None)
    written = _text(value.to_ical())
    if params and (parameters := _text(params.to_ical(sorted=True))):
        return f"{name};{parameters}:{written}"
    return f"{name}:{written}"


def event_ical(event: Event) -> bytes:
    """What `event.to_ical()` writes, byte for byte (the golden files hold them together):
    icalendar's own content lines, in its order, folded by `fold`. A VEVENT of `item_event`
    has no subcomponents."""
    lines = ["BEGIN:VEVENT"]
    for name in event.sorted_keys():
        values = event[name]
        for value in values if isinstance(values, list) else (values,):
            lines.append(fold(_content_line(name, value)))
    lines.append("END:VEVENT\r\n")
    return "\r\n".join(lines).encode(DEFAULT_ENCODING)


def round_event(round_: ReportingRound, base_url: str) -> Event:
    """A reporting round's due date, as an all-day reminder in its coordinators' feeds."""
    event = Event()
    changed = vDDDTypes(round_.updated_at.astimezone(UTC))
    event["UID"] = text(f"round-{round_.id}@workplan-tracker")
    event["DTSTAMP"] = changed
    event["LAST-MODIFIED"] = changed
    event["DTSTART"] = vDDDTypes(round_.due_date)
    event["DTEND"] = vDDDTypes(round_.due_date + timedelta(days=1))
    group = round_.working_group.short_name
    event["SUMMARY"] = text(f"{group} progress reports due: {round_.label}")
    event["DESCRIPTION"] = text(
        f"Reporting round {round_.label} of {round_.working_group.name}, covering "
        f"{round_.period_start.isoformat()} to {round_.period_end.isoformat()}."
    )
    event["STATUS"] = vText("CONFIRMED" if round_.is_open else "CANCELLED")
    event["TRANSP"] = vText("TRANSPARENT")
    event["CATEGORIES"] = vCategory(("Reporting round", group))
    event["URL"] = vUri(f"{base_url.rstrip('/')}/rounds/{round_.id}")
    return event


def _note_zones(event: Event, years: dict[str, list[int]]) -> None:
    """Adds the years of the event's zoned times to `years`, by TZID."""
    for name in ("dtstart", "dtend"):
        value = event.get(name)
        moment = value.dt if value is not None else None
        if isinstance(moment, datetime) and isinstance(moment.tzinfo, ZoneInfo):
            years.setdefault(moment.tzinfo.key, []).append(moment.year)


def build_calendar(
    items: Iterable[Item],
    *,
    name: str,
    base_url: str,
    spans: bool = False,
    description: str | None = None,
    extra_events: Iterable[Event] = (),
) -> bytes:
    """A whole VCALENDAR: the items' events, the time zones they use, and the feed's name and
    refresh interval (RFC 7986, plus the X-WR and X-PUBLISHED-TTL names older clients read)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", text(name))
    calendar.add("x-wr-calname", text(name))
    if description:
        calendar.add("description", text(description))
        calendar.add("x-wr-caldesc", text(description))
    # RFC 7986 requires the VALUE parameter here; icalendar's `refresh_interval` leaves it out
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    # Each event is written out as soon as it is made, not kept for one `to_ical` of the
    # whole: a programme's 57,575 events held at once made the garbage collector walk them
    # again and again as they piled up (3.5 of 15.5 s), and held ~2 million objects.
    shared = SharedValues()
    years: dict[str, list[int]] = {}
    written: list[bytes] = []
    for item in items:
        event = item_event(item, base_url, spans=spans, shared=shared)
        if event is not None:
            _note_zones(event, years)
            written.append(event_ical(event))
    written += [event_ical(event) for event in extra_events]
    for tzid, found in sorted(years.items()):
        calendar.add_component(vtimezone(tzid, min(found), max(max(found), ZONES_UNTIL)))
    # the time zones come before the events, as they would with the events added last
    head = calendar.to_ical().removesuffix(_CALENDAR_END)
    return b"".join((head, *written, _CALENDAR_END))
