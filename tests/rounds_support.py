"""The reporting round the tests open: WS1's "2020, first half", due 15 July 2020; and the
results table that gives its activities an indicator to report on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

from tests.conftest import TEST_TODAY
from tracker.domain.monitoring import open_round
from tracker.exchange import import_files
from tracker.exchange.files import RESULT_COLUMNS, write_table
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


#: An output served by WS1's activity 3 (so by its sub-activities too), with one indicator
#: counted in a numeric unit.
OUTPUT_3_WITH_K1 = [
    {
        "working_group": "WS1",
        "level": "output",
        "code": "Output 3",
        "title": "Capacities",
        "activities": "3",
    },
    {
        "working_group": "WS1",
        "level": "indicator",
        "code": "K1",
        "parent": "Output 3",
        "title": "Countries trained",
        "unit": "countries",
    },
]


def import_output_3_with_k1(session: so.Session, folder: Path) -> None:
    path = folder / "output-3.csv"
    write_table(path, OUTPUT_3_WITH_K1, RESULT_COLUMNS)
    import_files(session, [path], TEST_TODAY)
