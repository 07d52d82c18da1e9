"""The state machine of a case (docs/rules.md#workflow): which action is allowed from which
state, by which role, at which level. Pure: it decides, the services act.

Only the unit holding the case acts on it, through the role that serves that level (a
village's mediators, a township's officers, the county's officers). Viewers and admins never
act. Officers may also re-classify a case of their area that is still open, and take a case
held below them up to their own level (提级); a major case is reported to the county (报告) by
anyone at or above the unit holding it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .enums import (
    OPEN_STATUSES,
    Action,
    AgreementForm,
    CaseStatus,
    Level,
    ReferralTarget,
    Role,
    Scale,
)
from .i18n import N_, Message
from .intake import REQUIRED, FieldReader, InvalidInput, parse_instant

HANDLER = {
    Level.village: Role.mediator,
    Level.township: Role.township_officer,
    Level.county: Role.county_officer,
}

ACTIVE = frozenset({CaseStatus.registered, CaseStatus.in_mediation})

# action → (states it may start from, the state it leads to; None: decided by the action)
TRANSITIONS: dict[Action, tuple[frozenset[CaseStatus], CaseStatus | None]] = {
    Action.accept: (frozenset({CaseStatus.registered}), CaseStatus.in_mediation),
    Action.pause: (frozenset({CaseStatus.in_mediation}), CaseStatus.paused),
    Action.resume: (frozenset({CaseStatus.paused}), CaseStatus.in_mediation),
    Action.resolve: (frozenset({CaseStatus.in_mediation}), CaseStatus.resolved),
    Action.escalate: (ACTIVE, CaseStatus.registered),
    Action.assign_down: (ACTIVE, CaseStatus.registered),
    Action.refer: (OPEN_STATUSES, CaseStatus.referred),
    Action.withdraw: (OPEN_STATUSES, CaseStatus.withdrawn),
    Action.follow_up: (frozenset({CaseStatus.resolved}), None),  # closed if performed
    Action.reopen: (frozenset({CaseStatus.resolved, CaseStatus.closed}), CaseStatus.in_mediation),
    Action.extend: (OPEN_STATUSES, None),  # the state stays
    Action.reclassify: (OPEN_STATUSES, None),
    Action.report: (
        OPEN_STATUSES | {CaseStatus.resolved, CaseStatus.closed},
        None,
    ),  # the state stays
    Action.take_over: (OPEN_STATUSES, CaseStatus.registered),
    # A mediation session (调解记录) is held once the case is taken up and under mediation; it
    # records a meeting, moves no clock and keeps the state.
    Action.session: (frozenset({CaseStatus.in_mediation}), None),
}

# The actions that need a written reason (the note).
NEEDS_REASON = frozenset(
    {
        Action.pause,
        Action.escalate,
        Action.assign_down,
        Action.withdraw,
        Action.reopen,
        Action.reclassify,
        Action.refer,
        Action.take_over,
    }
)

USER_ACTIONS = tuple(TRANSITIONS)


@dataclass(frozen=True)
class CaseState:
    """What the rules need to know of a case."""

    status: CaseStatus
    level: Level
    holder_id: int
    is_extended: bool = False
    is_report_due: bool = False  # a major case below the county, not reported yet


@dataclass(frozen=True)
class Actor:
    role: Role
    unit_id: int
    unit_level: Level
    in_scope: bool  # the case lies in the actor's subtree


class Refused(Exception):
    """An action not allowed now; ``message`` says why (HTTP 409, or 403 for ``forbidden``)."""

    def __init__(self, message: Message, *, forbidden: bool = False):
        super().__init__(message.msgid)
        self.message = message
        self.forbidden = forbidden


def refusal(action: Action, case: CaseState, actor: Actor | None) -> Refused | None:
    """Why ``actor`` may not do ``action`` to ``case`` now, or None when allowed.

    ``actor`` None is the system (the sweep's auto-escalation): no role to check, but the
    state machine holds for it too."""
    if actor is not None:
        problem = _role_refusal(action, case, actor)
        if problem is not None:
            return problem
    starts, _ = TRANSITIONS[action]
    if case.status not in starts:
        return Refused(
            Message(
                N_("Not possible while the case is %(status_label)s."),
                {"status_label": case.status.label},
            )
        )
    if action is Action.escalate and case.level.parent_level is None:
        return Refused(Message(N_("The county is the highest level; refer the case instead.")))
    if action is Action.assign_down and case.level is Level.village:
        return Refused(Message(N_("A village has no unit below it.")))
    if action is Action.extend and case.is_extended:
        return Refused(Message(N_("The one-month limit can be extended only once.")))
    if action is Action.report and not case.is_report_due:
        return Refused(Message(N_("Only a major case below the county that is not reported yet.")))
    return None


def _role_refusal(action: Action, case: CaseState, actor: Actor) -> Refused | None:
    if actor.role in (Role.viewer, Role.admin) or not actor.in_scope:
        return Refused(Message(N_("Your role may not act on this case.")), forbidden=True)
    if action is Action.reclassify:
        if actor.role not in (Role.township_officer, Role.county_officer):
            return Refused(Message(N_("Only an officer may change the scale.")), forbidden=True)
    elif action is Action.take_over:
        if actor.role not in (Role.township_officer, Role.county_officer):
            return Refused(Message(N_("Only an officer may take a case over.")), forbidden=True)
        if actor.unit_level.rank <= case.level.rank:
            return Refused(
                Message(N_("Only an officer above the unit holding the case may take it over."))
            )
    elif action is Action.report:
        below = actor.unit_level.rank < case.level.rank
        if below or (actor.unit_level is case.level and actor.unit_id != case.holder_id):
            return Refused(
                Message(N_("Only the unit holding the case or one above it may report it.")),
                forbidden=True,
            )
    elif actor.unit_id != case.holder_id or HANDLER[case.level] is not actor.role:
        return Refused(
            Message(
                N_(
                    "Only the unit holding the case may do this;"
                    " it is held at the %(level_label)s level."
                ),
                {"level_label": case.level.label},
            ),
            forbidden=True,
        )
    return None


def allowed_actions(case: CaseState, actor: Actor) -> list[Action]:
    """The actions to offer ``actor`` now, in a stable order."""
    return [action for action in USER_ACTIONS if refusal(action, case, actor) is None]


def next_status(
    action: Action, current: CaseStatus, *, performed: bool | None = None
) -> CaseStatus:
    """The state after ``action`` (the follow-up closes the case only if the agreement was
    performed; extend and reclassify keep the state)."""
    _, target = TRANSITIONS[action]
    if target is not None:
        return target
    if action is Action.follow_up:
        return CaseStatus.closed if performed else CaseStatus.resolved
    return current


@dataclass(frozen=True)
class ActionInput:
    """What an action carries besides its name, checked."""

    note: str = ""
    agreement_form: AgreementForm | None = None
    agreement_terms: str = ""
    agreement_points: str = ""
    agreement_responsibilities: str = ""
    agreement_amount_yuan: Decimal = Decimal("0")
    to_unit_code: str = ""
    refer_to: ReferralTarget | None = None
    performed: bool = False
    satisfied: bool = False
    relapse_risk: bool = False
    scale: Scale | None = None
    held_at: dt.datetime | None = None  # aware
    place: str = ""
    participants: str = ""
    summary: str = ""


NOTE_MAX = 2000
TERMS_MAX = 5000
PLACE_MAX = 200
PARTICIPANTS_MAX = 1000
SESSION_SUMMARY_MAX = 10000
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=5)


def session_time_problem(
    held_at: dt.datetime, *, received_at: dt.datetime, now: dt.datetime
) -> Message | None:
    """Why a mediation session cannot have been held at ``held_at`` (aware): not in the future,
    not before the dispute was received (to the minute: a form gives the time without seconds).
    None when it could."""
    if held_at > now + CLOCK_SKEW:
        return Message(N_("The session cannot be in the future."))
    if held_at < received_at.replace(second=0, microsecond=0):
        return Message(N_("The session cannot be before the dispute was received."))
    return None


def parse_action_input(action: Action, raw: Mapping[str, Any]) -> ActionInput:
    """Check an action's fields (the same for the form and the API); raises InvalidInput."""
    errors: dict[str, Message] = {}
    get = FieldReader(raw, errors)
    note = get.text("note", max_length=NOTE_MAX, required=action in NEEDS_REASON)
    if action in NEEDS_REASON and "note" in errors and errors["note"] is REQUIRED:
        errors["note"] = Message(N_("Give the reason."))
    values: dict = {"note": note}
    if action is Action.resolve:
        agreement = raw.get("agreement")
        if not isinstance(agreement, dict):
            errors["agreement"] = Message(N_("Record the agreement: its form and terms."))
        else:
            inner = FieldReader(agreement, errors, "agreement.")
            values["agreement_form"] = inner.choice("form", AgreementForm)
            values["agreement_terms"] = inner.text("terms", max_length=TERMS_MAX)
            values["agreement_points"] = inner.text(
                "points_in_dispute", max_length=TERMS_MAX, required=False
            )
            values["agreement_responsibilities"] = inner.text(
                "responsibilities", max_length=TERMS_MAX, required=False
            )
            values["agreement_amount_yuan"] = inner.amount("amount_yuan")
    elif action is Action.assign_down:
        values["to_unit_code"] = get.text("to_unit_code", max_length=32)
    elif action is Action.refer:
        values["refer_to"] = get.choice("to", ReferralTarget)
    elif action is Action.follow_up:
        for key in ("performed", "satisfied", "relapse_risk"):
            value = raw.get(key)
            if isinstance(value, str) and value.lower() in {"true", "1", "yes", "on"}:
                value = True
            elif isinstance(value, str) and value.lower() in {"false", "0", "no", "off", ""}:
                value = False
            if not isinstance(value, bool):
                errors[key] = Message(N_("Answer yes or no."))
                value = False
            values[key] = value
    elif action is Action.extend:
        consent = raw.get("consent")
        if consent not in (True, "true", "1", "on", "yes"):
            errors["consent"] = Message(N_("Both parties must consent to the extension."))
    elif action is Action.reclassify:
        values["scale"] = get.choice("scale", Scale)
    elif action is Action.session:
        values["held_at"] = parse_instant(raw.get("held_at"), "held_at", errors)
        values["place"] = get.text("place", max_length=PLACE_MAX)
        values["participants"] = get.text("participants", max_length=PARTICIPANTS_MAX)
        values["summary"] = get.text("summary", max_length=SESSION_SUMMARY_MAX)
    if errors:
        raise InvalidInput(errors)
    return ActionInput(**values)
