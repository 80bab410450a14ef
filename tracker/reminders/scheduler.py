"""The one scheduler process (`tracker scheduler`): the daily reminder scan, the mail sender,
and the jobs the front ends register (`tracker.jobs`: Slack's weekly digest, say).

It runs beside the web app, never inside a web worker (`tracker serve` starts it as a child
process). Jobs live in memory with fixed ids; what survives a restart is the database's own
record of scans (`ReminderRun`). On start the scheduler compares the last scheduled time with
the last finished scan: if the scan was missed while nothing ran, one catch-up scan runs at
once, not zero and not one per missed day. While it runs, a late daily run (the machine slept,
the clock jumped ahead several days) is coalesced by APScheduler into one run, as long as it
is less than `SCAN_MISFIRE_GRACE` late; later than that, the next day's run is near anyway.
Scans are idempotent (see `tracker.reminders.scan`), so a second process or an extra run
costs queries, never a duplicate mail.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import UTC, datetime, time, timedelta
from time import sleep
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from tracker.clock import today
from tracker.extensions import db
from tracker.jobs import daily_tasks, registered_jobs
from tracker.mail import deliver_pending
from tracker.ops.leader import LeaderLock
from tracker.reminders.models import ReminderRun
from tracker.reminders.run import run_scan

log = logging.getLogger(__name__)

SCAN_JOB = "reminders-daily-scan"
CATCH_UP_JOB = "reminders-catch-up"
SEND_JOB = "outbox-sender"
PARENT_JOB = "exit-with-parent"
LEADER_JOB = "check-leader-lock"

#: Seconds a daily scan may be late and still run (once: `coalesce`); under a day, so a run
#: is never taken for the next day's.
SCAN_MISFIRE_GRACE = 23 * 3600
#: The sender runs every minute; a late one is not worth running twice.
SEND_MISFIRE_GRACE = 5 * 60
#: Tries of one scan when the database fails, waiting 30 s, then 60 s.
SCAN_TRIES = 3
SCAN_RETRY_SECONDS = 30
#: How often a child of `tracker serve` checks that its parent still lives.
PARENT_CHECK_SECONDS = 2
#: How often the leader checks that it still holds the leader lock.
LEADER_CHECK_SECONDS = 15
#: Set when the leader lock was lost: the scheduler stops, another process takes over.
lock_lost = threading.Event()

_app: Flask | None = None


def _job_app() -> Flask:
    if _app is None:
        raise RuntimeError("configure(scheduler, app) before running jobs")
    return _app


def scan_job(trigger: str = "schedule") -> None:
    """The daily scan, and the daily tasks front ends registered (reporting rounds' chasers);
    digests wait in the outbox for their recipients' hours.

    A database that is busy or briefly away is tried again: a lost scan means a day without
    reminders, and a repeated one sends nothing twice.
    """
    app = _job_app()
    for attempt in range(1, SCAN_TRIES + 1):
        try:
            with app.app_context():
                day = today()  # one day for the scan and its tasks, also across midnight
                run_scan(db.session, day, trigger=trigger, hold=True)
                for task in daily_tasks(app):  # the front ends' (the rounds' chasers, say)
                    task(db.session, day)
                db.session.commit()
            return
        except sa.exc.OperationalError as exc:
            if attempt == SCAN_TRIES:
                raise
            log.warning("reminder scan failed (try %d), trying again: %s", attempt, exc)
            sleep(SCAN_RETRY_SECONDS * attempt)


def send_job() -> None:
    """Send what is due in the outbox, retries included."""
    app = _job_app()
    with app.app_context():
        report = deliver_pending(lambda: so.Session(db.engine), app.config)
    if report.sent or report.retried or report.failed:
        log.info("mail sent %d, to retry %d, failed %d", report.sent, report.retried, report.failed)


def check_leader_job(lock: LeaderLock) -> None:
    """A leader whose lock is gone (its database connection dropped) must stop acting."""
    if not lock.still_held():
        log.error("the leader lock is lost; stopping so that another scheduler takes over")
        lock_lost.set()
        os.kill(os.getpid(), signal.SIGTERM)


def exit_with_parent_job(parent_pid: int) -> None:
    """Stop when `tracker serve` is gone, even if it was killed without a chance to say so."""
    if os.getppid() != parent_pid:
        log.warning("parent process %s is gone; stopping the scheduler", parent_pid)
        os.kill(os.getpid(), signal.SIGTERM)


def last_due_run(now: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The latest moment at or before `now` when the daily scan was due."""
    local = now.astimezone(zone)
    due = datetime.combine(local.date(), at, zone)
    if due > local:
        due = datetime.combine(local.date() - timedelta(days=1), at, zone)
    return due


def missed_run(session: so.Session, now: datetime, config: dict[str, Any]) -> bool:
    """Whether no scan finished after the last time one was due (a manual run counts)."""
    due = last_due_run(now, config["REMINDER_TIME"], ZoneInfo(config["TIMEZONE"]))
    last = session.scalar(
        sa.select(sa.func.max(ReminderRun.started_at)).where(ReminderRun.finished_at.is_not(None))
    )
    return last is None or last < due


def configure(
    scheduler: BaseScheduler,
    app: Flask,
    *,
    now: datetime | None = None,
    parent_pid: int | None = None,
    leader: LeaderLock | None = None,
) -> bool:
    """Add the jobs to `scheduler`; True when a missed scan is caught up at once."""
    global _app
    _app = app
    now = now or datetime.now(UTC)
    zone = ZoneInfo(app.config["TIMEZONE"])
    at: time = app.config["REMINDER_TIME"]
    scheduler.add_job(
        scan_job,
        CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=zone),
        id=SCAN_JOB,
        name="daily reminder scan",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=SCAN_MISFIRE_GRACE,
    )
    scheduler.add_job(
        send_job,
        IntervalTrigger(seconds=app.config["SEND_INTERVAL"], timezone=zone),
        id=SEND_JOB,
        name="send pending mail",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=SEND_MISFIRE_GRACE,
        next_run_time=now,
    )
    for job in registered_jobs(app):  # the front ends' own (Slack's digest, say)
        scheduler.add_job(
            job.run,
            job.trigger(app, zone),
            args=[app],
            id=job.id,
            name=job.name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=job.misfire_grace_time,
        )
    if leader is not None:
        scheduler.add_job(
            check_leader_job,
            IntervalTrigger(seconds=LEADER_CHECK_SECONDS),
            args=[leader],
            id=LEADER_JOB,
            name="check the leader lock",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=LEADER_CHECK_SECONDS * 4,
        )
    with app.app_context():
        missed = missed_run(db.session, now, app.config)
    if missed:
        log.info("the last scheduled reminder scan did not run: catching up now")
        scheduler.add_job(
            scan_job,
            DateTrigger(run_date=now, timezone=zone),
            kwargs={"trigger": "catch-up"},
            id=CATCH_UP_JOB,
            name="missed reminder scan",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=SCAN_MISFIRE_GRACE,
        )
    if parent_pid is not None:
        scheduler.add_job(
            exit_with_parent_job,
            IntervalTrigger(seconds=PARENT_CHECK_SECONDS),
            args=[parent_pid],
            id=PARENT_JOB,
            name="exit with tracker serve",
            next_run_time=now,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=PARENT_CHECK_SECONDS * 5,
        )
    return missed
