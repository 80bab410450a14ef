"""The pages everyone reads: dashboards, lists, the timeline, activity and milestone pages."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from tracker.main import routes  # noqa: E402,F401
