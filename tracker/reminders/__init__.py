"""Deadline reminders by e-mail: the daily scan, digests, preferences, unsubscribe, the outbox
page and the scheduler that runs it all in one process."""

from flask import Blueprint

bp = Blueprint("reminders", __name__, url_prefix="/reminders")

from tracker.reminders import routes  # noqa: E402,F401
