"""The Bolt app: built for a Flask app on first use, never at start-up, and without a network
call until Slack sends something (the token is not verified eagerly).

Listeners acknowledge at once, in the request (`process_before_response=True`, so what an
acknowledgement carries is decided before Slack gets its answer); anything that calls the Web
API runs afterwards in a lazy listener, on `ContextExecutor` threads that hold the Flask app
context, hence `db.session`, `current_app` and `tracker.clock.today()` work everywhere.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from typing import Any

from flask import Flask, has_app_context
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from tracker.extensions import db

logger = logging.getLogger(__name__)

_EXTENSION = "tracker.slack"
_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")
_build_lock = threading.Lock()


class SlackNotConfigured(RuntimeError):
    """A setting the Slack app needs is missing; the message names it."""


class ContextExecutor(ThreadPoolExecutor):
    """Bolt's listener threads, each inside the Flask app context."""

    def __init__(self, flask_app: Flask, max_workers: int = 4) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="slack-listener")
        self._flask_app = flask_app
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(self._in_app_context, fn, *args, **kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _in_app_context(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with self._flask_app.app_context():
            return fn(*args, **kwargs)

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every listener started so far has finished (shutdown, tests)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            wait_for_futures(pending, timeout=remaining)


def _timestamp_is_a_number(req: BoltRequest) -> bool:
    """Bolt's signature check does `int()` on X-Slack-Request-Timestamp and fails with a
    500 on anything else (or on a number too large for a float); a malformed timestamp is
    refused like a forged signature. Socket Mode requests carry none."""
    values = req.headers.get("x-slack-request-timestamp") or []
    return all(value.isascii() and value.isdigit() and len(value) <= 12 for value in values)


class TrackerBolt(App):
    """A Bolt app that dispatches inside its Flask app's context (Socket Mode has none)."""

    def __init__(self, flask_app: Flask, executor: ContextExecutor, **kwargs: Any) -> None:
        self.flask_app = flask_app
        self.executor = executor
        super().__init__(listener_executor=executor, **kwargs)

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        if not _timestamp_is_a_number(req):
            return BoltResponse(status=401, body={"error": "invalid request"})
        if has_app_context():
            return super().dispatch(req)
        with self.flask_app.app_context():
            return super().dispatch(req)


def web_client(flask_app: Flask) -> WebClient:
    """The Web API client; SLACK_API_URL points it elsewhere (a local server in the tests)."""
    token = flask_app.config.get("SLACK_BOT_TOKEN")
    if not token:
        raise SlackNotConfigured("SLACK_BOT_TOKEN is not set: give the bot's xoxb- token")
    return WebClient(token=token, base_url=flask_app.config["SLACK_API_URL"])


def build_bolt_app(flask_app: Flask, *, socket_mode: bool = False) -> TrackerBolt:
    """A new Bolt app with every listener; Socket Mode needs no signing secret."""
    from bot.slack import listeners

    client = web_client(flask_app)
    secret = flask_app.config.get("SLACK_SIGNING_SECRET")
    if not socket_mode and not secret:
        raise SlackNotConfigured(
            "SLACK_SIGNING_SECRET is not set: copy it from the Slack app's Basic Information page"
        )
    bolt = TrackerBolt(
        flask_app,
        ContextExecutor(flask_app),
        name="workplan-tracker",
        logger=logging.getLogger("bot.slack.bolt"),
        client=client,
        signing_secret=secret or "",
        token_verification_enabled=False,
        request_verification_enabled=not socket_mode,
        process_before_response=True,
    )
    bolt.use(skip_retried_events)
    listeners.register_all(bolt)
    return bolt


def bolt_app(flask_app: Flask) -> TrackerBolt:
    """The Flask app's Bolt app, built on first use and again if its Slack settings change."""
    settings = tuple(flask_app.config.get(name) for name in _SETTINGS)
    with _build_lock:
        built: tuple[tuple[Any, ...], TrackerBolt] | None = flask_app.extensions.get(_EXTENSION)
        if built is None or built[0] != settings:
            if built is not None:
                built[1].executor.shutdown(wait=False)
            built = (settings, build_bolt_app(flask_app))
            flask_app.extensions[_EXTENSION] = built
        return built[1]


def skip_retried_events(body: dict[str, Any], next_: Callable[[], BoltResponse]) -> BoltResponse:
    """Slack retries an event it thinks went unanswered; the retry is acknowledged and dropped.

    The event's id is claimed before anything happens, in its own commit, so a retry arriving
    while the first delivery is still being answered is dropped too.
    """
    from bot.slack.once import claim

    event_id = body.get("event_id")
    if body.get("type") != "event_callback" or not event_id:
        return next_()
    if not claim(db.session, f"event:{event_id}"):
        db.session.rollback()
        logger.info("Slack event %s was already handled; its retry is dropped", event_id)
        return BoltResponse(status=200, body="")
    db.session.commit()
    return next_()
