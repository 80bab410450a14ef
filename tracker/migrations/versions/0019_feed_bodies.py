"""Feed bodies built once per content version and kept for every worker and host.

Revision ID: feed_bodies
Revises: overdue_horizon
Create Date: 2026-12-07 01:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "feed_bodies"
down_revision = "overdue_horizon"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_body",
        sa.Column("etag", sa.String(length=32), nullable=False),
        sa.Column("feed_key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("etag", name=op.f("pk_feed_body")),
    )
    with op.batch_alter_table("feed_body", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_body_feed_key"), ["feed_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feed_body", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_body_feed_key"))
    op.drop_table("feed_body")
