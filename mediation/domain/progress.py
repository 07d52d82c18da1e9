"""A case moving forward in time (docs/rules.md#workflow, #clocks): the clocks each action
starts and stops, the deadlines that fall due, the village case that goes up by itself.

This is the one model of a case's clocks. The workflow's actions and the sweep (through
:mod:`mediation.services.workflow`) and ``gen-data`` all move cases with these functions. Pure:
a case is any object with a case's attributes (:class:`CaseLike`), its clocks any objects with a
deadline's (:class:`ClockLike`), new ones built by ``ctx.new_clock``; the instant, the policy,
the calendar and the zone come in with the :class:`Context`. What a change causes is collected
in the context: the facts found (``ctx.found``) and the clocks stopped (``ctx.stopped``, whose
flags clear).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from .calendar import (
    WorkCalendar,
    add_working_days,
    anchor_after,
    working_seconds_between,
)
from .clocks import (
    ClockSpec,
    Schedule,
    arrival_clocks,
    follow_up_clock,
    intake_clocks,
    judicial_clock,
    major_report_clock,
    schedule,
)
from .enums import CONCLUDED_STATUSES, Action, CaseStatus, Clock, Level, Scale
from .flags import (
    FLAG_WHEN_DUE,
    Fact,
    due_facts,
    escalation_instant,
    facts_of_accepting,
    facts_of_moving_up,
    flag_keys,
)
from .flags import next_check as next_flag_check
from .i18n import N_, Message
from .policy import Policy
from .workflow import ACTIVE, ActionInput, CaseState, next_status, parse_action_input, refusal

AUTO_ESCALATE_NOTE = N_("Escalated automatically: the village's settle time was exceeded.")


class ClockLike(Protocol):
    """A clock of a case: a ``Deadline`` row, or a plain copy of one (:class:`CaseClock`)."""

    clock: Clock
    level: Level
    started_at: dt.datetime
    days: int
    is_working_days: bool
    shift_seconds: int
    due_at: dt.datetime
    warn_at: dt.datetime
    is_provisional: bool
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    stopped_at: dt.datetime | None


class UnitLike(Protocol):
    id: int
    kind: Level
    code: str


@dataclass(frozen=True, slots=True)
class UnitRef:
    """A unit as plain values (:class:`UnitLike`)."""

    id: int
    kind: Level
    code: str


class CaseLike(Protocol):
    """What these rules read and write of a case: a ``Case`` row, the sweep's plain copy of
    one, or a case ``gen-data`` is playing forward."""

    id: int
    status: CaseStatus
    scale: Scale
    level: Level
    home_level: Level
    holder_id: int
    holder: Any
    highest_level: Level | None
    is_extended: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime | None
    last_event_at: dt.datetime | None
    next_check_at: dt.datetime | None
    concluded_at: dt.datetime | None
    concluded_level: Level | None
    concluded_action: str | None
    deadlines: list


@dataclass(slots=True, eq=False)
class CaseClock:
    """A clock as plain values, with a ``Deadline`` row's attribute names."""

    clock: Clock
    level: Level
    started_at: dt.datetime
    days: int
    is_working_days: bool
    shift_seconds: int
    due_at: dt.datetime
    warn_at: dt.datetime
    is_provisional: bool
    met_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    stopped_at: dt.datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class Context:
    """What every change of a case needs: the instant, the policy, the calendar, the zone.

    ``now`` is when a change takes effect by the rules; ``recorded_at`` when it is written
    (they differ for an automatic escalation, which takes effect at its instant E whenever it
    is found). It lives for one request, one sweep or one ``gen-data`` run, so the schedules it
    works out are remembered (a working-day clock's depends only on the day it starts).
    ``found`` and ``stopped`` collect the facts of the case being changed and the clocks it
    stopped.
    """

    now: dt.datetime
    policy: Policy
    calendar: WorkCalendar
    tz: ZoneInfo
    recorded_at: dt.datetime | None = None
    new_clock: Callable[..., Any] = CaseClock
    # what it works out, by its inputs: clock schedules, grace ends
    _schedules: dict[tuple, Any] = field(default_factory=dict, compare=False, repr=False)
    found: list[Fact] = field(default_factory=list, compare=False, repr=False)
    stopped: list = field(default_factory=list, compare=False, repr=False)

    @property
    def recorded(self) -> dt.datetime:
        return self.recorded_at or self.now

    def moved(self, instant: dt.datetime) -> Context:
        """The same context at another instant, taking effect and written then; sharing what
        it remembers and collects. (A shallow copy: ``gen-data`` moves its context at every
        step of every case, and ``replace`` would run the whole constructor each time.)"""
        moved = object.__new__(type(self))
        moved.__dict__.update(self.__dict__, now=instant, recorded_at=None)
        return moved

    def at(self, instant: dt.datetime) -> Context:
        """The same context taking effect at ``instant`` (written now), sharing what it
        remembers and collects."""
        return replace(self, now=instant, recorded_at=self.recorded)

    def schedule_from(self, spec: ClockSpec, started_at: dt.datetime) -> Schedule:
        """The deadline and warning of a clock ``spec`` started at ``started_at``."""
        # A working-day clock counts from the end of its start's local day.
        start = anchor_after(started_at, self.tz) if spec.is_working_days else started_at
        key = (spec.days, spec.is_working_days, start)
        found = self._schedules.get(key)
        if found is None:
            found = self._schedules[key] = schedule(
                started_at=started_at,
                days=spec.days,
                is_working_days=spec.is_working_days,
                shift_seconds=0,
                warn_ratio=self.policy.clocks.warn_ratio,
                calendar=self.calendar,
                tz=self.tz,
            )
        return found


