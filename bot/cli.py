"""`tracker ask` (the engine on the command line) and `tracker bot` (the Slack bot)."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from tracker.cli_options import today_option
from tracker.clock import today
from tracker.domain.entities import UnknownName
from tracker.extensions import db


@click.command("ask")
@click.argument("question", nargs=-1, required=True)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the answer as JSON: every matching item (up to 200), total, shown, and what was "
    "understood (intent, entity, window, corrections, ignored words, language).",
)
@click.option(
    "--conversation",
    metavar="KEY",
    help="Keep the question as KEY's last one, so that the next ask with the same KEY can "
    'follow up ("and for IOM?", "more").',
)
@today_option
@with_appcontext
def ask_command(question: tuple[str, ...], as_json: bool, conversation: str | None) -> None:
    """Ask the workplan a question in plain words, e.g. tracker ask "what's due this month"."""
    from bot.answer import answer

    base_url = current_app.config["BASE_URL"]
    key = f"cli:{conversation}" if conversation else None
    reply = answer(
        db.session,
        " ".join(question),
        today(),
        base_url=base_url,
        conversation=key,
        all_items=as_json,
    )
    db.session.commit()
    if as_json:
        click.echo(json.dumps(reply.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(reply.text)


def _flask_app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]


@click.group("bot", cls=AppGroup, invoke_without_command=True)
@click.option("--socket", is_flag=True, help="Connect to Slack over Socket Mode and answer.")
@click.pass_context
@with_appcontext
def bot_command(ctx: click.Context, socket: bool) -> None:
    """The Slack bot.

    In HTTP mode the web app answers Slack at /slack/events (SLACK_SIGNING_SECRET,
    SLACK_BOT_TOKEN). With --socket it connects out to Slack over Socket Mode instead
    (SLACK_APP_TOKEN, xapp-...) and answers until stopped.
    """
    if ctx.invoked_subcommand is not None:
        return
    if not socket:
        click.echo(ctx.get_help())
        return
    from bot.slack.app import SlackNotConfigured
    from bot.slack.socket_mode import socket_mode_handler

    try:
        handler = socket_mode_handler(_flask_app())
    except SlackNotConfigured as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("connected to Slack over Socket Mode; stop with Ctrl-C")
    handler.start()


@bot_command.command("digest")
@click.option("--working-group", help="Only this working group (short or full name).")
@click.option("--dry-run", is_flag=True, help="Show the digests without posting them.")
@today_option
def digest_command(working_group: str | None, dry_run: bool) -> None:
    """Post this week's digest to each working group's Slack channel (once a week each)."""
    from bot.slack.app import SlackNotConfigured
    from bot.slack.digest import post_weekly_digests

    try:
        digests = post_weekly_digests(today(), working_group=working_group, dry_run=dry_run)
    except (SlackNotConfigured, UnknownName) as exc:
        raise click.ClickException(str(exc)) from None
    if not digests:
        click.echo("no working group has a Slack channel (slack_channel in the registry)")
    for digest in digests:
        click.echo(f"{digest.working_group} → {digest.channel}: {digest.outcome}")
        if dry_run:
            click.echo(f"  {digest.text}")


@bot_command.command("link-people")
def link_people_command() -> None:
    """Match every person to their Slack account by e-mail address (users.lookupByEmail)."""
    from bot.slack.app import SlackNotConfigured, web_client
    from bot.slack.people import link_people

    try:
        client = web_client(_flask_app())
    except SlackNotConfigured as exc:
        raise click.ClickException(str(exc)) from None
    for outcome in link_people(client):
        found = outcome.slack_user_id or f"not found ({outcome.problem})"
        click.echo(f"{outcome.email}: {found}")


@bot_command.command("rounds")
@today_option
def rounds_command() -> None:
    """Send each lead of each open reporting round its direct message (once each)."""
    from bot.slack.app import SlackNotConfigured, web_client
    from bot.slack.rounds import post_round_requests

    try:
        client = web_client(_flask_app())
    except SlackNotConfigured as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{post_round_requests(client, today())} round requests posted")


COMMANDS = [ask_command, bot_command]
