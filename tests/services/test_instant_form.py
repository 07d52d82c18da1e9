"""Every instant is stored in one form, whichever path wrote it (the ORM, the sweep's bulk
writes, raw SQL): SQLite compares instants as text, so two forms of one instant would sort
apart and a deadline at 24:00 could count in two different months."""

import datetime as dt
import re

from sqlalchemy import func, select, text

from mediation.domain.enums import Action
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Case, Deadline
from mediation.models.types import UTCDateTime
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep
from mediation.services.workflow import Context, perform

from ..factories import TZ

# SQLAlchemy's SQLite form: "2026-11-30 16:00:00.000000".
SQLITE_FORM = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


def instant_columns():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, UTCDateTime):
                yield table.name, column.name


def stored_forms() -> dict[str, list[str]]:
    """Each instant column's values not in the one form (empty when all are)."""
    wrong: dict[str, list[str]] = {}
    for table, column in instant_columns():
        values = db.session.execute(
            text(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')
        ).scalars()
        bad = [str(value) for value in values if not SQLITE_FORM.match(str(value))]
        if bad:
            wrong[f"{table}.{column}"] = bad[:3]
    return wrong


def test_every_path_writes_one_form(world, make, is_postgres):
    received = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # a Monday
    # Whole seconds and a whole day: the instants most likely to be written short.
    case = make.case(world.mediator, now=received)
    make.case(world.mediator, now=dt.datetime(2026, 11, 24, 0, 0, tzinfo=TZ))
    ctx = Context.build(dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ), Policy(), TZ)
    perform(world.mediator, case, Action.accept, {}, version=case.version, ctx=ctx)
    db.session.commit()
    # The sweep's bulk writes: breaches, flags, an automatic escalation with its clocks.
    run_sweep(
        dt.datetime(2026, 12, 8, 0, 0, tzinfo=TZ),
        policy=Policy(),
        tz=TZ,
        notifier=Notifier.from_config("inbox"),
    )
    assert db.session.scalar(select(func.count()).select_from(Deadline)) > 6
    if is_postgres:  # one native type for every instant column: one form by construction
        types = {
            db.session.scalar(
                text(
                    "SELECT data_type FROM information_schema.columns"
                    " WHERE table_name = :t AND column_name = :c"
                ),
                {"t": table, "c": column},
            )
            for table, column in instant_columns()
        }
        assert types == {"timestamp without time zone"}
        return
    assert stored_forms() == {}
    # and so comparisons are exact: the due instants equal themselves as bound parameters
    for due_at in db.session.scalars(select(Deadline.due_at)):
        assert db.session.scalar(
            select(func.count()).select_from(Deadline).where(Deadline.due_at == due_at)
        )
    assert db.session.get(Case, case.id).received_at == received
