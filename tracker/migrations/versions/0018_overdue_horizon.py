"""Working groups' overdue horizon: how long an overdue item still gets notices.

Without it the first scan of old workplans (a fresh seed, an import, a restore) mailed every
item years overdue. Existing groups get the default, 60 days.

Revision ID: overdue_horizon
Revises: bot_conversation
Create Date: 2026-12-07 01:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "overdue_horizon"
down_revision = "bot_conversation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE ... ADD COLUMN, not batch mode: batch mode would copy and drop the table,
    # and dropping working_group cascades to every activity
    op.add_column(
        "working_group",
        sa.Column("overdue_horizon_days", sa.Integer(), server_default="60", nullable=False),
    )


def downgrade() -> None:
    # SQLite has ALTER TABLE ... DROP COLUMN since 3.35; batch mode would cascade as above
    op.drop_column("working_group", "overdue_horizon_days")
