"""A short memory per conversation: the last question of a Slack thread, a direct message or a
chat session, kept in the database (web workers and Slack listeners share nothing else) and
forgotten after `EXPIRY` without a new question."""

from __future__ import annotations

import json
from datetime import date, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from bot.models import BotConversation
from bot.understand import Query
from tracker.models import utcnow

#: How long a conversation is remembered after its last question.
EXPIRY = timedelta(minutes=30)


def recall(session: so.Session, key: str) -> Query | None:
    """The conversation's last question, unless it expired."""
    row = session.execute(
        sa.select(BotConversation.state, BotConversation.expires_at).where(
            BotConversation.key == key
        )
    ).first()
    if row is None or row.expires_at <= utcnow():
        return None
    try:
        return Query.from_state(json.loads(row.state))
    except (ValueError, KeyError, TypeError):
        return None  # a state written by an older version: start afresh


def remember(session: so.Session, key: str, query: Query, today: date) -> None:
    """Keep `query` as the conversation's last question, and drop conversations that expired."""
    del today  # the expiry runs on the wall clock, not on the workplan's pinned date
    now = utcnow()
    state = json.dumps(query.state(), ensure_ascii=False)
    updated = session.execute(
        sa.update(BotConversation)
        .where(BotConversation.key == key)
        .values(state=state, expires_at=now + EXPIRY)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(BotConversation(key=key, state=state, expires_at=now + EXPIRY))
    session.execute(sa.delete(BotConversation).where(BotConversation.expires_at <= now))
    session.flush()
