"""The Chinese working calendar and the arithmetic of deadlines (working days, Asia/Shanghai).

Rules (DOMAIN.md "Clocks"):
- A day is a working day by, in order: the policy's and the admin's make-up working days and
  holidays, the bundled calendar (chinese-calendar) for the years it knows, and otherwise
  Monday to Friday. A day of a year that neither the bundled calendar nor anyone has entered is
  *provisional*: a deadline that depends on one is marked so, and recomputed later.
- "N working days after instant t" ends at 24:00 local time of the Nth working day after t's
  local date. Working time is measured in seconds of working days, so a clock can be paused,
  warned at 80 % of its span, and shifted by the working time it was paused.
- "N calendar days after t" is t + N × 24 h.
Every function takes the calendar and the time zone as arguments and never reads the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

DAY_SECONDS = 86_400
UTC = dt.timezone.utc


def bundled_workday(day: dt.date) -> bool | None:
    """chinese-calendar's answer, or None for a year it does not know."""
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


class WorkCalendar:
    """Which local dates are working days.

    ``holidays`` and ``workdays`` override everything (policy file and admin entries);
    ``entered_years`` are years an admin has declared complete; ``bundled`` answers for the
    years it knows and None otherwise.
    """

    def __init__(
        self,
        *,
        holidays: Iterable[dt.date] = (),
        workdays: Iterable[dt.date] = (),
        entered_years: Iterable[int] = (),
        bundled: Callable[[dt.date], bool | None] = bundled_workday,
    ):
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.entered_years = frozenset(entered_years) | {
            day.year for day in self.holidays | self.workdays
        }
        self._bundled = bundled
        self._cache: dict[dt.date, tuple[bool, bool]] = {}

    def day(self, day: dt.date) -> tuple[bool, bool]:
        """(is it a working day, is that answer provisional)."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        if day in self.workdays:
            answer = (True, False)
        elif day in self.holidays:
            answer = (False, False)
        else:
            bundled = self._bundled(day)
            if bundled is not None:
                answer = (bundled, False)
            else:
                answer = (day.weekday() < 5, day.year not in self.entered_years)
        self._cache[day] = answer
        return answer

    def is_workday(self, day: dt.date) -> bool:
        return self.day(day)[0]

    def is_provisional(self, day: dt.date) -> bool:
        return self.day(day)[1]


@dataclass(frozen=True)
class Instant:
    """A computed moment and whether it rests on a provisional (Monday-Friday) guess."""

    at: dt.datetime  # aware, UTC
    provisional: bool = False


def _local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)


def anchor_after(t: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The start of the local day after ``t``'s: where "N working days after t" starts counting."""
    return _local_midnight(t.astimezone(tz).date() + dt.timedelta(days=1), tz)


def working_seconds_between(
    start: dt.datetime, end: dt.datetime, calendar: WorkCalendar, tz: ZoneInfo
) -> tuple[int, bool]:
    """Seconds of working days between two instants (0 if end ≤ start), and provisional."""
    if end <= start:
        return 0, False
    total, provisional = 0, False
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        is_work, guessed = calendar.day(day)
        if is_work:
            provisional |= guessed
            day_start = _local_midnight(day, tz)
            day_end = _local_midnight(day + dt.timedelta(days=1), tz)
            lo, hi = max(start, day_start), min(end, day_end)
            if hi > lo:
                total += int((hi - lo).total_seconds())
        day += dt.timedelta(days=1)
    return total, provisional


def after_working_seconds(
    start: dt.datetime, seconds: float, calendar: WorkCalendar, tz: ZoneInfo
) -> Instant:
    """The earliest instant by which ``seconds`` of working time have passed since ``start``.

    Ending exactly at a day's end gives 24:00 of that working day, never the next one.
    """
    remaining = float(seconds)
    provisional = False
    day = start.astimezone(tz).date()
    while True:
        is_work, guessed = calendar.day(day)
        day_end = _local_midnight(day + dt.timedelta(days=1), tz)
        if is_work:
            provisional |= guessed
            lo = max(start, _local_midnight(day, tz))
            available = (day_end - lo).total_seconds()
            if remaining <= available:
                return Instant(lo + dt.timedelta(seconds=remaining), provisional)
            remaining -= available
        day += dt.timedelta(days=1)


def add_working_days(t: dt.datetime, days: int, calendar: WorkCalendar, tz: ZoneInfo) -> Instant:
    """24:00 local of the ``days``-th working day after ``t``'s local date."""
    return after_working_seconds(anchor_after(t, tz), days * DAY_SECONDS, calendar, tz)


def add_calendar_days(t: dt.datetime, days: int) -> Instant:
    return Instant(t + dt.timedelta(days=days))


def working_days_left(
    now: dt.datetime, due: dt.datetime, calendar: WorkCalendar, tz: ZoneInfo
) -> float:
    """Working days from ``now`` to ``due``: negative once overdue (by the working time past)."""
    if due >= now:
        return working_seconds_between(now, due, calendar, tz)[0] / DAY_SECONDS
    return -working_seconds_between(due, now, calendar, tz)[0] / DAY_SECONDS
