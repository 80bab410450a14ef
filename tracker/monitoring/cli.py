"""`tracker round open|list|status|close|chase` and `tracker report`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from tracker.cli_options import DATE, today_option
from tracker.clock import today
from tracker.domain.entities import UnknownName, resolve_working_group
from tracker.domain.monitoring import (
    RoundError,
    close_round,
    find_round,
    open_round,
    programme_report,
    progress_report,
    round_status,
    rounds_of,
)
from tracker.domain.permissions import PermissionDenied
from tracker.extensions import db
from tracker.models import Person, WorkingGroup
from tracker.monitoring.models import ReportingRound
from tracker.monitoring.report import FORMATS, Report, write_report
from tracker.monitoring.requests import chase_rounds, send_requests
from tracker.timeline import format_date


def _group(name: str) -> WorkingGroup:
    try:
        return resolve_working_group(db.session, name)
    except UnknownName as exc:
        raise click.BadParameter(str(exc), param_hint="--working-group") from None


def _person(email: str | None) -> Person | None:
    if email is None:
        return None
    person = db.session.scalar(
        sa.select(Person).where(sa.func.lower(Person.email) == email.lower())
    )
    if person is None:
        raise click.BadParameter(f"no person {email!r}", param_hint="--by")
    return person


@click.group("round")
def round_group() -> None:
    """Reporting rounds: ask each lead for its progress report on a period."""


@round_group.command("open")
@click.option("--working-group", required=True, help="Short or full name.")
@click.option("--label", required=True, help="The period as people name it: '2020, first half'.")
@click.option("--from", "period_start", type=DATE, required=True, help="First day of the period.")
@click.option("--to", "period_end", type=DATE, required=True, help="Last day of the period.")
@click.option("--due", type=DATE, required=True, help="When the reports are due.")
@click.option("--by", "by_email", help="The coordinator opening it (default: the operator).")
@today_option
@with_appcontext
def open_command(
    working_group: str,
    label: str,
    period_start: date,
    period_end: date,
    due: date,
    by_email: str | None,
) -> None:
    """Open a round and send each lead its one request (through the outbox)."""
    group = _group(working_group)
    try:
        round_ = open_round(
            db.session,
            group,
            _person(by_email),
            label=label,
            period_start=period_start,
            period_end=period_end,
            due=due,
            today=today(),
        )
        sent = send_requests(db.session, round_, today())
    except (RoundError, PermissionDenied) as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc}; nothing was changed") from None
    db.session.commit()
    entities = len({i.entity_id for i in round_.items})
    click.echo(
        f"opened round {round_.id}: {group.short_name} {round_.label}, due "
        f"{format_date(round_.due_date)}; {len(round_.items)} items from {entities} lead "
        f"entities, {sent} requests queued"
    )


@round_group.command("list")
@click.option("--working-group", help="Only this working group.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@today_option
@with_appcontext
def list_command(working_group: str | None, as_json: bool) -> None:
    """The rounds, newest due date first, with how many items are reported."""
    group = _group(working_group) if working_group else None
    rows = []
    for round_ in rounds_of(db.session, group):
        status = round_status(db.session, round_, today())
        rows.append(
            {
                "id": round_.id,
                "working_group": round_.working_group.short_name,
                "label": round_.label,
                "period": [round_.period_start.isoformat(), round_.period_end.isoformat()],
                "due": round_.due_date.isoformat(),
                "open": round_.is_open,
                "reported": status.reported,
                "items": status.total,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        state = "open" if r["open"] else "closed"
        click.echo(
            f"{r['id']:>4}  {r['working_group']:<8} {r['label']:<20} due {r['due']}  "
            f"{state:<6} {r['reported']}/{r['items']} reported"
        )


@round_group.command("status")
@click.argument("round_key", metavar="ROUND")
@click.option("--working-group", help="With a label: the group whose round it is.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@today_option
@with_appcontext
def status_command(round_key: str, working_group: str | None, as_json: bool) -> None:
    """Completion per lead entity and per item: reported, reported late, not yet, late."""
    round_ = _round(round_key, working_group)
    status = round_status(db.session, round_, today())
    if as_json:
        body = {
            "id": round_.id,
            "label": round_.label,
            "due": round_.due_date.isoformat(),
            "reported": status.reported,
            "items": status.total,
            "entities": [
                {
                    "entity": e.entity.acronym,
                    "state": e.state.value,
                    "items": [{"code": i.subject.code, "state": c.value} for i, c in e.items],
                }
                for e in status.entities
            ],
        }
        click.echo(json.dumps(body, indent=2))
        return
    click.echo(
        f"{round_.working_group.short_name} {round_.label}, due {format_date(round_.due_date)}"
        f"{'' if round_.is_open else ' (closed)'}: {status.reported} of {status.total} reported"
    )
    for e in status.entities:
        click.echo(f"  {e.entity.acronym}: {e.state.value} ({e.reported}/{len(e.items)})")
        for item, state in e.items:
            click.echo(f"    {item.subject.code:<10} {state.value:<14} {item.subject.title[:60]}")


@round_group.command("close")
@click.argument("round_key", metavar="ROUND")
@click.option("--working-group", help="With a label: the group whose round it is.")
@click.option("--by", "by_email", help="The coordinator closing it (default: the operator).")
@with_appcontext
def close_command(round_key: str, working_group: str | None, by_email: str | None) -> None:
    """Close a round: no more reports or chasers."""
    round_ = _round(round_key, working_group)
    try:
        close_round(db.session, round_, _person(by_email))
    except PermissionDenied as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"closed round {round_.id} ({round_.working_group.short_name} {round_.label})")


@round_group.command("chase")
@today_option
@with_appcontext
def chase_command() -> None:
    """Send the chasers due today (the daily scan does this too)."""
    sent = chase_rounds(db.session, today())
    db.session.commit()
    click.echo(f"{sent} chasers queued")


def _round(key: str, working_group: str | None) -> ReportingRound:
    try:
        return find_round(db.session, _group(working_group) if working_group else None, key)
    except RoundError as exc:
        raise click.BadParameter(str(exc), param_hint="ROUND") from None


@click.command("report")
@click.option("--working-group", help="One group's report (default: the programme-wide one).")
@click.option("--from", "period_start", type=DATE, required=True, help="First day of the period.")
@click.option("--to", "period_end", type=DATE, required=True, help="Last day of the period.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="A .html, .docx or .pdf file: the format follows the suffix.",
)
@today_option
@with_appcontext
def report_command(
    working_group: str | None, period_start: date, period_end: date, output: Path
) -> None:
    """Write a progress report, written from the data, as HTML, Word or PDF."""
    if output.suffix.lower() not in FORMATS:
        raise click.BadParameter("use a .html, .docx or .pdf file", param_hint="--output")
    try:
        if working_group:
            report: Report = progress_report(
                db.session, _group(working_group), period_start, period_end, today()
            )
        else:
            report = programme_report(
                db.session, period_start, period_end, today(), with_group_reports=True
            )
    except RoundError as exc:
        raise click.ClickException(str(exc)) from None
    write_report(report, output, today())
    click.echo(f"wrote {report.title} to {output}")


COMMANDS = [round_group, report_command]
