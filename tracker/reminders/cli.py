"""Commands: `tracker reminders run/status`, `tracker outbox list/show/resend/send` and
`tracker scheduler`."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
import sqlalchemy.orm as so
from apscheduler.events import EVENT_SCHEDULER_START, SchedulerEvent
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import current_app
from flask.cli import with_appcontext

from tracker import mail
from tracker.cli_options import today_option
from tracker.clock import today
from tracker.domain.permissions import can_edit_workplan
from tracker.extensions import db
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.models import Person
from tracker.ops.leader import LeaderLock
from tracker.ops.request_log import configure_logging
from tracker.reminders.digest import compose, how_soon
from tracker.reminders.models import ReminderClaim, ReminderRun
from tracker.reminders.routes import readable
from tracker.reminders.run import run_scan
from tracker.reminders.scan import OVERDUE_REPORT_KIND, Reminder, overdue_digest
from tracker.reminders.scheduler import configure, last_due_run, lock_lost, missed_run

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


def in_ci() -> bool:
    """CI systems set CI (CI=true); some give jobs a terminal, where click would draw bars."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


class Progress:
    """A progress bar on stderr, drawn on a terminal only and never in CI (not a line of it:
    where stderr is no terminal, click would still write the label). It appears at the first
    step, when the total is known."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.hidden = in_ci() or not sys.stderr.isatty()
        self._bar: ProgressBar[int] | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.hidden:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self._bar.__enter__()
        self._bar.length = total
        self._bar.update(done - self._bar.pos)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _send_now(progress: Progress | None = None) -> mail.DeliveryReport:
    return mail.deliver_pending(
        lambda: so.Session(db.engine), current_app.config, progress=progress
    )


def _describe(reminder: Reminder) -> str:
    item = reminder.item
    when = "overdue notice" if reminder.overdue else f"{reminder.days_before_due}-day reminder"
    due = how_soon(reminder.due, today())
    return f"  {when:<16} {item.working_group} {item.code} {item.title[:60]} ({due})"


@click.group("reminders")
def reminders_group() -> None:
    """Deadline reminders by e-mail (the scheduler runs them daily)."""


@reminders_group.command("run")
@click.option("--dry-run", is_flag=True, help="Show the digests; write and send nothing.")
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="List every reminder, and every item left out with the reason.",
)
@today_option
@with_appcontext
def run_command(dry_run: bool, verbose: bool) -> None:
    """Run one scan and send its digests now (digest hours are not waited for)."""
    click.echo(f"scanning for reminders due as of {today().isoformat()}", err=True)
    with Progress("writing digests") as progress:
        report = run_scan(
            db.session,
            today(),
            trigger="manual",
            dry_run=dry_run,
            hold=False,
            progress=progress,
            explain=verbose,
        )
    for digest in report.digests:
        click.echo(f"{digest.recipient.email}: {len(digest.reminders)} reminder(s)")
        for reminder in digest.reminders if verbose or dry_run else ():
            click.echo(_describe(reminder))
    if verbose and report.skipped:
        click.echo(f"skipped {len(report.skipped)}:")
        for skip in report.skipped:
            item, to = skip.item, f" for {skip.recipient}" if skip.recipient else ""
            click.echo(f"  {item.working_group} {item.code}{to}: {skip.reason}")
    click.echo(
        f"{report.reminders} reminder(s) in {len(report.digests)} digest(s) for {report.today}"
    )
    if dry_run:
        click.echo("dry run: nothing was written or sent")
        return
    with Progress("sending") as progress:
        delivery = _send_now(progress)
    click.echo(
        f"sent {delivery.sent}, to retry {delivery.retried}, failed {delivery.failed}"
        + (" (the mail server could not be reached)" if delivery.unreachable else "")
    )


@reminders_group.command("overdue")
@click.option("--to", "email", required=True, help="The coordinator who asks for the digest.")
@click.option("--working-group", "group_names", multiple=True, help="Only this group (repeat).")
@today_option
@with_appcontext
def overdue_command(email: str, group_names: tuple[str, ...]) -> None:
    """Mail a coordinator everything overdue in their working groups, past the horizon too."""
    person = db.session.scalars(
        sa.select(Person).where(sa.func.lower(Person.email) == email.strip().lower())
    ).first()
    if person is None:
        raise click.ClickException(f"no person with e-mail {email}")
    groups = [g for g in person.working_groups if can_edit_workplan(person, g)]
    if group_names:
        wanted = {name.lower() for name in group_names}
        groups = [g for g in groups if g.short_name.lower() in wanted]
    if not groups:
        raise click.ClickException(f"{email} coordinates no working group named here")
    digest = overdue_digest(db.session, person, today(), groups)
    if not digest.reminders:
        click.echo("nothing is overdue in " + ", ".join(g.short_name for g in groups))
        return
    mail.queue(db.session, kind=OVERDUE_REPORT_KIND, **compose(digest))
    db.session.commit()
    click.echo(f"{email}: {len(digest.reminders)} overdue item(s)")
    delivery = _send_now()
    click.echo(f"sent {delivery.sent}, to retry {delivery.retried}, failed {delivery.failed}")


@reminders_group.command("status")
@with_appcontext
def status_command() -> None:
    """Show the outbox, the reminders claimed and the last scans."""
    config = current_app.config
    counts = mail.status_counts(db.session)
    click.echo("outbox: " + ", ".join(f"{n} {status.value}" for status, n in counts.items()))
    waiting = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.status == MessageStatus.PENDING,
            OutboxMessage.next_attempt_at > datetime.now(UTC),
        )
    )
    if waiting:
        click.echo(f"  of the pending, {waiting} wait for a retry or their digest hour")
    claimed = db.session.scalar(sa.select(sa.func.count()).select_from(ReminderClaim))
    click.echo(f"reminders claimed: {claimed}")
    now = datetime.now(UTC)
    zone = config["TIMEZONE"]
    due = last_due_run(now, config["REMINDER_TIME"], ZoneInfo(zone))
    click.echo(
        f"daily scan at {config['REMINDER_TIME']:%H:%M} {zone}; last due {due:%Y-%m-%d %H:%M}"
    )
    if missed_run(db.session, now, config):
        click.echo("  it has not run since: the scheduler catches up when it starts")
    runs = db.session.scalars(
        sa.select(ReminderRun).order_by(ReminderRun.started_at.desc()).limit(5)
    ).all()
    for run in runs:
        finished = (
            f"finished {run.finished_at:%H:%M:%S}, {run.reminders} reminder(s) in "
            f"{run.digests} digest(s)"
            if run.finished_at
            else "did not finish"
        )
        click.echo(
            f"  scan for {run.scan_date} ({run.trigger}) started {run.started_at:%Y-%m-%d %H:%M:%S}"
            f" UTC, {finished}"
        )


@click.group("outbox")
def outbox_group() -> None:
    """The e-mail outbox: every message the tracker sends, pending, sent, failed or cancelled."""


@outbox_group.command("list")
@click.option("--status", type=click.Choice([s.value for s in MessageStatus]))
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@with_appcontext
def list_command(status: str | None, limit: int) -> None:
    """List the newest messages."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == MessageStatus(status))
    for m in db.session.scalars(query):
        click.echo(
            f"{m.id:>6} {m.status.value:<9} tries {m.attempts} {m.kind:<10} {m.recipient}: "
            f"{m.subject}" + (f"\n       last error: {m.last_error}" if m.last_error else "")
        )


