"""The Slack app's scheduled jobs, registered with the tracker's scheduler when the app is made
(`tracker.jobs`); they run only where a bot token is set."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from bot.slack.app import web_client
from bot.slack.digest import weekly_digest_job
from bot.slack.rounds import post_round_requests
from tracker.clock import today
from tracker.jobs import RegisteredJob, register_job

DIGEST_JOB = "slack-weekly-digest"
ROUNDS_JOB = "slack-round-requests"
#: How often open rounds are looked at for leads still to be messaged in Slack.
ROUNDS_SECONDS = 300


def _has_token(app: Flask) -> bool:
    return bool(app.config.get("SLACK_BOT_TOKEN"))


def _on_mondays(app: Flask, zone: ZoneInfo) -> BaseTrigger:
    """Mondays at the reminder time: the week's digest beside the week's first reminders."""
    at = app.config["REMINDER_TIME"]
    return CronTrigger(day_of_week="mon", hour=at.hour, minute=at.minute, timezone=zone)


def _every_few_minutes(_app: Flask, zone: ZoneInfo) -> BaseTrigger:
    return IntervalTrigger(seconds=ROUNDS_SECONDS, timezone=zone)


def post_round_requests_job(app: Flask) -> int:
    """Open reporting rounds' direct messages to leads (each once, however often run)."""
    with app.app_context():
        return post_round_requests(web_client(app), today())


def init_app(app: Flask) -> None:
    register_job(
        app,
        RegisteredJob(
            id=DIGEST_JOB,
            name="weekly Slack digest",
            run=weekly_digest_job,
            trigger=_on_mondays,
            misfire_grace_time=23 * 3600,  # once a week: worth running late the same day
            enabled=_has_token,
        ),
    )
    register_job(
        app,
        RegisteredJob(
            id=ROUNDS_JOB,
            name="reporting rounds' Slack requests",
            run=post_round_requests_job,
            trigger=_every_few_minutes,
            misfire_grace_time=5 * 60,
            enabled=_has_token,
        ),
    )
