"""An administrator role: coordinates every working group, manages entities and people.

Coordinators' scope becomes a boundary (`tracker/domain/permissions.py`): what reaches beyond
their own working groups is for administrators. Going back, administrators become
coordinators again (of the groups they belong to).

Revision ID: administrator_role
Revises: session_generation
Create Date: 2026-12-07 01:15:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "administrator_role"
down_revision = "session_generation"
branch_labels = None
depends_on = None

_CHECK = "ck_person_personrole"


def _allow(roles: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{role}'" for role in roles)
    name = op.f(_CHECK)  # the full name already: no naming convention on top
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint(name, type_="check")
        batch_op.create_check_constraint(name, f"role IN ({listed})")


def upgrade() -> None:
    _allow(("administrator", "coordinator", "lead", "member"))


def downgrade() -> None:
    op.execute("UPDATE person SET role = 'coordinator' WHERE role = 'administrator'")
    _allow(("coordinator", "lead", "member"))
