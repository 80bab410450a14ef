"""Reporting rounds: a group's call for progress reports, the items each lead reports on,
and the requests and chasers sent for it (each once).

Revision ID: rounds
Revises: list_indexes
Create Date: 2026-12-07 01:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "rounds"
down_revision = "list_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "reporting_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("working_group_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summaries", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "period_end >= period_start", name=op.f("ck_reporting_round_period_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["person.id"],
            name=op.f("fk_reporting_round_opened_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_group.id"],
            name=op.f("fk_reporting_round_working_group_id_working_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_round")),
        sa.UniqueConstraint(
            "working_group_id", "label", name=op.f("uq_reporting_round_working_group_id_label")
        ),
    )
    with op.batch_alter_table("reporting_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporting_round_due_date"), ["due_date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reporting_round_working_group_id"), ["working_group_id"], unique=False
        )

    op.create_table(
        "round_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entity.id"],
            name=op.f("fk_round_message_entity_id_entity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_message.id"],
            name=op.f("fk_round_message_outbox_message_id_outbox_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["reporting_round.id"],
            name=op.f("fk_round_message_round_id_reporting_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_message")),
        sa.UniqueConstraint(
            "round_id", "entity_id", "recipient", "step", name="uq_round_message_once"
        ),
    )
    op.create_table(
        "round_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("draft_saved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("status_change_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_round_item_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entity.id"],
            name=op.f("fk_round_item_entity_id_entity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["reporting_round.id"],
            name=op.f("fk_round_item_round_id_reporting_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_change_id"],
            ["status_change.id"],
            name=op.f("fk_round_item_status_change_id_status_change"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["person.id"],
            name=op.f("fk_round_item_submitted_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_item")),
        sa.UniqueConstraint(
            "round_id",
            "activity_id",
            "entity_id",
            name=op.f("uq_round_item_round_id_activity_id_entity_id"),
        ),
    )
    with op.batch_alter_table("round_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_round_item_activity_id"), ["activity_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_round_item_entity_id"), ["entity_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("round_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_item_entity_id"))
        batch_op.drop_index(batch_op.f("ix_round_item_activity_id"))

    op.drop_table("round_item")
    op.drop_table("round_message")
    with op.batch_alter_table("reporting_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_round_working_group_id"))
        batch_op.drop_index(batch_op.f("ix_reporting_round_due_date"))

    op.drop_table("reporting_round")
