"""Fixtures: an app on a throwaway database (SQLite, or PostgreSQL when asked), seeded once,
with every test run inside a transaction that is rolled back."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy.session import _app_ctx_id

from tracker import create_app, resource_dir
from tracker.auth import session_claims
from tracker.cli.workplan import create_schema
from tracker.exchange import import_files
from tracker.extensions import db
from tracker.feeds.polls import close_kept_connection
from tracker.models import Person

#: The day the tests live on: the seed workplans are mostly 2019-2021.
TEST_TODAY = date(2020, 1, 10)

#: Set to a PostgreSQL URL (any database on the server) to run the suite on PostgreSQL.
POSTGRES_ENV = "TRACKER_TEST_DATABASE_URL"


def on_postgres() -> bool:
    return os.environ.get(POSTGRES_ENV, "").startswith("postgres")


@contextmanager
def throwaway_database(tmp_dir: Path) -> Iterator[str]:
    """A new, empty database URL, dropped afterwards."""
    server_url = os.environ.get(POSTGRES_ENV, "")
    if not server_url.startswith("postgres"):
        yield f"sqlite:///{tmp_dir / f'tracker-{uuid.uuid4().hex[:8]}.db'}"
        return
    from tracker.config import normalize_database_url

    server = sa.make_url(normalize_database_url(server_url))
    name = f"tracker_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def make_app(database_url: str, **overrides: Any) -> Flask:
    """An app on `database_url` with the test settings."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TODAY": TEST_TODAY,
        "BASE_URL": "http://tracker.test",
        "SMTP_URL": None,
        "INSTANCE_PATH": tempfile.mkdtemp(prefix="tracker-instance-"),
    }
    config.update(overrides)
    return create_app(config)


def seed(app: Flask) -> None:
    with app.app_context():
        create_schema()
        seeds = resource_dir("seeds")
        import_files(
            db.session, sorted(seeds.glob("*.toml")) + sorted(seeds.glob("*.csv")), TEST_TODAY
        )
        db.session.commit()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on a database holding the seed workplans, shared by the whole session."""
    with throwaway_database(tmp_path_factory.mktemp("db")) as url:
        application = make_app(url)
        seed(application)
        yield application
        with application.app_context():
            close_kept_connection()
            db.engine.dispose()


@pytest.fixture
def empty_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on its own empty database with the schema, for tests that commit."""
    with throwaway_database(tmp_path) as url:
        application = make_app(url)
        with application.app_context():
            create_schema()
        yield application
        with application.app_context():
            close_kept_connection()
            db.engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[sa.orm.Session]:
    """`db.session` inside a transaction that is rolled back after the test.

    Commits inside the test (and inside requests it makes) only release savepoints.
    """
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # a plain Session: Flask-SQLAlchemy's own would pick the engine over `bind`
        db.session = sa.orm.scoped_session(
            sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask, session: sa.orm.Session) -> FlaskClient:
    """A test client whose requests share the test's rolled-back transaction."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask, session: sa.orm.Session) -> Iterator[FlaskCliRunner]:
    """A CLI runner whose commands share the test's rolled-back transaction.

    `--today` pins the shared app's clock; it is put back afterwards.
    """
    pinned = app.config["TODAY"]
    yield app.test_cli_runner()
    app.config["TODAY"] = pinned


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if (
            not statement.lstrip()
            .upper()
            .startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"))
        ):
            self.statements.append(statement)


@pytest.fixture
def count_queries(session: sa.orm.Session) -> Any:
    """`with count_queries() as counter:` counts the SQL statements run inside the block."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        sa.event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter)

    return counting


class AuthActions:
    """Signing the test client in as one of the seed people."""

    def __init__(self, client: FlaskClient, session: sa.orm.Session) -> None:
        self.client, self.session = client, session

    def sign_in_as(self, email: str) -> Person:
        person = self.session.scalars(sa.select(Person).where(Person.email == email)).one()
        with self.client.session_transaction() as cookie:
            cookie.update(session_claims(person))
        return person

    def sign_out(self) -> None:
        with self.client.session_transaction() as cookie:
            cookie.clear()


@pytest.fixture
def auth(client: FlaskClient, session: sa.orm.Session) -> AuthActions:
    """`auth.sign_in_as("coordinator@example.org")` signs the client in."""
    return AuthActions(client, session)


# CI runs must not fail on a new random example; local runs keep exploring.
hypothesis.settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")
