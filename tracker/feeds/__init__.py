"""Calendar feeds: iCalendar for activities and milestones, for Outlook, Google and Apple."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)

from tracker.feeds import routes  # noqa: E402,F401
