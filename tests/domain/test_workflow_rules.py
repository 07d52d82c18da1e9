"""The state machine, checked exhaustively against the rules as docs/rules.md states them: every
action × state × level × role × (holding unit or not) × (in scope or not) × (extended or not)."""

import itertools

import pytest

from mediation.domain.enums import Action, CaseStatus, Level, Role
from mediation.domain.workflow import (
    NEEDS_REASON,
    TRANSITIONS,
    USER_ACTIONS,
    Actor,
    CaseState,
    Refused,
    allowed_actions,
    next_status,
    refusal,
)

S = CaseStatus
OPEN = {S.registered, S.in_mediation, S.paused}

# docs/rules.md#workflow, written out again independently of the code under test.
STARTS = {
    Action.accept: {S.registered},
    Action.pause: {S.in_mediation},
    Action.resume: {S.paused},
    Action.resolve: {S.in_mediation},
    Action.escalate: {S.registered, S.in_mediation},
    Action.assign_down: {S.registered, S.in_mediation},
    Action.refer: OPEN,
    Action.withdraw: OPEN,
    Action.follow_up: {S.resolved},
    Action.reopen: {S.resolved, S.closed},
    Action.extend: OPEN,
    Action.reclassify: OPEN,
    Action.report: OPEN | {S.resolved, S.closed},
    Action.take_over: OPEN,
    Action.session: {S.in_mediation},
}
LEADS_TO = {
    Action.accept: S.in_mediation,
    Action.pause: S.paused,
    Action.resume: S.in_mediation,
    Action.resolve: S.resolved,
    Action.escalate: S.registered,
    Action.assign_down: S.registered,
    Action.refer: S.referred,
    Action.withdraw: S.withdrawn,
    Action.reopen: S.in_mediation,
    Action.take_over: S.registered,
}
SERVES = {
    Role.mediator: Level.village,
    Role.township_officer: Level.township,
    Role.county_officer: Level.county,
}
OFFICERS = {Role.township_officer, Role.county_officer}
HOLDER, OTHER_UNIT = 1, 2


def expected(
    action, status, level, role, *, holds, in_scope, extended, report_due=False
) -> tuple[bool, bool]:
    """(allowed, forbidden-if-refused) by the rules."""
    if role in (Role.viewer, Role.admin) or not in_scope:
        return False, True
    if action is Action.reclassify:
        if role not in OFFICERS:
            return False, True
    elif action is Action.take_over:  # an officer above the unit holding the case
        if role not in OFFICERS:
            return False, True
        if SERVES[role].rank <= level.rank:
            return False, False
    elif action is Action.report:  # anyone at or above the unit holding the case
        own = SERVES[role]
        if own.rank < level.rank or (own is level and not holds):
            return False, True
    elif not holds or SERVES[role] is not level:
        return False, True
    if status not in STARTS[action]:
        return False, False
    if action is Action.escalate and level is Level.county:
        return False, False
    if action is Action.assign_down and level is Level.village:
        return False, False
    if action is Action.extend and extended:
        return False, False
    if action is Action.report and not report_due:  # major, below the county, not reported
        return False, False
    return True, False


def actor(role, *, holds, in_scope):
    level = SERVES.get(role, Level.county)
    return Actor(
        role=role, unit_id=HOLDER if holds else OTHER_UNIT, unit_level=level, in_scope=in_scope
    )


def test_the_rules_cover_every_user_action():
    assert set(USER_ACTIONS) == set(STARTS) == set(TRANSITIONS)
    assert Action.register not in USER_ACTIONS


@pytest.mark.parametrize("action", USER_ACTIONS, ids=lambda a: a.value)
def test_every_combination_is_allowed_exactly_per_the_rules(action):
    mismatches = []
    flags = (True, False)
    combos = itertools.product(CaseStatus, Level, Role, flags, flags, flags, flags)
    for status, level, role, holds, in_scope, extended, due in combos:
        case = CaseState(status, level, HOLDER, is_extended=extended, is_report_due=due)
        who = actor(role, holds=holds, in_scope=in_scope)
        problem = refusal(action, case, who)
        allowed, forbidden = expected(
            action,
            status,
            level,
            role,
            holds=holds,
            in_scope=in_scope,
            extended=extended,
            report_due=due,
        )
        if (problem is None) != allowed or (problem is not None and problem.forbidden != forbidden):
            mismatches.append((status.value, level.value, role.value, holds, in_scope, extended))
        if problem is not None:
            assert isinstance(problem, Refused) and problem.message.msgid
    assert mismatches == []


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_allowed_actions_lists_exactly_the_unrefused_ones_in_a_stable_order(role):
    for status, level, holds, extended in itertools.product(
        CaseStatus, Level, (True, False), (True, False)
    ):
        case = CaseState(status, level, HOLDER, is_extended=extended)
        who = actor(role, holds=holds, in_scope=True)
        offered = allowed_actions(case, who)
        assert offered == [a for a in USER_ACTIONS if refusal(a, case, who) is None]


