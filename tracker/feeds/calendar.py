"""iCalendar for items: the one place an `Item` becomes a VEVENT (feeds, downloads, mail)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from icalendar import Calendar, Event

from tracker.domain.items import Item
from tracker.models import CLOSED_STATUSES, Status

PRODID = "-//Workplan Tracker//workplan-tracker//EN"


def item_event(item: Item, base_url: str) -> Event | None:
    """An all-day event on the item's due date (or its span); None for undated items."""
    if item.due is None:
        return None
    event = Event()
    suffix = f"-{item.start:%Y%m%d}" if item.occurrence and item.start else ""
    event.add("uid", f"{item.kind}-{item.uid}{suffix}@workplan-tracker")
    event.add("summary", f"{item.code} {item.title}")
    start = item.start if item.kind == "milestone" and item.start else item.due
    end = item.end if item.kind == "milestone" and item.end else item.due
    event.add("dtstart", start)
    event.add("dtend", end + timedelta(days=1))
    event.add("dtstamp", item.updated_at)
    event.add("status", "CANCELLED" if item.status == Status.CANCELLED else "CONFIRMED")
    path = "activities" if item.kind == "activity" else "milestones"
    event.add("url", f"{base_url.rstrip('/')}/{path}/{item.id}")
    closed = " (closed)" if item.status in CLOSED_STATUSES else ""
    event.add(
        "description",
        f"{item.working_group} · {item.status.label}{closed} · {item.timeline_text or item.when}",
    )
    if item.location:
        event.add("location", item.location)
    return event


def build_calendar(items: Iterable[Item], *, name: str, base_url: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for item in items:
        event = item_event(item, base_url)
        if event is not None:
            calendar.add_component(event)
    return calendar.to_ical()
