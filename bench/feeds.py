"""Calendar feeds of the 10,000-activity programme, built in process, next to their floor.

* full build: the whole programme's feed (and one working group's) as `render` makes it for
  the web: `find_items`, a VEVENT per item, and icalendar's `to_ical`;
* floor: the same events, prebuilt, serialized by icalendar alone (`Calendar.to_ical`);
* the 304 of a poll, through the Flask app (no server: wrk measures that in `web_load`);
* SQL statements of a full build and of a 304.

Part of `bench/run`; alone:

    .venv/bin/python -m bench.feeds [--backend sqlite|postgresql] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import sqlalchemy as sa
from icalendar import Calendar

from bench.common import BASE_URL, TODAY, app_for, counting_queries, percentile, timed
from bench.common import prepared_database as prepared
from tracker.domain.items import find_items
from tracker.extensions import db
from tracker.feeds.calendar import PRODID, item_event
from tracker.feeds.services import FeedOptions, create_token, programme_feed, render
from tracker.models import Person

GROUP = "D2020-01"


def _floor_seconds(repeat: int) -> tuple[float, int]:
    """icalendar alone: `to_ical` of the programme's events, built beforehand."""
    items = find_items(db.session, programme_feed(FeedOptions()).item_filter(TODAY), TODAY).items
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    events = [e for e in (item_event(i, BASE_URL) for i in items) if e is not None]
    for event in events:
        calendar.add_component(event)
    return statistics.median(t / 1000 for t in timed(calendar.to_ical, repeat)), len(events)


def measure(url: str, repeat: int = 3) -> dict[str, Any]:
    app = app_for(url)
    client = app.test_client()
    with app.app_context():
        person = db.session.scalars(
            sa.select(Person).where(Person.email == "coordinator@example.org")
        ).one()
        _row, token = create_token(db.session, person, f"bench feeds {time.time()}")
        db.session.commit()
        feed = programme_feed(FeedOptions())
        body = render(db.session, feed, base_url=BASE_URL, today=TODAY)
        full = statistics.median(
            t / 1000
            for t in timed(lambda: render(db.session, feed, base_url=BASE_URL, today=TODAY), repeat)
        )
        floor, events = _floor_seconds(repeat)
        path = f"/calendar/{token}/working-groups/{GROUP}.ics"
        first = client.get(path)  # records the token's use: polls in the next hour only read
        group_full = timed(lambda: client.get(path), repeat * 3)
        with counting_queries(db.engine) as full_queries:
            client.get(path)
        headers = {"If-None-Match": first.headers["ETag"]}
        assert client.get(path, headers=headers).status_code == 304
        polls = timed(lambda: client.get(path, headers=headers), 2000)
        with counting_queries(db.engine) as poll_queries:
            client.get(path, headers=headers)
        db.engine.dispose()
    return {
        "programme": {
            "events": events,
            "mb": len(body) / 1e6,
            "full_build_s": full,
            "floor_s": floor,
            "ratio": full / floor,
        },
        "group": {
            "name": GROUP,
            "kb": len(first.data) / 1024,
            "full_p50_ms": statistics.median(group_full),
            "queries": len(full_queries.statements),
        },
        "poll_304": {
            "p50_ms": statistics.median(polls),
            "p95_ms": percentile(polls, 0.95),
            "queries": len(poll_queries.statements),
        },
    }


def main() -> None:
    from bench.harness import LARGE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(prepared(args.backend, LARGE), args.repeat), indent=2))


if __name__ == "__main__":
    main()
