"""Moving cases through the workflow, and their clocks (docs/rules.md#workflow, #clocks).

:func:`perform` is the one entry for every action, from the case page, the API and the
scheduler: it checks the version, brings the case up to date at the action's instant
(:func:`catch_up`, exactly what the sweep does), asks the state machine, applies the action,
keeps the clocks, records the facts it causes and writes one immutable event. It flushes; the
caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..domain.calendar import (
    WorkCalendar,
    add_working_days,
    anchor_after,
    working_seconds_between,
)
from ..domain.clocks import (
    ClockSpec,
    ClockState,
    Schedule,
    arrival_clocks,
    clock_state,
    follow_up_clock,
    intake_clocks,
    judicial_clock,
    major_report_clock,
    schedule,
)
from ..domain.enums import Action, AgreementForm, CaseStatus, Clock, Level, Scale
from ..domain.flags import (
    FLAG_WHEN_DUE,
    Fact,
    due_facts,
    escalation_instant,
    facts_of_accepting,
    facts_of_moving_up,
)
from ..domain.flags import next_check as flag_rules_next_check
from ..domain.i18n import N_, Message
from ..domain.intake import InvalidInput
from ..domain.policy import Policy
from ..domain.workflow import (
    ACTIVE,
    ActionInput,
    Actor,
    CaseState,
    next_status,
    parse_action_input,
    refusal,
)
from ..domain.workflow import allowed_actions as domain_allowed_actions
from ..extensions import db
from ..models import Agreement, Case, CaseEvent, Deadline, FollowUp, Unit, User
from . import access
from . import facts as fact_records
from .calendar import work_calendar
from .notify import Notice, Notifier, notify


class Conflict(Exception):
    """The case changed since the user loaded it (a stale ``version``): HTTP 409."""

    def __init__(self, case: Case, version: int):
        super().__init__(f"case {case.id} is at version {case.version}, not {version}")
        self.case = case
        self.version = version

    @property
    def changes(self) -> list[CaseEvent]:
        """What happened since the version the user saw."""
        return [event for event in self.case.events if (event.version or 0) > self.version]


@dataclass(frozen=True)
class Context:
    """What every clock computation needs: the instant, the policy, the calendar, the zone.

    ``now`` is when a change takes effect by the rules; ``recorded_at`` when it is written
    (they differ for an automatic escalation, which takes effect at its instant E whenever
    it is found). It lives for one request or one sweep, so the schedules of clocks started in
    it are remembered (a sweep escalating a thousand cases at ``now`` computes each new deadline
    once). ``found`` and ``stopped`` collect the facts of the case being changed and the clocks
    it stopped, for :func:`record_changes`.
    """

    now: dt.datetime
    policy: Policy
    calendar: WorkCalendar
    tz: ZoneInfo
    recorded_at: dt.datetime | None = None
    _started: dict[tuple, Schedule] = field(default_factory=dict, compare=False, repr=False)
    found: list[Fact] = field(default_factory=list, compare=False, repr=False)
    stopped: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def build(cls, now: dt.datetime, policy: Policy, tz: ZoneInfo) -> Context:
        return cls(now, policy, work_calendar(policy), tz)

    @property
    def recorded(self) -> dt.datetime:
        return self.recorded_at or self.now

    def at(self, instant: dt.datetime) -> Context:
        """The same context taking effect at ``instant`` (written now), sharing what it
        collects."""
        return replace(self, now=instant, recorded_at=self.recorded)

    def schedule_from(self, spec: ClockSpec, started_at: dt.datetime) -> Schedule:
        """The deadline and warning of a clock ``spec`` started at ``started_at``."""
        key = (spec.days, spec.working, started_at)
        found = self._started.get(key)
        if found is None:
            found = self._started[key] = schedule(
                started_at=started_at,
                days=spec.days,
                working=spec.working,
                shift_seconds=0,
                warn_ratio=self.policy.clocks.warn_ratio,
                calendar=self.calendar,
                tz=self.tz,
            )
        return found


def deadline_state(deadline: Deadline, now: dt.datetime) -> ClockState:
    """Where a clock of a case stands at ``now`` (paused with its case)."""
    return clock_state(
        clock=deadline.clock,
        due_at=deadline.due_at,
        met_at=deadline.met_at,
        breached_at=deadline.breached_at,
        stopped_at=deadline.stopped_at,
        is_case_paused=deadline.case.status is CaseStatus.paused,
        now=now,
    )


def actor_for(user: User) -> Actor:
    return Actor(role=user.role, unit_id=user.unit_id, unit_level=user.unit.kind, in_scope=True)


def state_of(case: Case) -> CaseState:
    return CaseState(
        case.status,
        case.level,
        case.holder_id,
        case.is_extended,
        is_report_due=bool(running(case, Clock.major_report)),
    )


def allowed_actions(user: User, case: Case) -> list[Action]:
    """The actions to offer this user on this case (the case was found through access)."""
    return domain_allowed_actions(state_of(case), actor_for(user))


def perform(
    user: User | None,
    case: Case,
    action: Action,
    raw: Mapping[str, Any],
    *,
    version: int | None,
    ctx: Context,
    flush: bool = True,
    notifier: Notifier | None = None,
) -> CaseEvent:
    """Apply ``action`` to ``case`` for ``user`` at ``ctx.now``.

    The case is first brought up to date at that instant (:func:`catch_up`): a mediator who
    acts after the village's deadline finds the case already at the township. Raises Conflict
    (stale version), Refused (not allowed now / not this user's), or InvalidInput (a field of
    the action); the caller then rolls back, and a later sweep finds the same facts with the
    same dates. ``notifier`` tells the people concerned of the facts recorded.
    """
    if version is not None and version != case.version:
        raise Conflict(case, version)
    bring_up_to_date(case, ctx)
    problem = refusal(action, state_of(case), actor_for(user) if user is not None else None)
    if problem is not None:
        raise problem
    data = parse_action_input(action, raw)
    before = (case.status, case.level)
    details = _APPLY[action](case, data, ctx, user)
    event = CaseEvent(**_advance(case, action, data, before, details, ctx, user))
    db.session.add(event)
    db.session.flush()
    notices = record_changes(case, ctx)
    if notifier is not None:
        notify(notices, notifier, ctx.recorded)
    if flush:
        db.session.flush()
    return event


def bring_up_to_date(case: Case, ctx: Context) -> list[CaseEvent]:
    """:func:`catch_up` for a case loaded by the ORM: what fell due by ``ctx.now`` is applied,
    the escalation event (if any) added to the session; the facts stay collected in ``ctx``
    for :func:`record_changes`. Returns the events added."""
    events = [CaseEvent(**fields) for fields in catch_up(case, ctx, parent_of=_parent_of)]
    db.session.add_all(events)
    return events


def _parent_of(case: Case) -> Unit | None:
    return db.session.get(Unit, case.holder.parent_id) if case.holder.parent_id else None


def record_changes(case, ctx: Context) -> list[Notice]:
    """Write the facts found and the flags cleared while changing ``case`` (what ``ctx``
    collected). Returns the notices of the new open flags."""
    found, cleared = collected(case, ctx)
    fact_records.clear(cleared)
    return fact_records.record(found, ctx.recorded)[1]


def collected(case, ctx: Context) -> tuple[list[fact_records.Found], list[tuple[str, Any]]]:
    """What ``ctx`` collected while changing ``case``, emptied: the facts found (one whose clock
    stopped in the same change already cleared) and the flag keys to clear, with when."""
    stopped = {
        key: clock.stopped_at
        for clock in ctx.stopped
        for key in fact_records.flag_keys(case.id, clock)
    }
    found = [fact_records.Found(case, fact, cleared_at=stopped.get(fact.key)) for fact in ctx.found]
    ctx.found.clear()
    ctx.stopped.clear()
    return found, list(stopped.items())


def _advance(
    case,
    action: Action,
    data: ActionInput,
    before: tuple[CaseStatus, Level],
    details: dict | None,
    ctx: Context,
    user: User | None,
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
        actor_id=user.id if user else None,
        action=action.value,
        from_status=before[0],
        to_status=case.status,
        from_level=before[1],
        to_level=case.level,
        note=data.note,
        data=details or {},
        version=case.version,
    )


# --- bringing a case up to date ------------------------------------------------------------


def catch_up(
    case,
    ctx: Context,
    *,
    parent_of: Callable[[Any], Any],
    make: Callable[..., Any] = Deadline,
) -> list[dict[str, Any]]:
    """Apply to ``case`` whatever has fallen due by ``ctx.now``, each at its own instant: the
    sweep does exactly this to every due case, and every action first.

    Running clocks past their deadline are breached at it, and their flags found, dated at
    their warning or deadline; the judicial-confirmation window ends (informational: never a
    breach); a village case whose settle time ran out goes up to the township at E
    (:func:`mediation.domain.flags.escalation_instant`), its flags and the township's clocks
    dated E, and whatever then falls due there by ``ctx.now`` follows in the same call. A
    paused case stands still. ``case`` is a ``Case`` or the sweep's plain copy of one (the same
    attributes); ``make`` builds its new clocks. Returns the fields of the escalation events
    to write (none, or one)."""
    events: list[dict[str, Any]] = []
    if case.status is CaseStatus.paused:
        return events
    while True:
        at = _escalation_at(case, ctx)
        horizon = at if at is not None and at <= ctx.now else ctx.now
        _fall_due(case, ctx, horizon)
        if at is None or at > ctx.now:
            return events
        parent = parent_of(case)
        event = auto_escalate(case, parent, AUTO_ESCALATE_NOTE, ctx.at(at), make)
        if event is None:
            return events
        events.append(event)


AUTO_ESCALATE_NOTE = N_("Escalated automatically: the village's settle time was exceeded.")


def _fall_due(case, ctx: Context, horizon: dt.datetime) -> None:
    for clock in case.deadlines:
        if clock.stopped_at is not None or clock.due_at > horizon:
            continue
        if clock.clock is Clock.judicial_confirmation:
            clock.stopped_at = clock.due_at  # the window ended: shown, never breached
        elif clock.clock in FLAG_WHEN_DUE and clock.breached_at is None:
            clock.breached_at = clock.due_at
    ctx.found.extend(due_facts(case.id, case.deadlines, horizon))


def _escalation_at(case, ctx: Context) -> dt.datetime | None:
    """E, when the case is a village case whose settle time has run out by ``ctx.now`` and the
    policy escalates it; else None."""
    if (
        not ctx.policy.clocks.auto_escalate_village_breach
        or case.level is not Level.village
        or case.status not in ACTIVE
    ):
        return None
    settle = running(case, Clock.settle, level=Level.village)
    if not settle or settle[0].due_at > ctx.now:
        return None
    return escalation_instant(
        settle_due_at=settle[0].due_at,
        grace_ends_at=grace_end(case.created_at, ctx),
        last_event_at=case.last_event_at,
    )


def grace_end(registered_at: dt.datetime, ctx: Context) -> dt.datetime:
    """The end of the 1-working-day grace after a case's registration, before which it never
    goes up by itself (the mediator typing in yesterday's paper acts on it first)."""
    return add_working_days(registered_at, 1, ctx.calendar, ctx.tz).at


def next_check(case, ctx: Context) -> dt.datetime | None:
    """When the sweep must next look at ``case``: the next warning or deadline of a running
    clock, or the end of the grace that holds back a due escalation. None: nothing to watch."""
    if case.status is CaseStatus.paused:
        return None
    upcoming = [
        instant
        for instant in (flag_rules_next_check(case.deadlines, ctx.now), _escalation_at(case, ctx))
        if instant is not None and instant > ctx.now
    ]
    return min(upcoming, default=None)


def auto_escalate(
    case, parent, note: str, ctx: Context, make: Callable[..., Any] = Deadline
) -> dict[str, Any] | None:
    """The system escalating ``case`` to ``parent`` (its holder's parent unit) at ``ctx.now``,
    as :func:`perform` would. Returns the fields of the event to write, or None when the state
    machine refuses."""
    state = state_of(case)
    if parent is None or refusal(Action.escalate, state, None) is not None:
        return None
    data = _system_input(Action.escalate, note)
    before = (case.status, case.level)
    _arrive(case, parent, ctx, make)
    return _advance(case, Action.escalate, data, before, {"to_unit_code": parent.code}, ctx, None)


@lru_cache(maxsize=16)
def _system_input(action: Action, note: str) -> ActionInput:
    """The system's own input to an action (always the same note), checked once."""
    return parse_action_input(action, {"note": note})


def _record_progress(case: Case, action: Action, was: CaseStatus, ctx: Context) -> None:
    """The columns the monthly scorecard counts: the highest level reached and the conclusion
    (agreement, referral or withdrawal: when, at which level)."""
    if case.highest_level is None or case.level.rank > case.highest_level.rank:
        case.highest_level = case.level
    if case.status in CONCLUDED and was not in CONCLUDED:
        case.concluded_at, case.concluded_level, case.concluded_action = (
            ctx.now,
            case.level,
            action.value,
        )
    elif case.status not in CONCLUDED and was in CONCLUDED:
        case.concluded_at = case.concluded_level = case.concluded_action = None  # reopened


CONCLUDED = frozenset(
    {CaseStatus.resolved, CaseStatus.closed, CaseStatus.referred, CaseStatus.withdrawn}
)


# --- clocks -----------------------------------------------------------------------------


def start_clock(
    case: Case,
    spec: ClockSpec,
    started_at: dt.datetime,
    ctx: Context,
    make: Callable[..., Any] = Deadline,
) -> Deadline:
    result = ctx.schedule_from(spec, started_at)
    deadline = make(
        clock=spec.clock,
        level=spec.level,
        started_at=started_at,
        days=spec.days,
        is_working_days=spec.working,
        shift_seconds=0,
        due_at=result.due.at,
        warn_at=result.warn.at,
        is_provisional=result.provisional,
    )
    case.deadlines.append(deadline)
    return deadline


def start_intake_clocks(case: Case, ctx: Context) -> None:
    """The clocks of a new case, counted from when it was received."""
    for spec in intake_clocks(case.scale, case.level, ctx.policy.clocks):
        start_clock(case, spec, case.received_at, ctx)


def running(case: Case, *clocks: Clock, level: Level | None = None) -> list[Deadline]:
    return [
        deadline
        for deadline in case.deadlines
        if deadline.stopped_at is None
        and (not clocks or deadline.clock in clocks)
        and (level is None or deadline.level is level)
    ]


def stop(deadlines: list[Deadline], ctx: Context, *, met: bool = True) -> None:
    """Settle clocks: met if stopped strictly before the deadline (and ``met``), breached if
    stopped at or after it."""
    for deadline in deadlines:
        deadline.stopped_at = ctx.now
        if ctx.now >= deadline.due_at:
            deadline.breached_at = deadline.breached_at or deadline.due_at
        elif met:
            deadline.met_at = ctx.now
        ctx.stopped.append(deadline)  # its flags clear now


def _reschedule(deadline: Deadline, ctx: Context) -> None:
    result = schedule(
        started_at=deadline.started_at,
        days=deadline.days,
        working=deadline.is_working_days,
        shift_seconds=deadline.shift_seconds,
        warn_ratio=ctx.policy.clocks.warn_ratio,
        calendar=ctx.calendar,
        tz=ctx.tz,
    )
    deadline.due_at, deadline.warn_at = result.due.at, result.warn.at
    deadline.is_provisional = result.provisional


def _arrive(case: Case, unit: Unit, ctx: Context, make: Callable[..., Any] = Deadline) -> None:
    """The case moves to ``unit``: the old level's accept and settle clocks are settled, the
    new level's start, and a major case reaching the county has been reported. Moving up, a
    small case leaving the village or a small or big one reaching the county is a fact of
    record (小事出村, 大事出乡), judged by its scale now."""
    if unit.kind.rank > case.level.rank:
        ctx.found.extend(facts_of_moving_up(case.id, case.scale, unit.kind, ctx.now))
    stop(running(case, Clock.accept, Clock.settle), ctx)
    case.holder_id, case.level = unit.id, unit.kind
    case.holder = unit
    for spec in arrival_clocks(unit.kind, ctx.policy.clocks):
        start_clock(case, spec, ctx.now, ctx, make)
    if unit.kind.rank >= case.home_level.rank:
        stop(running(case, Clock.major_report), ctx)


# --- the actions ----------------------------------------------------------------------------


def _accept(case: Case, data: ActionInput, ctx: Context, user) -> None:
    stop(running(case, Clock.accept, level=case.level), ctx)
    if case.level is not Level.village:
        ctx.found.extend(
            facts_of_accepting(case.id, case.scale, case.level, _registered_level(case), ctx.now)
        )


def _registered_level(case: Case) -> Level:
    first = db.session.scalar(
        select(CaseEvent.to_level)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == "register")
        .limit(1)
    )
    return first or case.level


