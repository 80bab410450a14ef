"""`tracker login-link EMAIL`: a sign-in link for operators and demos."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from tracker.auth.secrets import issue_link
from tracker.extensions import db
from tracker.models import Person


@click.command("login-link")
@click.argument("email")
@click.option("--next", "next_path", help="A page to open after signing in, e.g. /timeline.")
@with_appcontext
def login_link_command(email: str, next_path: str | None) -> None:
    """Print a single-use sign-in link for EMAIL (valid for SIGN_IN_LINK_MINUTES)."""
    person = db.session.scalars(
        sa.select(Person).where(sa.func.lower(Person.email) == email.strip().lower())
    ).first()
    if person is None:
        raise click.ClickException(f"no person with e-mail {email}; add them first")
    if not person.active:
        raise click.ClickException(f"{email} is deactivated; reactivate them first")
    url = issue_link(db.session, person, current_app.config, next_path)
    db.session.commit()
    click.echo(url)


COMMANDS = [login_link_command]
