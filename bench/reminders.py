"""Benchmark: one reminder scan and send over a large programme, on SQLite and PostgreSQL.

    .venv/bin/python bench/reminders.py [--postgres URL | --no-postgres] [--today 2023-06-15]
                                        [--json results.json]

For each database, a throwaway database with the seed workplans plus a small synthetic programme
(`tracker.demo.generate`, and an activity, a yearly activity and a yearly milestone due in the
scan's window, so that every query of the scan finds rows at both sizes); then the full
programme (10,000 activities and 50,000 milestones by default) added. At both sizes: the scan's
plan (reads only) and the scan with its writes (digests and claims), timed and their statements
counted; the small scan's writes are then removed, so the large one is a first scan too. Then:

* one delivery of every digest to a local SMTP server (aiosmtpd on 127.0.0.1), during which
  the duplicate window is timed per message: from the server's reply to the sender's commit,
  the only time in which a killed sender causes a message to be sent twice;
* `tracker scheduler` in a child process on the same database, emptied of reminders: its
  catch-up scan and its sending, until every digest has arrived, and its peak RSS (VmHWM);
* the next day's scan, with the first day's claims in place: the daily cost once caught up.

Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker import create_app, mail, resource_dir  # noqa: E402
from tracker.cli.workplan import create_schema, seed_files  # noqa: E402
from tracker.config import normalize_database_url  # noqa: E402
from tracker.demo import generate  # noqa: E402
from tracker.domain.entities import set_entities  # noqa: E402
from tracker.domain.items import apply_timeline  # noqa: E402
from tracker.exchange import import_files  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.mail.models import MessageStatus, OutboxMessage  # noqa: E402
from tracker.models import (  # noqa: E402
    Activity,
    Entity,
    EntityRole,
    Milestone,
    MilestoneKind,
    WorkingGroup,
    code_sort_key,
)
from tracker.reminders.models import ReminderClaim, ReminderRun  # noqa: E402
from tracker.reminders.run import run_scan  # noqa: E402
from tracker.reminders.scan import plan  # noqa: E402
from tracker.timeline import parse_timeline  # noqa: E402

#: How long the scheduler may take to scan and send everything.
SCHEDULER_TIMEOUT = 600


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


#: A day on which the synthetic programme has reminders of every kind due.
SCAN_DAY = date(2023, 6, 15)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def add_items_due_soon(today: date) -> None:
    """An activity, a yearly activity and a yearly milestone due in the scan's window."""
    group = db.session.scalars(sa.select(WorkingGroup).order_by(WorkingGroup.id)).first()
    entity = db.session.scalars(sa.select(Entity).order_by(Entity.id)).first()
    assert group is not None and entity is not None
    due = today + timedelta(days=20)
    for code, timeline in [
        ("R1", f"{due.day} {due:%B} {due.year}"),
        ("R2", f"{due.day} {due:%B} {due.year - 2} – Ongoing (every year)"),
    ]:
        activity = Activity(code=code, sort_key=code_sort_key(code), title=f"Report {code}")
        activity.working_group = group
        apply_timeline(activity, parse_timeline(timeline))
        set_entities(activity, [(entity, EntityRole.LEAD)])
        db.session.add(activity)
    milestone = Milestone(code="RM1", kind=MilestoneKind.DEADLINE, title="Yearly return")
    milestone.working_group, milestone.activity = group, activity
    apply_timeline(milestone, parse_timeline(f"{due.day} {due:%B} {due.year - 2} (every year)"))
    db.session.add(milestone)
    db.session.commit()


def forget_reminders() -> None:
    """No claims, digests or runs: the next scan is a first one."""
    for model in (ReminderClaim, OutboxMessage, ReminderRun):
        db.session.execute(sa.delete(model))
    db.session.commit()


def timed(action: Callable[[], Any]) -> tuple[Any, float, int]:
    """(result, seconds, statements) of `action`, from a session with nothing cached."""
    db.session.expire_all()
    with counting(db.engine) as statements:
        start = time.perf_counter()
        result = action()
        elapsed = time.perf_counter() - start
    return result, elapsed, len(statements)


def measure_scan(today: date) -> dict[str, Any]:
    """The plan alone, then the scan with its writes."""
    digests, plan_seconds, plan_statements = timed(lambda: plan(db.session, today))
    db.session.rollback()
    report, scan_seconds, scan_statements = timed(
        lambda: run_scan(db.session, today, trigger="manual", hold=False)
    )
    return {
        "plan_seconds": plan_seconds,
        "plan_statements": plan_statements,
        "plan_reminders": sum(len(d.reminders) for d in digests),
        "scan_seconds": scan_seconds,
        "scan_statements": scan_statements,
        "digests": len(report.message_ids),
        "reminders": report.reminders,
        "largest_digest": max((len(d.reminders) for d in report.digests), default=0),
    }


def deliver(app: Any) -> dict[str, Any]:
    """Every pending digest to a local SMTP server, timing the duplicate window per message."""
    with smtp_server() as (inbox, port):
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
        seconds = time.perf_counter() - start
    assert delivery.sent == inbox.count, (delivery, inbox.count)
    return {
        "send_seconds": seconds,
        "sent": delivery.sent,
        "mail_bytes": inbox.bytes,
        "window_ms": sorted(w * 1000 for w in windows),
    }


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(f"no {field} in /proc/{pid}/status")


