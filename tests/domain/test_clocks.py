"""Which clocks a case starts with and where their deadlines and warnings fall."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from mediation.domain.calendar import WorkCalendar, add_working_days
from mediation.domain.clocks import (
    JUDICIAL_CONFIRMATION_DAYS,
    ClockSpec,
    arrival_clocks,
    follow_up_clock,
    intake_clocks,
    judicial_clock,
    major_report_clock,
    schedule,
)
from mediation.domain.enums import Clock, Level, Scale
from mediation.domain.policy import ClockPolicy, parse_policy

TZ = ZoneInfo("Asia/Shanghai")
SETTLE = {Level.village: 5, Level.township: 10, Level.county: 15}
WEEKDAYS = WorkCalendar(bundled=lambda day: day.weekday() < 5)


@pytest.mark.parametrize("level", list(Level), ids=lambda lv: lv.value)
@pytest.mark.parametrize("scale", list(Scale), ids=lambda s: s.value)
def test_intake_clocks_for_each_scale_and_level(scale, level):
    specs = intake_clocks(scale, level, ClockPolicy())
    expected = [
        ClockSpec(Clock.accept, level, 1, True),
        ClockSpec(Clock.settle, level, SETTLE[level], True),
        ClockSpec(Clock.statutory, level, 30, False),
    ]
    if scale is Scale.major and level is not Level.county:
        expected.append(ClockSpec(Clock.major_report, level, 1, True))
    assert specs == expected


def test_major_report_only_for_a_major_case_below_the_county():
    with_report = {
        (scale, level)
        for scale in Scale
        for level in Level
        if any(
            spec.clock is Clock.major_report for spec in intake_clocks(scale, level, ClockPolicy())
        )
    }
    assert with_report == {(Scale.major, Level.village), (Scale.major, Level.township)}


@pytest.mark.parametrize("level", list(Level), ids=lambda lv: lv.value)
def test_arrival_clocks_are_accept_and_the_levels_settle(level):
    assert arrival_clocks(level, ClockPolicy()) == [
        ClockSpec(Clock.accept, level, 1, True),
        ClockSpec(Clock.settle, level, SETTLE[level], True),
    ]


def test_the_policy_sets_the_spans():
    policy = parse_policy(
        {
            "clocks": {
                "accept_working_days": 2,
                "settle_working_days": {"township": 12},
                "statutory_calendar_days": 45,
                "major_report_working_days": 3,
                "follow_up_calendar_days": 20,
            }
        }
    ).clocks
    assert intake_clocks(Scale.major, Level.township, policy) == [
        ClockSpec(Clock.accept, Level.township, 2, True),
        ClockSpec(Clock.settle, Level.township, 12, True),
        ClockSpec(Clock.statutory, Level.township, 45, False),
        ClockSpec(Clock.major_report, Level.township, 3, True),
    ]
    assert arrival_clocks(Level.village, policy)[1].days == 5  # the default kept
    assert major_report_clock(Level.village, policy) == ClockSpec(
        Clock.major_report, Level.village, 3, True
    )
    assert follow_up_clock(Level.county, policy) == ClockSpec(
        Clock.follow_up, Level.county, 20, False
    )


def test_follow_up_and_judicial_confirmation_are_calendar_days():
    assert follow_up_clock(Level.village, ClockPolicy()) == ClockSpec(
        Clock.follow_up, Level.village, 15, False
    )
    assert judicial_clock(Level.township) == ClockSpec(
        Clock.judicial_confirmation, Level.township, JUDICIAL_CONFIRMATION_DAYS, False
    )
    assert JUDICIAL_CONFIRMATION_DAYS == 30


def run(started_at, days, working, shift=0, ratio=0.8, calendar=WEEKDAYS):
    return schedule(
        started_at=started_at,
        days=days,
        is_working_days=working,
        shift_seconds=shift,
        warn_ratio=ratio,
        calendar=calendar,
        tz=TZ,
    )


def test_a_calendar_day_clock_is_n_times_24_hours():
    start = dt.datetime(2026, 11, 2, 9, 30, tzinfo=TZ)
    result = run(start, 30, False)
    assert result.due.at == start + dt.timedelta(days=30)
    assert result.warn.at == start + dt.timedelta(days=24)
    assert not result.is_provisional
    shifted = run(start, 30, False, shift=3600)
    assert shifted.due.at == start + dt.timedelta(days=30, hours=1)


def test_a_working_day_clock_ends_at_midnight_and_warns_at_80_percent():
    start = dt.datetime(2026, 11, 2, 9, 30, tzinfo=TZ)  # a Monday
    result = run(start, 5, True)
    # Tue 3, Wed 4, Thu 5, Fri 6, Mon 9: due Tue 10 00:00; warned after four, Fri 6 24:00.
    assert result.due.at == dt.datetime(2026, 11, 10, tzinfo=TZ)
    assert result.warn.at == dt.datetime(2026, 11, 7, tzinfo=TZ)
    assert result.due == add_working_days(start, 5, WEEKDAYS, TZ)


def test_a_warning_inside_a_day():
    start = dt.datetime(2026, 11, 2, 9, 30, tzinfo=TZ)  # Monday
    result = run(start, 1, True)  # Tuesday is the day; 80 % of it is 19:12
    assert result.due.at == dt.datetime(2026, 11, 4, tzinfo=TZ)
    assert result.warn.at == dt.datetime(2026, 11, 3, 19, 12, tzinfo=TZ)


def test_a_provisional_year_marks_the_schedule():
    unknown = WorkCalendar(bundled=lambda day: None)
    result = run(dt.datetime(2030, 3, 1, 10, tzinfo=TZ), 3, True, calendar=unknown)
    assert result.is_provisional and result.due.is_provisional
    entered = WorkCalendar(bundled=lambda day: None, entered_years=[2030])
    assert not run(dt.datetime(2030, 3, 1, 10, tzinfo=TZ), 3, True, calendar=entered).is_provisional
