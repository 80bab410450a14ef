"""What the bot keeps in the database: the keys of Slack deliveries it already handled."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.extensions import db
from tracker.models import UTCDateTime, utcnow


class SlackHandled(db.Model):
    """A Slack event or weekly digest already handled, so that Slack's retries of an event
    and a scheduler's second run of a week change nothing."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: "event:Ev0123ABC", "digest:WS1:2020-W02".
    key: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    handled_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)


class BotConversation(db.Model):
    """What the last question of a Slack thread, direct message or chat session asked, so that
    a follow-up ("and for IOM?", "more") can refer to it from any web worker or Slack listener.
    A conversation left alone for `bot.conversation.EXPIRY` is forgotten."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: "slack:C0123:1700000000.000100", "chat:<session id>", "corpus:dev-en-001".
    key: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    #: The understood question as JSON (`bot.understand.Query.state`).
    state: so.Mapped[str] = so.mapped_column(sa.Text)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