# --- clocks ---------------------------------------------------------------------------------


def running(case: CaseLike, *clocks: Clock, level: Level | None = None) -> list:
    """The case's clocks still running (of those kinds, at that level)."""
    return [
        deadline
        for deadline in case.deadlines
        if deadline.stopped_at is None
        and (not clocks or deadline.clock in clocks)
        and (level is None or deadline.level is level)
    ]


def stop(deadlines: list, ctx: Context, *, met: bool = True) -> None:
    """Settle clocks: met if stopped strictly before the deadline (and ``met``), breached if
    stopped at or after it. Their flags clear now."""
    for deadline in deadlines:
        deadline.stopped_at = ctx.now
        if ctx.now >= deadline.due_at:
            deadline.breached_at = deadline.breached_at or deadline.due_at
        elif met:
            deadline.met_at = ctx.now
        ctx.stopped.append(deadline)


def start_clock(case: CaseLike, spec: ClockSpec, started_at: dt.datetime, ctx: Context):
    result = ctx.schedule_from(spec, started_at)
    deadline = ctx.new_clock(
        clock=spec.clock,
        level=spec.level,
        started_at=started_at,
        days=spec.days,
        is_working_days=spec.is_working_days,
        shift_seconds=0,
        due_at=result.due.at,
        warn_at=result.warn.at,
        is_provisional=result.is_provisional,
    )
    case.deadlines.append(deadline)
    return deadline


def start_intake_clocks(case: CaseLike, received_at: dt.datetime, ctx: Context) -> None:
    """The clocks of a new case, counted from when it was received."""
    for spec in intake_clocks(case.scale, case.level, ctx.policy.clocks):
        start_clock(case, spec, received_at, ctx)


def reschedule(deadline: ClockLike, ctx: Context) -> None:
    """Work a clock's deadline and warning out again (moved by a pause, extended, or its year
    entered on the calendar)."""
    result = schedule(
        started_at=deadline.started_at,
        days=deadline.days,
        is_working_days=deadline.is_working_days,
        shift_seconds=deadline.shift_seconds,
        warn_ratio=ctx.policy.clocks.warn_ratio,
        calendar=ctx.calendar,
        tz=ctx.tz,
    )
    deadline.due_at, deadline.warn_at = result.due.at, result.warn.at
    deadline.is_provisional = result.is_provisional


# --- what each action does to the clocks ----------------------------------------------------


