"""encrypted party ID numbers, ID access log

Parties' plain ``id_number`` becomes ``id_number_enc`` (AES-GCM), ``id_number_hash`` (HMAC for
exact lookup) and ``id_number_masked``; existing rows are converted with the key of the app that
runs the migration (``ID_NUMBER_KEY``, by default ``instance/id_key``), and the downgrade
decrypts them back with the same key.

Revision ID: 2bf5815cbb81
Revises: cdc5adc2ca16
Create Date: 2026-11-27 04:02:19.389357

"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = "2bf5815cbb81"
down_revision = "cdc5adc2ca16"
branch_labels = None
depends_on = None


BATCH = 1000

parties = sa.table(
    "parties",
    sa.column("id", sa.Integer),
    sa.column("id_number", sa.String),
    sa.column("id_number_enc", sa.String),
    sa.column("id_number_hash", sa.String),
    sa.column("id_number_masked", sa.String),
)


def _cipher():
    # The one place a migration needs the application: the key lives with the app's instance.
    from mediation.platform.crypto import IdCipher

    return IdCipher(current_app.config["ID_NUMBER_KEY"])


def _mask(number):
    # As the mask was when this migration was written: region prefix and last four.
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def _convert(select_column, convert):
    """Rewrite the rows that have ``select_column`` set, BATCH rows per UPDATE round."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(parties.c.id, select_column)
        .where(select_column.is_not(None))
        .order_by(parties.c.id)
    ).all()
    if not rows:
        return
    cipher = _cipher()
    for start in range(0, len(rows), BATCH):
        changes = [
            (row_id, convert(cipher, value)) for row_id, value in rows[start : start + BATCH]
        ]
        # Bind names must differ from the column names an UPDATE sets.
        columns = list(changes[0][1])
        connection.execute(
            parties.update()
            .where(parties.c.id == sa.bindparam("row_id"))
            .values({column: sa.bindparam("new_" + column) for column in columns}),
            [
                dict({"new_" + column: value for column, value in values.items()}, row_id=row_id)
                for row_id, values in changes
            ],
        )


def upgrade():
    op.create_table(
        "id_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_id_access_log_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_id_access_log_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_id_access_log_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_id_access_log")),
    )
    with op.batch_alter_table("id_access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_id_access_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_id_access_log_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_id_access_log_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_number_enc", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("id_number_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("id_number_masked", sa.String(length=18), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_parties_id_number_hash"), ["id_number_hash"], unique=False
        )

    _convert(
        parties.c.id_number,
        lambda cipher, number: {
            "id_number_enc": cipher.encrypt(number),
            "id_number_hash": cipher.lookup_hash(number),
            "id_number_masked": _mask(number),
        },
    )

    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_column("id_number")


def downgrade():
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_number", sa.VARCHAR(length=18), nullable=True))

    _convert(parties.c.id_number_enc, lambda cipher, stored: {"id_number": cipher.decrypt(stored)})

    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parties_id_number_hash"))
        batch_op.drop_column("id_number_masked")
        batch_op.drop_column("id_number_hash")
        batch_op.drop_column("id_number_enc")

    with op.batch_alter_table("id_access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_id_access_log_user_id"))
        batch_op.drop_index(batch_op.f("ix_id_access_log_case_id"))
        batch_op.drop_index(batch_op.f("ix_id_access_log_at"))

    op.drop_table("id_access_log")
