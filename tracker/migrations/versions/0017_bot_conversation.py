"""bot_conversation: the last question of each Slack thread or chat session, for follow-ups

Revision ID: bot_conversation
Revises: import_mapping
Create Date: 2026-12-07 01:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "bot_conversation"
down_revision = "import_mapping"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_conversation")),
        sa.UniqueConstraint("key", name=op.f("uq_bot_conversation_key")),
    )
    with op.batch_alter_table("bot_conversation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bot_conversation_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bot_conversation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bot_conversation_expires_at"))
    op.drop_table("bot_conversation")
