"""Entering a year the bundled calendar does not know, and the provisional deadlines it makes
exact."""

import datetime as dt

import pytest
from sqlalchemy import select

from mediation.domain.enums import Action, Clock, Level
from mediation.domain.intake import InvalidInput
from mediation.domain.policy import Policy, parse_policy
from mediation.extensions import db
from mediation.models import CalendarDay, CalendarYear, Case, Deadline
from mediation.services.calendar import (
    enter_year,
    entered_years,
    provisional_count,
    recompute_provisional,
    work_calendar,
)
from mediation.services.workflow import Context, perform

from ..factories import TZ

NOW = dt.datetime(2026, 12, 30, 9, 0, tzinfo=TZ)


def local(*args):
    return dt.datetime(*args, tzinfo=TZ)


def deadline(case, clock=Clock.settle) -> Deadline:
    db.session.expire_all()
    return db.session.scalar(
        select(Deadline)
        .where(Deadline.case_id == case.id, Deadline.clock == clock)
        .order_by(Deadline.id.desc())
    )


def enter(actor, year=2027, holidays=(), workdays=(), policy=None):
    changed = enter_year(
        actor,
        year,
        holidays=list(holidays),
        workdays=list(workdays),
        now=NOW,
        policy=policy or Policy(),
        tz=TZ,
    )
    db.session.commit()
    return changed


@pytest.fixture
def late_december(world, make):
    """Received Monday 2026-12-28: the village's 5 working days reach into 2027."""
    return make.case(world.mediator, now=local(2026, 12, 28, 10, 0))


def test_a_deadline_in_an_unknown_year_is_provisional_until_the_year_is_entered(
    world, late_december
):
    settle = deadline(late_december)
    # Tue 29, Wed 30, Thu 31, Fri 1 January (guessed a working day), Mon 4 → Tue 5 00:00.
    assert settle.is_provisional and settle.due_at == local(2027, 1, 5)
    assert not deadline(late_december, Clock.accept).is_provisional  # Tuesday 29th: known
    assert provisional_count() == 1

    changed = enter(world.admin, holidays=[dt.date(2027, 1, 1)])
    assert changed == 1
    settle = deadline(late_december)
    assert not settle.is_provisional and settle.due_at == local(2027, 1, 6)
    # 80 % of 5 days = 4: Tue 29, Wed 30, Thu 31, Mon 4 → Tue 5 00:00.
    assert settle.warn_at == local(2027, 1, 5)
    assert provisional_count() == 0
    assert enter(world.admin, holidays=[dt.date(2027, 1, 1)]) == 0  # nothing left to change


def test_entering_a_year_has_the_sweep_look_again_at_once(world, make):
    """A warning that the entered calendar brings forward must not wait for the next check the
    guessed one set: the sweep looks at the case again now and schedules from the new clocks."""
    from mediation.services.notify import Notifier
    from mediation.services.sweep import run_sweep

    case = make.case(world.mediator, now=local(2026, 12, 30, 8, 0))
    ctx = Context.build(local(2026, 12, 30, 8, 30), Policy(), TZ)
    perform(world.mediator, case, Action.accept, {}, version=None, ctx=ctx)
    db.session.commit()

    def next_check():
        run_sweep(NOW, policy=Policy(), tz=TZ, notifier=Notifier.from_config("inbox"))
        db.session.expire_all()
        return db.session.get(Case, case.id).next_check_at

    # Thu 31, Fri 1 (guessed), Mon 4, Tue 5: the settle warning at 24:00 on 5 January
    assert next_check() == local(2027, 1, 6)
    enter(world.admin, workdays=[dt.date(2027, 1, 2)])  # a make-up Saturday: one day sooner
    db.session.expire_all()
    assert db.session.get(Case, case.id).next_check_at == NOW
    assert next_check() == local(2027, 1, 5)


def test_a_make_up_working_day_brings_the_deadline_forward(world, late_december):
    """A make-up Saturday 2 January and 1 January off: 29, 30, 31, Sat 2, Mon 4 → Tue 5."""
    enter(world.admin, holidays=[dt.date(2027, 1, 1)], workdays=[dt.date(2027, 1, 2)])
    settle = deadline(late_december)
    assert settle.due_at == local(2027, 1, 5) and not settle.is_provisional


def test_re_entering_a_year_replaces_its_days(world):
    enter(
        world.admin,
        holidays=[dt.date(2027, 1, 1), dt.date(2027, 2, 10)],
        workdays=[dt.date(2027, 2, 7)],
    )
    enter(world.admin, holidays=[dt.date(2027, 10, 1)])
    days = db.session.execute(select(CalendarDay.day, CalendarDay.is_workday)).all()
    assert days == [(dt.date(2027, 10, 1), False)]
    [(year, holidays, workdays)] = entered_years()
    assert (year.year, holidays, workdays) == (2027, [dt.date(2027, 10, 1)], [])
    assert year.entered_at == NOW and year.entered_by_id == world.admin.id


