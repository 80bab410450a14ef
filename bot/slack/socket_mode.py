"""Socket Mode, for workspaces that cannot expose a URL: the app connects out to Slack with
the app-level token (SLACK_APP_TOKEN, xapp-...) and receives the same requests over a
WebSocket, answered by the same listeners."""

from __future__ import annotations

from flask import Flask
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.slack.app import SlackNotConfigured, build_bolt_app


def socket_mode_handler(flask_app: Flask) -> SocketModeHandler:
    app_token = flask_app.config.get("SLACK_APP_TOKEN")
    if not app_token:
        raise SlackNotConfigured(
            "SLACK_APP_TOKEN is not set: create an app-level token with the connections:write "
            "scope (xapp-...) and enable Socket Mode in the Slack app"
        )
    return SocketModeHandler(build_bolt_app(flask_app, socket_mode=True), app_token=app_token)
