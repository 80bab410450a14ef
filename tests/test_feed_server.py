"""Feeds from `tracker serve` itself (gunicorn on loopback), changed by another process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.sessions import SecureCookieSessionInterface

from tests.conftest import TEST_TODAY, seed
from tracker.auth import session_claims
from tracker.domain.status import Actor, update_progress
from tracker.extensions import db
from tracker.feeds.models import FeedToken
from tracker.feeds.services import create_token
from tracker.models import Milestone, Person, Status

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def served(empty_app, tmp_path):
    """`tracker serve` with one worker on the seeded database of `empty_app`."""
    seed(empty_app)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": empty_app.config["SQLALCHEMY_DATABASE_URI"],
        "TRACKER_INSTANCE_PATH": str(tmp_path),
        "TRACKER_BASE_URL": f"http://127.0.0.1:{port}",
        "TRACKER_TODAY": TEST_TODAY.isoformat(),
        "SECRET_KEY": empty_app.config["SECRET_KEY"],
    }
    command = [str(Path(sys.executable).parent / "tracker"), "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", "1", "--no-seed"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if _get(f"{base}/")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, "tracker serve stopped"
            assert time.monotonic() < deadline, "tracker serve did not answer in 60 s"
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_served_feeds_see_other_processes_changes_at_once(served, empty_app):
    with empty_app.app_context():
        person = db.session.scalars(
            sa.select(Person).where(Person.email == "coordinator@example.org")
        ).one()
        _row, token = create_token(db.session, person, "phone")
        db.session.commit()
    url = f"{served}/calendar/{token}/working-groups/EGMS.ics"
    status, headers, body = _get(url)
    assert status == 200 and b"BEGIN:VCALENDAR" in body
    assert _get(url, **{"If-None-Match": headers["ETag"]})[0] == 304

    with empty_app.app_context():
        workshop = db.session.scalars(sa.select(Milestone).where(Milestone.code == "37-M2")).one()
        update_progress(
            db.session,
            workshop,
            Actor.system("test", "cli"),
            status=Status.CANCELLED,
            today=TEST_TODAY,
        )
        db.session.commit()
    status, headers, body = _get(url, **{"If-None-Match": headers["ETag"]})
    assert status == 200 and b"Cancelled: EGMS: Workshop" in body
    fresh = {"If-None-Match": headers["ETag"]}
    assert _get(url, **fresh)[0] == 304

    # an address that stops working stops at once, whatever ETag its client holds
    with empty_app.app_context():
        db.session.execute(sa.update(Person).values(active=False))
        db.session.commit()
    assert _get(url, **fresh)[0] == 404
    with empty_app.app_context():
        db.session.execute(sa.update(Person).values(active=True))
        db.session.commit()
    status, headers, _body = _get(url)
    assert status == 200
    with empty_app.app_context():
        db.session.execute(sa.delete(FeedToken))
        db.session.commit()
    assert _get(url, **{"If-None-Match": headers["ETag"]})[0] == 404
    assert _get(url)[0] == 404


def test_served_requests_do_not_share_who_is_signed_in(served, empty_app):
    with empty_app.app_context():
        claims = session_claims(
            db.session.scalars(
                sa.select(Person).where(Person.email == "coordinator@example.org")
            ).one()
        )
    cookie = SecureCookieSessionInterface().get_signing_serializer(empty_app).dumps(claims)
    signed_in = _get(f"{served}/calendar/", Cookie=f"session={cookie}")
    assert signed_in[0] == 200 and b"Calendar feeds" in signed_in[2]
    assert _get(f"{served}/calendar/", Accept="application/json")[0] == 401
