"""Notifications of case news: kind and case_id, flag_id optional

Revision ID: e4b7c1d2a9f3
Revises: e4a7c1f09b52
Create Date: 2026-12-07 02:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "e4b7c1d2a9f3"
down_revision = "e4a7c1f09b52"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_notifications_case_id_cases", "cases", ["case_id"], ["id"])
    # Every existing entry tells a flag: it takes the flag's kind and case.
    op.execute(
        "UPDATE notifications SET"
        " kind = (SELECT flags.kind FROM flags WHERE flags.id = notifications.flag_id),"
        " case_id = (SELECT flags.case_id FROM flags WHERE flags.id = notifications.flag_id)"
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("flag_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM notifications WHERE flag_id IS NULL")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("flag_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("fk_notifications_case_id_cases", type_="foreignkey")
        batch_op.drop_column("case_id")
        batch_op.drop_column("kind")
