"""The daily scan's writes: each digest and the claims it carries, in one transaction per
recipient, exactly once.

The unique key (item, recipient, due date, lead time) lets concurrent scans race safely: the
loser's transaction fails on the key, reloads what was claimed meanwhile, and sends the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from tracker import mail
from tracker.extensions import begin_write
from tracker.models import utcnow
from tracker.reminders.digest import compose
from tracker.reminders.models import ReminderClaim, ReminderRun
from tracker.reminders.scan import (
    DIGEST_KIND,
    Digest,
    Skip,
    already_covered,
    claimed_slots,
    plan,
)

log = logging.getLogger(__name__)

#: Tries for one recipient's digest when concurrent scans claim some of its reminders first.
CLAIM_RETRIES = 3


def _send_at(digest: Digest, hold: bool) -> datetime | None:
    """The recipient's digest hour on the scan's day, in the tracker's time zone."""
    if not hold:
        return None
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return datetime.combine(digest.today, time(digest.recipient.digest_hour), zone)


def write_digest(session: so.Session, digest: Digest, *, hold: bool) -> int | None:
    """Claim the digest's reminders and queue its mail in one transaction; the message id.

    None when concurrent scans claimed every one of its reminders first. The mail is composed
    before the transaction begins, so SQLite's write lock is held only for the inserts.
    """
    for _ in range(CLAIM_RETRIES):
        fields = compose(digest)
        begin_write(session)
        try:
            message = mail.queue(
                session, kind=DIGEST_KIND, not_before=_send_at(digest, hold), **fields
            )
            session.flush()
            message_id, now = message.id, utcnow()
            session.execute(  # the table, not the class: a plain executemany, no ORM bookkeeping
                sa.insert(ReminderClaim.__table__),
                [
                    {
                        "item_kind": r.item.kind,
                        "item_id": r.item.id,
                        "recipient": digest.recipient.key,
                        "due_date": r.due,
                        "days_before_due": r.days_before_due,
                        "remind_on": r.due - timedelta(days=r.days_before_due),
                        "outbox_message_id": message_id,
                        "created_at": now,
                    }
                    for r in digest.reminders
                ],
            )
            session.commit()
            return message_id
        except sa.exc.IntegrityError:
            session.rollback()
        # another scan got there first: drop what it claimed, send the rest
        claimed = claimed_slots(session, digest.today, digest.recipient.key)
        session.rollback()
        digest.reminders = [
            r
            for r in digest.reminders
            if not already_covered(r.days_before_due, claimed.get(r.slot(digest.recipient)))
        ]
        if not digest.reminders:
            return None
    raise RuntimeError(f"could not claim the reminders for {digest.recipient.email}")


@dataclass
class RunReport:
    today: date
    digests: list[Digest]
    message_ids: list[int] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    @property
    def reminders(self) -> int:
        return sum(len(d.reminders) for d in self.digests)


def run_scan(
    session: so.Session,
    today: date,
    *,
    trigger: str,
    dry_run: bool = False,
    hold: bool = True,
    progress: Callable[[int, int], None] | None = None,
    explain: bool = False,
) -> RunReport:
    """One scan: plan, then one transaction per digest; recorded in `ReminderRun`.

    `explain` lists in the report every item left out and why.

    `hold` keeps each digest back until its recipient's hour (the scheduler's runs); a run by
    hand sends at once. `progress(done, total)` hears of each digest written.
    """
    run_id: int | None = None
    if not dry_run:
        begin_write(session)
        run = ReminderRun(scan_date=today, trigger=trigger, started_at=utcnow())
        session.add(run)
        session.flush()
        run_id = run.id
        session.commit()
    skipped: list[Skip] | None = [] if explain else None
    digests = plan(session, today, skipped)
    session.rollback()  # end the read transaction before the writes
    report = RunReport(today, digests, skipped=skipped or [])
    if run_id is None:
        return report
    for done, digest in enumerate(digests, 1):
        message_id = write_digest(session, digest, hold=hold)
        if message_id is not None:
            report.message_ids.append(message_id)
        if progress is not None:
            progress(done, len(digests))
    report.digests = [d for d in digests if d.reminders]
    begin_write(session)
    session.execute(
        sa.update(ReminderRun)
        .where(ReminderRun.id == run_id)
        .values(finished_at=utcnow(), digests=len(report.message_ids), reminders=report.reminders)
    )
    session.commit()
    log.info(
        "reminder scan for %s (%s): %d reminders in %d digests",
        today,
        trigger,
        report.reminders,
        len(report.message_ids),
    )
    return report