def test_entering_one_year_leaves_the_others(world):
    enter(world.admin, 2027, holidays=[dt.date(2027, 1, 1)])
    enter(world.admin, 2028, holidays=[dt.date(2028, 1, 1)])
    enter(world.admin, 2027, holidays=[dt.date(2027, 1, 2)])
    assert [row[0].year for row in entered_years()] == [2028, 2027]
    assert set(db.session.scalars(select(CalendarDay.day))) == {
        dt.date(2028, 1, 1),
        dt.date(2027, 1, 2),
    }


@pytest.mark.parametrize(
    "holidays, workdays, field",
    [
        ([dt.date(2026, 12, 31)], [], "holidays"),
        ([], [dt.date(2028, 1, 1)], "workdays"),
        ([dt.date(2027, 1, 1)], [dt.date(2027, 1, 1)], "workdays"),
    ],
)
def test_a_bad_entry_changes_nothing(world, late_december, holidays, workdays, field):
    with pytest.raises(InvalidInput) as invalid:
        enter_year(
            world.admin, 2027, holidays=holidays, workdays=workdays, now=NOW, policy=Policy(), tz=TZ
        )
    assert set(invalid.value.fields) == {field}
    db.session.rollback()
    assert db.session.scalar(select(CalendarYear.year)) is None
    assert deadline(late_december).is_provisional


def test_a_stopped_clock_keeps_the_deadline_it_was_settled_against(world, late_december):
    perform(
        world.mediator,
        late_december,
        Action.accept,
        {},
        version=None,
        ctx=Context.build(local(2026, 12, 28, 11, 0), Policy(), TZ),
    )
    perform(
        world.mediator,
        late_december,
        Action.resolve,
        {"agreement": {"form": "oral", "terms": "和解"}},
        version=None,
        ctx=Context.build(local(2026, 12, 30, 11, 0), Policy(), TZ),
    )
    db.session.commit()
    stopped = deadline(late_december)
    assert stopped.met_at == local(2026, 12, 30, 11, 0) and stopped.is_provisional
    assert provisional_count() == 0  # only running clocks count

    assert enter(world.admin, holidays=[dt.date(2027, 1, 1)]) == 0
    stopped = deadline(late_december)
    assert stopped.due_at == local(2027, 1, 5) and stopped.met_at == local(2026, 12, 30, 11, 0)


def test_the_policys_days_add_to_the_calendar_but_do_not_make_the_year_known(world, late_december):
    policy = parse_policy({"calendar": {"holidays": ["2027-01-04"]}})
    calendar = work_calendar(policy)
    assert calendar.day(dt.date(2027, 1, 4)) == (False, False)
    assert calendar.day(dt.date(2027, 1, 5)) == (True, True)
    assert recompute_provisional(policy, TZ, now=NOW) == 1
    settle = deadline(late_december)
    # Tue 29, Wed 30, Thu 31, Fri 1 (guessed), Tue 5 (Mon 4 off by the policy) → Wed 6.
    assert settle.due_at == local(2027, 1, 6) and settle.is_provisional


def test_an_admins_entry_wins_over_the_policy_file(world):
    policy = parse_policy({"calendar": {"holidays": ["2027-02-06"], "workdays": ["2027-02-08"]}})
    enter(
        world.admin, holidays=[dt.date(2027, 2, 8)], workdays=[dt.date(2027, 2, 6)], policy=policy
    )
    calendar = work_calendar(policy)
    assert calendar.day(dt.date(2027, 2, 6)) == (True, False)
    assert calendar.day(dt.date(2027, 2, 8)) == (False, False)


def test_a_case_escalated_into_an_unknown_year_is_recomputed_at_its_new_level(world, late_december):
    perform(
        world.mediator,
        late_december,
        Action.escalate,
        {"note": "上报"},
        version=None,
        ctx=Context.build(local(2026, 12, 30, 10, 0), Policy(), TZ),
    )
    db.session.commit()
    township = db.session.scalar(
        select(Deadline).where(
            Deadline.case_id == late_december.id,
            Deadline.clock == Clock.settle,
            Deadline.level == Level.township,
        )
    )
    assert township.is_provisional
    enter(world.admin, holidays=[dt.date(2027, 1, 1)])
    db.session.refresh(township)
    # Thu 31, then Mon 4 … Thu 14 January (nine more; 1 January off) → Fri 15 00:00.
    assert township.due_at == local(2027, 1, 15) and not township.is_provisional
