"""Properties of the working-day arithmetic, on the real bundled calendar (2025-2026) and on
synthetic calendars with random holidays and make-up working days.

(a) a working-day deadline is 24:00 local of a working day, with exactly N working days
    counted after the start's local date;
(b) pausing for k working days moves a deadline by exactly k working days;
(c) nothing depends on the server's own time zone.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediation.domain.calendar import (
    DAY_SECONDS,
    WorkCalendar,
    add_working_days,
    after_working_seconds,
    anchor_after,
    bundled_years,
    working_days_left,
    working_seconds_between,
)
from mediation.domain.clocks import schedule

TZ = ZoneInfo("Asia/Shanghai")
REAL = WorkCalendar()
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

real_instants = st.datetimes(
    min_value=dt.datetime(2025, 1, 1),
    max_value=dt.datetime(2026, 11, 30),
    timezones=st.just(TZ),
).map(lambda t: t.replace(microsecond=0))
spans = st.integers(min_value=1, max_value=20)

SYNTHETIC_START = dt.date(2031, 1, 1)
synthetic_days = st.integers(0, 500).map(lambda i: SYNTHETIC_START + dt.timedelta(days=i))


@st.composite
def synthetic_calendars(draw) -> WorkCalendar:
    """A calendar of years nobody knows (Monday-Friday guesses) or of plain weekdays, with
    random days off and make-up working days on top."""
    weekdays_known = draw(st.booleans())
    return WorkCalendar(
        holidays=draw(st.sets(synthetic_days, max_size=80)),
        workdays=draw(st.sets(synthetic_days, max_size=25)),
        entered_years=draw(st.sets(st.sampled_from([2031, 2032]), max_size=2)),
        bundled=(lambda day: day.weekday() < 5) if weekdays_known else (lambda day: None),
    )


synthetic_instants = st.datetimes(
    min_value=dt.datetime(2031, 1, 1),
    max_value=dt.datetime(2032, 1, 31),
    timezones=st.just(TZ),
).map(lambda t: t.replace(microsecond=0))

cases = st.one_of(
    st.tuples(st.just(REAL), real_instants),
    st.tuples(synthetic_calendars(), synthetic_instants),
)


def local_days(first: dt.date, last: dt.date):
    """The dates from ``first`` to ``last``, both included."""
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


# -- (a) a working-day deadline never ends on a day off -----------------------------------------


@PROPERTY
@given(case=cases, days=spans)
def test_a_deadline_is_midnight_after_the_nth_working_day(case, days):
    calendar, start = case
    result = add_working_days(start, days, calendar, TZ)
    local = result.at.astimezone(TZ)
    assert result.at.utcoffset() == dt.timedelta(0)  # stored in UTC
    assert local.time() == dt.time(0, 0)  # 24:00 of the day before
    last_day = local.date() - dt.timedelta(days=1)
    assert calendar.is_workday(last_day)
    counted = list(local_days(day_of(start) + dt.timedelta(days=1), last_day))
    assert sum(calendar.is_workday(day) for day in counted) == days
    assert result.is_provisional == any(calendar.is_provisional(day) for day in counted)


def day_of(instant: dt.datetime) -> dt.date:
    """The rule, written out: the local date, and exactly 00:00 is 24:00 of the day before."""
    local = instant.astimezone(TZ)
    return local.date() - dt.timedelta(days=local.time() == dt.time(0, 0))


@PROPERTY
@given(case=cases, days=spans)
def test_the_time_of_day_of_the_start_does_not_matter(case, days):
    """Any instant of a local day counts alike, from 00:00:01 to 24:00 (the next 00:00)."""
    calendar, start = case
    local = start.astimezone(TZ)
    day = day_of(start)
    first_second = dt.datetime.combine(day, dt.time(0, 0, 1), tzinfo=TZ)
    last_second = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=TZ)
    midnight_ending_it = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=TZ)
    expected = add_working_days(start, days, calendar, TZ)
    for instant in (first_second, last_second, midnight_ending_it):
        assert add_working_days(instant, days, calendar, TZ) == expected, (local, instant)


@PROPERTY
@given(case=cases, days=spans)
def test_one_more_working_day_ends_on_the_next_working_day(case, days):
    calendar, start = case
    this = add_working_days(start, days, calendar, TZ).at.astimezone(TZ).date()
    following = add_working_days(start, days + 1, calendar, TZ).at.astimezone(TZ).date()
    between = list(local_days(this, following - dt.timedelta(days=2)))
    assert following > this and not any(calendar.is_workday(day) for day in between)


@PROPERTY
@given(case=cases, seconds=st.integers(0, 30 * DAY_SECONDS))
def test_working_seconds_between_undoes_after_working_seconds(case, seconds):
    calendar, start = case
    end = after_working_seconds(start, seconds, calendar, TZ).at
    assert working_seconds_between(start, end, calendar, TZ)[0] == seconds
    assert working_seconds_between(end, start, calendar, TZ) == (0, False)
    left = working_days_left(start, end, calendar, TZ)
    assert left == seconds / DAY_SECONDS
    assert working_days_left(end, start, calendar, TZ) == -left


# -- (b) a pause of k working days moves each deadline by k working days ------------------------


@PROPERTY
@given(case=cases, days=spans, k=st.integers(0, 15))
def test_a_shift_of_k_working_days_is_k_more_working_days(case, days, k):
    calendar, start = case
    result = schedule(
        started_at=start,
        days=days,
        is_working_days=True,
        shift_seconds=k * DAY_SECONDS,
        warn_ratio=0.8,
        calendar=calendar,
        tz=TZ,
    )
    assert result.due == add_working_days(start, days + k, calendar, TZ)


@PROPERTY
@given(case=cases, days=spans, k=st.integers(1, 15), where=st.floats(0, 1, exclude_max=True))
def test_pausing_at_midnight_for_k_working_days(case, days, k, where):
    """A clock paused at a local midnight p while it runs and resumed k working days later:
    the deadline is k working days later, and the working days left are as many as before."""
    calendar, start = case
    anchor = anchor_after(start, TZ)
    due = add_working_days(start, days, calendar, TZ).at
    span_days = (due.astimezone(TZ).date() - anchor.astimezone(TZ).date()).days
    paused_at = anchor + dt.timedelta(days=int(where * span_days))  # a local midnight before due
    assert paused_at.astimezone(TZ).time() == dt.time(0, 0) and paused_at < due

    resumed_at = after_working_seconds(paused_at, k * DAY_SECONDS, calendar, TZ).at
    paused_seconds, _ = working_seconds_between(paused_at, resumed_at, calendar, TZ)
    assert paused_seconds == k * DAY_SECONDS
    moved = schedule(
        started_at=start,
        days=days,
        is_working_days=True,
        shift_seconds=paused_seconds,
        warn_ratio=0.8,
        calendar=calendar,
        tz=TZ,
    )
    assert moved.due == add_working_days(start, days + k, calendar, TZ)

    used, _ = working_seconds_between(anchor, paused_at, calendar, TZ)
    assert used % DAY_SECONDS == 0 and used < days * DAY_SECONDS
    rest = after_working_seconds(resumed_at, days * DAY_SECONDS - used, calendar, TZ)
    assert rest.at == moved.due.at
    assert working_days_left(resumed_at, moved.due.at, calendar, TZ) == (
        working_days_left(paused_at, due, calendar, TZ)
    )


@PROPERTY
@given(case=cases, days=spans, k=st.integers(0, 10))
def test_the_warning_moves_with_the_deadline(case, days, k):
    calendar, start = case
    plain = schedule(
        started_at=start,
        days=days,
        is_working_days=True,
        shift_seconds=0,
        warn_ratio=0.8,
        calendar=calendar,
        tz=TZ,
    )
    moved = schedule(
        started_at=start,
        days=days,
        is_working_days=True,
        shift_seconds=k * DAY_SECONDS,
        warn_ratio=0.8,
        calendar=calendar,
        tz=TZ,
    )
    assert plain.warn.at <= plain.due.at and moved.warn.at <= moved.due.at
    assert working_seconds_between(plain.warn.at, moved.warn.at, calendar, TZ)[0] == k * DAY_SECONDS
    anchor = anchor_after(start, TZ)
    assert working_seconds_between(anchor, plain.warn.at, calendar, TZ)[0] == pytest.approx(
        0.8 * days * DAY_SECONDS, abs=1
    )


# -- (c) the server's time zone changes nothing ------------------------------------------------


def _computations() -> list:
    """A fixed batch of computations on the real and on a synthetic calendar."""
    rng = random.Random(20261001)
    synthetic = WorkCalendar(
        holidays={SYNTHETIC_START + dt.timedelta(days=rng.randint(0, 400)) for _ in range(40)},
        workdays={SYNTHETIC_START + dt.timedelta(days=rng.randint(0, 400)) for _ in range(10)},
        bundled=lambda day: None,
    )
    results = []
    for calendar, year in ((WorkCalendar(), 2025), (WorkCalendar(), 2026), (synthetic, 2031)):
        for _ in range(60):
            start = dt.datetime(year, 1, 1, tzinfo=TZ) + dt.timedelta(
                seconds=rng.randint(0, 330 * DAY_SECONDS)
            )
            days = rng.randint(1, 15)
            due = add_working_days(start, days, calendar, TZ)
            results.append(
                (
                    due,
                    schedule(
                        started_at=start,
                        days=days,
                        is_working_days=True,
                        shift_seconds=rng.randint(0, 5 * DAY_SECONDS),
                        warn_ratio=0.8,
                        calendar=calendar,
                        tz=TZ,
                    ),
                    schedule(
                        started_at=start,
                        days=30,
                        is_working_days=False,
                        shift_seconds=3600,
                        warn_ratio=0.8,
                        calendar=calendar,
                        tz=TZ,
                    ),
                    working_seconds_between(start, due.at, calendar, TZ),
                    anchor_after(start, TZ),
                )
            )
    return results


@pytest.fixture
def server_zone():
    """Set the process's time zone (TZ + tzset), and put it back afterwards."""
    saved = os.environ.get("TZ")

    def set_zone(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield set_zone
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset is POSIX only")
def test_results_do_not_depend_on_the_servers_time_zone(server_zone):
    outcomes = {}
    for name in ("America/New_York", "UTC", "Asia/Shanghai"):
        server_zone(name)
        assert dt.datetime(2026, 7, 1).astimezone().tzname() in {"EDT", "UTC", "CST"}
        outcomes[name] = _computations()
    assert outcomes["America/New_York"] == outcomes["UTC"] == outcomes["Asia/Shanghai"]


@pytest.mark.parametrize(
    "call",
    [
        lambda t: anchor_after(t, TZ),
        lambda t: add_working_days(t, 1, REAL, TZ),
        lambda t: after_working_seconds(t, 60, REAL, TZ),
        lambda t: working_seconds_between(t, t + dt.timedelta(days=1), REAL, TZ),
    ],
    ids=["anchor", "add", "after", "between"],
)
def test_a_naive_instant_is_refused(call):
    """A naive time would be read in the server's zone: refused rather than guessed."""
    with pytest.raises(ValueError, match="naive"):
        call(dt.datetime(2026, 11, 2, 9, 0))


# -- the calendar itself ------------------------------------------------------------------------


def test_the_bundled_calendar_knows_2004_to_2026():
    assert bundled_years(2000, 2030) == list(range(2004, 2027))


def test_a_policy_day_does_not_make_its_year_known():
    calendar = WorkCalendar(holidays={dt.date(2027, 5, 6)}, bundled=lambda day: None)
    assert calendar.day(dt.date(2027, 5, 6)) == (False, False)
    assert calendar.day(dt.date(2027, 5, 7)) == (True, True)  # a Friday: still a guess
    entered = WorkCalendar(entered_years=[2027], bundled=lambda day: None)
    assert entered.day(dt.date(2027, 5, 7)) == (True, False)


def test_entries_override_the_bundled_calendar_and_a_workday_wins():
    day = dt.date(2026, 10, 5)  # National Day
    assert REAL.day(day) == (False, False)
    assert WorkCalendar(workdays={day}).day(day) == (True, False)
    assert WorkCalendar(workdays={day}, holidays={day}).day(day) == (True, False)
    assert WorkCalendar(holidays={dt.date(2026, 11, 2)}).is_workday(dt.date(2026, 11, 2)) is False


def test_a_guessed_day_off_makes_the_result_provisional():
    """Mon-Fri of 2027 are known here (policy make-up days), the weekend between is a guess:
    if 2027 later makes that Saturday a working day, the deadline moves."""
    calendar = WorkCalendar(
        workdays={dt.date(2027, 1, 8), dt.date(2027, 1, 11)}, bundled=lambda day: None
    )
    start = dt.datetime(2027, 1, 7, 10, tzinfo=TZ)  # Thursday
    result = add_working_days(start, 2, calendar, TZ)
    assert result.at == dt.datetime(2027, 1, 12, tzinfo=TZ) and result.is_provisional


def test_a_calendar_without_working_days_fails_clearly():
    never = WorkCalendar(bundled=lambda day: False)
    with pytest.raises(ValueError, match="too few working days"):
        add_working_days(dt.datetime(2026, 1, 1, tzinfo=TZ), 1, never, TZ)
