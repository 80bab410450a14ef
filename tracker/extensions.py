"""Extensions live at module level and are attached to an app in `create_app`."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context, request
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(so.DeclarativeBase):
    """Declarative base with constraint names that Alembic can diff on every backend."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

#: CSRF tokens on every form; the JSON API, which takes bearer tokens only, is exempt.
csrf = CSRFProtect()


def _render_item(type_: str, obj: Any, _autogen_context: Any) -> str | bool:
    """Write our column types as plain SQLAlchemy types, so migrations never import the models."""
    if type_ == "type" and isinstance(obj, sa.types.TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


migrate = Migrate(render_as_batch=True, compare_type=True, render_item=_render_item)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers work while the scheduler writes; the busy timeout queues writers.

    pysqlite's own transaction handling is switched off so that SQLAlchemy's BEGIN and
    SAVEPOINT mean what they say (SQLAlchemy's documented recipe for pysqlite).
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


#: Execution option for a transaction that will write: on SQLite it takes the write lock at
#: BEGIN (BEGIN IMMEDIATE), so it waits its turn instead of failing halfway; elsewhere a no-op.
#: Use as `session.connection(execution_options={WRITE_TRANSACTION: True})`.
WRITE_TRANSACTION = "tracker_write_transaction"


def begin_write(session: so.Session | so.scoped_session[so.Session]) -> None:
    """Start the session's next transaction as a writer (BEGIN IMMEDIATE on SQLite).

    A SQLite transaction that reads and then writes fails at once ("database is locked") if
    another connection committed in between; one that starts as a writer waits its turn
    instead. Inside a transaction already under way this changes nothing.
    """
    plain = session() if isinstance(session, so.scoped_session) else session
    if not plain.in_transaction():
        plain.connection(execution_options={WRITE_TRANSACTION: True})


#: Methods that only read (RFC 9110 9.2.1); requests with any other begin as writers.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def commit_in_passing(session: so.Session | so.scoped_session[so.Session], what: str) -> None:
    """Commit a small write that a request makes in passing (a token's "last used").

    A writing request keeps it in its own transaction, begun as the writer. In a reading one it
    is committed now; on SQLite such a transaction cannot always become the writer (another
    connection committed meanwhile), and then the note is dropped, never the request.
    """
    if has_request_context() and request.method not in SAFE_METHODS:
        return
    try:
        session.commit()
    except sa.exc.OperationalError as exc:
        session.rollback()
        logging.getLogger(__name__).warning("%s not recorded: %s", what, exc)


@sa.event.listens_for(sa.engine.Engine, "begin")
def _begin_sqlite(connection: sa.Connection) -> None:
    options = connection.get_execution_options()
    if connection.dialect.name == "sqlite" and options.get("isolation_level") != "AUTOCOMMIT":
        immediate = options.get(WRITE_TRANSACTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
