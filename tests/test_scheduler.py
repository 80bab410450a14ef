"""The scheduler: fixed jobs, one catch-up after downtime, one run after a clock jump, and
`tracker serve` running exactly one scheduler beside its web workers."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import urllib.request
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.slack.jobs import DIGEST_JOB, ROUNDS_JOB, post_round_requests_job
from tests.reminders_support import ROOT, start_tracker, stop, tracker_env, wait_for
from tests.test_mail import free_port
from tracker import create_app
from tracker.clock import today
from tracker.extensions import db
from tracker.jobs import DAILY_TASKS_KEY, EXTENSION_KEY, daily_tasks, register_daily_task
from tracker.models import utcnow
from tracker.monitoring.requests import chase_rounds
from tracker.reminders.models import ReminderRun
from tracker.reminders.scheduler import (
    CATCH_UP_JOB,
    SCAN_JOB,
    SCAN_MISFIRE_GRACE,
    SEND_JOB,
    configure,
    last_due_run,
    missed_run,
)

pytest_plugins = ("tests.reminders_fixtures",)

PARIS = ZoneInfo("Europe/Paris")


def record_run(session, started_at, finished=True):
    run = ReminderRun(
        scan_date=started_at.date(),
        trigger="schedule",
        started_at=started_at,
        finished_at=started_at + timedelta(seconds=1) if finished else None,
    )
    session.add(run)
    session.commit()


def test_last_due_run_in_the_configured_zone():
    at = time(6, 0)
    # 06:00 in Paris in January is 05:00 UTC
    before = datetime(2020, 1, 10, 4, 59, tzinfo=UTC)
    after = datetime(2020, 1, 10, 5, 0, tzinfo=UTC)
    assert last_due_run(before, at, PARIS) == datetime(2020, 1, 9, 6, 0, tzinfo=PARIS)
    assert last_due_run(after, at, PARIS) == datetime(2020, 1, 10, 6, 0, tzinfo=PARIS)
    # summer time: 06:00 in Paris is 04:00 UTC
    assert last_due_run(datetime(2020, 7, 1, 4, 0, tzinfo=UTC), at, PARIS).astimezone(
        UTC
    ) == datetime(2020, 7, 1, 4, 0, tzinfo=UTC)


def test_a_run_is_missed_until_a_scan_finishes_after_its_time(app, session):
    now = utcnow()
    config = dict(app.config, REMINDER_TIME=(now - timedelta(hours=2)).time(), TIMEZONE="UTC")
    due = now - timedelta(hours=2)
    session.execute(sa.delete(ReminderRun))
    assert missed_run(session, now, config)  # never ran
    record_run(session, due - timedelta(hours=1))
    assert missed_run(session, now, config)  # ran before the time
    record_run(session, due + timedelta(minutes=1), finished=False)
    assert missed_run(session, now, config)  # died halfway
    record_run(session, due + timedelta(minutes=2))
    assert not missed_run(session, now, config)


def test_jobs_have_fixed_ids_coalesce_and_an_explicit_grace_time(app, session):
    session.execute(sa.delete(ReminderRun))
    app.config.update(REMINDER_TIME=time(6, 30), TIMEZONE="Europe/Paris")
    try:
        scheduler = BackgroundScheduler(timezone=PARIS)
        assert configure(scheduler, app) is True  # no scan ever finished: catch up at once
        jobs = {job.id: job for job in scheduler.get_jobs()}
    finally:
        app.config.update(REMINDER_TIME=time(6, 0), TIMEZONE="UTC")
    assert set(jobs) == {SCAN_JOB, SEND_JOB, CATCH_UP_JOB}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time is not None
        assert job.func.__module__ == "tracker.reminders.scheduler"  # importable, not a closure
    scan = jobs[SCAN_JOB]
    assert isinstance(scan.trigger, CronTrigger) and scan.misfire_grace_time == SCAN_MISFIRE_GRACE
    assert str(scan.trigger) == "cron[hour='6', minute='30', second='0']"
    assert scan.trigger.timezone == PARIS
    assert jobs[CATCH_UP_JOB].kwargs == {"trigger": "catch-up"}

    record_run(session, utcnow())
    scheduler = BackgroundScheduler(timezone=PARIS)
    assert configure(scheduler, app) is False
    assert {job.id for job in scheduler.get_jobs()} == {SCAN_JOB, SEND_JOB}


def test_slacks_jobs_are_registered_and_scheduled_only_with_a_token(app, session):
    """The scheduler knows Slack's jobs only as registered by the app factory."""
    record_run(session, utcnow())
    assert [job.id for job in app.extensions[EXTENSION_KEY].values()] == [DIGEST_JOB, ROUNDS_JOB]
    token = app.config.get("SLACK_BOT_TOKEN")
    app.config["SLACK_BOT_TOKEN"] = "xoxb-registered-jobs"
    try:
        scheduler = BackgroundScheduler(timezone=PARIS)
        configure(scheduler, app)
        jobs = {job.id: job for job in scheduler.get_jobs()}
    finally:
        app.config["SLACK_BOT_TOKEN"] = token
    assert set(jobs) == {SCAN_JOB, SEND_JOB, DIGEST_JOB, ROUNDS_JOB}
    assert str(jobs[DIGEST_JOB].trigger) == "cron[day_of_week='mon', hour='6', minute='0']"
    assert jobs[DIGEST_JOB].args == (app,) and jobs[ROUNDS_JOB].func is post_round_requests_job
    assert jobs[ROUNDS_JOB].max_instances == 1 and jobs[ROUNDS_JOB].coalesce is True


