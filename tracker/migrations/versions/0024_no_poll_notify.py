"""Feed polls on PostgreSQL ask every time, so the triggers that notified them go.

A notification reaches a listening worker only after the notifying commit has returned, so a
poll right after another process's commit could answer from what it remembered from before
(`tracker/feeds/polls.py`). Without listeners, `poll_notify`'s triggers would only cost every
write to the content state and the tokens a `pg_notify`.

Revision ID: no_poll_notify
Revises: milestone_entities
Create Date: 2026-12-07 23:50:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "no_poll_notify"
down_revision = "milestone_entities"
branch_labels = None
depends_on = None

_WATCHED = ("content_state", "feed_token")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_poll_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS tracker_poll_notify()")


def downgrade() -> None:
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
