"""/slack/events: every request Slack sends in HTTP mode, checked and answered by Bolt.

Bolt rejects a request whose signature does not match SLACK_SIGNING_SECRET or whose timestamp
is more than five minutes old (a replay) with 401, before any listener runs. The Bolt app is
imported and built on the first request, so the web app starts without Slack settings.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

bp = Blueprint("slack", __name__)


@bp.post("/slack/events")
def events() -> Response | tuple[dict[str, str], int]:
    from slack_bolt.adapter.flask import SlackRequestHandler

    from bot.slack.app import SlackNotConfigured, bolt_app

    try:
        bolt = bolt_app(current_app._get_current_object())  # type: ignore[attr-defined]
    except SlackNotConfigured as exc:
        return {"error": f"Slack is not set up here: {exc}"}, 503
    return SlackRequestHandler(bolt).handle(request)
