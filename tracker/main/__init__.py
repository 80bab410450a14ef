"""The overview page: working groups with their activities, timelines and status."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from tracker.main import routes  # noqa: E402,F401