def run_scheduler(url: str, today: date, expected: int, tmp: Path) -> dict[str, Any]:
    """`tracker scheduler` on the database: its catch-up scan, its sending, its peak RSS."""
    with smtp_server() as (inbox, port):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "DATABASE"))}
        env.update(
            DATABASE_URL=url,
            SECRET_KEY="bench-not-secret",
            TRACKER_TODAY=today.isoformat(),
            TRACKER_BASE_URL="http://tracker.test",
            TRACKER_SMTP_URL=f"smtp://127.0.0.1:{port}",
            TRACKER_SEND_INTERVAL="1",
            TRACKER_INSTANCE_PATH=str(tmp / "instance"),
        )
        log = tmp / "scheduler.log"
        start = time.perf_counter()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "tracker.cli", "scheduler"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + SCHEDULER_TIMEOUT
            while not _all_sent(inbox, expected):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the scheduler did not send every digest; see {log}")
                time.sleep(0.2)
            seconds = time.perf_counter() - start
            peak_kb, now_kb = _status_kb(process.pid, "VmHWM"), _status_kb(process.pid, "VmRSS")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    run = db.session.scalars(sa.select(ReminderRun)).one()
    db.session.rollback()
    assert run.trigger == "catch-up" and run.finished_at is not None, run
    return {
        "seconds_to_all_sent": seconds,
        "scan_in_scheduler_seconds": (run.finished_at - run.started_at).total_seconds(),
        "peak_rss_mb": peak_kb / 1024,
        "rss_after_mb": now_kb / 1024,
        "received": inbox.count,
    }


def _all_sent(inbox: Inbox, expected: int) -> bool:
    if inbox.count < expected:
        return False
    pending = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.PENDING)
    )
    done = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ReminderRun)
        .where(ReminderRun.finished_at.is_not(None))
    )
    db.session.rollback()
    return pending == 0 and done == 1


def bench(kind: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "TODAY": args.today, "BASE_URL": "http://tracker.test"}
    )
    found: dict[str, Any] = {"database": kind}
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        create_schema()
        import_files(db.session, seed_files(resource_dir("seeds")), args.today)
        db.session.commit()
        generate(db.session, activities=200, milestones=1000, groups=4, seed=1)
        db.session.commit()
        add_items_due_soon(args.today)
        found["small"] = measure_scan(args.today)
        print(f"[{kind}] small programme: {found['small']}", flush=True)
        forget_reminders()

        start = time.perf_counter()
        generate(db.session, activities=args.activities, milestones=args.milestones, seed=2020)
        db.session.commit()
        print(
            f"[{kind}] generated the programme in {time.perf_counter() - start:.1f} s", flush=True
        )
        found["large"] = measure_scan(args.today)
        print(f"[{kind}] large programme: {found['large']}", flush=True)
        found["send"] = deliver(app)
        print(f"[{kind}] sent in {found['send']['send_seconds']:.2f} s", flush=True)

        forget_reminders()
        found["scheduler"] = run_scheduler(url, args.today, found["large"]["digests"], Path(tmp))
        print(f"[{kind}] scheduler: {found['scheduler']}", flush=True)
        found["next_day"] = measure_scan(args.today + timedelta(days=1))
        print(f"[{kind}] next day: {found['next_day']}", flush=True)
        db.engine.dispose()
    return found


def print_table(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\nscan for {args.today}; small: the seeds, 200 activities and 1,000 milestones;")
    print(f"large: small + {args.activities:,} activities and {args.milestones:,} milestones\n")
    for r in results:
        print(f"== {r['database']}")
        for size in ("small", "large"):
            m = r[size]
            print(
                f"  {size}: plan {m['plan_seconds']:5.2f} s, {m['plan_statements']} statements; "
                f"scan with writes {m['scan_seconds']:5.2f} s, {m['scan_statements']} statements "
                f"({m['reminders']:,} claims in {m['digests']} digests, the largest "
                f"{m['largest_digest']:,})"
            )
        send = r["send"]
        print(
            f"  send over SMTP: {send['send_seconds']:.2f} s for {send['sent']} digests "
            f"({send['mail_bytes'] / 1e6:.2f} MB)"
        )
        windows = send["window_ms"]
        print(
            f"  duplicate window (server's reply to commit): median "
            f"{statistics.median(windows):.2f} ms, max {max(windows):.2f} ms over {len(windows)}"
        )
        s = r["scheduler"]
        print(
            f"  tracker scheduler, catch-up scan and send: {s['seconds_to_all_sent']:.1f} s from "
            f"its start to the last digest received (its scan {s['scan_in_scheduler_seconds']:.2f}"
            f" s); peak RSS {s['peak_rss_mb']:.0f} MB, {s['rss_after_mb']:.0f} MB after"
        )
        n = r["next_day"]
        print(
            f"  the next day's scan: {n['scan_seconds']:.2f} s, {n['scan_statements']} statements "
            f"({n['reminders']:,} claims in {n['digests']} digests)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--milestones", type=int, default=50_000)
    parser.add_argument("--today", type=date.fromisoformat, default=SCAN_DAY)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TRACKER_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server URL (a throwaway database is created and dropped)",
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    results = []
    for kind in ("sqlite", "postgresql"):
        if kind == "postgresql" and args.no_postgres:
            continue
        with throwaway(kind, args.postgres) as url:
            results.append(bench(kind, url, args))
    print_table(results, args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
