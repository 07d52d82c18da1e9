"""How a case's clocks are shown: their state, their colour and the time left. Pure: the view
passes the deadlines, ``now``, the working calendar and the time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from ..domain.calendar import DAY_SECONDS, WorkCalendar, working_days_left
from ..domain.enums import LabelledEnum
from ..domain.i18n import N_


class ClockState(LabelledEnum):
    running = "running", N_("Running")
    met = "met", N_("Met")
    breached = "breached", N_("Breached")
    stopped = "stopped", N_("Stopped")


class Tone(LabelledEnum):
    """The colour of a clock: green, amber, red, grey."""

    plenty = "plenty", N_("Plenty of time left")
    warning = "warning", N_("Past the warning time")
    overdue = "overdue", N_("Overdue")
    settled = "settled", N_("Settled")


class DeadlineLike(Protocol):
    due_at: dt.datetime
    warn_at: dt.datetime
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    stopped_at: dt.datetime | None
    is_working_days: bool


def clock_state(deadline: DeadlineLike) -> ClockState:
    """Breached once its deadline passed unmet (even if still running), met if stopped in time,
    stopped if settled otherwise (e.g. a follow-up clock ended by a reopening)."""
    if deadline.breached_at is not None:
        return ClockState.breached
    if deadline.met_at is not None:
        return ClockState.met
    if deadline.stopped_at is not None:
        return ClockState.stopped
    return ClockState.running


def clock_tone(deadline: DeadlineLike, now: dt.datetime) -> Tone:
    """Red when overdue or breached, grey when settled in time, amber past the warning
    instant (80 % of the span by default), green otherwise."""
    state = clock_state(deadline)
    if state is ClockState.breached:
        return Tone.overdue
    if state is not ClockState.running:
        return Tone.settled
    if now >= deadline.due_at:
        return Tone.overdue
    if now >= deadline.warn_at:
        return Tone.warning
    return Tone.plenty


def days_left(
    deadline: DeadlineLike, now: dt.datetime, calendar: WorkCalendar, tz: ZoneInfo
) -> float | None:
    """Working days left for a working-day clock, calendar days for a calendar-day one;
    negative once overdue; None once the clock is settled."""
    if deadline.stopped_at is not None:
        return None
    if deadline.is_working_days:
        return working_days_left(now, deadline.due_at, calendar, tz)
    return (deadline.due_at - now).total_seconds() / DAY_SECONDS


def local_deadline(at: dt.datetime | None, tz: ZoneInfo) -> str:
    """A local time; a deadline at midnight reads as 24:00 of the day it ends (docs/rules.md)."""
    if at is None:
        return ""
    local = at.astimezone(tz)
    if local.time() == dt.time(0, 0):
        return f"{(local.date() - dt.timedelta(days=1)).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class ClockView:
    deadline: DeadlineLike
    state: ClockState
    tone: Tone
    days_left: float | None
    due_local: str
    warn_local: str

    @property
    def is_overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


def clock_views(
    deadlines: Iterable[DeadlineLike], now: dt.datetime, calendar: WorkCalendar, tz: ZoneInfo
) -> list[ClockView]:
    """Running clocks first, nearest deadline first; then the settled ones, latest first."""
    views = [
        ClockView(
            deadline=deadline,
            state=clock_state(deadline),
            tone=clock_tone(deadline, now),
            days_left=days_left(deadline, now, calendar, tz),
            due_local=local_deadline(deadline.due_at, tz),
            warn_local=local_deadline(deadline.warn_at, tz),
        )
        for deadline in deadlines
    ]
    running = sorted(
        (v for v in views if v.deadline.stopped_at is None), key=lambda v: v.deadline.due_at
    )
    settled = sorted(
        (v for v in views if v.deadline.stopped_at is not None),
        key=lambda v: v.deadline.stopped_at,
        reverse=True,
    )
    return running + settled


def brief_view(deadline: DeadlineLike, now: dt.datetime, tz: ZoneInfo) -> ClockView:
    """A clock for a list row: its colour and due time, without the working-day count."""
    return ClockView(
        deadline=deadline,
        state=clock_state(deadline),
        tone=clock_tone(deadline, now),
        days_left=None,
        due_local=local_deadline(deadline.due_at, tz),
        warn_local=local_deadline(deadline.warn_at, tz),
    )
