"""`/healthz` says the process answers; `/readyz` says it can serve: database reachable, schema
at the newest migration. Load balancers and orchestrators poll them."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Response, jsonify
from flask_migrate import Config

from tracker import MIGRATIONS_DIR
from tracker.extensions import db
from tracker.ops import bp


@cache
def schema_head() -> str:
    """The newest migration of this release (read from disk once per process)."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    try:
        current = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        return jsonify(status="unavailable", reason=f"database: {type(exc).__name__}"), 503
    if current != schema_head():
        return jsonify(
            status="unavailable",
            reason=f"schema at {current}, this release needs {schema_head()}; "
            "run `tracker db upgrade`",
        ), 503
    return jsonify(status="ready", schema=current), 200
