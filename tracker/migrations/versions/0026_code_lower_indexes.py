"""Items found by their code in any case through an index (`lower(code) = ?`), not by a walk of
every row in due order.

Revision ID: code_lower_indexes
Revises: round_group_events
Create Date: 2026-12-08 03:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "code_lower_indexes"
down_revision = "round_group_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_activity_code_lower", "activity", [sa.text("lower(code)")])
    op.create_index("ix_milestone_code_lower", "milestone", [sa.text("lower(code)")])


def downgrade() -> None:
    op.drop_index("ix_milestone_code_lower", table_name="milestone")
    op.drop_index("ix_activity_code_lower", table_name="activity")
