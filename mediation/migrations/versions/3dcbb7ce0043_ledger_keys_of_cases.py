"""Ledger keys of cases: the village ledger's own number and the imported row's digest

Revision ID: 3dcbb7ce0043
Revises: c7f3a9d2e51b
Create Date: 2026-12-07 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "3dcbb7ce0043"
down_revision = "c7f3a9d2e51b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ledger_no", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("ledger_digest", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_cases_village_ledger_no", ["village_id", "ledger_no"], unique=True
        )


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_village_ledger_no")
        batch_op.drop_column("ledger_digest")
        batch_op.drop_column("ledger_no")
