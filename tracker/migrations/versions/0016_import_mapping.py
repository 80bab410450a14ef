"""Column mappings remembered per working group; the options of an upload (group, mappings).

Revision ID: import_mapping
Revises: administrator_role
Create Date: 2026-12-07 01:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "import_mapping"
down_revision = "administrator_role"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("working_group_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("header", sa.JSON(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["working_group_id"],
            ["working_group.id"],
            name=op.f("fk_import_mapping_working_group_id_working_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mapping")),
        sa.UniqueConstraint(
            "working_group_id",
            "signature",
            name=op.f("uq_import_mapping_working_group_id_signature"),
        ),
    )
    with op.batch_alter_table("import_upload", schema=None) as batch_op:
        batch_op.add_column(sa.Column("options", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_upload", schema=None) as batch_op:
        batch_op.drop_column("options")
    op.drop_table("import_mapping")
