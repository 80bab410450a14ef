"""Milestones name entities of their own when the workplan does (the July 2019 meeting,
organised by UNSD); without them they keep taking their activity's or their group's.

Revision ID: milestone_entities
Revises: rounds
Create Date: 2026-12-07 15:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "milestone_entities"
down_revision = "rounds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE ... ADD COLUMN, not batch mode, which would copy and drop the table
    op.add_column(
        "milestone", sa.Column("entities_text", sa.Text(), server_default="", nullable=False)
    )
    op.create_table(
        "milestone_entity",
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "lead",
                "co_lead",
                "co_organizer",
                "partner",
                "member",
                name="entityrole",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestone.id"],
            name=op.f("fk_milestone_entity_milestone_id_milestone"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entity.id"],
            name=op.f("fk_milestone_entity_entity_id_entity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("milestone_id", "entity_id", name=op.f("pk_milestone_entity")),
    )
    op.create_index(
        "ix_milestone_entity_entity_role", "milestone_entity", ["entity_id", "role", "milestone_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_milestone_entity_entity_role", table_name="milestone_entity")
    op.drop_table("milestone_entity")
    # SQLite has ALTER TABLE ... DROP COLUMN since 3.35; batch mode would copy and drop the
    # table, and dropping milestone cascades to its history
    op.drop_column("milestone", "entities_text")
