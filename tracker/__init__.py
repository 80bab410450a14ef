"""Workplan Tracker: workplans of inter-agency working groups, with reminders, feeds and a bot."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from tracker.config import config_from_env
from tracker.extensions import db, migrate

PACKAGE_DIR = Path(__file__).parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


def resource_dir(name: str) -> Path:
    """`templates/` and `seeds/`: at the top of a checkout, inside the package once installed."""
    packaged = PACKAGE_DIR / name
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / name


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides the environment (tests pass a throwaway database)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("TRACKER_INSTANCE_PATH") or None,
        template_folder=str(resource_dir("templates")),
    )
    app.config.update(config_from_env(os.environ, app.instance_path))
    if config:
        app.config.update(config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))

    from tracker import feeds, main
    from tracker.cli import register_commands
    from tracker.feeds import models as _feeds_models  # noqa: F401  (tables for Alembic)
    from tracker.mail import models as _mail_models  # noqa: F401  (tables for Alembic)

    app.register_blueprint(main.bp)
    app.register_blueprint(feeds.bp)
    register_commands(app)
    return app
