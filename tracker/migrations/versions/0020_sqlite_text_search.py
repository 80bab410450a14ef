"""Text searches answered from an index on SQLite too: FTS5 tables kept in step by triggers.

PostgreSQL has had trigram indexes since `text_search`; SQLite scanned every title and
description (`tracker/domain/search.py`). Each searched table gets an external-content FTS5
table of the code, title and description with the trigram tokenizer (SQLite 3.34+),
which finds any substring of three characters or more ignoring case: the candidates that
the exact condition is then tested on. Triggers on insert, update and delete keep it in step,
in the writing transaction.

A later migration that rebuilds `activity` or `milestone` (Alembic's batch mode copies a
SQLite table to change it) drops these triggers with the old table: it must create them again
(`create_triggers`) and rebuild the index; `tests/test_search.py` checks they exist at head.

Revision ID: sqlite_text_search
Revises: feed_bodies
Create Date: 2026-12-07 01:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "sqlite_text_search"
down_revision = "feed_bodies"
branch_labels = None
depends_on = None

_TABLES = ("activity", "milestone")


def create_triggers(table: str) -> None:
    search = f"{table}_search"
    new = (
        f"INSERT INTO {search}(rowid, code, title, description) "
        "VALUES (new.id, new.code, new.title, new.description);"
    )
    old = (
        f"INSERT INTO {search}({search}, rowid, code, title, description) "
        "VALUES ('delete', old.id, old.code, old.title, old.description);"
    )
    op.execute(f"CREATE TRIGGER {search}_insert AFTER INSERT ON {table} BEGIN {new} END")
    op.execute(f"CREATE TRIGGER {search}_delete AFTER DELETE ON {table} BEGIN {old} END")
    op.execute(
        f"CREATE TRIGGER {search}_update AFTER UPDATE OF code, title, description ON {table} "
        f"BEGIN {old} {new} END"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in _TABLES:
        search = f"{table}_search"
        op.execute(
            f"CREATE VIRTUAL TABLE {search} USING fts5(code, title, description, "
            f"content='{table}', content_rowid='id', tokenize='trigram')"
        )
        op.execute(f"INSERT INTO {search}({search}) VALUES ('rebuild')")
        create_triggers(table)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in _TABLES:
        search = f"{table}_search"
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER {search}_{event}")
        op.execute(f"DROP TABLE {search}")