def test_the_app_factory_starts_no_scheduler(app):
    threads = threading.active_count()
    create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    assert threading.active_count() == threads


def test_after_a_clock_jump_of_several_days_the_daily_scan_runs_once(committed_app):
    """The scheduler wakes to find its daily run five days overdue (the machine slept, or
    the clock jumped): APScheduler's coalescing runs it once, and the next one is tomorrow."""
    now = utcnow()
    committed_app.config["REMINDER_TIME"] = (now - timedelta(hours=1)).time()
    with committed_app.app_context():
        record_run(db.session, now - timedelta(minutes=30))  # nothing to catch up on start
    scheduler = BackgroundScheduler(timezone=UTC)
    assert configure(scheduler, committed_app) is False
    scheduler.modify_job(SCAN_JOB, next_run_time=now - timedelta(days=5))
    events: list[JobExecutionEvent] = []
    scheduler.add_listener(
        lambda e: events.append(e) if e.job_id == SCAN_JOB else None,
        EVENT_JOB_EXECUTED | EVENT_JOB_MISSED,
    )
    scheduler.start()
    try:
        wait_for(lambda: events, what="the daily scan")
        next_run = scheduler.get_job(SCAN_JOB).next_run_time
    finally:
        scheduler.shutdown(wait=True)
    assert [e.code for e in events] == [EVENT_JOB_EXECUTED]
    assert next_run > now + timedelta(hours=22)
    with committed_app.app_context():
        runs = db.session.scalars(
            sa.select(ReminderRun.trigger).where(ReminderRun.finished_at > now)
        ).all()
    assert runs == ["schedule"]


def test_the_daily_scan_runs_the_registered_daily_tasks_in_its_transaction(
    committed_app, monkeypatch
):
    """The rounds' chasers are registered by the app factory; the scan runs each task for its
    day, in its session, and commits what they did with its own."""
    from tracker.reminders import scheduler

    assert chase_rounds in daily_tasks(committed_app)
    seen: list[tuple[object, date]] = []

    def task(session, day):
        seen.append((session, day))
        session.add(ReminderRun(scan_date=day, trigger="task", started_at=utcnow()))

    registered = dict(committed_app.extensions[DAILY_TASKS_KEY])
    register_daily_task(committed_app, "probe", task)
    monkeypatch.setattr(scheduler, "_app", committed_app)
    try:
        scheduler.scan_job()
    finally:
        committed_app.extensions[DAILY_TASKS_KEY] = registered
    with committed_app.app_context():
        assert [day for _, day in seen] == [today()]
        triggers = db.session.scalars(sa.select(ReminderRun.trigger)).all()
    assert "task" in triggers and "schedule" in triggers


def test_a_scan_that_fails_on_the_database_is_tried_again(tmp_path, monkeypatch, caplog):
    from tracker.reminders import scheduler

    broken = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}"})  # a directory
    monkeypatch.setattr(scheduler, "SCAN_RETRY_SECONDS", 0)
    monkeypatch.setattr(scheduler, "_app", broken)
    with pytest.raises(sa.exc.OperationalError):
        scheduler.scan_job()
    assert caplog.text.count("trying again") == scheduler.SCAN_TRIES - 1


def _children(pid: int) -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_serve_runs_one_scheduler_beside_its_workers_and_stops_it(committed_app, tmp_path):
    port = free_port()
    env = tracker_env(committed_app, tmp_path)
    args = ["serve", "--port", str(port), "--workers", "2", "--no-seed"]
    serve = start_tracker(args, env, tmp_path / "serve.log")
    try:
        wait_for(
            lambda: _ping(f"http://127.0.0.1:{port}/"), timeout=30, what="the web app to answer"
        )
        children = wait_for(
            lambda: len(_children(serve.pid)) == 3, what="two workers and the scheduler"
        ) and _children(serve.pid)
        schedulers = [pid for pid, cmd in children.items() if " scheduler " in f"{cmd} "]
        assert len(schedulers) == 1, children
        [scheduler] = schedulers
        assert f"--exit-with-parent {serve.pid}" in children[scheduler]
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(30) == 0
        wait_for(lambda: not _alive(scheduler), what="the scheduler to stop with serve")
    finally:
        stop(serve)
    log = (tmp_path / "serve.log").read_text()
    assert "Booting worker" in log


@pytest.mark.slow
def test_a_scheduler_whose_serve_was_killed_stops_by_itself(committed_app, tmp_path):
    """`tracker serve` killed with SIGKILL has no chance to stop its child: the child notices."""
    log = tmp_path / "scheduler.log"
    starter = (
        "import os, subprocess, sys, time\n"
        "out = open(sys.argv[1], 'ab')\n"
        "child = subprocess.Popen([sys.executable, '-m', 'tracker.cli', 'scheduler',"
        " '--exit-with-parent', str(os.getpid())], stdout=out, stderr=out)\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", starter, str(log)],
        cwd=ROOT,
        env=tracker_env(committed_app, tmp_path),
        stdout=subprocess.PIPE,
    )
    assert parent.stdout is not None
    with parent.stdout:
        scheduler = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    wait_for(lambda: not _alive(scheduler), what="the orphaned scheduler to stop")
    assert "is gone; stopping the scheduler" in log.read_text()


def _ping(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
