"""Months as the field counts them (docs/rules.md): local months of Asia/Shanghai, in which an
instant of exactly 00:00 on the 1st is 24:00 of the month before."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .calendar import local_day

# The years the system counts in: ledgers from 2000 on, and far enough ahead for any real date,
# yet far from year 9999, where the month after, a deadline or a local time no longer exists.
MIN_YEAR, MAX_YEAR = 2000, 2999


def is_supported_instant(instant: dt.datetime) -> bool:
    """Whether an aware instant lies in the years the system counts in (UTC year)."""
    return MIN_YEAR <= instant.astimezone(dt.UTC).year <= MAX_YEAR


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """ "2026-11" → Month, in the years MIN_YEAR to MAX_YEAR; raises ValueError."""
        year, _, month = text.partition("-")
        if not (len(year) == 4 and len(month) == 2 and (year + month).isascii()):
            raise ValueError(text)
        if not (year + month).isdigit():
            raise ValueError(text)
        value = cls(int(year), int(month))
        if not 1 <= value.month <= 12 or not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValueError(text)
        return value

    @classmethod
    def of(cls, instant: dt.datetime, tz: ZoneInfo) -> Month:
        """The month an instant counts in: that of its local day (00:00 on the 1st is 24:00
        of the month before)."""
        day = local_day(instant, tz)
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The month's first and last instants as UTC: it holds the instants in (start, end],
        local 00:00 on its first day excluded (24:00 of the month before) and 24:00 on its
        last day included."""
        start = dt.datetime(self.year, self.month, 1, tzinfo=tz)
        following = self.next()
        end = dt.datetime(following.year, following.month, 1, tzinfo=tz)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def contains(self, instant: dt.datetime, tz: ZoneInfo) -> bool:
        start, end = self.bounds(tz)
        return start < instant <= end

    def end_of_day(self, day: int, tz: ZoneInfo) -> dt.datetime:
        """24:00 local of ``day`` of this month (the screening deadline), as UTC."""
        return (
            dt.datetime(self.year, self.month, day, tzinfo=tz) + dt.timedelta(days=1)
        ).astimezone(dt.UTC)

    def has_ended(self, now: dt.datetime, tz: ZoneInfo) -> bool:
        return now >= self.bounds(tz)[1]

    def freezes_on(self, day: int) -> dt.date:
        """The local day of the next month on which this month is frozen (policy freeze_day)."""
        following = self.next()
        return dt.date(following.year, following.month, day)

    def last_months(self, count: int) -> list[Month]:
        months = [self]
        while len(months) < count:
            months.append(months[-1].previous())
        return list(reversed(months))
