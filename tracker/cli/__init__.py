"""The `tracker` command: everything a user or operator does, as click commands on the app."""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup


def _create_app() -> Flask:
    from tracker import create_app

    return create_app()


main = FlaskGroup(
    name="tracker",
    create_app=_create_app,
    help="Workplan Tracker: workplans, reminders, calendar feeds and the chat bot.",
)


def register_commands(app: Flask) -> None:
    from bot import cli as bot_cli
    from tracker.auth import cli as auth
    from tracker.cli import ops, serve, workplan
    from tracker.feeds import cli as feeds
    from tracker.reminders import cli as reminders

    for module in (workplan, serve, ops, auth, reminders, feeds, bot_cli):
        for command in module.COMMANDS:
            app.cli.add_command(command)
