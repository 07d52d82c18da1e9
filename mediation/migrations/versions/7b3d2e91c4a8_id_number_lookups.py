"""ID number lookups on intake, for their rate limit

Revision ID: 7b3d2e91c4a8
Revises: 3e5aaf37dc19
Create Date: 2026-11-27 04:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7b3d2e91c4a8"
down_revision = "3e5aaf37dc19"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "id_lookups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_id_lookups_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_id_lookups")),
    )
    with op.batch_alter_table("id_lookups", schema=None) as batch_op:
        batch_op.create_index("ix_id_lookups_user_at", ["user_id", "at"], unique=False)


def downgrade():
    with op.batch_alter_table("id_lookups", schema=None) as batch_op:
        batch_op.drop_index("ix_id_lookups_user_at")

    op.drop_table("id_lookups")
