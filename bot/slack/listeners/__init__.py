"""Bolt listeners, grouped by what Slack sends: slash commands, events, actions, views."""

from __future__ import annotations

from slack_bolt import App

from bot.slack import rounds
from bot.slack.listeners import actions, commands, events, views


def register_all(app: App) -> None:
    for module in (commands, events, actions, views, rounds):
        module.register(app)
