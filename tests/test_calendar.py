"""Items as iCalendar events."""

from datetime import date

from icalendar import Calendar

from tracker.domain.items import ItemFilter, find_items
from tracker.feeds.calendar import build_calendar


def test_items_become_all_day_events(session):
    items = find_items(session, ItemFilter(working_group="EGMS"), date(2020, 1, 10)).items
    calendar = Calendar.from_ical(build_calendar(items, name="EGMS", base_url="http://t.test"))
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    cairo = events["IFMS-2020 International Forum on Migration Statistics (IFMS)"]
    assert cairo.decoded("dtstart") == date(2020, 1, 20)
    assert cairo.decoded("dtend") == date(2020, 1, 22)  # exclusive end
    assert str(cairo["location"]) == "Cairo, Egypt"
    assert str(calendar["x-wr-calname"]) == "EGMS"
