"""The outbox: every e-mail is a row first, written in the same transaction as its cause."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.extensions import db
from tracker.models import UTCDateTime, enum_column, utcnow


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    #: Gave up after the last retry; stays visible to coordinators, who can resend it.
    FAILED = "failed"
    #: Withdrawn before it went out, e.g. its recipient unsubscribed; can be resent.
    CANCELLED = "cancelled"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: What the message is for, e.g. "sign-in" or "digest".
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: Makes a message at most once (e.g. "digest:12:2020-01-10"); empty for one-off messages.
    dedupe_key: so.Mapped[str | None] = so.mapped_column(sa.String(200), unique=True)
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    text_body: so.Mapped[str] = so.mapped_column(sa.Text)
    html_body: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: [{"filename", "content_type", "content"}], content as text (e.g. an .ics file).
    attachments: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON, default=list)
    #: Extra header fields, e.g. {"List-Unsubscribe": "<https://...>"}.
    headers: so.Mapped[dict[str, str]] = so.mapped_column(
        sa.JSON, default=dict, server_default=sa.text("'{}'")
    )
    status: so.Mapped[MessageStatus] = so.mapped_column(
        enum_column(MessageStatus), default=MessageStatus.PENDING, index=True
    )
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    #: A pending message is not tried again before this moment (backoff after failures).
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    #: "smtp" or "local" (no SMTP server configured: kept here and logged).
    transport: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} to {self.recipient} {self.status}>"
