"""Facts dated when they happened: flags.occurred_at, case_events.recorded_at,
cases.last_event_at; one key per fact; one text form for instants on SQLite

Revision ID: 9d41c7e2b6f0
Revises: 5c1e0b7d9a21
Create Date: 2026-12-06 23:00:00.000000

"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "9d41c7e2b6f0"
down_revision = "5c1e0b7d9a21"
branch_labels = None
depends_on = None

# Flags of a clock, by the clock's kind: their key now names the deadline they belong to.
CLOCK_OF_FLAG = {
    "accept_overdue": "accept",
    "settle_warning": "settle",
    "settle_breached": "settle",
    "statutory_overdue": "statutory",
    "major_not_reported": "major_report",
    "follow_up_overdue": "follow_up",
}


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # One text form for every instant ("2026-11-30 16:00:00.000000"): bulk writes used to
        # store whole seconds without the fraction, which compares differently as text.
        inspector = sa.inspect(bind)
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                if isinstance(column["type"], sa.DateTime):
                    name = column["name"]
                    op.execute(
                        f'UPDATE "{table}" SET "{name}" = "{name}" || \'.000000\''
                        f' WHERE length("{name}") = 19'
                    )

    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("occurred_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE flags SET occurred_at = raised_at")
    _rekey_flags(bind)
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.alter_column("occurred_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_index("ix_flags_unit_raised")
        batch_op.drop_index("ix_flags_township_raised")
        batch_op.drop_index("ix_flags_county_raised")
        batch_op.create_index("ix_flags_unit_occurred", ["unit_id", "occurred_at"], unique=False)
        batch_op.create_index(
            "ix_flags_township_occurred", ["township_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_flags_county_occurred", ["county_id", "occurred_at"], unique=False
        )

    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE case_events SET recorded_at = at")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.alter_column("recorded_at", existing_type=sa.DateTime(), nullable=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_event_at", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE cases SET last_event_at ="
        " (SELECT max(e.at) FROM case_events e WHERE e.case_id = cases.id)"
    )
    op.execute("UPDATE cases SET last_event_at = created_at WHERE last_event_at IS NULL")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.alter_column("last_event_at", existing_type=sa.DateTime(), nullable=False)


def _rekey_flags(bind) -> None:
    """The flags kept so far took their key from (case, kind, level): rule flags become one
    per (case, kind), the first kept; a clock's open flag takes its running deadline's key."""
    rows = bind.execute(
        sa.text("SELECT id, key, kind, case_id, level FROM flags WHERE case_id IS NOT NULL")
    ).all()
    seen: set[str] = set()
    for flag_id, _, kind, case_id, level in sorted(rows):
        if kind in ("small_left_village", "big_left_township"):
            key = f"c{case_id}:{kind}"
        elif kind == "pushed_up":
            continue  # one per case already; new ones are keyed by their incident
        else:
            started = bind.execute(
                sa.text(
                    "SELECT started_at FROM deadlines WHERE case_id = :c AND clock = :k"
                    " AND level = :l ORDER BY id DESC LIMIT 1"
                ),
                {"c": case_id, "k": CLOCK_OF_FLAG[kind], "l": level},
            ).scalar()
            if started is None:
                continue
            if isinstance(started, str):
                started = dt.datetime.fromisoformat(started)
            stamp = int(started.replace(tzinfo=dt.UTC).timestamp())
            key = f"c{case_id}:{CLOCK_OF_FLAG[kind]}:{level}:{stamp}:{kind}"
        if key in seen:
            continue
        seen.add(key)
        bind.execute(
            sa.text("UPDATE flags SET key = :key WHERE id = :id"), {"key": key, "id": flag_id}
        )


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("last_event_at")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_column("recorded_at")
    with op.batch_alter_table("flags", schema=None) as batch_op:
        batch_op.drop_index("ix_flags_county_occurred")
        batch_op.drop_index("ix_flags_township_occurred")
        batch_op.drop_index("ix_flags_unit_occurred")
        batch_op.create_index("ix_flags_unit_raised", ["unit_id", "raised_at"], unique=False)
        batch_op.create_index(
            "ix_flags_township_raised", ["township_id", "raised_at"], unique=False
        )
        batch_op.create_index("ix_flags_county_raised", ["county_id", "raised_at"], unique=False)
        batch_op.drop_column("occurred_at")
