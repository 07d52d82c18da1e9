"""How a case's clocks are shown: their state, their colour and the time left. Pure: the view
passes the deadlines, ``now``, the working calendar and the time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from ..domain.calendar import DAY_SECONDS, WorkCalendar, anchor_after, working_days_left
from ..domain.clocks import ClockState
from ..domain.enums import Clock, LabelledEnum
from ..domain.i18n import N_
from ..services.workflow import deadline_state


class Tone(LabelledEnum):
    """The colour of a clock: green, amber, red, grey."""

    plenty = "plenty", N_("Plenty of time left")
    warning = "warning", N_("Past the warning time")
    overdue = "overdue", N_("Overdue")
    paused = "paused", N_("Paused")
    settled = "settled", N_("Settled")


class DeadlineLike(Protocol):
    clock: Clock
    started_at: dt.datetime
    due_at: dt.datetime
    warn_at: dt.datetime
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    stopped_at: dt.datetime | None
    is_working_days: bool


def state_of(deadline: DeadlineLike, now: dt.datetime, paused_at: dt.datetime | None) -> ClockState:
    """The state the API gives: ``paused_at`` is when the case was paused, None when it is
    not paused."""
    return deadline_state(deadline, now, is_case_paused=paused_at is not None)


def clock_tone(state: ClockState, deadline: DeadlineLike, now: dt.datetime) -> Tone:
    """Red when breached, blue-grey while the case is paused, grey when settled (met,
    stopped, or an informational window that has ended), amber past the warning instant (80 %
    of the span by default), green otherwise."""
    if state is ClockState.breached:
        return Tone.overdue
    if state is ClockState.paused:
        return Tone.paused
    if state is not ClockState.running:
        return Tone.settled
    if now >= deadline.warn_at:
        return Tone.warning
    return Tone.plenty


def _has_time_left(deadline: DeadlineLike, now: dt.datetime) -> bool:
    """Whether a clock shows time left (or overdue): not once it is settled, nor once an
    informational window has ended (it is never overdue)."""
    if deadline.stopped_at is not None:
        return False
    return not (deadline.clock is Clock.judicial_confirmation and deadline.due_at <= now)


def needs_calendar(deadlines: Iterable[DeadlineLike], now: dt.datetime) -> bool:
    """Whether showing these clocks counts working days: the page of a concluded case does
    not, and need not read the working calendar."""
    return any(deadline.is_working_days and _has_time_left(deadline, now) for deadline in deadlines)


def days_left(
    deadline: DeadlineLike,
    now: dt.datetime,
    calendar: WorkCalendar | None,
    tz: ZoneInfo,
    paused_at: dt.datetime | None = None,
) -> float | None:
    """Working days left for a working-day clock, calendar days for a calendar-day one;
    negative once overdue; None once the clock is settled or an informational window has
    ended. While the case is paused the count is frozen at the pause: the time left then
    (counted from the clock's start if it started during the pause)."""
    if not _has_time_left(deadline, now):
        return None
    if paused_at is not None and deadline.due_at > paused_at:
        if deadline.is_working_days:
            now = max(paused_at, anchor_after(deadline.started_at, tz))
        else:
            now = max(paused_at, deadline.started_at)
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
    deadlines: Iterable[DeadlineLike],
    now: dt.datetime,
    calendar: WorkCalendar | None,
    tz: ZoneInfo,
    paused_at: dt.datetime | None = None,
) -> list[ClockView]:
    """Running clocks first, nearest deadline first; then the settled ones, latest first.
    ``calendar`` may be None when :func:`needs_calendar` says so; ``paused_at``: when the
    case was paused, if it is paused now."""
    views = []
    for deadline in deadlines:
        state = state_of(deadline, now, paused_at)
        views.append(
            ClockView(
                deadline=deadline,
                state=state,
                tone=clock_tone(state, deadline, now),
                days_left=days_left(deadline, now, calendar, tz, paused_at),
                due_local=local_deadline(deadline.due_at, tz),
                warn_local=local_deadline(deadline.warn_at, tz),
            )
        )
    running = sorted(
        (v for v in views if v.deadline.stopped_at is None), key=lambda v: v.deadline.due_at
    )
    settled = sorted(
        (v for v in views if v.deadline.stopped_at is not None),
        key=lambda v: v.deadline.stopped_at,
        reverse=True,
    )
    return running + settled


def brief_view(
    deadline: DeadlineLike, now: dt.datetime, tz: ZoneInfo, *, is_case_paused: bool = False
) -> ClockView:
    """A clock for a list row: its colour and due time, without the working-day count."""
    state = state_of(deadline, now, now if is_case_paused else None)
    return ClockView(
        deadline=deadline,
        state=state,
        tone=clock_tone(state, deadline, now),
        days_left=None,
        due_local=local_deadline(deadline.due_at, tz),
        warn_local=local_deadline(deadline.warn_at, tz),
    )
