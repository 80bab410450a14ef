"""Operator commands: backup and restore."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.extensions import db
from tracker.models import utcnow
from tracker.ops.backup import BackupError, backup, default_backup_name, restore


def _backups_dir() -> Path:
    return Path(current_app.instance_path) / "backups"


@click.command("backup")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Backup file (default: instance/backups/tracker-DATE-TIME.sqlite or .dump).",
)
@with_appcontext
def backup_command(output: Path | None) -> None:
    """Write a consistent copy of the live database (SQLite backup API or pg_dump)."""
    url = db.engine.url
    target = output or default_backup_name(url, _backups_dir(), utcnow())
    try:
        backup(url, target)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up to {target}")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database with a backup; the current data is backed up first."""
    url = db.engine.url
    if not yes:
        click.confirm(
            f"Replace {url.render_as_string(hide_password=True)} with {source}?", abort=True
        )
    safety = default_backup_name(url, _backups_dir(), utcnow())
    safety = safety.with_name(safety.stem + "-before-restore" + safety.suffix)
    db.session.remove()
    db.engine.dispose()
    try:
        restore(url, source, safety)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {source}; the data it replaced is in {safety}")
    click.echo("if the backup is from an older release, run `tracker db upgrade` next")


COMMANDS = [backup_command, restore_command]
