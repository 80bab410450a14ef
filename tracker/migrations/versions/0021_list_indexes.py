"""Indexes for the lists' filters and their order: an entity's items by role, one status.

`/items?entity=ILO&leading=1` reads the activities an entity takes part in with the given
roles: with (entity, role, activity) that is one range of one index, where the index of the
entity alone read every link row for its role. `/items?status=delayed` across the groups is
walked in due order in (status, recurrence, due), the leading conditions of every list query,
instead of filtering the whole due index.

Revision ID: list_indexes
Revises: sqlite_text_search
Create Date: 2026-12-07 01:20:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "list_indexes"
down_revision = "sqlite_text_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_activity_entity_entity_id", table_name="activity_entity")
    op.create_index(
        "ix_activity_entity_entity_role", "activity_entity", ["entity_id", "role", "activity_id"]
    )
    op.create_index("ix_activity_status_due", "activity", ["status", "recurrence", "planned_end"])
    op.create_index("ix_milestone_status_due", "milestone", ["status", "recurrence", "due_date"])


def downgrade() -> None:
    op.drop_index("ix_milestone_status_due", table_name="milestone")
    op.drop_index("ix_activity_status_due", table_name="activity")
    op.drop_index("ix_activity_entity_entity_role", table_name="activity_entity")
    op.create_index("ix_activity_entity_entity_id", "activity_entity", ["entity_id"])
