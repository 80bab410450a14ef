"""The milestones of some activities are counted per group and status from one index.

The dashboard's "led by my entity" counts the open milestones of the activities an entity
leads: with an index of the activity alone PostgreSQL scanned every milestone (~30 ms at
50,000); with the status and group in the index it reads a few entries per activity. It leads
with the activity, so it replaces the index of the activity alone.

Revision ID: milestone_activity_status
Revises: text_search
Create Date: 2026-12-05 23:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "milestone_activity_status"
down_revision = "text_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_activity_id")
        batch_op.create_index(
            "ix_milestone_activity_status",
            ["activity_id", "status", "working_group_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_activity_status")
        batch_op.create_index("ix_milestone_activity_id", ["activity_id"], unique=False)
