"""The app's own defaults are the ones in effect, and no installation runs on a public key."""

from __future__ import annotations

import io
import os
import re
import stat
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from tests.test_sessions import sign_in_by_link
from tracker import create_app
from tracker.auth import SESSION_KEY
from tracker.extensions import db
from tracker.models import Person


def test_effective_configuration_of_a_created_app(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=14)
    # a progress form opened in the morning and saved in the afternoon still goes through
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_the_session_cookie_lives_fourteen_days(app, client, session):
    response = sign_in_by_link(app, client, session, "member@example.org")
    expires = re.search(r"Expires=([^;]+)", response.headers["Set-Cookie"])
    assert expires, response.headers["Set-Cookie"]
    lifetime = parsedate_to_datetime(expires.group(1)) - datetime.now(UTC)
    assert timedelta(days=13, hours=23) < lifetime <= timedelta(days=14)


class CountingBody(io.RawIOBase):
    """A request body of `size` bytes that says how much of itself was read."""

    def __init__(self, size: int) -> None:
        self.size, self.position, self.read_bytes = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # the test client measures the body by seeking
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = offset if whence == 0 else self.size + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self.size - self.position)
        buffer[:n] = b"a" * n
        self.position += n
        self.read_bytes += n
        return n


@pytest.mark.parametrize("path", ["/login", "/slack/events", "/api/v1/activities/1/progress"])
def test_an_over_size_anonymous_post_gets_413_unread(client, path):
    size = 500 * 1024 * 1024
    body = CountingBody(size)
    response = client.post(
        path,
        input_stream=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert body.read_bytes < 1024 * 1024


def test_without_secret_key_one_is_made_once_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    settings = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(instance)}
    first = create_app(dict(settings))
    key_file = instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 40
    assert first.config["SECRET_KEY"] != "dev-only-not-secret"
    # every worker and CLI command of the installation reads the same key
    assert create_app(dict(settings)).config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert [p.name for p in instance.iterdir()] == ["secret_key"]


def test_a_key_file_others_can_read_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(tmp_path)}
    create_app(dict(settings))
    os.chmod(tmp_path / "secret_key", 0o644)
    with pytest.raises(RuntimeError, match="readable by others"):
        create_app(dict(settings))


def test_a_cookie_forged_with_the_old_development_key_opens_nothing(
    app, session, tmp_path, monkeypatch
):
    """The seed database, served by an installation that sets no SECRET_KEY."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    coordinator = session.scalars(
        sa.select(Person).where(Person.email == "coordinator@example.org")
    ).one()
    served = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    forger = Flask("forger")
    forger.secret_key = "dev-only-not-secret"
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    client = served.test_client()
    client.set_cookie("session", serializer.dumps({SESSION_KEY: coordinator.id}))
    try:
        response = client.get("/manage/")
    finally:
        with served.app_context():
            db.engine.dispose()
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
