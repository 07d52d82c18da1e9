"""Which clocks run when, and where their deadlines fall (docs/rules.md#clocks).

A clock is a span of working or calendar days from a start. Its deadline and its warning
(at ``warn_ratio`` of the span) are computed here from the start, the span and the working
time it was paused (``shift_seconds``), so they can be recomputed whenever the calendar learns
a new year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .calendar import DAY_SECONDS, Instant, WorkCalendar, after_working_seconds, anchor_after
from .enums import Clock, LabelledEnum, Level, Scale
from .i18n import N_
from .policy import ClockPolicy


@dataclass(frozen=True)
class ClockSpec:
    clock: Clock
    level: Level
    days: int
    is_working_days: bool  # else calendar days


@dataclass(frozen=True)
class Schedule:
    due: Instant
    warn: Instant

    @property
    def is_provisional(self) -> bool:
        return self.due.is_provisional or self.warn.is_provisional


def arrival_clocks(level: Level, policy: ClockPolicy) -> list[ClockSpec]:
    """Accept and settle, started when a case arrives at ``level`` (registration included)."""
    return [
        ClockSpec(Clock.accept, level, policy.accept_working_days, True),
        ClockSpec(Clock.settle, level, policy.settle_working_days[level], True),
    ]


def intake_clocks(scale: Scale, level: Level, policy: ClockPolicy) -> list[ClockSpec]:
    """The clocks a new case starts with: its level's, the one-month statutory limit, and for
    a major case registered below the county, the report to its home level."""
    specs = arrival_clocks(level, policy)
    specs.append(ClockSpec(Clock.statutory, level, policy.statutory_calendar_days, False))
    if scale is Scale.major and level is not Level.county:
        specs.append(major_report_clock(level, policy))
    return specs


def major_report_clock(level: Level, policy: ClockPolicy) -> ClockSpec:
    return ClockSpec(Clock.major_report, level, policy.major_report_working_days, True)


def follow_up_clock(level: Level, policy: ClockPolicy) -> ClockSpec:
    return ClockSpec(Clock.follow_up, level, policy.follow_up_calendar_days, False)


JUDICIAL_CONFIRMATION_DAYS = 30  # People's Mediation Law art. 33


def judicial_clock(level: Level) -> ClockSpec:
    return ClockSpec(Clock.judicial_confirmation, level, JUDICIAL_CONFIRMATION_DAYS, False)


def schedule(
    *,
    started_at: dt.datetime,
    days: int,
    is_working_days: bool,
    shift_seconds: int,
    warn_ratio: float,
    calendar: WorkCalendar,
    tz: ZoneInfo,
) -> Schedule:
    """The deadline and the warning of a clock.

    Working days: the span counts from the end of the start's local day (24:00 of the Nth
    working day after it), plus the paused working time. Calendar days: start + N × 24 h plus
    the paused time.
    """
    if is_working_days:
        anchor = anchor_after(started_at, tz)
        span = days * DAY_SECONDS
        due = after_working_seconds(anchor, span + shift_seconds, calendar, tz)
        warn = after_working_seconds(anchor, span * warn_ratio + shift_seconds, calendar, tz)
        return Schedule(due, warn)
    span = dt.timedelta(days=days)
    shift = dt.timedelta(seconds=shift_seconds)
    return Schedule(
        Instant(started_at + span + shift), Instant(started_at + span * warn_ratio + shift)
    )


class ClockState(LabelledEnum):
    """Where a clock stands, as shown and as the API gives it."""

    running = "running", N_("Running")
    paused = "paused", N_("Paused")
    met = "met", N_("Met")
    breached = "breached", N_("Breached")
    stopped = "stopped", N_("Stopped")


def clock_state(
    *,
    clock: Clock,
    due_at: dt.datetime,
    met_at: dt.datetime | None,
    breached_at: dt.datetime | None,
    stopped_at: dt.datetime | None,
    is_case_paused: bool,
    now: dt.datetime,
) -> ClockState:
    """A running clock is paused with its case, breached once its deadline has come; a stopped
    one was met (strictly before the deadline), breached (at or after it), or merely stopped
    (withdrawal, reclassification; the judicial-confirmation window, which never breaches)."""
    if stopped_at is None:
        if is_case_paused:
            return ClockState.paused
        if due_at <= now:
            informational = clock is Clock.judicial_confirmation
            return ClockState.stopped if informational else ClockState.breached
        return ClockState.running
    if met_at is not None:
        return ClockState.met
    if breached_at is not None:
        return ClockState.breached
    return ClockState.stopped
