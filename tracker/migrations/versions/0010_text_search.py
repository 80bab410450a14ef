"""Trigram indexes for text searches on PostgreSQL (the bot's "when is the handbook due").

`lower(title) LIKE '%word%'` cannot use a B-tree; over 50,000 milestones PostgreSQL scanned
them all (~100 ms). pg_trgm's GIN indexes answer it from the index. SQLite has no such index
and is left as it is. The indexes have no model: `env.py` leaves them out of autogenerate.

Revision ID: text_search
Revises: dashboard_indexes
Create Date: 2026-11-22 04:55:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "text_search"
down_revision = "dashboard_indexes"
branch_labels = None
depends_on = None

#: Every column `find_items` searches in, as it searches: lowered.
_SEARCHED = [
    (table, column) for table in ("activity", "milestone") for column in ("title", "description")
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # a trusted extension: a database owner may create it without being a superuser
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in _SEARCHED:
        op.execute(
            f"CREATE INDEX ix_{table}_{column}_search ON {table} "
            f"USING gin (lower({column}) gin_trgm_ops)"
        )
    for table in ("activity", "milestone"):
        op.execute(f"CREATE INDEX ix_{table}_code_search ON {table} (lower(code))")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _SEARCHED:
        op.execute(f"DROP INDEX ix_{table}_{column}_search")
    for table in ("activity", "milestone"):
        op.execute(f"DROP INDEX ix_{table}_code_search")
