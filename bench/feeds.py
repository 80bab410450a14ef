"""Calendar feeds built in process, next to their floor, and served from their stored body.

* full build: the whole programme's feed (`past=all`: every event) as `render` makes it for
  the web: `find_items`, a VEVENT per item, and icalendar's `to_ical`;
* floor: the same events, prebuilt, serialized by icalendar alone (`Calendar.to_ical`);
  the collector is frozen (`gc.freeze()`) before each, as `tracker serve` freezes what its
  workers loaded, so that neither pays for walking objects the other does not have;
* a personal feed (the coordinator's, default window) through the app: its first request
  (the build and storing of its body) and later requests for the same version;
* the 304 of a poll, through the Flask app (no server: wrk measures that in `web_load`);
* SQL statements of a full build and of a 304.

Part of `bench/run`; alone:

    .venv/bin/python -m bench.feeds [--backend sqlite|postgresql] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from icalendar import Calendar

from bench.common import BASE_URL, TODAY, app_for, counting_queries, percentile, timed
from bench.common import prepared_database as prepared
from tracker.domain.items import find_items
from tracker.extensions import db
from tracker.feeds.services import FeedOptions, create_token, programme_feed, render
from tracker.ical.calendar import PRODID, item_event
from tracker.models import Person

GROUP = "D2020-01"
EVERYTHING = FeedOptions(past_months=None)


def frozen_seconds(action: Callable[[], object], repeat: int) -> float:
    """The median time of `action`, each run with the collector frozen first."""
    times = []
    for _ in range(repeat):
        gc.collect()
        gc.freeze()
        try:
            times += timed(action, 1)
        finally:
            gc.unfreeze()
    return statistics.median(times) / 1000


def _floor_seconds(repeat: int) -> tuple[float, int]:
    """icalendar alone: `to_ical` of the programme's events, built beforehand."""
    items = find_items(db.session, programme_feed(EVERYTHING).item_filter(TODAY), TODAY).items
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    events = [e for e in (item_event(i, BASE_URL) for i in items) if e is not None]
    for event in events:
        calendar.add_component(event)
    del items
    return frozen_seconds(calendar.to_ical, repeat), len(events)


def _coordinator() -> Person:
    return db.session.scalars(
        sa.select(Person).where(Person.email == "coordinator@example.org")
    ).one()


def personal_feed(url: str, repeat: int = 20) -> dict[str, Any]:
    """The coordinator's own feed through the app: the first request of a version builds and
    stores its body; the later ones read it (gzip, as calendar clients ask)."""
    app = app_for(url)
    client = app.test_client()
    with app.app_context():
        _row, token = create_token(db.session, _coordinator(), f"bench personal {time.time()}")
        db.session.commit()
        db.session.remove()
        path = f"/calendar/{token}.ics"
        gzip = {"Accept-Encoding": "gzip"}
        began = time.perf_counter()
        first = client.get(path, headers=gzip)
        while first.status_code == 503:  # the build goes on past the request's wait
            time.sleep(0.2)
            first = client.get(path, headers=gzip)
        first_ms = (time.perf_counter() - began) * 1000
        assert first.status_code == 200, first.status_code
        later = timed(lambda: client.get(path, headers=gzip), repeat)
        plain = timed(lambda: client.get(path), max(3, repeat // 4))
        body = client.get(path).data
        db.engine.dispose()
    return {
        "first_ms": first_ms,
        "later_p50_ms": statistics.median(later),
        "later_p95_ms": percentile(later, 0.95),
        "plain_p50_ms": statistics.median(plain),
        "events": body.count(b"BEGIN:VEVENT"),
        "mb": len(body) / 1e6,
        "gzip_mb": len(first.data) / 1e6,
    }


def measure(url: str, repeat: int = 3) -> dict[str, Any]:
    app = app_for(url)
    client = app.test_client()
    with app.app_context():
        _row, token = create_token(db.session, _coordinator(), f"bench feeds {time.time()}")
        db.session.commit()
        feed = programme_feed(EVERYTHING)
        body = render(db.session, feed, base_url=BASE_URL, today=TODAY)
        full = frozen_seconds(
            lambda: render(db.session, feed, base_url=BASE_URL, today=TODAY), repeat
        )
        del body
        floor, events = _floor_seconds(repeat)
        gc.collect()
        path = f"/calendar/{token}/working-groups/{GROUP}.ics"
        first = client.get(path)  # records the token's use: polls in the next hour only read
        group_stored = timed(lambda: client.get(path), repeat * 3)
        with counting_queries(db.engine) as stored_queries:
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
            "full_build_s": full,
            "floor_s": floor,
            "ratio": full / floor,
        },
        "group": {
            "name": GROUP,
            "kb": len(first.data) / 1024,
            "stored_p50_ms": statistics.median(group_stored),
            "queries": len(stored_queries.statements),
        },
        "poll_304": {
            "p50_ms": statistics.median(polls),
            "p95_ms": percentile(polls, 0.95),
            "queries": len(poll_queries.statements),
        },
    }


def main() -> None:
    from bench.harness import SIZES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = prepared(args.backend, SIZES["10k"])
    print(json.dumps(measure(url, args.repeat), indent=2))
    print(json.dumps(personal_feed(prepared(args.backend, SIZES["50k"])), indent=2))


if __name__ == "__main__":
    main()
