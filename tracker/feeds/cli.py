"""`tracker feed ...` (addresses and their tokens) and `tracker calendar export`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from tracker.cli_options import item_query_options, today_option
from tracker.clock import today
from tracker.domain.entities import EntityDirectory, UnknownName, resolve_working_group
from tracker.domain.query import ItemFilter
from tracker.extensions import db
from tracker.feeds.models import FeedToken
from tracker.feeds.services import (
    Feed,
    FeedOptions,
    TokenError,
    create_token,
    entity_feed,
    feed_path,
    feed_url,
    group_feed,
    person_feed,
    programme_feed,
    render,
    revoke_token,
    rotate_token,
    token_named,
    webcal,
)
from tracker.models import Person


def _person(email: str) -> Person:
    person = db.session.scalars(
        sa.select(Person).where(sa.func.lower(Person.email) == email.strip().lower())
    ).first()
    if person is None:
        raise click.BadParameter(f"no person with e-mail {email}", param_hint="EMAIL")
    return person


def _echo_addresses(person: Person, token: str) -> None:
    base = current_app.config["BASE_URL"]
    paths = [("everything for them", feed_path(token))]
    paths += [
        (g.short_name, feed_path(token, "working-groups", g.short_name))
        for g in person.working_groups
    ]
    if person.entity is not None:
        paths.append((person.entity.acronym, feed_path(token, "entities", person.entity.acronym)))
    click.echo("Addresses (shown only this once):")
    for label, path in paths:
        url = feed_url(base, path)
        click.echo(f"  {label}:\n    {url}\n    {webcal(url)}")


@click.group("feed")
def feed_group() -> None:
    """Personal calendar feed addresses: one per device, each with its own secret token."""


@feed_group.command("create")
@click.argument("email")
@click.argument("name")
@with_appcontext
def create_command(email: str, name: str) -> None:
    """Make an address named NAME (its device: "phone") for the person with EMAIL."""
    person = _person(email)
    try:
        row, token = create_token(db.session, person, name)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"made {row.name!r} for {person.email}")
    _echo_addresses(person, token)


@feed_group.command("list")
@click.argument("email", required=False)
@with_appcontext
def list_command(email: str | None) -> None:
    """List addresses (of one person with EMAIL): names and use, never the tokens."""
    query = sa.select(FeedToken).join(FeedToken.person).order_by(Person.email, FeedToken.name)
    if email:
        query = query.where(FeedToken.person_id == _person(email).id)
    rows = db.session.scalars(query).all()
    for row in rows:
        used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
        click.echo(
            f"{row.person.email:36} {row.name:30} issued {row.issued_at:%Y-%m-%d}  read {used}"
        )
    click.echo(f"{len(rows)} address(es)")


def _named(email: str, name: str) -> tuple[Person, FeedToken]:
    person = _person(email)
    row = token_named(db.session, person, name)
    if row is None:
        raise click.ClickException(f"{person.email} has no address named {name!r}")
    return person, row


@feed_group.command("rotate")
@click.argument("email")
@click.argument("name")
@with_appcontext
def rotate_command(email: str, name: str) -> None:
    """Give the address NAME a new token; the old one stops working at once."""
    person, row = _named(email, name)
    token = rotate_token(row)
    db.session.commit()
    click.echo(f"rotated {name!r} of {person.email}; the old addresses no longer work")
    _echo_addresses(person, token)


@feed_group.command("revoke")
@click.argument("email")
@click.argument("name")
@with_appcontext
def revoke_command(email: str, name: str) -> None:
    """Delete the address NAME; it stops working at once."""
    person, row = _named(email, name)
    revoke_token(db.session, row)
    db.session.commit()
    click.echo(f"revoked {name!r} of {person.email}")


@feed_group.command("public")
@click.argument("working_group")
@click.option("--off", is_flag=True, help="Make the feed private again.")
@with_appcontext
def public_command(working_group: str, off: bool) -> None:
    """Let anyone with its address read a working group's feed, without a token."""
    try:
        group = resolve_working_group(db.session, working_group)
    except UnknownName as exc:
        raise click.BadParameter(str(exc), param_hint="WORKING_GROUP") from None
    group.feed_public = not off
    db.session.commit()
    if off:
        click.echo(f"the {group.short_name} feed is private")
        return
    url = feed_url(current_app.config["BASE_URL"], feed_path(None, name=group.short_name))
    click.echo(f"the {group.short_name} feed is public:\n  {url}\n  {webcal(url)}")


@click.group("calendar")
def calendar_group() -> None:
    """Calendar files."""


@calendar_group.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="The .ics file to write.",
)
@click.option("--person", "email", help="The feed of the person with this e-mail.")
@item_query_options
@click.option(
    "--spans", is_flag=True, help="Activities over their planned span, not on their due day."
)
@today_option
@with_appcontext
def export_command(output: Path, email: str | None, query: ItemFilter, spans: bool) -> None:
    """Write the same iCalendar a feed address serves, e.g. to mail it or check it.

    The first of --person, --working-group and --entity is the feed; the others narrow it,
    as the same names do as query parameters of a feed address."""
    options = FeedOptions(query, spans)
    feed: Feed
    try:
        if email:
            feed = person_feed(_person(email), options)
        elif query.working_group:
            group = resolve_working_group(db.session, query.working_group)
            feed = group_feed(group, replace(options, filter=replace(query, working_group=None)))
        elif query.entity:
            entity = EntityDirectory.load(db.session).resolve(query.entity)
            feed = entity_feed(entity, replace(options, filter=replace(query, entity=None)))
        else:
            feed = programme_feed(options)
        feed.options.check_names(db.session)
    except UnknownName as exc:
        raise click.ClickException(str(exc)) from None
    body = render(db.session, feed, base_url=current_app.config["BASE_URL"], today=today())
    output.write_bytes(body)
    click.echo(f"wrote {body.count(b'BEGIN:VEVENT')} event(s) of {feed.name!r} to {output}")


COMMANDS = [feed_group, calendar_group]
