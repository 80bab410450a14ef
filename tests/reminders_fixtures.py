"""Fixtures of the reminder tests, a plugin: `pytest_plugins = ("tests.reminders_fixtures",)`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import make_app, seed, throwaway_database
from tests.reminders_support import SmtpServer, database_copy
from tracker.extensions import db


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback (aiosmtpd)."""
    server = SmtpServer().start()
    yield server
    server.inbox.release.set()
    server.stop()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seeded database that is only ever copied."""
    with throwaway_database(tmp_path_factory.mktemp("template")) as url:
        app = make_app(url)
        seed(app)
        with app.app_context():
            db.engine.dispose()
        yield url


@pytest.fixture
def committed_app(seeded_template: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on its own copy of the seed database, for tests that commit or run processes."""
    with database_copy(seeded_template, tmp_path) as url:
        app = make_app(url)
        yield app
        with app.app_context():
            db.engine.dispose()
