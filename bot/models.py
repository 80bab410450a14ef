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
