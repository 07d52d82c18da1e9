"""An agreement's points in dispute and each party's responsibilities

Revision ID: e4a7c1f09b52
Revises: 9d41c7e2b6f0
Create Date: 2026-12-07 02:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e4a7c1f09b52"
down_revision = "9d41c7e2b6f0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("points_in_dispute", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("responsibilities", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_column("responsibilities")
        batch_op.drop_column("points_in_dispute")
