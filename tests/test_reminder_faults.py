"""Faults with real processes: a sender killed mid-send, and two schedulers on one database.

Each test starts `tracker` child processes against a copy of the seed database and a real
SMTP server on loopback; they are the slow ones, so there are few of them.
"""

from __future__ import annotations

import signal
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from icalendar import Calendar

from tests.conftest import TEST_TODAY, on_postgres
from tests.reminders_support import start_tracker, stop, tracker_env, wait_for
from tracker import mail
from tracker.extensions import WRITE_TRANSACTION, db
from tracker.ical.calendar import item_event
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.reminders.models import ReminderRun
from tracker.reminders.run import run_scan
from tracker.reminders.scan import plan

pytest_plugins = ("tests.reminders_fixtures",)

pytestmark = pytest.mark.slow


def _queue_digests(app) -> list[int]:
    with app.app_context():
        return run_scan(db.session, TEST_TODAY, trigger="manual", hold=False).message_ids


def _deliver(app) -> mail.DeliveryReport:
    with app.app_context():
        return mail.deliver_pending(lambda: so.Session(db.engine), app.config)


def _statuses(app, ids) -> Counter[MessageStatus]:
    with app.app_context():
        return Counter(
            db.session.scalars(
                sa.select(OutboxMessage.status).where(OutboxMessage.id.in_(ids))
            ).all()
        )


def _sender(app, tmp_path: Path, name: str):
    """`tracker outbox send` in its own process, stopped at the first message by the server."""
    return start_tracker(["outbox", "send"], tracker_env(app, tmp_path), tmp_path / f"{name}.log")


def test_a_sender_killed_before_the_server_accepted_loses_nothing(committed_app, smtp, tmp_path):
    committed_app.config["SMTP_URL"] = smtp.url
    ids = _queue_digests(committed_app)
    smtp.inbox.hold, smtp.inbox.accept_held = True, False
    sender = _sender(committed_app, tmp_path, "killed")
    assert smtp.inbox.in_data.wait(30), "the sender never reached DATA"
    # claimed and mid-send: the row is locked (PostgreSQL) or the write lock held (SQLite)
    sender.send_signal(signal.SIGKILL)
    sender.wait(10)
    smtp.inbox.release.set()
    smtp.inbox.hold = False
    assert _statuses(committed_app, ids) == {MessageStatus.PENDING: len(ids)}

    # the next sender (here in-process) finds the row again once the dead one's lock is gone
    wait_for(lambda: _deliver(committed_app).sent, what="the killed sender's row")
    _deliver(committed_app)
    assert smtp.inbox.count() == len(ids)
    sent_ids = Counter(m["Message-ID"] for m in smtp.inbox.messages)
    assert max(sent_ids.values()) == 1
    assert _statuses(committed_app, ids) == {MessageStatus.SENT: len(ids)}


@pytest.mark.skipif(
    not on_postgres(),
    reason="on SQLite the sender holds the only write lock from claim to commit, so no other "
    "process can stop it between the server's acceptance and its commit; the window's length "
    "is measured by bench/reminders.py on both",
)
def test_a_sender_killed_after_acceptance_sends_that_one_message_twice(
    committed_app, smtp, tmp_path
):
    """The documented duplicate window: the server accepted, the sender died before its
    commit. Exactly the one message in flight arrives twice; every other arrives once."""
    committed_app.config["SMTP_URL"] = smtp.url
    ids = _queue_digests(committed_app)
    smtp.inbox.hold, smtp.inbox.accept_held = True, True
    sender = _sender(committed_app, tmp_path, "killed")
    assert smtp.inbox.in_data.wait(30), "the sender never reached DATA"
    with committed_app.app_context(), db.engine.connect() as blocker:
        # SHARE does not conflict with the sender's row lock but with its UPDATE: the sender
        # can get the server's 250 but cannot mark the row sent
        blocker.exec_driver_sql("LOCK TABLE outbox_message IN SHARE MODE")
        smtp.inbox.hold = False
        smtp.inbox.release.set()
        wait_for(lambda: smtp.inbox.count() == 1, what="the server to accept")
        sender.send_signal(signal.SIGKILL)
        sender.wait(10)
        blocker.rollback()
    [in_flight] = smtp.inbox.messages

    wait_for(lambda: _deliver(committed_app).sent, what="the killed sender's row")
    _deliver(committed_app)
    copies = Counter(m["Message-ID"] for m in smtp.inbox.messages)
    assert copies[in_flight["Message-ID"]] == 2
    assert sorted(copies.values()) == [1] * (len(ids) - 1) + [2]
    assert _statuses(committed_app, ids) == {MessageStatus.SENT: len(ids)}


def _expected_events(app) -> Counter[tuple[str, str]]:
    """(recipient, calendar event UID) for every reminder a scan of TEST_TODAY sends."""
    with app.app_context():
        base = app.config["BASE_URL"]
        return Counter(
            (digest.recipient.email, str(item_event(reminder.item, base)["uid"]))
            for digest in plan(db.session, TEST_TODAY)
            for reminder in digest.reminders
        )


def _received_events(inbox) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for message in inbox.messages:
        [ics] = list(message.iter_attachments())
        for event in Calendar.from_ical(ics.get_content()).walk("VEVENT"):
            found[(message["To"], str(event["uid"]))] += 1
    return found


