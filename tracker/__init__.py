"""Workplan Tracker: workplans of inter-agency working groups, with reminders, feeds and a bot."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from tracker.config import DEFAULTS, config_from_env, instance_secret_key
from tracker.extensions import csrf, db, migrate

PACKAGE_DIR = Path(__file__).parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


def resource_dir(name: str) -> Path:
    """`templates/` and `seeds/`: at the top of a checkout, inside the package once installed."""
    packaged = PACKAGE_DIR / name
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / name


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides the environment (tests pass a throwaway database).

    `INSTANCE_PATH` in `config` (or TRACKER_INSTANCE_PATH) moves the folder for local state.
    """
    overrides = dict(config or {})
    app = Flask(
        __name__,
        instance_path=overrides.pop("INSTANCE_PATH", None)
        or os.environ.get("TRACKER_INSTANCE_PATH")
        or None,
        template_folder=str(resource_dir("templates")),
    )
    app.config.update(DEFAULTS)
    app.config.update(config_from_env(os.environ, app.instance_path))
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)

    from bot import chat
    from bot import models as _bot_models  # noqa: F401  (tables for Alembic)
    from bot.slack import jobs as slack_jobs
    from bot.slack import routes as slack_routes
    from tracker import api, auth, feeds, main, manage, ops, reminders, web
    from tracker.auth import models as _auth_models  # noqa: F401  (tables for Alembic)
    from tracker.cli import register_commands
    from tracker.exchange import models as _exchange_models  # noqa: F401  (tables for Alembic)
    from tracker.feeds import models as _feeds_models  # noqa: F401  (tables for Alembic)
    from tracker.mail import models as _mail_models  # noqa: F401  (tables for Alembic)
    from tracker.manage import models as _manage_models  # noqa: F401  (tables for Alembic)
    from tracker.monitoring import models as _monitoring_models  # noqa: F401  (tables for Alembic)
    from tracker.monitoring import requests as round_requests
    from tracker.monitoring import routes as monitoring
    from tracker.ops import request_log
    from tracker.reminders import models as _reminder_models  # noqa: F401  (tables for Alembic)

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(monitoring.bp)
    app.register_blueprint(monitoring.reports)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)
    app.register_blueprint(reminders.bp)
    app.register_blueprint(ops.bp)
    csrf.exempt(ops.bp)
    web.init_app(app)
    request_log.init_app(app)
    app.register_blueprint(chat.bp)
    app.register_blueprint(slack_routes.bp)
    slack_jobs.init_app(app)
    round_requests.init_app(app)
    csrf.exempt(slack_routes.bp)  # Slack signs its requests; the bolt handler checks them
    app.register_blueprint(feeds.bp)
    register_commands(app)
    return app
