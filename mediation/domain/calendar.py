"""The Chinese working calendar and the arithmetic of deadlines (working days, Asia/Shanghai).

Rules (docs/rules.md#clocks):
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
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from .i18n import N_, Message
from .intake import InvalidInput

DAY_SECONDS = 86_400
UTC = dt.UTC


def bundled_workday(day: dt.date) -> bool | None:
    """chinese-calendar's answer, or None for a year it does not know."""
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def bundled_years(
    first: int, last: int, bundled: Callable[[dt.date], bool | None] = bundled_workday
) -> list[int]:
    """The years from ``first`` to ``last`` the bundled calendar knows."""
    return [year for year in range(first, last + 1) if bundled(dt.date(year, 1, 2)) is not None]


class WorkCalendar:
    """Which local dates are working days.

    ``holidays`` and ``workdays`` override everything (policy file and admin entries; a day in
    both is a working day); ``entered_years`` are years an admin has declared complete;
    ``bundled`` answers for the years it knows and None otherwise. A few extra days of a year
    nobody has entered (a local holiday in the policy file) do not make that year known: its
    other days stay provisional.
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
        self.entered_years = frozenset(entered_years)
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
    is_provisional: bool = False


def _aware(t: dt.datetime) -> dt.datetime:
    """Refuse a naive instant: its meaning would hang on the server's own time zone."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t!r}: instants must carry their offset")
    return t


def _local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)


def local_day(t: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The local date an instant belongs to. Exactly 00:00 is 24:00 of the day before: a
    deadline at midnight closes the day it ends, and a case arriving at 00:00 Wednesday has
    Wednesday as its first working day."""
    local = _aware(t).astimezone(tz)
    if local.time() == dt.time():
        return local.date() - dt.timedelta(days=1)
    return local.date()


def anchor_after(t: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The end of ``t``'s local day (:func:`local_day`): where "N working days after t" starts
    counting."""
    return _local_midnight(local_day(t, tz) + dt.timedelta(days=1), tz)


def working_seconds_between(
    start: dt.datetime, end: dt.datetime, calendar: WorkCalendar, tz: ZoneInfo
) -> tuple[int, bool]:
    """Seconds of working days between two instants (0 if end ≤ start), and provisional."""
    if _aware(end) <= _aware(start):
        return 0, False
    total, provisional = 0, False
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        day_start = _local_midnight(day, tz)
        day_end = _local_midnight(day + dt.timedelta(days=1), tz)
        lo, hi = max(start, day_start), min(end, day_end)
        if hi > lo:
            is_work, guessed = calendar.day(day)
            provisional |= guessed  # a guessed day off counts too: it may turn out a working day
            if is_work:
                total += int((hi - lo).total_seconds())
        day += dt.timedelta(days=1)
    return total, provisional


def after_working_seconds(
    start: dt.datetime, seconds: float, calendar: WorkCalendar, tz: ZoneInfo
) -> Instant:
    """The earliest instant by which ``seconds`` of working time have passed since ``start``.

    Ending exactly at a day's end gives 24:00 of that working day, never the next one.
    """
    _aware(start)
    remaining = float(seconds)
    provisional = False
    day = start.astimezone(tz).date()
    give_up = day + dt.timedelta(days=366 * 10)  # a calendar with no working days left
    while day < give_up:
        is_work, guessed = calendar.day(day)
        day_end = _local_midnight(day + dt.timedelta(days=1), tz)
        provisional |= guessed  # skipping a guessed day off is a guess as well
        if is_work:
            lo = max(start, _local_midnight(day, tz))
            available = (day_end - lo).total_seconds()
            if remaining <= available:
                return Instant((lo + dt.timedelta(seconds=remaining)).astimezone(UTC), provisional)
            remaining -= available
        day += dt.timedelta(days=1)
    raise ValueError(f"no end within ten years of {start.isoformat()}: too few working days")


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


# --- entering a year ----------------------------------------------------------------------

YEAR_MIN, YEAR_MAX = 2000, 2100
_DAY_SEPARATORS = re.compile(r"[\s,，、;；]+")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class YearEntry:
    """A year's days off and make-up working days (调休), as an admin enters them."""

    year: int
    holidays: tuple[dt.date, ...]
    workdays: tuple[dt.date, ...]


def parse_year_entry(year: Any, holidays: Any, workdays: Any) -> YearEntry:
    """Check an admin's entry of a year: ``holidays`` and ``workdays`` are texts of
    YYYY-MM-DD days (one a line, or separated by commas), or lists of dates. Every day must
    fall in ``year`` and none may be both. Raises InvalidInput naming the field."""
    errors: dict[str, Message] = {}
    number = _year(year)
    if number is None:
        errors["year"] = Message(
            N_("Enter a year from %(min)s to %(max)s."), {"min": YEAR_MIN, "max": YEAR_MAX}
        )
    lists = {}
    for key, raw in (("holidays", holidays), ("workdays", workdays)):
        days, problem = _days(raw, number)
        lists[key] = days
        if problem is not None:
            errors[key] = problem
    if "holidays" not in errors and "workdays" not in errors:
        both = sorted(set(lists["holidays"]) & set(lists["workdays"]))
        if both:
            errors["workdays"] = Message(
                N_("A day cannot be both a holiday and a working day: %(days)s"),
                {"days": ", ".join(day.isoformat() for day in both)},
            )
    if errors:
        raise InvalidInput(errors)
    return YearEntry(number, tuple(lists["holidays"]), tuple(lists["workdays"]))


def _year(raw: Any) -> int | None:
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not YEAR_MIN <= raw <= YEAR_MAX:
        return None
    return raw


def _days(raw: Any, year: int | None) -> tuple[list[dt.date], Message | None]:
    """The sorted distinct days of ``raw``, or the first problem found."""
    if raw is None:
        return [], None
    tokens = _DAY_SEPARATORS.split(raw) if isinstance(raw, str) else list(raw)
    days: set[dt.date] = set()
    for token in tokens:
        if isinstance(token, dt.date) and not isinstance(token, dt.datetime):
            day = token
        elif isinstance(token, str) and not token:
            continue
        elif isinstance(token, str) and _ISO_DAY.fullmatch(token):
            try:
                day = dt.date.fromisoformat(token)
            except ValueError:
                day = None
        else:
            day = None
        if day is None:
            return [], Message(
                N_("Not a date: %(value)s. Write each day as YYYY-MM-DD."),
                {"value": str(token)[:20]},
            )
        if year is not None and day.year != year:
            return [], Message(
                N_("%(day)s is not in %(year)s."), {"day": day.isoformat(), "year": year}
            )
        days.add(day)
    return sorted(days), None
