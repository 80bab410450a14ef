"""How long the bot takes to answer, on a 10,000-activity programme (issue 6: p95 < 100 ms).

A throwaway database gets the seed workplans and a synthetic programme (`tracker.demo.generate`,
what `tracker demo-data` adds: by default 10,000 activities and 50,000 milestones), then a mixed
set of questions is asked round after round, each answer timed end to end: understanding, the
domain queries, the reply's text and its Slack blocks, in a fresh session as a request has.

    .venv/bin/python bench/bot_answers.py                 # SQLite, in a temporary folder
    .venv/bin/python bench/bot_answers.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

With a PostgreSQL URL a database is created on that server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bot.answer import answer
from bot.slack.blocks import answer_blocks
from tracker import create_app, resource_dir
from tracker.cli.workplan import create_schema
from tracker.config import normalize_database_url
from tracker.demo import generate
from tracker.exchange import import_files
from tracker.extensions import db

TODAY = date(2024, 1, 10)

#: A mix of what people ask: windows, overdue, entities, groups, single items, help, nonsense.
QUESTIONS = [
    "what's due this month",
    "anything due next month?",
    "due this week",
    "due in March 2024",
    "what is due between March and June 2024",
    "due in 2025",
    "due soon",
    "what's coming up in the next 10 days",
    "overdue",
    "what's late",
    "what does ILO lead",
    "activities led by IOM",
    "show me WHO activities",
    "what is UNFPA leading that's due this year",
    "what's in D2020-07",
    "overdue in D2020-03",
    "what is delayed",
    "status of 3.2 in WS1",
    "status of 12.3 in D2020-05",
    "status of the rural migration module",
    "when is the handbook due",
    "when is the next IFMS",
    "help",
    "blah blah",
]


@contextmanager
def throwaway_database(server_url: str | None) -> Iterator[str]:
    if not server_url:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    server = sa.make_url(normalize_database_url(server_url))
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


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--milestones", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with throwaway_database(args.database_url) as url:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "TODAY": TODAY, "BASE_URL": "http://tracker.test"}
        )
        with app.app_context():
            started = time.perf_counter()
            create_schema()
            seeds = resource_dir("seeds")
            files = sorted(seeds.glob("*.toml")) + sorted(seeds.glob("*.csv"))
            import_files(db.session, files, TODAY)
            generate(db.session, activities=args.activities, milestones=args.milestones)
            db.session.commit()
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
            print(
                f"{db.engine.dialect.name}: {args.activities:,} activities and "
                f"{args.milestones:,} milestones generated in {time.perf_counter() - started:.1f} s"
            )
            timings: dict[str, list[float]] = {q: [] for q in QUESTIONS}
            for question in QUESTIONS:  # warm up: first connection, caches
                answer(db.session, question, TODAY, base_url="http://tracker.test")
                db.session.remove()
            for _ in range(args.rounds):
                for question in QUESTIONS:
                    began = time.perf_counter()
                    reply = answer(db.session, question, TODAY, base_url="http://tracker.test")
                    answer_blocks(reply)
                    timings[question].append((time.perf_counter() - began) * 1000)
                    db.session.remove()
            db.engine.dispose()

    every = [ms for values in timings.values() for ms in values]
    print(f"{'question':48} {'median':>8} {'max':>8}")
    for question, values in timings.items():
        print(f"{question:48} {statistics.median(values):7.1f}  {max(values):7.1f}")
    print(
        f"all {len(every)} answers: p50 {percentile(every, 0.5):.1f} ms, "
        f"p95 {percentile(every, 0.95):.1f} ms, max {max(every):.1f} ms (target: p95 < 100 ms)"
    )


if __name__ == "__main__":
    main()
