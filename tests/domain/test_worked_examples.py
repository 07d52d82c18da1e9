"""Deadlines worked out by hand on the real Chinese calendar (Asia/Shanghai).

2026 National Day: Thu 1 – Wed 7 October are days off, Thu 8 is the first working day, and
Saturday 10 October is a make-up working day (调休).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from mediation.domain.calendar import WorkCalendar, add_calendar_days, add_working_days
from mediation.domain.clocks import intake_clocks, schedule
from mediation.domain.enums import Clock, Level, Scale
from mediation.domain.policy import ClockPolicy

TZ = ZoneInfo("Asia/Shanghai")
REAL = WorkCalendar()


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def clock(started_at, days, *, working=True, calendar=REAL, shift=0):
    return schedule(
        started_at=started_at,
        days=days,
        is_working_days=working,
        shift_seconds=shift,
        warn_ratio=0.8,
        calendar=calendar,
        tz=TZ,
    )


@pytest.mark.parametrize(
    "received_at",
    [
        local(2026, 9, 30, 0, 0, 1),
        local(2026, 9, 30, 9, 30),
        local(2026, 9, 30, 23, 59, 59),
        local(2026, 10, 1, 0, 0),  # 24:00 on the 30th
    ],
    ids=["first-second", "morning", "last-second", "midnight-ending-it"],
)
def test_received_on_the_eve_of_national_day_is_accepted_by_the_end_of_october_8(received_at):
    due = add_working_days(received_at, 1, REAL, TZ)
    assert due.at == dt.datetime.fromisoformat("2026-10-09T00:00:00+08:00")
    assert not due.is_provisional


@pytest.mark.parametrize(
    "received_at",
    [local(2026, 9, 30, 0, 0), local(2026, 9, 29, 16, 0, 0) + dt.timedelta(hours=8)],
    ids=["local", "from-utc"],
)
def test_received_at_midnight_before_the_eve_counts_from_the_day_before(received_at):
    """00:00 on Wednesday 30 September is 24:00 of Tuesday the 29th: the first working day
    after it is the 30th itself, so the case is due by its end (24:00 = 1 October 00:00)."""
    due = add_working_days(received_at, 1, REAL, TZ)
    assert due.at == dt.datetime.fromisoformat("2026-10-01T00:00:00+08:00")


def test_the_accept_clock_of_a_new_case_on_the_eve_of_national_day():
    received_at = local(2026, 9, 30, 15, 0)
    accept = next(
        s
        for s in intake_clocks(Scale.small, Level.village, ClockPolicy())
        if s.clock is Clock.accept
    )
    result = clock(received_at, accept.days)
    assert result.due.at == local(2026, 10, 9)
    # 80 % of one working day: 19:12 on Thursday 8 October.
    assert result.warn.at == local(2026, 10, 8, 19, 12)


def test_a_settle_clock_counts_the_make_up_saturday():
    """Village settle, 5 working days from 2026-09-30: Thu 8, Fri 9, Sat 10 (调休), Mon 12,
    Tue 13 → due Wed 14 October 00:00; warned after four, at the end of Mon 12."""
    result = clock(local(2026, 9, 30, 10, 0), 5)
    assert result.due.at == local(2026, 10, 14)
    assert result.warn.at == local(2026, 10, 13)
    # Without the make-up Saturday it would be one day later.
    no_make_up = WorkCalendar(holidays={dt.date(2026, 10, 10)})
    assert clock(local(2026, 9, 30, 10, 0), 5, calendar=no_make_up).due.at == local(2026, 10, 15)


def test_a_township_settle_clock_through_national_day():
    """10 working days from Mon 2026-09-28: Tue 29, Wed 30, Thu 8, Fri 9, Sat 10, Mon 12 …
    Thu 15 (9), Fri 16 (10) → Sat 17 October 00:00."""
    assert clock(local(2026, 9, 28, 11, 0), 10).due.at == local(2026, 10, 17)


def test_friday_afternoon_before_a_normal_weekend():
    """docs/rules.md's example: accepted Friday 16:00, 1 working day → due Tuesday 00:00."""
    assert add_working_days(local(2026, 11, 20, 16, 0), 1, REAL, TZ).at == local(2026, 11, 24)


def test_spring_festival_2026():
    """2026 Spring Festival: 15-23 February off, Sat 14 and Sat 28 February are working
    days. Received Fri 13 February: 1 working day is Sat 14 → due Sun 15 00:00; 5 working
    days: 14, 24, 25, 26, 27 → due Sat 28 00:00."""
    received_at = local(2026, 2, 13, 9, 0)
    assert add_working_days(received_at, 1, REAL, TZ).at == local(2026, 2, 15)
    assert add_working_days(received_at, 5, REAL, TZ).at == local(2026, 2, 28)


def test_the_statutory_limit_is_thirty_calendar_days():
    received_at = local(2026, 9, 30, 15, 0)
    result = clock(received_at, 30, working=False)
    assert result.due.at == local(2026, 10, 30, 15, 0) == add_calendar_days(received_at, 30).at
    assert clock(received_at, 30, working=False, shift=0).warn.at == local(2026, 10, 24, 15, 0)
    extended = clock(received_at, 60, working=False)
    assert extended.due.at == local(2026, 11, 29, 15, 0)


def test_a_deadline_reaching_into_an_unknown_year_is_provisional_then_exact():
    """Started Mon 2026-12-28, 5 working days: Tue 29, Wed 30, Thu 31, then 2027, which the
    bundled calendar does not know: Fri 1 January guessed a working day, Mon 4 → due Tue 5
    January 00:00, provisional. Once 2027 is entered with 1 January off: Tue 5 → Wed 6."""
    started_at = local(2026, 12, 28, 10, 0)
    guessed = clock(started_at, 5)
    assert guessed.due.at == local(2027, 1, 5) and guessed.is_provisional
    entered = WorkCalendar(holidays={dt.date(2027, 1, 1)}, entered_years=[2027])
    exact = clock(started_at, 5, calendar=entered)
    assert exact.due.at == local(2027, 1, 6) and not exact.is_provisional
    # A deadline wholly inside 2026 is never provisional.
    assert not clock(local(2026, 12, 21, 10, 0), 5).is_provisional
