"""Group indexes: the dashboard counts per group and status read one index range each.

They lead with the working group, so they replace the indexes of the working group alone.

Revision ID: dashboard_indexes
Revises: content_state
Create Date: 2026-11-22 03:40:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "dashboard_indexes"
down_revision = "content_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_working_group_id")
        batch_op.create_index(
            "ix_activity_group_status",
            ["working_group_id", "status", "recurrence", "planned_end"],
            unique=False,
        )

    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_working_group_id")
        batch_op.create_index(
            "ix_milestone_group_status",
            ["working_group_id", "status", "recurrence", "due_date"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("milestone", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_group_status")
        batch_op.create_index("ix_milestone_working_group_id", ["working_group_id"], unique=False)

    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_group_status")
        batch_op.create_index("ix_activity_working_group_id", ["working_group_id"], unique=False)
