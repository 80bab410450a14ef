"""What the reminders remember: every reminder claimed, every address that opted out, every run."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.extensions import db
from tracker.mail.models import OutboxMessage
from tracker.models import UTCDateTime, utcnow


class ReminderClaim(db.Model):
    """One reminder for one item and recipient, claimed in the transaction that queues its mail.

    The unique key (item, recipient, due date, lead time) makes every reminder at most once,
    across runs and across processes; a moved due date is a new key, so it earns its own.
    """

    __tablename__ = "reminder_claim"
    __table_args__ = (
        sa.UniqueConstraint(
            "item_kind",
            "item_id",
            "recipient",
            "due_date",
            "days_before_due",
            name="uq_reminder_claim_once",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: "activity" or "milestone".
    item_kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    item_id: so.Mapped[int]
    #: Lower-cased address: a lead's own or an entity's contact address.
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)
    due_date: so.Mapped[date] = so.mapped_column(index=True)
    #: The lead time (30, 7, 1, 0); for an overdue notice, minus the days overdue (-1, -8 ...).
    days_before_due: so.Mapped[int]
    #: due_date - days_before_due: the day the reminder became due.
    remind_on: so.Mapped[date] = so.mapped_column(index=True)
    outbox_message_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("outbox_message.id"), index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    outbox_message: so.Mapped[OutboxMessage] = so.relationship()

    @property
    def overdue(self) -> bool:
        return self.days_before_due < 0


class ReminderOptOut(db.Model):
    """An address that is not a person's (an entity's contact address) and unsubscribed.

    People unsubscribe through `Person.reminders_enabled`, which their preferences page shows.
    """

    __tablename__ = "reminder_opt_out"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Lower-cased.
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class ReminderRun(db.Model):
    """One scan: the scheduler finds out from these whether it missed a run while it was down."""

    __tablename__ = "reminder_run"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: The day the scan was for ("today" as the tracker sees it).
    scan_date: so.Mapped[date]
    #: "schedule", "catch-up" or "manual".
    trigger: so.Mapped[str] = so.mapped_column(sa.String(20))
    started_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Empty while running, and forever if the process died during the scan.
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    digests: so.Mapped[int] = so.mapped_column(default=0)
    reminders: so.Mapped[int] = so.mapped_column(default=0)
