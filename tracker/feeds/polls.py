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

On SQLite a poll does not even ask while nothing was written: each kept connection remembers
its answers until `PRAGMA data_version` moves, which it does when another connection commits
(reading it: 4.5 us on the bench database), and a commit in this process clears them at once.
PostgreSQL has no such synchronous word, so there every poll asks. A LISTEN on a channel that
triggers NOTIFY is no substitute: the listener's backend sends the notification after the
notifying commit has returned, so a poll that starts right after another process's commit can
find nothing heard yet and answer 304 for the version before (seen on a loaded CI machine).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.extensions import db
from tracker.feeds.models import FeedToken
from tracker.feeds.services import hash_token, use_to_record
from tracker.models import CONTENT_STATE_ID, CONTENT_STATE_READ, ContentState, utcnow

#: Answers a kept connection remembers at most (one per token polled from its thread).
MAX_ANSWERS = 4096

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


class _Changes:
    """Whether the database may have changed since the last look: always, unless the
    database can say otherwise."""

    def since_last_look(self) -> bool:
        return True


class _SQLiteChanges(_Changes):
    """`PRAGMA data_version` moves whenever another connection commits."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self._version = self._read()

    def _read(self) -> int:
        self._cursor.execute("PRAGMA data_version")
        return self._cursor.fetchall()[0][0]

    def since_last_look(self) -> bool:
        version = self._read()
        changed = version != self._version
        self._version = version
        return changed


@dataclass
class _Kept:
    connection: sa.Connection
    #: The driver's own connection: a detached one has no pool record to reach it through.
    driver: Any
    cursor: Any
    #: The driver's base exception: what a lost server or a broken connection raises.
    error: type[Exception]
    token_and_state: _Compiled
    state: _Compiled
    changes: _Changes
    #: The last rows read, by token hash (None: the state alone), until a change is seen.
    answers: dict[str | None, tuple[Any, ...]] = field(default_factory=dict)
    commits_seen: int = -1
    #: Closes the connection: when asked, or when the thread ends and its `_kept` goes.
    closer: weakref.finalize | None = None


class _Commits:
    """Commits of this process's sessions, counted after each: a poll on the same thread
    right after must not wait for the database's word."""

    count = 0

    @staticmethod
    def note(_session: so.Session) -> None:
        _Commits.count += 1


sa.event.listen(so.Session, "after_commit", _Commits.note)

_kept = threading.local()


def _changes_of(dialect: sa.Dialect, cursor: Any) -> _Changes:
    return _SQLiteChanges(cursor) if dialect.name == "sqlite" else _Changes()


def _kept_for(engine: sa.Engine) -> _Kept:
    kept: _Kept | None = getattr(_kept, "kept", None)
    if kept is not None and kept.connection.engine is not engine:
        close_kept_connection()
        kept = None
    if kept is None:
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        # Out of the pool: it lives as long as its thread, so an engine.dispose() meanwhile
        # (a test's teardown, `tracker serve` before it forks) would otherwise leave its
        # return to an abandoned pool, and the driver's connection to the garbage collector.
        driver = connection.connection.driver_connection
        connection.detach()
        cursor = driver.cursor()  # type: ignore[union-attr]
        dialect = engine.dialect
        kept = _Kept(
            connection=connection,
            driver=driver,
            cursor=cursor,
            error=dialect.loaded_dbapi.Error,
            token_and_state=_Compiled(_TOKEN_AND_STATE, dialect),
            state=_Compiled(CONTENT_STATE_READ, dialect),
            changes=_changes_of(dialect, cursor),
        )
        kept.closer = weakref.finalize(kept, _close, connection, cursor, kept.error)
        kept.closer.atexit = False  # nor in a forked child, on its parent's socket
        _kept.kept = kept
    return kept


def _answer(kept: _Kept, token_hash: str | None) -> tuple[Any, ...] | None:
    """The row for `token_hash`, as remembered or read now; None for an unknown token."""
    commits = _Commits.count  # before the look: a commit after it counts at the next poll
    if kept.changes.since_last_look() or commits != kept.commits_seen:
        kept.answers.clear()
        kept.commits_seen = commits
    row = kept.answers.get(token_hash)
    if row is None:
        if token_hash is None:
            row = kept.state.first(kept.cursor)
        else:
            row = kept.token_and_state.first(kept.cursor, token_hash=token_hash)
        if row is not None:
            if len(kept.answers) >= MAX_ANSWERS:
                kept.answers.clear()
            kept.answers[token_hash] = row
    return row


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
        row = _answer(kept, None if token is None else hash_token(token))
    except kept.error:
        close_kept_connection()  # a server restart, say: the next poll connects anew
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
    if kept is not None and kept.closer is not None:
        kept.closer()


def _close(connection: sa.Connection, cursor: Any, error: type[Exception]) -> None:
    with contextlib.suppress(error):  # a connection already lost has no cursor to close
        cursor.close()
    connection.close()  # detached: the driver's connection is closed, not pooled
