"""Commands for the workplan itself: schema, seeds, import and export, queries and updates."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from tracker import MIGRATIONS_DIR, resource_dir
from tracker.cli_options import item_query_options, today_option
from tracker.clock import today
from tracker.domain.entities import UnknownName, resolve_working_group
from tracker.domain.items import ItemFilter, find_items
from tracker.domain.permissions import PermissionDenied
from tracker.domain.serialize import item_json
from tracker.domain.status import Actor, InvalidUpdate, update_progress
from tracker.exchange import (
    CLI_LIMITS,
    DetectedTable,
    DocumentOptions,
    ImportFailed,
    export_registry,
    export_results,
    import_files,
    write_rows,
)
from tracker.exchange import export_rows as workplan_rows
from tracker.exchange.documents import TARGETS
from tracker.exchange.documents.word import write_workplan_docx
from tracker.exchange.files import RESULT_COLUMNS, write_table
from tracker.exchange.mappings import choose_mappings, find_tables, parse_choice, table_key
from tracker.exchange.workplan import read_each_row
from tracker.extensions import db
from tracker.models import Activity, Milestone, Person, Status, WorkingGroup
from tracker.timeline import TimelineError, parse_timeline


def create_schema() -> None:
    """Create or upgrade the schema: the SQLite folder first, then every Alembic migration."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    upgrade(directory=str(MIGRATIONS_DIR))


def is_empty() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(WorkingGroup)) == 0


def seed_files(directory: Path) -> list[Path]:
    """The registry first, then every workplan table, in name order."""
    files = sorted(directory.glob("*.toml")) + sorted(
        p for p in directory.iterdir() if p.suffix.lower() in (".csv", ".xlsx")
    )
    if not files:
        raise click.ClickException(f"no seed files in {directory}")
    return files


#: Imports writing fewer items than this show no progress bar.
PROGRESS_FROM = 500


def run_import(
    paths: list[Path],
    apply: bool,
    details: int | None = 100,
    documents: DocumentOptions | None = None,
    choices: tuple[str, ...] = (),
) -> None:
    """Import in one transaction; print what changes (the first `details` changes, all for
    None, and always the totals); commit only with `apply`.

    Documents are shown first: each workplan table found, the mapping its columns are read
    through (`choices` change it, "COLUMN=TARGET") and every row as it would be imported.
    """
    options = documents or DocumentOptions()
    options.remember = apply
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total >= PROGRESS_FROM:
            bar = click.progressbar(length=total, label="writing", file=sys.stderr)
            bar.__enter__()
        if bar is not None:
            bar.update(done - bar.pos)

    try:
        detected = _documents(paths, options, choices)
        report = import_files(
            db.session, paths, today(), progress, documents=options, detected=detected
        )
    except ImportFailed as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        raise click.ClickException(f"{len(exc.errors)} error(s); nothing was imported") from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for line in report.lines(details):
        click.echo(line)
    if apply:
        db.session.commit()
        click.echo("applied")
    else:
        db.session.rollback()
        if report.changed:
            click.echo("dry run: nothing was written; run again with --apply to apply")


def _documents(
    paths: list[Path], options: DocumentOptions, choices: tuple[str, ...]
) -> list[DetectedTable] | None:
    """Find the documents' tables, apply `--map`, print each table and its rows."""
    detected = find_tables(paths, CLI_LIMITS)
    if not detected:
        if choices:
            raise click.BadParameter("--map is for documents (.docx, .html, .md)")
        return None
    for choice in choices:
        matched = False
        for table in detected:
            try:
                column, target = parse_choice(table, choice)
            except ValueError as exc:
                if len(detected) == 1:
                    raise click.BadParameter(str(exc), param_hint="--map") from None
                continue
            key = table_key(table.file, table.table.index)
            chosen = options.chosen.setdefault(key, list(table.mapping))
            chosen[column] = target
            matched = True
        if not matched:
            raise click.BadParameter(f"{choice!r}: no table has that column", param_hint="--map")
    choose_mappings(db.session, detected, options)
    for table in detected:
        _show_table(table, options)
    return detected


