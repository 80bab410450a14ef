"""A calendar client's poll, answered from one statement on a connection the worker keeps.

Clients poll every feed they subscribe to, and nearly every poll finds nothing changed. Whether
something changed is the content state (`ContentState`); whether the address still works is
its token. A session from the pool costs about ten times the statement itself, so the poll
reads both on a connection each worker thread keeps, in autocommit mode, so that every read
sees the newest commit and holds no snapshot open.
"""

from __future__ import annotations

import threading
from datetime import datetime

import sqlalchemy as sa

from tracker.extensions import db
from tracker.feeds.models import FeedToken
from tracker.feeds.services import hash_token, use_to_record
from tracker.models import CONTENT_STATE_ID, ContentState, read_content_state, utcnow

_TOKEN_AND_STATE = (
    sa.select(ContentState.version, ContentState.changed_at, FeedToken.last_used_at)
    .select_from(ContentState)
    .join(FeedToken, FeedToken.token_hash == sa.bindparam("token_hash"))
    .where(ContentState.id == CONTENT_STATE_ID)
)

_kept = threading.local()


def _connection() -> sa.Connection:
    engine = db.engine
    connection: sa.Connection | None = getattr(_kept, "connection", None)
    if connection is not None and (connection.engine is not engine or connection.invalidated):
        connection.close()
        connection = None
    if connection is None:
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        _kept.connection = connection
    return connection


def poll_state(token: str | None) -> tuple[int, datetime] | None:
    """The content state, if a 304 may be answered from it alone; None if the full path must
    decide: an unknown token (it 404s there), a use to record, or a failed read.

    The token's owner is not read: deactivating a person, like any change to the workplan,
    moves the state on, so no ETag handed out before it matches after.
    """
    try:
        if token is None:
            return read_content_state(_connection())
        row = _connection().execute(_TOKEN_AND_STATE, {"token_hash": hash_token(token)}).first()
    except sa.exc.DBAPIError:
        close_kept_connection()  # a server restart, say: the next poll connects anew
        return None
    if row is None:
        return None
    if use_to_record(row.last_used_at, utcnow()):
        return None
    return row.version, row.changed_at


def close_kept_connection() -> None:
    """Close this thread's kept connection, as before its engine is disposed (tests do)."""
    connection = getattr(_kept, "connection", None)
    _kept.connection = None
    if connection is not None:
        connection.close()
