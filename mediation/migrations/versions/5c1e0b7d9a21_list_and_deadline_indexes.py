"""Indexes for province scale: the county's case list by category; a month's breaches and
amounts settled for the scorecard (without them a county's month read every case of the
county); the unused running-deadline index dropped (it made SQLite read every running clock
for a page's nearest deadlines instead of the page's twenty cases).

Revision ID: 5c1e0b7d9a21
Revises: 7b3d2e91c4a8
Create Date: 2026-11-27 04:30:00.000000

"""

from alembic import op

revision = "5c1e0b7d9a21"
down_revision = "7b3d2e91c4a8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_county_category_received",
            ["county_id", "category", "received_at"],
            unique=False,
        )
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_deadlines_running_due")
        batch_op.create_index("ix_deadlines_breached", ["breached_at"], unique=False)
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index("ix_agreements_agreed_at", ["agreed_at"], unique=False)


def downgrade():
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index("ix_agreements_agreed_at")
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_deadlines_breached")
        batch_op.create_index("ix_deadlines_running_due", ["stopped_at", "due_at"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_county_category_received")
