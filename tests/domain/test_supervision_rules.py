"""The supervision ladder's rules (mediation.domain.supervision) as plain Python: who may
supervise, when each step falls due, how it is dated, and that stepping again changes nothing."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from mediation.domain.calendar import WorkCalendar
from mediation.domain.enums import Level, Role
from mediation.domain.supervision import (
    Ladder,
    Stage,
    due_schedule,
    is_overdue,
    may_supervise,
    next_check,
    stage,
    step,
)

from ..factories import TZ

ISSUED = dt.datetime(2026, 11, 6, 10, 0, tzinfo=TZ)  # a Friday


def test_only_an_officer_above_the_level_holding_the_case():
    allowed = {
        (Role.township_officer, Level.township, Level.village),
        (Role.county_officer, Level.county, Level.village),
        (Role.county_officer, Level.county, Level.township),
    }
    for role in Role:
        for unit in Level:
            for case in Level:
                assert (may_supervise(role, unit, case) is None) == ((role, unit, case) in allowed)


def test_due_and_reminder_are_counted_in_working_days():
    schedule = due_schedule(ISSUED, 5, warn_ratio=0.8, calendar=WorkCalendar(), tz=TZ)
    # Friday's end, then Mon–Fri of the next week: due at 24:00 on Friday 13 November
    assert schedule.due.at == dt.datetime(2026, 11, 14, 0, 0, tzinfo=TZ)
    # 80 % of five working days: 24:00 on Thursday 12 November
    assert schedule.warn.at == dt.datetime(2026, 11, 13, 0, 0, tzinfo=TZ)


def _ladder(replied_at=None) -> Ladder:
    schedule = due_schedule(ISSUED, 5, warn_ratio=0.8, calendar=WorkCalendar(), tz=TZ)
    return Ladder(schedule.warn.at, schedule.due.at, replied_at)


def test_each_step_is_dated_at_its_own_instant():
    ladder = _ladder()
    assert step(ladder, ladder.remind_at - dt.timedelta(seconds=1)) == (False, False)
    assert stage(ladder) is Stage.issued and next_check(ladder) == ladder.remind_at
    late = ladder.due_at + dt.timedelta(days=9)
    assert step(ladder, late) == (True, True)
    assert (ladder.reminded_at, ladder.circulated_at) == (ladder.remind_at, ladder.due_at)
    assert stage(ladder) is Stage.circulated and next_check(ladder) is None
    assert step(ladder, late) == (False, False) and is_overdue(ladder, late)


def test_a_reply_before_an_instant_stops_the_ladder_there():
    early = _ladder()
    early.replied_at = early.remind_at - dt.timedelta(minutes=1)
    assert next_check(early) is None
    assert step(early, early.due_at + dt.timedelta(days=1)) == (False, False)
    between = _ladder()
    between.replied_at = between.remind_at + dt.timedelta(hours=1)
    assert next_check(between) == between.remind_at
    assert step(between, between.due_at) == (True, False) and stage(between) is Stage.reminded
    at_due = _ladder()
    at_due.replied_at = at_due.due_at  # at the instant is not before it
    assert step(at_due, at_due.due_at) == (True, True)


@given(
    st.lists(st.integers(min_value=0, max_value=20 * 86400), min_size=1, max_size=6),
    st.one_of(st.none(), st.integers(min_value=0, max_value=20 * 86400)),
)
def test_sweeps_in_any_order_of_later_instants_record_the_same(offsets, reply):
    start = ISSUED
    replied = start + dt.timedelta(seconds=reply) if reply is not None else None
    walked = _ladder(replied)
    for offset in sorted(offsets):
        step(walked, start + dt.timedelta(seconds=offset))
    once = _ladder(replied)
    step(once, start + dt.timedelta(seconds=max(offsets)))
    assert (walked.reminded_at, walked.circulated_at) == (once.reminded_at, once.circulated_at)
    assert once.reminded_at in (None, once.remind_at)
    assert once.circulated_at in (None, once.due_at)
