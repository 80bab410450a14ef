"""Doing a thing once: a unique key per Slack event or weekly digest, claimed before acting."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from bot.models import SlackHandled
from tracker.models import utcnow

#: How long keys are kept: far longer than Slack retries an event (minutes) or a week lasts.
KEEP = timedelta(days=30)


def claim(session: so.Session, key: str, now: datetime | None = None) -> bool:
    """True the first time `key` is claimed, False ever after; the caller commits.

    Two claims at once: the unique key makes the second wait for the first and then fail.
    """
    now = now or utcnow()
    try:
        with session.begin_nested():
            session.add(SlackHandled(key=key, handled_at=now))
    except sa.exc.IntegrityError:
        return False
    session.execute(sa.delete(SlackHandled).where(SlackHandled.handled_at < now - KEEP))
    return True
