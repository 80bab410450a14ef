"""Coordinators' pages: working groups, activities, milestones, entities, people, import, export."""

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")

from tracker.manage import routes  # noqa: E402,F401
