"""Supervision notices (督办) and merged duplicate cases (并单)

Revision ID: 5c1e9a7b3d20
Revises: d7ea402fa6d8
Create Date: 2026-12-07 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "5c1e9a7b3d20"
down_revision = "d7ea402fa6d8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "supervisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("issuing_unit_id", sa.Integer(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("due_working_days", sa.Integer(), nullable=False),
        sa.Column("remind_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("replied_at", sa.DateTime(), nullable=True),
        sa.Column("replied_by_id", sa.Integer(), nullable=True),
        sa.Column("progress", sa.Text(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("circulated_at", sa.DateTime(), nullable=True),
        sa.Column("next_check_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["village_id"], ["units.id"]),
        sa.ForeignKeyConstraint(["township_id"], ["units.id"]),
        sa.ForeignKeyConstraint(["county_id"], ["units.id"]),
        sa.ForeignKeyConstraint(["holder_id"], ["units.id"]),
        sa.ForeignKeyConstraint(["issuing_unit_id"], ["units.id"]),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["replied_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supervisions_case_id", "supervisions", ["case_id"])
    op.create_index("ix_supervisions_next_check_at", "supervisions", ["next_check_at"])
    op.create_index(
        "ix_supervisions_issuing_circulated", "supervisions", ["issuing_unit_id", "circulated_at"]
    )
    op.create_index(
        "ix_supervisions_village_circulated", "supervisions", ["village_id", "circulated_at"]
    )
    op.create_index("ix_supervisions_county_issued", "supervisions", ["county_id", "issued_at"])
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_cases_merged_into_id_cases", "cases", ["merged_into_id"], ["id"]
        )
    # Partial: "not merged" (nearly every case) must never be read through this index.
    op.create_index(
        "ix_cases_merged_into_id",
        "cases",
        ["merged_into_id"],
        sqlite_where=sa.text("merged_into_id IS NOT NULL"),
        postgresql_where=sa.text("merged_into_id IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_cases_merged_into_id", table_name="cases")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint("fk_cases_merged_into_id_cases", type_="foreignkey")
        batch_op.drop_column("merged_into_id")
    op.drop_table("supervisions")
