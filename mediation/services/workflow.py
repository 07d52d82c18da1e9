"""Moving cases through the workflow, and their clocks (docs/rules.md#workflow, #clocks).

:func:`perform` is the one entry for every action, from the case page, the API and the
scheduler: it checks the version, brings the case up to date at the action's instant
(:func:`catch_up`, exactly what the sweep does), asks the state machine, applies the action,
keeps the clocks, records the facts it causes and writes one immutable event. It flushes; the
caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..domain import progress
from ..domain.clocks import ClockState, clock_state
from ..domain.enums import Action, AgreementForm, CaseNews, CaseStatus, Level
from ..domain.i18n import N_, Message
from ..domain.intake import InvalidInput
from ..domain.policy import Policy
from ..domain.progress import catch_up, state_of
from ..domain.workflow import (
    ActionInput,
    Actor,
    parse_action_input,
    refusal,
    session_time_problem,
)
from ..domain.workflow import allowed_actions as domain_allowed_actions
from ..extensions import db
from ..models import Agreement, Case, CaseEvent, Deadline, FollowUp, Unit, User
from ..platform import runtime
from . import access
from . import facts as fact_records
from .calendar import work_calendar
from .notify import Notice, Notifier, notify, tell_case_news


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
class Context(progress.Context):
    """The domain's context with this installation's working calendar, building ORM
    ``Deadline`` rows for the clocks it starts."""

    @classmethod
    def build(cls, now: dt.datetime, policy: Policy, tz: ZoneInfo) -> Context:
        return cls(now, policy, work_calendar(policy), tz, new_clock=Deadline)

    @classmethod
    def current(cls) -> Context:
        """The context of the request or command under way: its one reading of the clock,
        the policy in force and the local zone."""
        return cls.build(runtime.utcnow(), runtime.policy(), runtime.tz())


def deadline_state(
    deadline: Deadline, now: dt.datetime, *, is_case_paused: bool | None = None
) -> ClockState:
    """Where a clock of a case stands at ``now``: paused with its case (by default, read from
    the case), the same for the pages and the API."""
    if is_case_paused is None:
        is_case_paused = deadline.case.status is CaseStatus.paused
    return clock_state(
        clock=deadline.clock,
        due_at=deadline.due_at,
        met_at=deadline.met_at,
        breached_at=deadline.breached_at,
        stopped_at=deadline.stopped_at,
        is_case_paused=is_case_paused,
        now=now,
    )


def actor_for(user: User) -> Actor:
    return Actor(role=user.role, unit_id=user.unit_id, unit_level=user.unit.kind, in_scope=True)


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
    actor_id = user.id if user is not None else None
    event = CaseEvent(**progress.advance(case, action, data, before, details, ctx, actor_id))
    db.session.add(event)
    db.session.flush()
    notices = record_changes(case, ctx)
    if notifier is not None:
        notify(notices, notifier, ctx.recorded)
    if action is Action.report:  # the county is told and sees it
        tell_case_news(case, CaseNews.major_case_reported, ctx.recorded, user)
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
    """What ``ctx`` collected while changing ``case``, emptied (:func:`progress.collect`): the
    facts found and the flag keys to clear, with when."""
    found, cleared = progress.collect(case.id, ctx)
    return [fact_records.Found(case, fact, cleared_at) for fact, cleared_at in found], list(
        cleared.items()
    )


def start_intake_clocks(case: Case, ctx: Context) -> None:
    """The clocks of a new case, counted from when it was received."""
    progress.start_intake_clocks(case, case.received_at, ctx)


# --- the actions: the domain's rules, and the rows beside them ---------------------------------


def _accept(case: Case, data: ActionInput, ctx: Context, user) -> None:
    progress.accept(case, _registered_level(case), ctx)


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
    paused_at = _last_pause(case)
    return {"paused_at": paused_at.isoformat(), "shifted": progress.resume(case, paused_at, ctx)}


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
    progress.resolve(case, written=data.agreement_form is AgreementForm.written, ctx=ctx)
    db.session.flush()
    return {
        "agreement_id": agreement.id,
        "form": data.agreement_form.value,
        "amount_yuan": str(data.agreement_amount_yuan),
    }


def _escalate(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    parent = db.session.get(Unit, case.holder.parent_id)
    progress.arrive(case, parent, ctx)
    return {"to_unit_code": parent.code}


def _assign_down(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    target = access.find_unit(user, data.to_unit_code) if user else None
    # Only the case's own township or village: another unit's users could not even see it.
    own = target is not None and target.id in (case.village_id, case.township_id)
    if not own or target.kind.rank >= case.level.rank or not _below(target, case.holder):
        raise InvalidInput(
            {"to_unit_code": Message(N_("Choose a unit below the one holding the case."))}
        )
    progress.arrive(case, target, ctx)
    return {"to_unit_code": target.code}


def _below(unit: Unit, holder: Unit) -> bool:
    return holder.id in (unit.parent_id, unit.township_id, unit.county_id) and unit.id != holder.id


def _conclude(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    referred = data.refer_to is not None
    progress.conclude(case, referred=referred, paused_at=paused_since(case), ctx=ctx)
    return {"to": data.refer_to.value} if referred else {}


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
    progress.follow_up(case, ctx)
    return {
        "performed": data.performed,
        "satisfied": data.satisfied,
        "relapse_risk": data.relapse_risk,
    }


def _reopen(case: Case, data: ActionInput, ctx: Context, user) -> None:
    progress.reopen(case, ctx)


def _extend(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    return {"days": progress.extend(case, ctx)}


def _reclassify(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    old = case.scale
    progress.reclassify(case, data.scale, data.note, ctx)
    return {"from_scale": old.value, "to_scale": data.scale.value}


def _report(case: Case, data: ActionInput, ctx: Context, user) -> None:
    progress.report(case, ctx)


def _take_over(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    progress.take_over(case, user.unit, paused_at=paused_since(case), ctx=ctx)
    return {"to_unit_code": user.unit.code}


def _session(case: Case, data: ActionInput, ctx: Context, user) -> dict:
    """A mediation session's record (调解记录): when, where, who, what was said and agreed.
    It moves no clock."""
    problem = session_time_problem(data.held_at, received_at=case.received_at, now=ctx.now)
    if problem is not None:
        raise InvalidInput({"held_at": problem})
    return {
        "held_at": data.held_at.isoformat(),
        "place": data.place,
        "participants": data.participants,
        "summary": data.summary,
    }


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
    Action.session: _session,
}
