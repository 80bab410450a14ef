"""Benchmark: one reminder scan and send over a large programme, on SQLite and PostgreSQL.

    .venv/bin/python bench/reminders.py [--postgres URL | --no-postgres] [--today 2023-06-15]

For each database: a throwaway database with the seed workplans plus a small synthetic
programme (`tracker.demo.generate`), the scan's plan timed and its statements counted; then the
full programme (10,000 activities, 50,000 milestones by default) added and the same measured
again; then one scan that writes the digests and claims, and one delivery of every digest to a
local SMTP server (aiosmtpd on 127.0.0.1). During the delivery the duplicate window is timed
per message: from the server's reply to the sender's commit, the only time in which a killed
sender causes a message to be sent twice. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker import create_app, mail, resource_dir  # noqa: E402
from tracker.cli.workplan import create_schema  # noqa: E402
from tracker.config import normalize_database_url  # noqa: E402
from tracker.demo import generate  # noqa: E402
from tracker.exchange import import_files  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.mail.models import OutboxMessage  # noqa: E402
from tracker.reminders.scan import plan, run_scan  # noqa: E402


class Inbox:
    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.count += 1
        self.bytes += len(envelope.content)
        return "250 OK"


class TimedSmtp(mail.SmtpTransport):
    """The real SMTP transport, noting when the server accepted each message."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.accepted_at: float | None = None

    def send(self, message: OutboxMessage) -> None:
        super().send(message)
        self.accepted_at = time.perf_counter()


@contextmanager
def counting(engine: sa.Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


@contextmanager
def throwaway(kind: str, server_url: str | None) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    assert server_url is not None
    server = sa.make_url(normalize_database_url(server_url))
    name = f"tracker_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seconds(start: float) -> str:
    return f"{time.perf_counter() - start:.2f} s"


def measure_plan(today: date) -> tuple[int, int, float, int]:
    """(digests, reminders, seconds, statements) of one plan, nothing written."""
    db.session.expire_all()
    with counting(db.engine) as statements:
        start = time.perf_counter()
        digests = plan(db.session, today)
        elapsed = time.perf_counter() - start
    db.session.rollback()
    return len(digests), sum(len(d.reminders) for d in digests), elapsed, len(statements)


def bench(kind: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "TODAY": args.today, "BASE_URL": "http://tracker.test"}
    )
    found: dict[str, Any] = {"database": kind}
    with app.app_context():
        create_schema()
        seeds = resource_dir("seeds")
        import_files(
            db.session, sorted(seeds.glob("*.toml")) + sorted(seeds.glob("*.csv")), args.today
        )
        db.session.commit()
        generate(db.session, activities=200, milestones=1000, groups=4, seed=1)
        db.session.commit()
        found["small"] = measure_plan(args.today)
        print(f"[{kind}] small programme: {found['small']}", flush=True)

        start = time.perf_counter()
        generate(db.session, activities=args.activities, milestones=args.milestones, seed=2020)
        db.session.commit()
        print(f"[{kind}] generated the programme in {seconds(start)}", flush=True)
        found["large"] = measure_plan(args.today)
        print(f"[{kind}] large programme: {found['large']}", flush=True)

        db.session.expire_all()
        with counting(db.engine) as statements:
            start = time.perf_counter()
            report = run_scan(db.session, args.today, trigger="manual", hold=False)
            found["scan_seconds"] = time.perf_counter() - start
        found["scan_statements"] = len(statements)
        found["digests"] = len(report.message_ids)
        found["reminders"] = report.reminders
        print(f"[{kind}] scan with writes: {found['scan_seconds']:.2f} s", flush=True)

        inbox = Inbox()
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            transport = TimedSmtp(
                mail.SmtpSettings.from_url(f"smtp://127.0.0.1:{port}"), "bench@example.org"
            )
            windows: list[float] = []

            def session_factory() -> so.Session:
                session = so.Session(db.engine)

                @sa.event.listens_for(session, "after_commit")
                def committed(_session: so.Session) -> None:
                    if transport.accepted_at is not None:
                        windows.append(time.perf_counter() - transport.accepted_at)
                        transport.accepted_at = None

                return session

            start = time.perf_counter()
            delivery = mail.deliver_pending(session_factory, app.config, transport=transport)
            found["send_seconds"] = time.perf_counter() - start
        finally:
            controller.stop()
        assert delivery.sent == inbox.count == found["digests"], (delivery, inbox.count)
        found["mail_bytes"] = inbox.bytes
        found["window_ms"] = sorted(w * 1000 for w in windows)
        db.engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--milestones", type=int, default=50_000)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2023, 6, 15))
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TRACKER_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server URL (a throwaway database is created and dropped)",
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    results = []
    for kind in ("sqlite", "postgresql"):
        if kind == "postgresql" and args.no_postgres:
            continue
        with throwaway(kind, args.postgres) as url:
            results.append(bench(kind, url, args))

    print(f"\nscan for {args.today}; small: the seeds, 200 activities and 1,000 milestones;")
    print(f"large: small + {args.activities:,} activities and {args.milestones:,} milestones\n")
    for r in results:
        print(f"== {r['database']}")
        for size in ("small", "large"):
            digests, reminders, elapsed, statements = r[size]
            print(
                f"  plan, {size}: {reminders:>6,} reminders in {digests} digests, "
                f"{elapsed:6.2f} s, {statements} statements"
            )
        print(
            f"  scan + write: {r['scan_seconds']:.2f} s, {r['scan_statements']} statements "
            f"({r['reminders']:,} claims, {r['digests']} digests)"
        )
        print(
            f"  send over SMTP: {r['send_seconds']:.2f} s for {r['digests']} digests "
            f"({r['mail_bytes'] / 1e6:.1f} MB)"
        )
        windows = r["window_ms"]
        print(
            f"  duplicate window (server's reply to commit): median "
            f"{statistics.median(windows):.2f} ms, max {max(windows):.2f} ms over {len(windows)}"
        )


if __name__ == "__main__":
    main()
