"""One base URL for links that leave the app: `tracker serve --port` sets it for the scheduler it
starts and records it for `tracker login-link`; a base URL that misses the server is warned of."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import pytest
import sqlalchemy as sa

from tests.reminders_support import ROOT, start_tracker, stop, tracker_env, wait_for
from tests.test_mail import free_port
from tracker.cli.serve import base_url_warnings, listening_url, settle_base_url
from tracker.config import DEFAULT_BASE_URL, SERVED_AT, config_from_env
from tracker.extensions import db
from tracker.mail.models import OutboxMessage

pytest_plugins = ("tests.reminders_fixtures",)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


@pytest.mark.slow
def test_serve_port_reaches_the_scheduler_and_login_link(committed_app, tmp_path):
    """`scripts/run --port P` without TRACKER_BASE_URL: every link leads to port P."""
    port = free_port()
    env = tracker_env(committed_app, tmp_path)
    del env["TRACKER_BASE_URL"]
    serve = start_tracker(
        ["serve", "--port", str(port), "--workers", "1", "--no-seed"], env, tmp_path / "serve.log"
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _get(base + "/login")[0] == 200, timeout=30, what="the web app")
        # the scheduler's catch-up scan of a fresh database writes digests on the same base
        with committed_app.app_context():

            def digests() -> list[str]:
                db.session.rollback()
                return list(
                    db.session.scalars(
                        sa.select(OutboxMessage.text_body).where(OutboxMessage.kind == "reminders")
                    )
                )

            bodies = wait_for(digests, timeout=30, what="the catch-up scan's digests")
        assert all(f"{base}/" in body for body in bodies)
        assert not any("127.0.0.1:5000" in body or "tracker.test" in body for body in bodies)

        printed = subprocess.run(
            [sys.executable, "-m", "tracker.cli", "login-link", "coordinator@example.org"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        assert printed.startswith(f"{base}/login/")
        status, page = _get(printed)
        assert status == 200 and "Sign in" in page
    finally:
        stop(serve)
    log = (tmp_path / "serve.log").read_text()
    assert f"Workplan Tracker on {base}/" in log
    assert "warning" not in log


def test_the_recorded_address_is_the_default_base_url(tmp_path):
    assert config_from_env({}, str(tmp_path))["BASE_URL"] == DEFAULT_BASE_URL
    (tmp_path / SERVED_AT).write_text("http://127.0.0.1:8000\n")
    assert config_from_env({}, str(tmp_path))["BASE_URL"] == "http://127.0.0.1:8000"
    explicit = {"TRACKER_BASE_URL": "https://workplans.example.org"}
    assert config_from_env(explicit, str(tmp_path))["BASE_URL"] == explicit["TRACKER_BASE_URL"]


def test_serve_settles_the_base_url_or_warns(app, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "BASE_URL", DEFAULT_BASE_URL)
    monkeypatch.delenv("TRACKER_BASE_URL", raising=False)
    assert settle_base_url(app, "127.0.0.1", 8000) == []
    assert app.config["BASE_URL"] == "http://127.0.0.1:8000"
    assert os.environ["TRACKER_BASE_URL"] == "http://127.0.0.1:8000"  # for the scheduler child
    assert (tmp_path / SERVED_AT).read_text().strip() == "http://127.0.0.1:8000"

    # set by the operator: kept, and questioned when it misses the server
    monkeypatch.setenv("TRACKER_BASE_URL", DEFAULT_BASE_URL)
    monkeypatch.setitem(app.config, "BASE_URL", DEFAULT_BASE_URL)
    [warning] = settle_base_url(app, "127.0.0.1", 8000)
    assert "listens on port 8000" in warning and DEFAULT_BASE_URL in warning
    assert app.config["BASE_URL"] == DEFAULT_BASE_URL


@pytest.mark.parametrize(
    ("base", "host", "port", "warned"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1", 8000, []),
        ("http://localhost:8000/", "127.0.0.1", 8000, []),
        ("http://127.0.0.1:5000", "127.0.0.1", 8000, ["listens on port 8000"]),
        ("http://127.0.0.1:8000", "0.0.0.0", 8000, ["only this machine"]),
        ("http://10.1.2.3", "10.1.2.3", 8000, ["listens on port 8000"]),
        # a reverse proxy's public address: not this server's business
        ("https://workplans.example.org", "127.0.0.1", 8000, []),
    ],
)
def test_base_url_warnings(base, host, port, warned):
    found = base_url_warnings(base, host, port)
    assert len(found) == len(warned)
    for line, words in zip(found, warned, strict=True):
        assert words in line


def test_listening_url():
    assert listening_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"
    assert listening_url("::1", 8000) == "http://[::1]:8000"
    assert listening_url("tracker.example.org", 80) == "http://tracker.example.org:80"
