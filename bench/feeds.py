"""Benchmark: calendar feeds of a 10,000-activity programme.

    .venv/bin/python bench/feeds.py [--activities 10000] [--milestones 50000] [--database-url URL]

Builds a throwaway database (SQLite in a temporary folder, or a new database on the PostgreSQL
server of --database-url, dropped afterwards), loads the seed registry and `tracker.demo`'s
synthetic programme, and measures, in process through the Flask test client:

* the whole programme's feed and one working group's feed, built in full: time, size, queries;
* the same events serialized by icalendar alone (`Calendar.to_ical` of prebuilt VEVENTs), the
  floor the full build is compared with;
* the 304 answer to If-None-Match, which must stay fast and build nothing;
* the query count of a full build, against the seed programme's, which must be the same.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from icalendar import Calendar

from tracker import create_app, resource_dir
from tracker.cli.workplan import create_schema
from tracker.clock import today
from tracker.config import normalize_database_url
from tracker.demo import generate
from tracker.domain.items import find_items
from tracker.exchange import import_files
from tracker.extensions import db
from tracker.feeds.calendar import item_event
from tracker.feeds.services import FeedOptions, create_token, programme_feed
from tracker.models import Person, WorkingGroup

BASE_URL = "http://127.0.0.1:5000"


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if not url:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    server = sa.make_url(normalize_database_url(url))
    name = f"tracker_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


class Queries:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: object) -> None:
        self.count += 1


def count_queries(action: Callable[[], object]) -> int:
    counter = Queries()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)
    return counter.count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--milestones", type=int, default=50_000)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="full builds per feed")
    parser.add_argument("--database-url", help="a PostgreSQL server URL; SQLite by default")
    args = parser.parse_args()

    with database(args.database_url) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "BASE_URL": BASE_URL, "TODAY": None})
        with app.app_context():
            create_schema()
            seeds = resource_dir("seeds")
            import_files(
                db.session, sorted(seeds.glob("*.toml")) + sorted(seeds.glob("*.csv")), today()
            )
            coordinator = db.session.scalars(
                sa.select(Person).where(Person.email == "coordinator@example.org")
            ).one()
            _row, token = create_token(db.session, coordinator, "bench")
            db.session.commit()
        client = app.test_client()
        programme = f"/calendar/{token}/all.ics"
        with app.app_context():
            client.get(programme)  # records the token's first use
            seed_queries = count_queries(lambda: client.get(programme))

        started = time.perf_counter()
        with app.app_context():
            generate(
                db.session,
                activities=args.activities,
                milestones=args.milestones,
                groups=args.groups,
            )
            db.session.commit()
            group = db.session.scalars(
                sa.select(WorkingGroup.short_name).where(WorkingGroup.short_name.like("D2020-%"))
            ).first()
        print(
            f"database: {sa.make_url(url).get_backend_name()}; generated {args.activities} "
            f"activities and {args.milestones} milestones in {args.groups} groups "
            f"in {time.perf_counter() - started:.1f} s"
        )

        rows = []
        with app.app_context():
            for label, path in (
                ("whole programme", programme),
                (f"one working group ({group})", f"/calendar/{token}/working-groups/{group}.ics"),
            ):
                response = client.get(path)
                assert response.status_code == 200, response.status_code
                events = response.data.count(b"BEGIN:VEVENT")
                full = timed(lambda p=path: client.get(p), args.repeat)
                queries = count_queries(lambda p=path: client.get(p))
                rows.append((label, events, len(response.data), statistics.median(full), queries))
                etag = response.headers["ETag"]

                def cached(p: str = path, e: str = etag) -> None:
                    assert client.get(p, headers={"If-None-Match": e}).status_code == 304

                not_modified = timed(cached, 200)
                rows[-1] += (statistics.median(not_modified), p95(not_modified))
                rows[-1] += (count_queries(cached),)

            # the floor: the same VEVENTs, prebuilt, serialized by icalendar alone
            flt = programme_feed(FeedOptions()).item_filter(today())
            started = time.perf_counter()
            items = find_items(db.session, flt, today()).items
            items_time = time.perf_counter() - started
            started = time.perf_counter()
            built = [item_event(i, BASE_URL) for i in items]
            events_time = time.perf_counter() - started
            calendar = Calendar()
            calendar.add("prodid", "-//bench//EN")
            calendar.add("version", "2.0")
            for event in built:
                if event is not None:
                    calendar.add_component(event)
            serialize = statistics.median(timed(calendar.to_ical, args.repeat))

    print()
    print(
        f"{'feed':34} {'events':>7} {'MB':>6} {'full build':>11} {'queries':>8} "
        f"{'304 median':>11} {'304 p95':>8} {'304 queries':>12}"
    )
    for label, events, size, full_s, queries, nm_median, nm_p95, nm_queries in rows:
        print(
            f"{label:34} {events:7d} {size / 1e6:6.1f} {full_s:10.2f}s {queries:8d} "
            f"{nm_median * 1000:9.2f}ms {nm_p95 * 1000:6.2f}ms {nm_queries:12d}"
        )
    print()
    print(
        f"whole programme, step by step: find_items {items_time:.2f} s, "
        f"VEVENTs built {events_time:.2f} s, icalendar to_ical alone {serialize:.2f} s"
    )
    print(
        f"queries of a full build: {seed_queries} on the seed programme, "
        f"{rows[0][4]} on the generated one"
    )
    return 0 if rows[0][4] == seed_queries else 1


if __name__ == "__main__":
    sys.exit(main())
