"""The results framework: outcomes and outputs, indicators and their actuals, themes, risks.

Revision ID: results
Revises: poll_notify
Create Date: 2026-12-07 01:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "results"
down_revision = "poll_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme")),
        sa.UniqueConstraint("key", name=op.f("uq_theme_key")),
    )
    op.create_table(
        "group_theme",
        sa.Column("working_group_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("synergy", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["theme.id"],
            name=op.f("fk_group_theme_theme_id_theme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_group.id"],
            name=op.f("fk_group_theme_working_group_id_working_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("working_group_id", "theme_id", name=op.f("pk_group_theme")),
    )
    op.create_table(
        "result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("working_group_id", sa.Integer(), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "outcome",
                "output",
                name="result_level",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("sort_key", sa.String(length=120), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("objective_number", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["result.id"],
            name=op.f("fk_result_parent_id_result"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_group.id"],
            name=op.f("fk_result_working_group_id_working_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result")),
        sa.UniqueConstraint(
            "working_group_id", "code", name=op.f("uq_result_working_group_id_code")
        ),
    )
    op.create_table(
        "activity_output",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("output_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_activity_output_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["output_id"],
            ["result.id"],
            name=op.f("fk_activity_output_output_id_result"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("pk_activity_output")),
    )
    with op.batch_alter_table("activity_output", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_output_output_id"), ["output_id"], unique=False
        )

    op.create_table(
        "activity_theme",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_activity_theme_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["theme.id"],
            name=op.f("fk_activity_theme_theme_id_theme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "theme_id", name=op.f("pk_activity_theme")),
    )
    with op.batch_alter_table("activity_theme", schema=None) as batch_op:
        batch_op.create_index("ix_activity_theme_theme", ["theme_id", "activity_id"], unique=False)

    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("sort_key", sa.String(length=120), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=60), nullable=False),
        sa.Column("baseline_value", sa.String(length=200), nullable=False),
        sa.Column("baseline_when", sa.String(length=200), nullable=False),
        sa.Column("baseline_date", sa.Date(), nullable=True),
        sa.Column("target_value", sa.String(length=200), nullable=False),
        sa.Column("target_when", sa.String(length=200), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["result.id"],
            name=op.f("fk_indicator_result_id_result"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
        sa.UniqueConstraint("result_id", "code", name=op.f("uq_indicator_result_id_code")),
    )
    op.create_table(
        "risk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("working_group_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(length=200), nullable=False),
        sa.Column("raised_when", sa.String(length=200), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(result_id IS NULL) <> (activity_id IS NULL)", name=op.f("ck_risk_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_risk_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["result_id"], ["result.id"], name=op.f("fk_risk_result_id_result"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_group.id"],
            name=op.f("fk_risk_working_group_id_working_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk")),
        sa.UniqueConstraint("working_group_id", "code", name=op.f("uq_risk_working_group_id_code")),
    )
    with op.batch_alter_table("risk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_activity_id"), ["activity_id"], unique=False)

    op.create_table(
        "indicator_actual",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_actual_indicator_id_indicator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_actual")),
        sa.UniqueConstraint(
            "indicator_id", "period", name=op.f("uq_indicator_actual_indicator_id_period")
        ),
    )


def downgrade() -> None:

    op.drop_table("indicator_actual")
    with op.batch_alter_table("risk", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_activity_id"))

    op.drop_table("risk")
    op.drop_table("indicator")
    with op.batch_alter_table("activity_theme", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_theme_theme")

    op.drop_table("activity_theme")
    with op.batch_alter_table("activity_output", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_output_output_id"))

    op.drop_table("activity_output")
    op.drop_table("result")
    op.drop_table("group_theme")
    op.drop_table("theme")
