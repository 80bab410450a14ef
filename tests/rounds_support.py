"""The reporting round the tests open: WS1's "2020, first half", due 15 July 2020."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.domain.monitoring import open_round
from tracker.models import Person, WorkingGroup
from tracker.monitoring.models import ReportingRound

H1 = {
    "label": "2020, first half",
    "period_start": date(2020, 1, 1),
    "period_end": date(2020, 6, 30),
}
DUE = date(2020, 7, 15)
OPENED = date(2020, 6, 1)


def open_ws1_round(
    session: so.Session, opened_by: Person | None = None, due: date = DUE
) -> ReportingRound:
    """The round, opened on `OPENED` and not committed: no request sent yet."""
    ws1 = session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == "WS1")).one()
    return open_round(session, ws1, opened_by, due=due, today=OPENED, **H1)
