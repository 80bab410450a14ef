"""Helpers of the feed tests: stable rows, tokens, and reading calendars back two ways."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import icalendar
import sqlalchemy as sa
from ical.calendar import Calendar as IcalCalendar
from ical.calendar_stream import IcsCalendarStream

from tracker.feeds.services import create_token
from tracker.models import Activity, ContentState, Entity, Milestone, Person, WorkingGroup

#: When the pinned rows last changed: DTSTAMP and LAST-MODIFIED of the golden files.
PINNED_AT = datetime(2019, 12, 2, 8, 30, tzinfo=UTC)
_NAMESPACE = uuid.UUID("6f1d4c2e-5b1a-4e0b-9a53-2f0c6b8e7d10")


def pin_rows(session: sa.orm.Session) -> None:
    """Give the seed items UIDs made from their codes and one old `updated_at`, so that a feed
    is the same bytes on every run and a later change is later to the second."""
    for model in (Activity, Milestone):
        table = model.__table__
        rows = session.execute(
            sa.select(model.id, WorkingGroup.short_name, model.code).join(model.working_group)
        ).all()
        session.execute(
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values(uid=sa.bindparam("new_uid"), updated_at=PINNED_AT),
            [
                {"row_id": row_id, "new_uid": str(uuid.uuid5(_NAMESPACE, f"{group}/{code}"))}
                for row_id, group, code in rows
            ],
        )
    for model in (WorkingGroup, Entity, Person):
        session.execute(model.__table__.update().values(updated_at=PINNED_AT))
    session.execute(ContentState.__table__.update().values(changed_at=PINNED_AT))
    session.expire_all()


def token_for(session: sa.orm.Session, email: str, name: str = "test device") -> str:
    person = session.scalars(sa.select(Person).where(Person.email == email)).one()
    _row, token = create_token(session, person, name)
    session.commit()
    return token


def check_wire_format(body: bytes) -> None:
    """CRLF line ends, lines of at most 75 octets, and no UTF-8 character cut by a fold."""
    assert body.endswith(b"\r\n")
    lines = body[:-2].split(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"") and b"\r" not in body.replace(b"\r\n", b"")
    for line in lines:
        assert len(line) <= 75, line
        line.decode("utf-8")  # raises if a fold split a character


def read_both(body: bytes) -> tuple[icalendar.Calendar, IcalCalendar]:
    """The calendar as icalendar reads it, and as the independent `ical` package reads it."""
    check_wire_format(body)
    return icalendar.Calendar.from_ical(body), IcsCalendarStream.calendar_from_ics(body.decode())


def events(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}
