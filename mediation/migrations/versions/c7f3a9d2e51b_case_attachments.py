"""Files attached to cases (the case file's photos, scans and PDFs)

Revision ID: c7f3a9d2e51b
Revises: 5c1e9a7b3d20
Create Date: 2026-12-07 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c7f3a9d2e51b"
down_revision = "5c1e9a7b3d20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("thumb_sha256", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_attachments_case_id_cases"),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name="fk_attachments_uploaded_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
    )
    op.create_index("ix_attachments_case", "attachments", ["case_id", "uploaded_at"])


def downgrade():
    op.drop_index("ix_attachments_case", table_name="attachments")
    op.drop_table("attachments")