@contextmanager
def runs_held_back(app):
    """Hold back every scan's first write (its `ReminderRun` row) until the block ends, so
    that scans started meanwhile all go ahead at the same moment."""
    with app.app_context(), db.engine.connect() as conn:
        if on_postgres():
            conn.begin()
            conn.exec_driver_sql("LOCK TABLE reminder_run IN EXCLUSIVE MODE")  # reads still pass
        else:
            conn.execution_options(**{WRITE_TRANSACTION: True}).begin()  # BEGIN IMMEDIATE
        yield
        conn.rollback()


def _outbox(app) -> Counter[MessageStatus]:
    with app.app_context():
        return Counter(db.session.scalars(sa.select(OutboxMessage.status)).all())


def _finished_runs(app) -> list[ReminderRun]:
    with app.app_context():
        return db.session.scalars(
            sa.select(ReminderRun)
            .where(ReminderRun.finished_at.is_not(None))
            .order_by(ReminderRun.started_at)
        ).all()


def _all_sent(app, smtp) -> bool:
    counts = _outbox(app)
    return counts[MessageStatus.PENDING] == 0 and smtp.inbox.count() == counts[MessageStatus.SENT]


def _waiting_for_locks(app) -> int:
    """Backends of this database waiting for a lock (PostgreSQL)."""
    with app.app_context():
        waiting = db.session.scalar(
            sa.text(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE NOT l.granted AND a.datname = current_database()"
            )
        )
        db.session.remove()
        return int(waiting or 0)


def test_two_scans_at_the_same_moment_send_every_reminder_exactly_once(
    committed_app, smtp, tmp_path
):
    """Two `tracker reminders run` processes (no leader lock: an operator's manual runs) scan
    at the same moment and both send; every reminder arrives once, by the claims alone.

    On PostgreSQL both are seen waiting for the lock held here, so their scans overlap; on
    SQLite the database's one writer lock lets them write one after the other anyway."""
    committed_app.config["SMTP_URL"] = smtp.url
    expected = _expected_events(committed_app)
    assert len(expected) > 10
    env = tracker_env(committed_app, tmp_path)
    logs = [tmp_path / f"run-{n}.log" for n in (1, 2)]
    runs = []
    try:
        with runs_held_back(committed_app):
            runs = [start_tracker(["reminders", "run"], env, log) for log in logs]
            for log in logs:  # both are scanning, and wait for the write lock held here
                wait_for(lambda log=log: "scanning for" in log.read_text(), what=f"{log.name}")
            if on_postgres():
                wait_for(lambda: _waiting_for_locks(committed_app) >= 2, what="both to wait")
        codes = [run.wait(60) for run in runs]
    finally:
        for run in runs:
            run.kill()
            run.wait()
    assert codes == [0, 0], [log.read_text() for log in logs]
    first, second = _finished_runs(committed_app)
    if on_postgres():
        assert second.started_at < first.finished_at  # they did scan at the same time
    assert first.reminders + second.reminders == sum(expected.values())
    assert _all_sent(committed_app, smtp)
    assert _received_events(smtp.inbox) == expected  # every reminder, each exactly once
    assert max(Counter(m["Message-ID"] for m in smtp.inbox.messages).values()) == 1


def test_a_second_scheduler_stands_by_and_takes_over_when_the_leader_is_killed(
    committed_app, smtp, tmp_path
):
    """Two `tracker scheduler` processes for availability: one leads (catches up the missed
    scan and sends), the other stands by; killed, the leader's lock passes to the standby,
    which finds the scan done. Every reminder arrives once."""
    committed_app.config["SMTP_URL"] = smtp.url
    expected = _expected_events(committed_app)
    env = tracker_env(
        committed_app, tmp_path, TRACKER_SEND_INTERVAL="1", TRACKER_LEADER_RETRY_SECONDS="0.2"
    )
    leader_log, standby_log = tmp_path / "leader.log", tmp_path / "standby.log"
    leader = start_tracker(["scheduler"], env, leader_log)
    standby = None
    try:
        wait_for(lambda: "now leads" in leader_log.read_text(), what="the first to lead")
        standby = start_tracker(["scheduler"], env, standby_log)
        wait_for(lambda: "standing by" in standby_log.read_text(), what="the second to stand by")
        wait_for(
            lambda: _all_sent(committed_app, smtp) and _finished_runs(committed_app),
            timeout=60,
            what="the leader to scan and send",
        )
        assert "catching up" not in standby_log.read_text()
        leader.send_signal(signal.SIGKILL)
        leader.wait(10)
        wait_for(lambda: "now leads" in standby_log.read_text(), what="the standby to take over")
        wait_for(lambda: "mail sent every" in standby_log.read_text(), what="its jobs to start")
    finally:
        leader.kill()
        leader.wait()
        codes = [stop(standby)] if standby else []
    assert codes == [0]  # SIGTERM stops it cleanly
    assert len(_finished_runs(committed_app)) == 1  # the run was done: no second scan
    assert _received_events(smtp.inbox) == expected
    assert max(Counter(m["Message-ID"] for m in smtp.inbox.messages).values()) == 1
