"""When a notice may leave by a channel other than the inbox (quiet hours and the working
calendar), the backoff after a failed attempt, urgency and contact details."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediation.domain.calendar import WorkCalendar
from mediation.domain.enums import CaseNews, Risk, Scale
from mediation.domain.reach import (
    QuietHours,
    check_contact,
    digest_at,
    is_urgent,
    parse_quiet_hours,
    retry_at,
    send_after,
)

TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
DEFAULT = parse_quiet_hours("20:00-08:00")
CALENDAR = WorkCalendar(holidays=set(), workdays=set(), entered_years=[])


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def weekdays(day: dt.date) -> bool:
    return day.weekday() < 5


@pytest.mark.parametrize(
    "created, expected",
    [
        (local(2026, 12, 7, 10, 0), local(2026, 12, 7, 10, 0)),  # Monday morning: at once
        (local(2026, 12, 7, 19, 59), local(2026, 12, 7, 19, 59)),
        (local(2026, 12, 7, 20, 0), local(2026, 12, 8, 8, 0)),  # quiet from 20:00
        (local(2026, 12, 8, 3, 0), local(2026, 12, 8, 8, 0)),  # before dawn: same morning
        (local(2026, 12, 4, 21, 0), local(2026, 12, 7, 8, 0)),  # Friday night: Monday
        (local(2026, 12, 5, 11, 0), local(2026, 12, 7, 8, 0)),  # Saturday noon: Monday
        (local(2026, 12, 7, 8, 0), local(2026, 12, 7, 8, 0)),  # 08:00 itself is not quiet
    ],
)
def test_send_after_examples(created, expected):
    result = send_after(created, is_urgent=False, quiet=DEFAULT, is_workday=weekdays, tz=TZ)
    assert result == expected and result.tzinfo is UTC


def test_a_holiday_waits_for_the_next_working_day_of_the_chinese_calendar():
    """国庆 2026: 1-7 October off, the 8th a working day."""
    created = local(2026, 10, 1, 10, 0)
    result = send_after(
        created, is_urgent=False, quiet=DEFAULT, is_workday=CALENDAR.is_workday, tz=TZ
    )
    assert result == local(2026, 10, 8, 8, 0)
    # A make-up working Saturday (10 October 2026) counts as a working day.
    saturday = local(2026, 10, 10, 9, 0)
    assert (
        send_after(saturday, is_urgent=False, quiet=DEFAULT, is_workday=CALENDAR.is_workday, tz=TZ)
        == saturday
    )


@pytest.mark.parametrize(
    "created, expected",
    [
        (local(2026, 12, 7, 10, 0), local(2026, 12, 8, 8, 0)),  # Monday: Tuesday's digest
        (local(2026, 12, 7, 7, 0), local(2026, 12, 7, 8, 0)),  # before the morning: that one
        (local(2026, 12, 7, 8, 0), local(2026, 12, 8, 8, 0)),  # the morning itself: the next
        (local(2026, 12, 4, 15, 0), local(2026, 12, 7, 8, 0)),  # Friday: Monday's
        (local(2026, 12, 5, 23, 0), local(2026, 12, 7, 8, 0)),  # Saturday night: Monday's
    ],
)
def test_digest_at_the_next_working_morning(created, expected):
    result = digest_at(created, quiet=DEFAULT, is_workday=weekdays, tz=TZ)
    assert result == expected and result.tzinfo is UTC


def test_digest_morning_follows_the_quiet_hours_and_the_holidays():
    late = parse_quiet_hours("21:00-09:30")
    assert digest_at(
        local(2026, 9, 30, 12, 0), quiet=late, is_workday=CALENDAR.is_workday, tz=TZ
    ) == (
        local(2026, 10, 8, 9, 30)  # past 国庆's week off
    )
    assert digest_at(local(2026, 12, 7, 12, 0), quiet=None, is_workday=weekdays, tz=TZ) == (
        local(2026, 12, 8, 8, 0)  # no quiet hours: 08:00
    )
    with pytest.raises(ValueError):
        digest_at(dt.datetime(2026, 12, 7, 12, 0), quiet=None, is_workday=weekdays, tz=TZ)


def test_urgent_and_no_quiet_hours_go_at_once():
    night = local(2026, 12, 5, 23, 0)
    assert send_after(night, is_urgent=True, quiet=DEFAULT, is_workday=weekdays, tz=TZ) == night
    assert send_after(night, is_urgent=False, quiet=None, is_workday=weekdays, tz=TZ) == night


def test_quiet_hours_within_a_day():
    lunch = parse_quiet_hours("12:00-13:30")
    assert send_after(
        local(2026, 12, 7, 12, 10), is_urgent=False, quiet=lunch, is_workday=weekdays, tz=TZ
    ) == local(2026, 12, 7, 13, 30)
    # Friday 12:10 goes Friday 13:30; Saturday goes Monday 00:00 (not quiet then).
    assert send_after(
        local(2026, 12, 5, 9, 0), is_urgent=False, quiet=lunch, is_workday=weekdays, tz=TZ
    ) == local(2026, 12, 7, 0, 0)


def _allowed(t: dt.datetime, quiet: QuietHours, is_workday) -> bool:
    here = t.astimezone(TZ)
    return is_workday(here.date()) and not quiet.is_quiet(here.time())


quiet_hours = st.builds(
    lambda h1, m1, h2, m2: QuietHours(dt.time(h1, m1), dt.time(h2, m2)),
    st.integers(0, 23),
    st.sampled_from([0, 15, 30, 45]),
    st.integers(0, 23),
    st.sampled_from([0, 15, 30, 45]),
).filter(lambda q: q.start != q.end)
instants = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31)).map(
    lambda t: t.replace(tzinfo=TZ)
)
off_days = st.frozensets(st.integers(0, 6), max_size=6)


@settings(max_examples=300, deadline=None)
@given(instants, quiet_hours, off_days)
def test_send_after_is_the_first_allowed_instant(created, quiet, off):
    def is_workday(day: dt.date) -> bool:
        return day.weekday() not in off

    result = send_after(created, is_urgent=False, quiet=quiet, is_workday=is_workday, tz=TZ)
    assert result >= created
    assert _allowed(result, quiet, is_workday)
    if result > created:
        # It opens a window: at the quiet hours' end or a working day's midnight, and the
        # moment before is not allowed.
        assert result.astimezone(TZ).time() in (quiet.end, dt.time(0))
        assert not _allowed(result - dt.timedelta(microseconds=1), quiet, is_workday)
        # Nothing allowed in between: probe every quarter-hour boundary between them.
        probe = created.astimezone(TZ).replace(second=0, microsecond=0) + dt.timedelta(
            minutes=15 - created.astimezone(TZ).minute % 15
        )
        while probe < result:
            assert not _allowed(probe, quiet, is_workday), probe
            probe += dt.timedelta(minutes=15)


@settings(max_examples=100, deadline=None)
@given(instants, quiet_hours, off_days)
def test_urgent_is_never_held(created, quiet, off):
    assert (
        send_after(
            created,
            is_urgent=True,
            quiet=quiet,
            is_workday=lambda day: day.weekday() not in off,
            tz=TZ,
        )
        == created
    )


def test_naive_instant_refused():
    with pytest.raises(ValueError):
        send_after(
            dt.datetime(2026, 12, 7, 10), is_urgent=False, quiet=DEFAULT, is_workday=weekdays, tz=TZ
        )


@pytest.mark.parametrize("text", ["8-20", "25:00-08:00", "20:00-20:00", "20:60-08:00", "x"])
def test_bad_quiet_hours(text):
    with pytest.raises(ValueError):
        parse_quiet_hours(text)


def test_empty_quiet_hours_mean_none():
    assert parse_quiet_hours("") is None and parse_quiet_hours("  ") is None
    assert parse_quiet_hours("none") is None and parse_quiet_hours("None") is None


@given(st.integers(1, 60))
def test_backoff_doubles_up_to_six_hours(attempts):
    failed = dt.datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    wait = retry_at(failed, attempts) - failed
    assert wait == dt.timedelta(seconds=min(6 * 3600, 60 * 2 ** (attempts - 1)))
    if attempts > 1:
        assert wait >= retry_at(failed, attempts - 1) - failed


def test_urgency():
    assert is_urgent(CaseNews.major_case_registered.value, Scale.major, [])
    assert is_urgent(CaseNews.major_case_reported.value, None, [])
    assert is_urgent("settle_warning", Scale.major, [])
    assert is_urgent(CaseNews.big_case_registered.value, Scale.big, [Risk.violence])
    assert is_urgent("settle_warning", Scale.small, [Risk.group_incident])
    assert not is_urgent(CaseNews.big_case_registered.value, Scale.big, [Risk.petition])
    assert not is_urgent("screening_missing", None, [])


def test_contact_checks_name_the_field():
    assert check_contact("", "") == {}
    assert check_contact("li@example.cn", "+86 138-0013-8000") == {}
    assert set(check_contact("not-an-address", "")) == {"email"}
    assert set(check_contact("", "call me")) == {"phone"}