def arrive(case: CaseLike, unit: UnitLike, ctx: Context) -> None:
    """The case moves to ``unit`` (escalated, assigned down or taken over): the old level's
    accept and settle clocks are settled, the new level's start, and a major case reaching the
    county has been reported. Moving up, a small case leaving the village or a small or big one
    reaching the county is a fact of record (小事出村, 大事出乡), judged by its scale now."""
    if unit.kind.rank > case.level.rank:
        ctx.found.extend(facts_of_moving_up(case.id, case.scale, unit.kind, ctx.now))
    stop(running(case, Clock.accept, Clock.settle), ctx)
    case.holder_id, case.level, case.holder = unit.id, unit.kind, unit
    for spec in arrival_clocks(unit.kind, ctx.policy.clocks):
        start_clock(case, spec, ctx.now, ctx)
    if unit.kind.rank >= case.home_level.rank:
        stop(running(case, Clock.major_report), ctx)


def accept(case: CaseLike, registered_level: Level, ctx: Context) -> None:
    """Accepted at its level; a case registered above the village and accepted there may be a
    fact of record (:func:`mediation.domain.flags.facts_of_accepting`)."""
    stop(running(case, Clock.accept, level=case.level), ctx)
    if case.level is not Level.village:
        ctx.found.extend(
            facts_of_accepting(case.id, case.scale, case.level, registered_level, ctx.now)
        )


def resolve(case: CaseLike, *, written: bool, ctx: Context) -> None:
    """An agreement: mediation's clocks are met (or breached), the follow-up visit's starts,
    and a written agreement's judicial-confirmation window opens. Resolving does not report a
    major case: its report clock runs on until reported."""
    stop(running(case, Clock.accept, Clock.settle, Clock.statutory), ctx)
    start_clock(case, follow_up_clock(case.level, ctx.policy.clocks), ctx.now, ctx)
    if written:
        start_clock(case, judicial_clock(case.level), ctx.now, ctx)


def resume(case: CaseLike, paused_at: dt.datetime, ctx: Context) -> int:
    """Every running clock moves by the time the case was paused (from ``paused_at`` to now):
    working time for a working-day clock, elapsed time for a calendar-day one. Returns how
    many moved."""
    shifted = 0
    for deadline in running(case):
        if deadline.due_at <= paused_at:
            continue  # already overdue when paused: stays so
        seconds = _paused_seconds(deadline, paused_at, ctx)
        if seconds:
            deadline.shift_seconds += seconds
            reschedule(deadline, ctx)
            shifted += 1
    return shifted


def _paused_seconds(deadline: ClockLike, paused_at: dt.datetime, ctx: Context) -> int:
    """The paused time that held this clock back. A working-day clock counts from the end of
    its start's local day, and a clock started during the pause (a re-classification) only
    from its start: time before that never counted, so it moves nothing."""
    if deadline.is_working_days:
        counting_from = max(paused_at, anchor_after(deadline.started_at, ctx.tz))
        return working_seconds_between(counting_from, ctx.now, ctx.calendar, ctx.tz)[0]
    counting_from = max(paused_at, deadline.started_at)
    return max(0, int((ctx.now - counting_from).total_seconds()))


def conclude(case: CaseLike, *, referred: bool, paused_at: dt.datetime | None, ctx: Context):
    """Referral settles the case's clocks (met if in time); withdrawal only stops them. A
    report still owed is no longer owed either way, but was not made. A paused case's clocks
    stood still (``paused_at``): no breach from the pause."""
    if paused_at is not None:
        resume(case, paused_at, ctx)
    stop(running(case, Clock.major_report), ctx, met=False)
    stop(running(case), ctx, met=referred)


def follow_up(case: CaseLike, ctx: Context) -> None:
    stop(running(case, Clock.follow_up), ctx)


def reopen(case: CaseLike, ctx: Context) -> None:
    """Mediation starts again where the case is: a new settle clock at its level, and a new
    one-month limit from the reopening (which may be extended once again)."""
    stop(running(case, Clock.follow_up), ctx, met=False)
    clocks = ctx.policy.clocks
    settle = clocks.settle_working_days[case.level]
    start_clock(case, ClockSpec(Clock.settle, case.level, settle, True), ctx.now, ctx)
    limit = ClockSpec(Clock.statutory, case.level, clocks.statutory_calendar_days, False)
    start_clock(case, limit, ctx.now, ctx)
    case.is_extended = False


def extend(case: CaseLike, ctx: Context) -> int:
    """The one-month limit extended by the policy's days; returns them."""
    extra = ctx.policy.clocks.extension_calendar_days
    for deadline in running(case, Clock.statutory):
        deadline.days += extra
        reschedule(deadline, ctx)
    case.is_extended = True
    return extra


