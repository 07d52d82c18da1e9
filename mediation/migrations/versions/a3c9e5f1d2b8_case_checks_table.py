"""When the sweep next looks at a case: a narrow table of its own (case_checks)

The sweep moves thousands of next-check instants at once; as a column of cases each move
added an entry to every index of cases on PostgreSQL (thirteen), here two.

Revision ID: a3c9e5f1d2b8
Revises: 8f2d6c1a4b70
Create Date: 2026-12-07 15:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "a3c9e5f1d2b8"
down_revision = "8f2d6c1a4b70"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_checks",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("next_check_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_checks_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_checks")),
    )
    op.execute(
        "INSERT INTO case_checks (case_id, next_check_at)"
        " SELECT id, next_check_at FROM cases WHERE next_check_at IS NOT NULL"
    )
    op.create_index("ix_case_checks_next_check_at", "case_checks", ["next_check_at", "case_id"])
    op.drop_index("ix_cases_next_check_at", table_name="cases")
    # Not batch_alter_table: on SQLite that copies the whole table; DROP COLUMN (3.35) does not.
    op.execute("ALTER TABLE cases DROP COLUMN next_check_at")


def downgrade():
    op.execute("ALTER TABLE cases ADD COLUMN next_check_at TIMESTAMP")
    op.execute(
        "UPDATE cases SET next_check_at ="
        " (SELECT next_check_at FROM case_checks WHERE case_checks.case_id = cases.id)"
    )
    op.create_index("ix_cases_next_check_at", "cases", ["next_check_at"])
    op.drop_index("ix_case_checks_next_check_at", table_name="case_checks")
    op.drop_table("case_checks")
