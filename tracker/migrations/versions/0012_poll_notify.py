"""PostgreSQL tells feed polls when what they answer from may have changed.

A poll's 304 rests on the content state and the feed token. Each web worker keeps its last
answers and LISTENs on `tracker_poll`; these triggers NOTIFY it, in the committing transaction,
whenever either table is written, so a worker asks the database again only after a change
(`tracker/feeds/polls.py`). SQLite needs no trigger: `PRAGMA data_version` tells the same.

Revision ID: poll_notify
Revises: milestone_activity_status
Create Date: 2026-12-06 02:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "poll_notify"
down_revision = "milestone_activity_status"
branch_labels = None
depends_on = None

_WATCHED = ("content_state", "feed_token")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION tracker_poll_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN PERFORM pg_notify('tracker_poll', TG_TABLE_NAME); RETURN NULL; END $$"
    )
    for table in _WATCHED:
        op.execute(
            f"CREATE TRIGGER {table}_poll_notify "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION tracker_poll_notify()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _WATCHED:
        op.execute(f"DROP TRIGGER {table}_poll_notify ON {table}")
    op.execute("DROP FUNCTION tracker_poll_notify()")
