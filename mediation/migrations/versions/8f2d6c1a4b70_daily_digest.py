"""A daily digest of the notices that are not urgent

Revision ID: 8f2d6c1a4b70
Revises: db7736430474
Create Date: 2026-12-07 10:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "8f2d6c1a4b70"
down_revision = "db7736430474"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notify_digest", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_digest", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("is_digest")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("notify_digest")