def reclassify(case: CaseLike, scale: Scale, reason: str, ctx: Context) -> None:
    """An officer sets the scale: a case that became major below the county owes a report
    from now; one that is no longer major owes none (but was not reported either)."""
    reports = running(case, Clock.major_report)
    case.scale, case.home_level = scale, scale.home_level
    case.is_scale_overridden = True
    case.scale_reasons = [Message(N_("set by an officer: %(reason)s"), {"reason": reason})]
    if scale is Scale.major and case.level is not Level.county and not reports:
        start_clock(case, major_report_clock(case.level, ctx.policy.clocks), ctx.now, ctx)
    elif scale is not Scale.major:
        stop(reports, ctx, met=False)


def report(case: CaseLike, ctx: Context) -> None:
    """A major case reported to the county (报告): the case stays where it is."""
    stop(running(case, Clock.major_report), ctx)


def take_over(
    case: CaseLike, unit: UnitLike, *, paused_at: dt.datetime | None, ctx: Context
) -> None:
    """An officer takes the case up to his own ``unit`` (提级): it arrives there exactly as on
    escalation (a paused case's clocks first catch up on the pause)."""
    if paused_at is not None:
        resume(case, paused_at, ctx)
    arrive(case, unit, ctx)


def state_of(case: CaseLike) -> CaseState:
    return CaseState(
        case.status,
        case.level,
        case.holder_id,
        case.is_extended,
        is_report_due=bool(running(case, Clock.major_report)),
    )


def advance(
    case: CaseLike,
    action: Action,
    data: ActionInput,
    before: tuple[CaseStatus, Level],
    details: dict | None,
    ctx: Context,
    actor_id: int | None,
) -> dict[str, Any]:
    """The part of every action after its own changes: the new status, the version, the
    scorecard's columns. Returns the fields of the action's event."""
    case.status = next_status(action, before[0], performed=data.performed)
    case.updated_at = ctx.recorded
    case.last_event_at = ctx.now
    case.version += 1  # one action, one version: a copy loaded before it is stale (409)
    case.next_check_at = ctx.recorded  # the next sweep looks at it again
    _record_progress(case, action, before[0], ctx)
    return dict(
        case_id=case.id,
        at=ctx.now,
        recorded_at=ctx.recorded,
        actor_id=actor_id,
        action=action.value,
        from_status=before[0],
        to_status=case.status,
        from_level=before[1],
        to_level=case.level,
        note=data.note,
        data=details or {},
        version=case.version,
    )


def _record_progress(case: CaseLike, action: Action, was: CaseStatus, ctx: Context) -> None:
    """The columns the monthly scorecard counts: the highest level reached and the conclusion
    (agreement, referral or withdrawal: when, at which level)."""
    if case.highest_level is None or case.level.rank > case.highest_level.rank:
        case.highest_level = case.level
    if case.status in CONCLUDED_STATUSES and was not in CONCLUDED_STATUSES:
        case.concluded_at, case.concluded_level, case.concluded_action = (
            ctx.now,
            case.level,
            action.value,
        )
    elif case.status not in CONCLUDED_STATUSES and was in CONCLUDED_STATUSES:
        case.concluded_at = case.concluded_level = case.concluded_action = None  # reopened


def collect(case_id: int, ctx: Context) -> tuple[list[tuple[Fact, dt.datetime | None]], dict]:
    """What ``ctx`` collected while changing a case, emptied: each fact found, with when it was
    cleared if its clock stopped in the same change, and the keys of the flags to clear (of
    the clocks stopped), each with its instant."""
    cleared = {key: clock.stopped_at for clock in ctx.stopped for key in flag_keys(case_id, clock)}
    found = [(fact, cleared.get(fact.key)) for fact in ctx.found]
    ctx.found.clear()
    ctx.stopped.clear()
    return found, cleared


# --- bringing a case up to date ---------------------------------------------------------------


