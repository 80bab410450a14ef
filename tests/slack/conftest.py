"""The web app set up for Slack against a fake Web API, and signed requests to send it."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from slack_sdk.signature import SignatureVerifier

from bot.slack.app import TrackerBolt, bolt_app
from tests.slack.fake import TEAM, FakeSlack

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
#: Slack users of the tests and their e-mail addresses (the seed people, and a stranger).
USERS = {
    "U_ILO": "ilo.focal-point@example.org",
    "U_IOM": "iom.focal-point@example.org",
    "U_COORD": "coordinator@example.org",
    "U_MEMBER": "member@example.org",
    "U_STRANGER": "stranger@example.org",
}
_SETTINGS = ("SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_API_URL", "SLACK_APP_TOKEN")


def signed_headers(body: str, content_type: str, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=str(timestamp), body=body)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature,
    }


class SlackHarness:
    """Sends signed requests to /slack/events and waits for the lazy listeners to finish."""

    def __init__(self, client: FlaskClient, bolt: TrackerBolt, api: FakeSlack) -> None:
        self.client, self.bolt, self.api = client, bolt, api
        self._events = 0

    def settle(self) -> None:
        assert self.bolt.executor.wait_idle(10), "a Slack listener did not finish"

    def post(self, body: str, content_type: str, **headers: str) -> Any:
        all_headers = signed_headers(body, content_type) | headers
        response = self.client.post("/slack/events", data=body, headers=all_headers)
        self.settle()
        return response

    def command(self, text: str, user: str = "U_ILO", response_url: str = "cmd") -> Any:
        body = urlencode(
            {
                "command": "/workplan",
                "text": text,
                "user_id": user,
                "user_name": user.lower(),
                "channel_id": "C0GENERAL",
                "team_id": TEAM,
                "response_url": self.api.response_url(response_url),
                "trigger_id": "trigger-1",
            }
        )
        return self.post(body, "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any], event_id: str | None = None, **headers: str) -> Any:
        self._events += 1
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": TEAM,
                "api_app_id": "A0TEST",
                "event_id": event_id or f"Ev{self._events:08d}",
                "event_time": int(time.time()),
                "event": event,
            }
        )
        return self.post(body, "application/json", **headers)

    def interaction(self, payload: dict[str, Any]) -> Any:
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded")


@pytest.fixture(autouse=True)
def no_listener_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Bolt logs a failing listener instead of raising: any such error fails the test."""
    yield
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack(USERS) as api:
        yield api


@pytest.fixture
def slack_config(app: Flask, fake_slack: FakeSlack) -> Iterator[Flask]:
    """The shared app pointed at the fake Slack; its settings are put back afterwards."""
    saved = {name: app.config.get(name) for name in _SETTINGS}
    app.config.update(
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_API_URL=fake_slack.api_url,
        SLACK_APP_TOKEN=None,
    )
    yield app
    app.config.update(saved)


@pytest.fixture
def slack(
    slack_config: Flask, client: FlaskClient, fake_slack: FakeSlack
) -> Iterator[SlackHarness]:
    """Signed requests to /slack/events of the shared app, answered against the fake Slack."""
    bolt = bolt_app(slack_config)
    harness = SlackHarness(client, bolt, fake_slack)
    yield harness
    harness.settle()  # before the test's transaction is rolled back
