"""Running the tracker: health and readiness, request ids in logs, backup and restore."""

from flask import Blueprint

bp = Blueprint("ops", __name__)

from tracker.ops import health  # noqa: E402,F401