@outbox_group.command("show")
@click.argument("message_id", type=int)
@with_appcontext
def show_command(message_id: int) -> None:
    """Print one message as it is (or was) sent, its sign-in and unsubscribe links hidden."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise click.ClickException(f"no message {message_id} in the outbox")
    click.echo(mail.build_email(readable(message), current_app.config["MAIL_FROM"]).as_string())


@outbox_group.command("resend")
@click.argument("message_ids", type=int, nargs=-1)
@click.option("--all-failed", is_flag=True, help="Every failed message.")
@with_appcontext
def resend_command(message_ids: tuple[int, ...], all_failed: bool) -> None:
    """Queue failed messages again, then send what is due."""
    if not message_ids and not all_failed:
        raise click.UsageError("name message ids, or give --all-failed")
    query = sa.select(OutboxMessage).where(OutboxMessage.status == MessageStatus.FAILED)
    if message_ids:
        query = query.where(OutboxMessage.id.in_(message_ids))
    failed = db.session.scalars(query).all()
    not_failed = set(message_ids) - {m.id for m in failed}
    if not_failed:
        raise click.ClickException(
            f"not failed or not found: {', '.join(map(str, sorted(not_failed)))}; nothing resent"
        )
    for message in failed:
        mail.resend(db.session, message)
    db.session.commit()
    click.echo(f"queued {len(failed)} message(s) again")
    report = _send_now()
    click.echo(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}")


@outbox_group.command("send")
@with_appcontext
def send_command() -> None:
    """Send the pending messages that are due now (the scheduler does this every minute)."""
    report = _send_now()
    click.echo(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}")
    if report.unreachable:
        raise click.ClickException("the mail server could not be reached; see the outbox")


#: Signals that stop `tracker scheduler`.
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


@click.command("scheduler")
@click.option(
    "--exit-with-parent",
    "parent_pid",
    type=int,
    hidden=True,
    help="Stop when this process (tracker serve) is gone.",
)
@with_appcontext
def scheduler_command(parent_pid: int | None) -> None:
    """Run the daily reminder scan and the mail sender until stopped (one per deployment)."""
    configure_logging()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per job run
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # SIGTERM and SIGINT are taken by a thread of their own (sigwait), never by a handler that
    # interrupts the scheduler's loop: it may hold the scheduler's or the executor's locks
    # then, and APScheduler swallows exceptions raised while it submits a job. Blocked before
    # any thread starts, so that every thread inherits the mask and none is interrupted.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    stop = threading.Event()
    scheduler = BlockingScheduler(timezone=ZoneInfo(app.config["TIMEZONE"]))

    def stop_on_signal() -> None:
        signum = signal.sigwait(STOP_SIGNALS)
        click.echo(f"scheduler: stopping ({signal.Signals(signum).name})", err=True)
        stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)  # the process exits once a job under way has finished

    def started(_event: SchedulerEvent) -> None:
        # a signal taken between the lock and the start: only a running scheduler stops
        if stop.is_set():
            threading.Thread(target=scheduler.shutdown, kwargs={"wait": False}).start()

    threading.Thread(target=stop_on_signal, name="stop-signals", daemon=True).start()
    # several schedulers may run for availability; one acts, the others stand by
    lock = LeaderLock(db.engine.url, retry_seconds=app.config["LEADER_RETRY_SECONDS"])
    if not lock.wait(stop):
        return
    try:
        caught_up = configure(scheduler, app, parent_pid=parent_pid, leader=lock)
        scheduler.add_listener(started, EVENT_SCHEDULER_START)
        at = app.config["REMINDER_TIME"]
        catching_up = "; catching up a missed scan now" if caught_up else ""
        click.echo(
            f"scheduler: reminder scan daily at {at:%H:%M} {app.config['TIMEZONE']}, mail sent "
            f"every {app.config['SEND_INTERVAL']} s{catching_up}",
            err=True,
        )
        scheduler.start()
    finally:
        lock.release()
    if lock_lost.is_set():
        raise SystemExit("scheduler: lost the leader lock; stopped so another can take over")


COMMANDS = [reminders_group, outbox_group, scheduler_command]