def _show_table(table: DetectedTable, options: DocumentOptions) -> None:
    rows = table.rows(options.working_group)
    click.echo(
        f"{table.label}: header in row {table.header_row + 1}, "
        f"{len(table.table.rows) - table.header_row - 1} rows, {len(rows)} items; "
        f"columns read as {table.mapping_source}:"
    )
    for i, (header, target) in enumerate(zip(table.header, table.mapping, strict=True), 1):
        name = " ".join(header.split()) or "(no heading)"
        click.echo(f"  {i:2} {name[:40]:40} -> {TARGETS.get(target, 'ignored')}")
    click.echo("  (change one with --map 'COLUMN=TARGET', e.g. --map '4=ignore')")
    for reading in read_each_row(db.session, rows):
        v = reading.row.values
        parent = f" (in {v['parent']})" if v.get("parent") else ""
        click.echo(
            f"  row {reading.row.number:<3} {v.get('code') or '?':7} {v['title'][:70]}{parent}"
        )
        if reading.spec is not None:
            if reading.roles:
                click.echo(f"{'':14}entities: {reading.roles}")
            if v.get("timeline"):
                click.echo(f"{'':14}timeline: {v['timeline']} = {reading.meaning}")


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the database schema (or bring it up to date)."""
    create_schema()
    click.echo(f"schema ready at {db.engine.url.render_as_string(hide_password=True)}")


@click.command("seed")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of seed files (default: the seed workplans shipped with the tracker).",
)
@today_option
@with_appcontext
def seed_command(directory: Path | None) -> None:
    """Load the seed workplans through the importer (safe to run again)."""
    run_import(seed_files(directory or resource_dir("seeds")), apply=True)


@click.command("import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--apply", is_flag=True, help="Write the changes (default: only show them).")
@click.option("--all", "show_all", is_flag=True, help="List every change, not the first 100.")
@click.option(
    "--working-group",
    help="The working group of a document's rows, when its table has no such column.",
)
@click.option(
    "--map",
    "choices",
    multiple=True,
    metavar="COLUMN=TARGET",
    help="Read a document's column (its heading or number) as TARGET, or 'ignore' it; "
    f"targets: {', '.join(TARGETS)}. Remembered for the working group with --apply.",
)
@today_option
@with_appcontext
def import_command(
    files: tuple[Path, ...],
    apply: bool,
    show_all: bool,
    working_group: str | None,
    choices: tuple[str, ...],
) -> None:
    """Import workplan files: a .toml registry, .csv/.xlsx workplan tables, and workplan
    tables in documents (.docx, .html, .md).

    Shows what would change, and for a document the table found, how its columns are read and
    every row as it would be imported; nothing is written without --apply. Every error is
    reported with its file, row and field, and then nothing at all is written.
    """
    documents = DocumentOptions(working_group=working_group)
    run_import(list(files), apply, None if show_all else 100, documents, choices)


@click.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="A .csv or .xlsx file for the workplan, or a .docx document to circulate.",
)
@click.option("--working-group", help="Only this working group (short name).")
@click.option(
    "--registry",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write entities, working groups and people to this .toml file.",
)
@click.option(
    "--results",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the results framework to this .csv file (a .xlsx output holds it as a sheet).",
)
@with_appcontext
def export_command(
    output: Path, working_group: str | None, registry: Path | None, results: Path | None
) -> None:
    """Write the workplan (and its results framework) in the format `tracker import` reads;
    a .docx output is the workplan as a Word table (grouped by activity), which also imports."""
    if output.suffix.lower() not in (".csv", ".xlsx", ".docx"):
        raise click.BadParameter("use a .csv, .xlsx or .docx file", param_hint="--output")
    if results and results.suffix.lower() != ".csv":
        raise click.BadParameter("use a .csv file", param_hint="--results")
    if working_group:
        working_group = _group(working_group).short_name
    if output.suffix.lower() == ".docx":
        groups = (
            [_group(working_group)]
            if working_group
            else list(db.session.scalars(sa.select(WorkingGroup).order_by(WorkingGroup.short_name)))
        )
        written = write_workplan_docx(db.session, output, groups, today())
        click.echo(f"wrote {written} items of {len(groups)} working group(s) to {output}")
        return
    rows = workplan_rows(db.session, working_group)
    result_rows = export_results(db.session, working_group)
    if output.suffix.lower() == ".xlsx":
        write_rows(output, rows, result_rows)
        click.echo(f"wrote {len(rows)} rows and {len(result_rows)} results rows to {output}")
    else:
        write_rows(output, rows)
        click.echo(f"wrote {len(rows)} rows to {output}")
    if results:
        write_table(results, result_rows, RESULT_COLUMNS)
        click.echo(f"wrote {len(result_rows)} results rows to {results}")
    if registry:
        export_registry(db.session, registry)
        click.echo(f"wrote the registry to {registry}")


@click.command("timeline")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def timeline_command(text: str, as_json: bool) -> None:
    """Show how a timeline text is understood, e.g. "Ongoing – June 2020"."""
    try:
        timeline = parse_timeline(text)
    except TimelineError as exc:
        if as_json:
            click.echo(json.dumps({"error": str(exc)}))
        else:
            click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(timeline.as_json(), ensure_ascii=False))
        return
    for key, value in timeline.as_json().items():
        click.echo(f"{key:11} {value if value is not None else '-'}")


def _group(name: str) -> WorkingGroup:
    try:
        return resolve_working_group(db.session, name)
    except UnknownName as exc:
        raise click.BadParameter(str(exc), param_hint="--working-group") from None


#: What `tracker items --json` gives of each item.
ITEM_FIELDS = ("kind", "code", "title", "working_group", "due", "when", "status", "leads")


@click.command("items")
@item_query_options
@click.option("--limit", type=int, default=None)
@click.option("--json", "as_json", is_flag=True)
@today_option
@with_appcontext
def items_command(query: ItemFilter, limit: int | None, as_json: bool) -> None:
    """List activities and milestones, soonest due first."""
    now = today()
    try:
        page = find_items(db.session, query, now, limit=limit)
    except UnknownName as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        base_url = current_app.config["BASE_URL"]
        found = [item_json(i, base_url=base_url, today=now, fields=ITEM_FIELDS) for i in page.items]
        click.echo(json.dumps({"total": page.total, "items": found}, ensure_ascii=False, indent=2))
        return
    for item in page.items:
        leads = ", ".join(item.leads) or "-"
        click.echo(
            f"{item.working_group:8} {item.code:16} {item.status.label:13} "
            f"{item.due_text:20} {leads:20} {item.title[:70]}"
        )
    click.echo(f"{page.total} item(s)" + (f", {len(page.items)} shown" if limit else ""))


@click.command("status")
@click.argument("code")
@click.option("--working-group", required=True, help="Short or full name.")
@click.option("--set", "new_status", help="New status, e.g. 'in progress'.")
@click.option("--note", default="", help="A progress note, kept in the history.")
@click.option("--by", "by_email", help="Record the change as this person (checks their rights).")
@today_option
@with_appcontext
def status_command(
    code: str, working_group: str, new_status: str | None, note: str, by_email: str | None
) -> None:
    """Show an item's status and history, or update it with --set and/or --note."""
    group = _group(working_group)
    item: Activity | Milestone | None = (
        db.session.scalars(
            sa.select(Activity).where(
                Activity.working_group_id == group.id, sa.func.lower(Activity.code) == code.lower()
            )
        ).first()
        or db.session.scalars(
            sa.select(Milestone).where(
                Milestone.working_group_id == group.id,
                sa.func.lower(Milestone.code) == code.lower(),
            )
        ).first()
    )
    if item is None:
        raise click.ClickException(f"no activity or milestone {code!r} in {group.short_name}")
    if new_status or note:
        try:
            status = Status.parse(new_status) if new_status else None
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--set") from None
        if by_email:
            person = db.session.scalars(
                sa.select(Person).where(sa.func.lower(Person.email) == by_email.lower())
            ).first()
            if person is None:
                raise click.ClickException(f"no person with e-mail {by_email}")
            actor = Actor.of(person, "cli")
        else:
            actor = Actor.system(f"operator at the command line ({current_app.name})", "cli")
        try:
            update_progress(db.session, item, actor, status=status, note=note, today=today())
        except (PermissionDenied, InvalidUpdate) as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    click.echo(f"{group.short_name} {item.code}: {item.title}")
    click.echo(f"status: {item.status.label}")
    for entry in item.history:
        change = (
            f"{entry.from_status.label} -> " if entry.from_status else ""
        ) + entry.to_status.label
        click.echo(
            f"  {entry.changed_at:%Y-%m-%d %H:%M} {entry.actor} ({entry.source}): {change}"
            + (f" - {entry.note}" if entry.note else "")
        )


@click.command("demo-data")
@click.option("--activities", type=click.IntRange(1), default=10_000, show_default=True)
@click.option("--milestones", type=click.IntRange(0), default=50_000, show_default=True)
@click.option("--groups", type=click.IntRange(1), default=20, show_default=True)
@click.option(
    "--seed",
    type=int,
    default=2020,
    show_default=True,
    help="The same seed gives the same programme; another seed adds another one.",
)
@with_appcontext
def demo_data_command(activities: int, milestones: int, groups: int, seed: int) -> None:
    """Add a large synthetic programme (for benchmarks and load tests) to the database."""
    from tracker.demo import generate

    if is_empty():
        run_import(seed_files(resource_dir("seeds")), apply=True, details=0)
    with click.progressbar(length=activities + milestones, label="generating") as bar:
        generate(
            db.session,
            activities=activities,
            milestones=milestones,
            groups=groups,
            seed=seed,
            progress=bar.update,
        )
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))  # the planner's statistics, for the new sizes
    db.session.commit()
    click.echo(f"added {activities} activities and {milestones} milestones in {groups} groups")


COMMANDS = [
    demo_data_command,
    init_command,
    seed_command,
    import_command,
    export_command,
    timeline_command,
    items_command,
    status_command,
]
