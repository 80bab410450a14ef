"""People carry a session generation: signing out or a change of role ends their sessions.

A session stores the generation it was signed in with (`tracker/auth/__init__.py`); moving
the person's on makes every older session, a copied cookie included, sign no one in.

Revision ID: session_generation
Revises: results
Create Date: 2026-12-07 01:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "session_generation"
down_revision = "results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