def _pause(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    return {"paused_at": ctx.now.isoformat()}


def _resume(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    """Every running clock moves by the time the case was paused: working time for a
    working-day clock, elapsed time for a calendar-day one."""
    paused_at, shifted = _shift_for_pause(case, ctx)
    return {"paused_at": paused_at.isoformat(), "shifted": shifted}


def _shift_for_pause(case: Case, ctx: Context) -> tuple[dt.datetime, int]:
    """Move each running deadline by the part of the pause (from the last pause to now)
    during which it was counting; returns the pause's start and how many moved."""
    paused_at = _last_pause(case)
    shifted = 0
    for deadline in running(case):
        if deadline.due_at <= paused_at:
            continue  # already overdue when paused: stays so
        seconds = _paused_seconds(deadline, paused_at, ctx)
        if seconds:
            deadline.shift_seconds += seconds
            _reschedule(deadline, ctx)
            shifted += 1
    return paused_at, shifted


def _paused_seconds(deadline: Deadline, paused_at: dt.datetime, ctx: Context) -> int:
    """The paused time that held this clock back. A working-day clock counts from the end of
    its start's local day, and a clock started during the pause (a re-classification) only
    from its start: time before that never counted, so it moves nothing."""
    if deadline.is_working_days:
        counting_from = max(paused_at, anchor_after(deadline.started_at, ctx.tz))
        return working_seconds_between(counting_from, ctx.now, ctx.calendar, ctx.tz)[0]
    counting_from = max(paused_at, deadline.started_at)
    return max(0, int((ctx.now - counting_from).total_seconds()))


def paused_since(case: Case) -> dt.datetime | None:
    """When a paused case was paused (its clocks stand still from then); None if not paused."""
    if case.status is not CaseStatus.paused:
        return None
    return _last_pause(case)


def _last_pause(case: Case) -> dt.datetime:
    return db.session.scalar(
        select(CaseEvent.at)
        .where(CaseEvent.case_id == case.id, CaseEvent.action == Action.pause.value)
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
        .limit(1)
    )


def _resolve(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    agreement = Agreement(
        case_id=case.id,
        form=data.agreement_form,
        terms=data.agreement_terms,
        points_in_dispute=data.agreement_points or None,
        responsibilities=data.agreement_responsibilities or None,
        amount_fen=int(data.agreement_amount_yuan * 100),
        level=case.level,
        unit_id=case.holder_id,
        mediator_id=user.id if user else None,
        agreed_at=ctx.now,
    )
    db.session.add(agreement)
    # Resolving does not report a major case: its report clock runs on until reported.
    stop(running(case, Clock.accept, Clock.settle, Clock.statutory), ctx)
    start_clock(case, follow_up_clock(case.level, ctx.policy.clocks), ctx.now, ctx)
    if data.agreement_form is AgreementForm.written:
        start_clock(case, judicial_clock(case.level), ctx.now, ctx)
    db.session.flush()
    return {
        "agreement_id": agreement.id,
        "form": data.agreement_form.value,
        "amount_yuan": str(data.agreement_amount_yuan),
    }


def _escalate(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    parent = db.session.get(Unit, case.holder.parent_id)
    _arrive(case, parent, ctx)
    return {"to_unit_code": parent.code}


def _assign_down(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    target = access.find_unit(user, data.to_unit_code) if user else None
    # Only the case's own township or village: another unit's users could not even see it.
    own = target is not None and target.id in (case.village_id, case.township_id)
    if not own or target.kind.rank >= case.level.rank or not _below(target, case.holder):
        raise InvalidInput(
            {"to_unit_code": Message(N_("Choose a unit below the one holding the case."))}
        )
    _arrive(case, target, ctx)
    return {"to_unit_code": target.code}


def _below(unit: Unit, holder: Unit) -> bool:
    return holder.id in (unit.parent_id, unit.township_id, unit.county_id) and unit.id != holder.id


def _conclude(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    """Referral settles the case's clocks (met if in time); withdrawal only stops them. A
    report still owed is no longer owed either way, but was not made."""
    if case.status is CaseStatus.paused:
        _shift_for_pause(case, ctx)  # the clocks stood still while paused: no breach from it
    stop(running(case, Clock.major_report), ctx, met=False)
    stop(running(case), ctx, met=data.refer_to is not None)
    return {"to": data.refer_to.value} if data.refer_to else {}


def _follow_up(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    db.session.add(
        FollowUp(
            case_id=case.id,
            at=ctx.now,
            actor_id=user.id if user else None,
            is_performed=data.performed,
            is_satisfied=data.satisfied,
            has_relapse_risk=data.relapse_risk,
            note=data.note,
        )
    )
    stop(running(case, Clock.follow_up), ctx)
    return {
        "performed": data.performed,
        "satisfied": data.satisfied,
        "relapse_risk": data.relapse_risk,
    }


def _reopen(case: Case, data: ActionInput, ctx: Context, user) -> None:
    """Mediation starts again where the case is: a new settle clock at its level, and a new
    one-month limit from the reopening (which may be extended once again)."""
    stop(running(case, Clock.follow_up), ctx, met=False)
    clocks = ctx.policy.clocks
    settle = clocks.settle_working_days[case.level]
    start_clock(case, ClockSpec(Clock.settle, case.level, settle, True), ctx.now, ctx)
    limit = ClockSpec(Clock.statutory, case.level, clocks.statutory_calendar_days, False)
    start_clock(case, limit, ctx.now, ctx)
    case.is_extended = False


def _extend(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    extra = ctx.policy.clocks.extension_calendar_days
    for deadline in running(case, Clock.statutory):
        deadline.days += extra
        _reschedule(deadline, ctx)
    case.is_extended = True
    return {"days": extra}


def _reclassify(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    old = case.scale
    reports = running(case, Clock.major_report)
    case.scale, case.home_level = data.scale, data.scale.home_level
    case.is_scale_overridden = True
    case.scale_reasons = [Message(N_("set by an officer: %(reason)s"), {"reason": data.note})]
    if data.scale is Scale.major and case.level is not Level.county and not reports:
        start_clock(case, major_report_clock(case.level, ctx.policy.clocks), ctx.now, ctx)
    elif data.scale is not Scale.major:
        stop(reports, ctx, met=False)  # no longer owed, but not reported either
    return {"from_scale": old.value, "to_scale": data.scale.value}


def _report(case: Case, data: ActionInput, ctx: Context, user) -> None:
    """A major case reported to the county (报告): the county is told; the case stays."""
    stop(running(case, Clock.major_report), ctx)


def _take_over(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    """An officer takes the case up to his own unit (提级): it arrives there exactly as on
    escalation."""
    if case.status is CaseStatus.paused:
        _shift_for_pause(case, ctx)  # the clocks stood still while paused
    _arrive(case, user.unit, ctx)
    return {"to_unit_code": user.unit.code}


_APPLY = {
    Action.accept: _accept,
    Action.pause: _pause,
    Action.resume: _resume,
    Action.resolve: _resolve,
    Action.escalate: _escalate,
    Action.assign_down: _assign_down,
    Action.refer: _conclude,
    Action.withdraw: _conclude,
    Action.follow_up: _follow_up,
    Action.reopen: _reopen,
    Action.extend: _extend,
    Action.reclassify: _reclassify,
    Action.report: _report,
    Action.take_over: _take_over,
}
