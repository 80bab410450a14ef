"""The JSON API for integrations: /api/v1/, personal bearer tokens, an OpenAPI description."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from tracker.api import monitoring, routes  # noqa: E402,F401
