"""A round also asks for reports on the group's own meetings and milestones (of no activity):
a round item is of an activity or of a milestone.

Revision ID: round_group_events
Revises: no_poll_notify
Create Date: 2026-12-08 02:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "round_group_events"
down_revision = "no_poll_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot make a column nullable or add a constraint in place; nothing
    # refers to round_item, so copying the table loses nothing
    with op.batch_alter_table("round_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("milestone_id", sa.Integer(), nullable=True))
        batch_op.alter_column("activity_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_round_item_milestone_id_milestone"),
            "milestone",
            ["milestone_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            batch_op.f("ix_round_item_milestone_id"), ["milestone_id"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_round_item_round_id_milestone_id_entity_id"),
            ["round_id", "milestone_id", "entity_id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_round_item_one_item"), "(activity_id IS NULL) <> (milestone_id IS NULL)"
        )


def downgrade() -> None:
    op.execute("DELETE FROM round_item WHERE activity_id IS NULL")
    with op.batch_alter_table("round_item", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_round_item_one_item"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("uq_round_item_round_id_milestone_id_entity_id"), type_="unique"
        )
        batch_op.drop_index(batch_op.f("ix_round_item_milestone_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_round_item_milestone_id_milestone"), type_="foreignkey"
        )
        batch_op.drop_column("milestone_id")
        batch_op.alter_column("activity_id", existing_type=sa.Integer(), nullable=False)
