"""One content version for the whole workplan replaces counting rows and recording deletions.

Revision ID: content_state
Revises: due_indexes
Create Date: 2026-11-22 03:40:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "content_state"
down_revision = "due_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    state = op.create_table(
        "content_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_state")),
    )
    op.bulk_insert(state, [{"id": 1, "version": 1, "changed_at": datetime.now(UTC)}])
    with op.batch_alter_table("feed_deletion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_deletion_deleted_at"))
    op.drop_table("feed_deletion")


def downgrade() -> None:
    op.create_table(
        "feed_deletion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("table", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_deletion")),
    )
    with op.batch_alter_table("feed_deletion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feed_deletion_deleted_at"), ["deleted_at"], unique=False
        )
    op.drop_table("content_state")