def catch_up(
    case: CaseLike, ctx: Context, *, parent_of: Callable[[Any], Any]
) -> list[dict[str, Any]]:
    """Apply to ``case`` whatever has fallen due by ``ctx.now``, each at its own instant: the
    sweep does exactly this to every due case, and every action first.

    Running clocks past their deadline are breached at it, and their flags found, dated at
    their warning or deadline; the judicial-confirmation window ends (informational: never a
    breach); a village case whose settle time ran out goes up to the township at E
    (:func:`mediation.domain.flags.escalation_instant`), its flags and the township's clocks
    dated E, and whatever then falls due there by ``ctx.now`` follows in the same call. A
    paused case stands still. ``parent_of(case)`` is the unit above its holder. Returns the
    fields of the escalation events to write (none, or one)."""
    events: list[dict[str, Any]] = []
    if case.status is CaseStatus.paused:
        return events
    while True:
        at = _escalation_at(case, ctx)
        horizon = at if at is not None and at <= ctx.now else ctx.now
        _fall_due(case, ctx, horizon)
        if at is None or at > ctx.now:
            return events
        event = auto_escalate(case, parent_of(case), ctx.at(at))
        if event is None:
            return events
        events.append(event)


def _fall_due(case: CaseLike, ctx: Context, horizon: dt.datetime) -> None:
    for clock in case.deadlines:
        if clock.stopped_at is not None or clock.due_at > horizon:
            continue
        if clock.clock is Clock.judicial_confirmation:
            clock.stopped_at = clock.due_at  # the window ended: shown, never breached
        elif clock.clock in FLAG_WHEN_DUE and clock.breached_at is None:
            clock.breached_at = clock.due_at
    ctx.found.extend(due_facts(case.id, case.deadlines, horizon))


def _escalation_at(case: CaseLike, ctx: Context) -> dt.datetime | None:
    """E, once the village's settle time has run out by ``ctx.now``; else None."""
    settle = running(case, Clock.settle, level=Level.village)
    if not settle or settle[0].due_at > ctx.now:
        return None
    return escalation_at(case, ctx)


def escalation_at(case: CaseLike, ctx: Context) -> dt.datetime | None:
    """E, when the case is an active village case whose settle clock runs and the policy
    escalates such cases: the instant it goes up by itself unless something happens first.
    None otherwise."""
    if (
        not ctx.policy.clocks.auto_escalate_village_breach
        or case.level is not Level.village
        or case.status not in ACTIVE
    ):
        return None
    settle = running(case, Clock.settle, level=Level.village)
    if not settle:
        return None
    return escalation_instant(
        settle_due_at=settle[0].due_at,
        grace_ends_at=grace_end(case.created_at, ctx),
        last_event_at=case.last_event_at,
    )


def grace_end(registered_at: dt.datetime, ctx: Context) -> dt.datetime:
    """The end of the 1-working-day grace after a case's registration, before which it never
    goes up by itself (the mediator typing in yesterday's paper acts on it first). It depends
    only on the day of registration, so the context remembers it by that day's end."""
    day_end = anchor_after(registered_at, ctx.tz)
    key = ("grace", day_end)
    found = ctx._schedules.get(key)
    if found is None:
        found = ctx._schedules[key] = add_working_days(registered_at, 1, ctx.calendar, ctx.tz).at
    return found


def next_check(case: CaseLike, ctx: Context) -> dt.datetime | None:
    """When the sweep must next look at ``case``: the next warning or deadline of a running
    clock, or the end of the grace that holds back a due escalation. None: nothing to watch."""
    if case.status is CaseStatus.paused:
        return None
    upcoming = [
        instant
        for instant in (next_flag_check(case.deadlines, ctx.now), _escalation_at(case, ctx))
        if instant is not None and instant > ctx.now
    ]
    return min(upcoming, default=None)


def auto_escalate(case: CaseLike, parent: UnitLike | None, ctx: Context) -> dict | None:
    """The system escalating ``case`` to ``parent`` (its holder's parent unit) at ``ctx.now``,
    as an officer's escalation would. Returns the fields of the event to write, or None when
    the state machine refuses."""
    if parent is None or refusal(Action.escalate, state_of(case), None) is not None:
        return None
    data = _system_input(Action.escalate, AUTO_ESCALATE_NOTE)
    before = (case.status, case.level)
    arrive(case, parent, ctx)
    return advance(case, Action.escalate, data, before, {"to_unit_code": parent.code}, ctx, None)


@lru_cache(maxsize=16)
def _system_input(action: Action, note: str) -> ActionInput:
    """The system's own input to an action (always the same note), checked once."""
    return parse_action_input(action, {"note": note})
