"""The `tracker` command: everything a user or operator does, as click commands on the app."""

from __future__ import annotations

import copy
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, routes_command, run_command, shell_command


def _create_app() -> Flask:
    from tracker import create_app

    return create_app()


class TrackerGroup(FlaskGroup):
    """Flask's command group showing the tracker's commands only.

    Flask's own options (`--app`, `--env-file`, `--debug`) still work, but are not shown: the
    app is always the tracker's, and its settings come from the environment (README).
    """

    def __init__(self, **extra: Any) -> None:
        super().__init__(
            add_default_commands=False, add_version_option=False, load_dotenv=False, **extra
        )
        self.params = [_hidden(param) for param in self.params]


def _hidden(param: click.Parameter) -> click.Parameter:
    # Flask's options are module-level objects shared by every FlaskGroup: hide a copy
    if isinstance(param, click.Option) and param.name != "help":
        param = copy.copy(param)
        param.hidden = True
    return param


@click.group("dev", hidden=True)
def dev_group() -> None:
    """Flask's developer commands: `run` (debug server), `shell`, `routes`."""


for _command in (run_command, shell_command, routes_command):
    dev_group.add_command(_command)

main = TrackerGroup(
    name="tracker",
    create_app=_create_app,
    help="Workplan Tracker: workplans, reminders, calendar feeds and the chat bot.",
)
main.add_command(dev_group)


def register_commands(app: Flask) -> None:
    from bot import cli as bot_cli
    from tracker.auth import cli as auth
    from tracker.cli import ops, serve, workplan
    from tracker.feeds import cli as feeds
    from tracker.monitoring import cli as monitoring
    from tracker.reminders import cli as reminders

    for module in (workplan, serve, ops, auth, reminders, feeds, monitoring, bot_cli):
        for command in module.COMMANDS:
            app.cli.add_command(command)