def test_a_village_mediator_on_a_fresh_case():
    case = CaseState(S.registered, Level.village, HOLDER)
    offered = allowed_actions(case, actor(Role.mediator, holds=True, in_scope=True))
    assert offered == [Action.accept, Action.escalate, Action.refer, Action.withdraw, Action.extend]


def test_escalation_is_refused_at_the_county_with_a_reason():
    case = CaseState(S.in_mediation, Level.county, HOLDER)
    problem = refusal(Action.escalate, case, actor(Role.county_officer, holds=True, in_scope=True))
    assert problem is not None and not problem.forbidden
    assert problem.message.msgid == "The county is the highest level; refer the case instead."


def test_assigning_down_is_refused_at_the_village():
    case = CaseState(S.in_mediation, Level.village, HOLDER)
    problem = refusal(Action.assign_down, case, actor(Role.mediator, holds=True, in_scope=True))
    assert problem.message.msgid == "A village has no unit below it."


def test_the_one_month_limit_is_extended_once():
    who = actor(Role.mediator, holds=True, in_scope=True)
    assert refusal(Action.extend, CaseState(S.in_mediation, Level.village, HOLDER), who) is None
    again = refusal(Action.extend, CaseState(S.in_mediation, Level.village, HOLDER, True), who)
    assert again.message.msgid == "The one-month limit can be extended only once."


def test_a_state_refusal_names_the_state():
    who = actor(Role.mediator, holds=True, in_scope=True)
    problem = refusal(Action.resolve, CaseState(S.registered, Level.village, HOLDER), who)
    assert problem.message.params == {"status_label": S.registered.label}
    assert not problem.forbidden


def test_only_the_holding_level_acts_even_an_officer_above_it():
    case = CaseState(S.in_mediation, Level.village, HOLDER)
    officer = Actor(Role.township_officer, unit_id=7, unit_level=Level.township, in_scope=True)
    problem = refusal(Action.resolve, case, officer)
    assert problem.forbidden and problem.message.params == {"level_label": Level.village.label}
    assert refusal(Action.reclassify, case, officer) is None  # but may change its scale


# Taking over is a person's decision above the case (the system escalates instead).
@pytest.mark.parametrize(
    "action", [a for a in USER_ACTIONS if a is not Action.take_over], ids=lambda a: a.value
)
def test_the_system_has_no_role_but_keeps_the_state_machine(action):
    for status, level, extended in itertools.product(CaseStatus, Level, (True, False)):
        case = CaseState(status, level, HOLDER, is_extended=extended)
        # The system's answer is the holding handler's, whoever that is.
        handler = next(role for role, served in SERVES.items() if served is level)
        role = Role.county_officer if action is Action.reclassify else handler
        allowed, _ = expected(
            action, status, level, role, holds=True, in_scope=True, extended=extended
        )
        assert (refusal(action, case, None) is None) == allowed, (status, level, extended)


@pytest.mark.parametrize(
    "action", [a for a in USER_ACTIONS if a in LEADS_TO], ids=lambda a: a.value
)
def test_each_action_leads_to_its_state(action):
    for status in STARTS[action]:
        assert next_status(action, status) is LEADS_TO[action]


def test_a_follow_up_closes_the_case_only_if_the_agreement_was_performed():
    assert next_status(Action.follow_up, S.resolved, performed=True) is S.closed
    assert next_status(Action.follow_up, S.resolved, performed=False) is S.resolved


@pytest.mark.parametrize("status", sorted(OPEN), ids=lambda s: s.value)
def test_extend_and_reclassify_keep_the_state(status):
    assert next_status(Action.extend, status) is status
    assert next_status(Action.reclassify, status) is status


def test_the_actions_that_need_a_reason():
    assert NEEDS_REASON == {
        Action.pause,
        Action.escalate,
        Action.assign_down,
        Action.withdraw,
        Action.reopen,
        Action.reclassify,
        Action.refer,
        Action.take_over,
    }
