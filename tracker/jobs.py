"""Scheduled work of the front ends: each registers its own when the app is made, and the
scheduler runs whatever is registered without knowing any front end by name.

The reminders' own jobs (the daily scan, the outbox sender) stay in
`tracker.reminders.scheduler`; this is for the others, the way Flask extensions and Bolt
listeners register themselves: jobs with their own trigger (Slack's weekly digest), and daily
tasks that run inside the daily scan, with its retries and its catch-up after downtime (the
reporting rounds' chasers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy.orm as so
from apscheduler.triggers.base import BaseTrigger
from flask import Flask

EXTENSION_KEY = "tracker.jobs"
DAILY_TASKS_KEY = "tracker.daily_tasks"

#: Work for the daily scan's day, in its session; the scan commits it with its own.
DailyTask = Callable[[so.Session, date], object]


@dataclass(frozen=True)
class RegisteredJob:
    id: str
    #: What the scheduler's log calls it.
    name: str
    #: Runs with the app; it opens its own app context.
    run: Callable[[Flask], object]
    #: The trigger, from the app's settings (the reminder time) and its time zone.
    trigger: Callable[[Flask, ZoneInfo], BaseTrigger]
    #: Seconds a run may be late and still happen (once).
    misfire_grace_time: int
    #: Whether the app's settings let the job run at all (a Slack token, say).
    enabled: Callable[[Flask], bool] = lambda _app: True


def register_job(app: Flask, job: RegisteredJob) -> None:
    """Have `app`'s scheduler run `job`; registering the same id again replaces it."""
    app.extensions.setdefault(EXTENSION_KEY, {})[job.id] = job


def registered_jobs(app: Flask) -> list[RegisteredJob]:
    """The jobs registered on `app` that its settings let run, in the order registered."""
    jobs: dict[str, RegisteredJob] = app.extensions.get(EXTENSION_KEY, {})
    return [job for job in jobs.values() if job.enabled(app)]


def register_daily_task(app: Flask, name: str, task: DailyTask) -> None:
    """Have `app`'s daily scan run `task` after its reminders, in the same transaction."""
    app.extensions.setdefault(DAILY_TASKS_KEY, {})[name] = task


def daily_tasks(app: Flask) -> list[DailyTask]:
    """The daily tasks registered on `app`, in the order registered."""
    return list(app.extensions.get(DAILY_TASKS_KEY, {}).values())
