"""A calendar client's poll, answered from one statement on a connection the worker keeps.

Clients poll every feed they subscribe to, and nearly every poll finds nothing changed. Whether
something changed is the content state (`ContentState`); whether the address still works is
its token. A session from the pool costs about ten times the statement itself, so the poll
reads both on a connection each worker thread keeps, in autocommit mode, so that every read
sees the newest commit and holds no snapshot open.

The statement runs on that connection's DBAPI cursor, compiled once per connection, not
through `Connection.execute`, whose execution context and result object cost as much as the
rest of a 304 (measured: SQLite 47 us against 5 us on the cursor; PostgreSQL over loopback
200 us against 115 us). Statement events (`before_cursor_execute`) therefore do not see a
poll. PostgreSQL keeps the plan: psycopg prepares a statement on a connection once it has run
it five times (its `prepare_threshold`), which halves the round trip (170 us unprepared).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tracker.extensions import db
from tracker.feeds.models import FeedToken
from tracker.feeds.services import hash_token, use_to_record
from tracker.models import CONTENT_STATE_ID, CONTENT_STATE_READ, ContentState, utcnow

_TOKEN_AND_STATE = (
    sa.select(ContentState.version, ContentState.changed_at, FeedToken.last_used_at)
    .select_from(ContentState)
    .join(FeedToken, FeedToken.token_hash == sa.bindparam("token_hash"))
    .where(ContentState.id == CONTENT_STATE_ID)
)


class _Compiled:
    """A select compiled for one dialect, its row converted as SQLAlchemy converts it."""

    def __init__(self, select: sa.Select[Any], dialect: sa.Dialect) -> None:
        self._compiled = select.compile(dialect=dialect)
        self._positions = self._compiled.positiontup  # None for named parameters
        self._converters: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in select.selected_columns
        ]

    def first(self, cursor: Any, **params: Any) -> tuple[Any, ...] | None:
        bound = self._compiled.construct_params(params)
        parameters = [bound[name] for name in self._positions] if self._positions else bound
        cursor.execute(self._compiled.string, parameters)
        rows = cursor.fetchall()  # to the end, so that SQLite ends the statement's read
        if not rows:
            return None
        return tuple(
            value if convert is None else convert(value)
            for value, convert in zip(rows[0], self._converters, strict=True)
        )


@dataclass
class _Kept:
    connection: sa.Connection
    cursor: Any
    #: The driver's base exception: what a lost server or a broken connection raises.
    error: type[Exception]
    token_and_state: _Compiled
    state: _Compiled


_kept = threading.local()


def _kept_for(engine: sa.Engine) -> _Kept:
    kept: _Kept | None = getattr(_kept, "kept", None)
    if kept is not None and kept.connection.engine is not engine:
        close_kept_connection()
        kept = None
    if kept is None:
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        dialect = engine.dialect
        kept = _Kept(
            connection=connection,
            cursor=connection.connection.driver_connection.cursor(),  # type: ignore[union-attr]
            error=dialect.loaded_dbapi.Error,
            token_and_state=_Compiled(_TOKEN_AND_STATE, dialect),
            state=_Compiled(CONTENT_STATE_READ, dialect),
        )
        _kept.kept = kept
    return kept


def poll_state(token: str | None) -> tuple[int, datetime] | None:
    """The content state, if a 304 may be answered from it alone; None if the full path must
    decide: an unknown token (it 404s there), a use to record, or a failed read.

    The token's owner is not read: deactivating a person, like any change to the workplan,
    moves the state on, so no ETag handed out before it matches after.
    """
    try:
        kept = _kept_for(db.engine)
    except sa.exc.DBAPIError:
        return None  # the server is down: the full path answers for it
    try:
        if token is None:
            row = kept.state.first(kept.cursor)
        else:
            row = kept.token_and_state.first(kept.cursor, token_hash=hash_token(token))
    except kept.error:
        kept.connection.invalidate()  # a server restart, say: the next poll connects anew
        close_kept_connection()
        return None
    if row is None:
        return None
    if token is not None:
        version, changed_at, last_used_at = row
        if use_to_record(last_used_at, utcnow()):
            return None
        return version, changed_at
    return row[0], row[1]


def close_kept_connection() -> None:
    """Close this thread's kept connection, as before its engine is disposed (tests do)."""
    kept: _Kept | None = getattr(_kept, "kept", None)
    _kept.kept = None
    if kept is not None:
        if not kept.connection.invalidated:
            kept.cursor.close()
        kept.connection.close()
