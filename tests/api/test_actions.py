"""POST /cases/{id}/actions: the state machine through HTTP, refusals that change nothing,
required fields, version conflicts, escalation and assignment with their clocks."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from mediation.domain.enums import CaseStatus, Level, Role
from mediation.extensions import db
from mediation.models import Case, CaseEvent

from .casework import (
    ACTIONS,
    DOWN,
    HANDLER,
    LEADS_TO,
    LEVELS,
    ROLES,
    SERVES,
    STATES,
    TOWNSHIP,
    UP,
    VILLAGE,
    act,
    body,
    case_in,
    expected_answer,
    snapshot,
)


def post_action(api, user, case_id: int, payload: dict, version: int | None = None):
    if version is not None:
        payload = {**payload, "version": version}
    return api.post(user, f"/cases/{case_id}/actions", payload)


@pytest.mark.parametrize("level", LEVELS)
def test_transition_matrix(api, make, world, level):
    """Every action × state × role at this level: 200 exactly when the rules allow, else 403
    (role or unit) or 409 (state), and a refusal changes nothing. ``allowed_actions`` offers
    exactly the actions that succeed."""
    users = {role: getattr(world, role) for role in ROLES}
    problems = []
    for state in STATES:
        case = case_in(make, world, level, state)
        before = snapshot(case.id)
        for role, user in users.items():
            allowed = [a for a in ACTIONS if expected_answer(a, state, level, role) == 200]
            shown = api.get(user, f"/cases/{case.id}").get_json()["allowed_actions"]
            if shown != allowed:
                problems.append(f"{state}/{role}: allowed_actions {shown}, expected {allowed}")
            for action in ACTIONS:
                want = expected_answer(action, state, level, role)
                if want == 200:
                    continue  # tried on a fresh copy below
                response = post_action(api, user, case.id, body(action, level), before.version)
                got = response.status_code
                code = (response.get_json().get("error") or {}).get("code")
                want_code = "forbidden" if want == 403 else "not_allowed"
                if (got, code) != (want, want_code):
                    problems.append(
                        f"{action} by {role} when {state}: {got} {code}, "
                        f"expected {want} {want_code}"
                    )
                if snapshot(case.id) != before:
                    problems.append(f"{action} by {role} when {state}: refused but changed")
                    before = snapshot(case.id)
        for role, user in users.items():
            for action in ACTIONS:
                if expected_answer(action, state, level, role) != 200:
                    continue
                fresh = case_in(make, world, level, state)
                start = snapshot(fresh.id)
                response = post_action(api, user, fresh.id, body(action, level), start.version)
                if response.status_code != 200:
                    problems.append(
                        f"{action} by {role} when {state}: "
                        f"{response.status_code} {response.get_json()}, expected 200"
                    )
                    continue
                shown = response.get_json()
                after = snapshot(fresh.id)
                new_level = {
                    "escalate": UP.get(level),
                    "assign_down": DOWN.get(level),
                    "take_over": SERVES[role],
                }.get(action, level)
                expected = (
                    LEADS_TO[action] or state,
                    new_level,
                    start.version + 1,
                    start.events + 1,
                )
                if (after.status, after.level, after.version, after.events) != expected:
                    problems.append(
                        f"{action} by {role} when {state}: now {after}, "
                        f"expected (status, level, version, events) {expected}"
                    )
                if (shown["status"], shown["level"], shown["version"]) != expected[:3]:
                    problems.append(
                        f"{action} by {role} when {state}: answered {shown['status']}"
                        f" {shown['level']} v{shown['version']}"
                    )
    assert not problems, "\n".join(problems)


def test_extend_only_once(api, make, world):
    case = case_in(make, world, "village", "in_mediation")
    first = post_action(api, world.mediator, case.id, body("extend"), case.version)
    assert first.status_code == 200
    shown = first.get_json()
    assert shown["is_extended"] is True and "extend" not in shown["allowed_actions"]
    [statutory] = [d for d in shown["deadlines"] if d["clock"] == "statutory"]
    assert statutory["days"] == 60 and statutory["running"] and not statutory["working_days"]

    before = snapshot(case.id)
    again = post_action(api, world.mediator, case.id, body("extend"), shown["version"])
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "not_allowed"
    assert snapshot(case.id) == before


def test_refusals_are_explained_in_the_requests_language(api, make, world):
    case = case_in(make, world, "village", "registered")
    wrong_state = post_action(api, world.mediator, case.id, body("resume"), case.version)
    assert wrong_state.status_code == 409
    assert api.post(
        world.mediator,
        f"/cases/{case.id}/actions",
        {**body("resume"), "version": case.version},
        lang="en",
    ).get_json() == {
        "error": {"code": "not_allowed", "message": "Not possible while the case is Registered."}
    }
    wrong_level = api.post(
        world.township_officer,
        f"/cases/{case.id}/actions",
        {**body("accept"), "version": case.version},
        lang="en",
    )
    assert wrong_level.status_code == 403
    assert wrong_level.get_json()["error"] == {
        "code": "forbidden",
        "message": "Only the unit holding the case may do this; it is held at the Village level.",
    }


@pytest.mark.parametrize(
    "outsider", ["mediator_east", "mediator_other_township", "other_township_officer"]
)
def test_out_of_scope_is_not_found(api, make, world, outsider):
    case = case_in(make, world, "township", "registered")
    before = snapshot(case.id)
    user = getattr(world, outsider)
    response = post_action(api, user, case.id, body("accept"), case.version)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert api.get(user, f"/cases/{case.id}").status_code == 404
    assert snapshot(case.id) == before


def test_an_unknown_case_is_not_found(api, world):
    assert post_action(api, world.county_officer, 999, body("accept"), 1).status_code == 404


def test_a_village_mediator_still_sees_his_escalated_case_but_may_not_act(api, make, world):
    case = case_in(make, world, "village", "registered")
    act(world.mediator, case, "escalate")
    shown = api.get(world.mediator, f"/cases/{case.id}").get_json()
    assert shown["level"] == "township" and shown["allowed_actions"] == []
    response = post_action(api, world.mediator, case.id, body("accept"), shown["version"])
    assert response.status_code == 403


# --- required fields -------------------------------------------------------------------------
# Each test below tries many bodies on one case: a refused body changes nothing, so the case
# stays as it was for the next one.


def refuse_all(api, user, case, bodies, status=422):
    """Post each (label, body, fields) and check the answer names exactly those fields and
    that nothing changed."""
    before = snapshot(case.id)
    for label, payload, fields in bodies:
        response = api.post(user, f"/cases/{case.id}/actions", payload)
        assert response.status_code == status, (label, response.get_json())
        error = response.get_json()["error"]
        assert sorted(error.get("fields", {})) == sorted(fields), (label, error)
        assert snapshot(case.id) == before, label


REASONS = [
    # action, level, state, acting role
    ("pause", "village", "in_mediation", "mediator"),
    ("escalate", "village", "registered", "mediator"),
    ("withdraw", "village", "registered", "mediator"),
    ("assign_down", "township", "registered", "township_officer"),
    ("reopen", "village", "resolved", "mediator"),
    ("reclassify", "village", "registered", "township_officer"),
    ("refer", "township", "in_mediation", "township_officer"),
]


@pytest.mark.parametrize("action, level, state, role", REASONS, ids=[r[0] for r in REASONS])
def test_a_reason_is_required(api, make, world, action, level, state, role):
    case = case_in(make, world, level, state)
    missing = {k: v for k, v in body(action, level).items() if k != "note"}
    bodies = [
        ("missing", missing),
        ("empty", {**missing, "note": ""}),
        ("blank", {**missing, "note": "   "}),
        ("not text", {**missing, "note": 5}),
        ("too long", {**missing, "note": "理" * 2001}),
    ]
    refuse_all(
        api,
        getattr(world, role),
        case,
        [(label, {**b, "version": case.version}, ["note"]) for label, b in bodies],
    )
    response = post_action(api, getattr(world, role), case.id, body(action, level), case.version)
    assert response.status_code == 200  # the same with a reason goes through


def test_resolve_needs_an_agreement(api, make, world):
    case = case_in(make, world, "village", "in_mediation")
    agreements = [
        (None, ["agreement"]),
        ("written", ["agreement"]),
        ([], ["agreement"]),
        ({"terms": "赔偿 500 元"}, ["agreement.form"]),
        ({"form": "handshake", "terms": "赔偿 500 元"}, ["agreement.form"]),
        ({"form": "oral"}, ["agreement.terms"]),
        ({"form": "oral", "terms": "赔偿", "amount_yuan": "-5"}, ["agreement.amount_yuan"]),
        ({"form": "oral", "terms": "赔偿", "amount_yuan": "1.234"}, ["agreement.amount_yuan"]),
    ]
    bodies = []
    for agreement, fields in agreements:
        payload = {"action": "resolve", "version": case.version}
        if agreement is not None:
            payload["agreement"] = agreement
        bodies.append((repr(agreement), payload, fields))
    refuse_all(api, world.mediator, case, bodies)


def test_extend_needs_consent(api, make, world):
    case = case_in(make, world, "village", "registered")
    bodies = [
        (
            repr(consent),
            {"action": "extend", "version": case.version, "consent": consent},
            ["consent"],
        )
        for consent in (False, "no", 0, None, "")
    ]
    bodies.append(("missing", {"action": "extend", "version": case.version}, ["consent"]))
    refuse_all(api, world.mediator, case, bodies)


def test_assign_down_only_to_the_cases_own_lower_unit(api, make, world):
    targets = {
        "township": [
            "",
            "410522100000",  # itself
            "410522000000",  # above it
            "410522100202",  # a village below, but not the case's own: its users could not see it
            "410522101201",  # another township's village: outside the area
            "999999999999",  # no such unit
        ],
        "county": ["410522101000", "410522101201", "410522000000"],  # not the case's township
    }
    for level, codes in targets.items():
        case = case_in(make, world, level, "registered")
        refuse_all(
            api,
            getattr(world, HANDLER[level]),
            case,
            [
                (
                    code,
                    {**body("assign_down", level, to_unit_code=code), "version": case.version},
                    ["to_unit_code"],
                )
                for code in codes
            ],
        )


@pytest.mark.parametrize("target, level", [(VILLAGE, "village"), (TOWNSHIP, "township")])
def test_the_county_assigns_down_to_the_cases_township_or_village(api, make, world, target, level):
    case = case_in(make, world, "county", "in_mediation")
    response = post_action(
        api,
        world.county_officer,
        case.id,
        body("assign_down", "county", to_unit_code=target),
        case.version,
    )
    assert response.status_code == 200
    assert response.get_json()["holder_code"] == target
    assert response.get_json()["level"] == level


def test_other_fields_are_checked(api, make, world):
    registered = case_in(make, world, "village", "registered")
    refuse_all(
        api,
        world.mediator,
        registered,
        [
            (repr(value), {**body("refer", to=value), "version": registered.version}, ["to"])
            for value in ("prison", None, 3)
        ],
    )
    refuse_all(
        api,
        world.township_officer,
        registered,
        [
            (
                repr(value),
                {**body("reclassify", scale=value), "version": registered.version},
                ["scale"],
            )
            for value in ("huge", None, ["big"])
        ],
    )
    resolved = case_in(make, world, "village", "resolved")
    refuse_all(
        api,
        world.mediator,
        resolved,
        [
            (
                f"{field}={value!r}",
                {**body("follow_up", **{field: value}), "version": resolved.version},
                [field],
            )
            for field, value in (
                ("performed", "maybe"),
                ("satisfied", None),
                ("relapse_risk", 3),
                ("performed", []),
            )
        ],
    )


def test_the_action_and_the_version_are_checked_first(api, make, world):
    case = case_in(make, world, "village", "registered")
    v = case.version
    bodies = [
        ({"action": "accept"}, ["version"]),
        ({"action": "accept", "version": None}, ["version"]),
        ({"action": "accept", "version": "1"}, ["version"]),
        ({"action": "accept", "version": 1.5}, ["version"]),
        ({"action": "accept", "version": True}, ["version"]),
        ({"version": v}, ["action"]),
        ({"action": "frobnicate", "version": v}, ["action"]),
        ({"action": "register", "version": v}, ["action"]),
        ({"action": ["accept"], "version": v}, ["action"]),
        ({"action": "accept", "version": v, "status": "closed"}, ["status"]),
        ({}, ["action", "version"]),
    ]
    refuse_all(api, world.mediator, case, [(repr(b), b, fields) for b, fields in bodies])
    # The envelope comes before the rules: a viewer without a version hears about the version.
    refuse_all(api, world.viewer, case, [("viewer", {"action": "accept"}, ["version"])])


def test_a_body_that_is_not_a_json_object_is_400(api, make, world):
    case = case_in(make, world, "village", "registered")
    before = snapshot(case.id)
    for data in ["not json", "[1, 2]", '"accept"', "{NaN}", ""]:
        response = api.post(
            world.mediator, f"/cases/{case.id}/actions", data=data, content_type="application/json"
        )
        assert response.status_code == 400, data
        assert response.get_json()["error"]["code"] == "bad_request"
    form = api.post(
        world.mediator, f"/cases/{case.id}/actions", data={"action": "accept", "version": "1"}
    )
    assert form.status_code == 400
    assert snapshot(case.id) == before


ODD_VALUES = [
    None,
    True,
    0,
    -1,
    1.5,
    1e308,
    10**30,
    "",
    " ",
    "x" * 6000,
    [],
    {},
    [1],
    {"a": 1},
    "NaN",
    "Infinity",
    "1e999999999",
    "1e-999999999",
    "\u0000",
]
ODD_FIELDS = [
    ("pause", "note"),
    ("assign_down", "to_unit_code"),
    ("refer", "to"),
    ("follow_up", "performed"),
    ("extend", "consent"),
    ("reclassify", "scale"),
    ("resolve", "agreement"),
    ("resolve", "agreement.amount_yuan"),
    ("resolve", "agreement.form"),
    ("resolve", "agreement.terms"),
    ("accept", "version"),
]


def test_odd_values_never_give_a_500(api, make, world):
    for action, field in ODD_FIELDS:
        level = "township" if action == "assign_down" else "village"
        state = {"pause": "in_mediation", "resolve": "in_mediation", "follow_up": "resolved"}.get(
            action, "registered"
        )
        role = "township_officer" if action in ("assign_down", "reclassify") else HANDLER[level]
        case = case_in(make, world, level, state)
        for value in ODD_VALUES:
            payload = {**body(action, level), "version": snapshot(case.id).version}
            if field.startswith("agreement."):
                payload["agreement"] = {**payload["agreement"], field.split(".")[1]: value}
            else:
                payload[field] = value
            response = post_action(api, getattr(world, role), case.id, payload)
            assert response.status_code in (200, 409, 422), (field, value, response.get_json())
            if response.status_code == 200:  # start again from the same state
                case = case_in(make, world, level, state)


# --- versions ---------------------------------------------------------------------------------


def test_a_stale_version_is_a_conflict_that_lists_the_changes(api, make, world):
    second = make.user("baibi2", Role.township_officer, TOWNSHIP)
    case = case_in(make, world, "township", "registered")
    seen_by_first = api.get(world.township_officer, f"/cases/{case.id}").get_json()
    seen_by_second = api.get(second, f"/cases/{case.id}").get_json()
    assert seen_by_first["version"] == seen_by_second["version"]
    version = seen_by_first["version"]

    first = post_action(api, world.township_officer, case.id, body("accept"), version)
    assert first.status_code == 200 and first.get_json()["version"] == version + 1
    before = snapshot(case.id)

    late = post_action(api, second, case.id, body("withdraw", note="双方已和解"), version)

    assert late.status_code == 409
    error = late.get_json()["error"]
    assert error["code"] == "version_conflict" and error["message"]
    assert error["current_version"] == version + 1
    [change] = error["changes"]
    assert change["action"] == "accept" and change["actor"] == "baibi"
    assert change["from_status"] == "registered" and change["to_status"] == "in_mediation"
    assert change["version"] == version + 1
    events = api.get(second, f"/cases/{case.id}/events").get_json()
    assert change == events[-1]
    assert snapshot(case.id) == before  # not withdrawn: nothing overwritten
    assert api.get(second, f"/cases/{case.id}").get_json()["status"] == "in_mediation"

    retried = post_action(api, second, case.id, body("withdraw"), error["current_version"])
    assert retried.status_code == 200 and retried.get_json()["status"] == "withdrawn"


def test_a_conflict_lists_every_change_since_the_callers_version(api, make, world):
    case = case_in(make, world, "village", "registered")
    old_version = case.version
    act(world.mediator, case, "accept")
    act(world.mediator, case, "pause")
    response = post_action(api, world.mediator, case.id, body("accept"), old_version)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert [change["action"] for change in error["changes"]] == ["accept", "pause"]
    assert error["current_version"] == old_version + 2


def test_a_conflict_comes_before_a_refusal(api, make, world):
    case = case_in(make, world, "village", "in_mediation")
    response = post_action(api, world.mediator, case.id, body("accept"), case.version - 1)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "version_conflict"


def test_two_writers_at_once_the_second_gets_a_conflict(api, make, world, monkeypatch):
    """Both pass the version check; the other commits first; ours fails at the write
    (SQLAlchemy's version counter) and answers 409 without saving anything."""
    from mediation.api import views

    case = case_in(make, world, "village", "registered")
    version = case.version
    real_perform = views.perform

    def racing_perform(user, case, action, raw, **kwargs):
        with Session(db.engine) as other:  # another request, its own connection
            theirs = other.get(Case, case.id)
            theirs.status = CaseStatus.in_mediation
            theirs.version += 1  # as every action does (services.workflow.perform)
            other.flush()
            other.add(
                CaseEvent(
                    case_id=theirs.id,
                    at=theirs.updated_at,
                    recorded_at=theirs.updated_at,
                    action="accept",
                    from_status=CaseStatus.registered,
                    to_status=CaseStatus.in_mediation,
                    from_level=Level.village,
                    to_level=Level.village,
                    note="",
                    data={},
                    version=theirs.version,
                )
            )
            other.commit()
        return real_perform(user, case, action, raw, **kwargs)

    monkeypatch.setattr(views, "perform", racing_perform)
    response = post_action(api, world.mediator, case.id, body("withdraw"), version)
    monkeypatch.undo()

    assert response.status_code == 409, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "version_conflict" and error["current_version"] == version + 1
    assert [change["action"] for change in error["changes"]] == ["accept"]
    after = snapshot(case.id)
    assert (after.status, after.version, after.events) == ("in_mediation", version + 1, 2)
    assert all(stopped is None for _, _, stopped, _ in after.deadlines)  # withdraw undone
    count = db.session.execute(text("SELECT count(*) FROM case_events WHERE action = 'withdraw'"))
    assert count.scalar() == 0


# --- levels and clocks ------------------------------------------------------------------------


def deadlines(shown: dict, level: str | None = None) -> dict:
    return {d["clock"]: d for d in shown["deadlines"] if level is None or d["level"] == level}


def test_escalation_moves_the_case_and_its_clocks(api, make, world):
    case = case_in(make, world, "village", "in_mediation")
    response = post_action(api, world.mediator, case.id, body("escalate"), case.version)

    assert response.status_code == 200
    shown = response.get_json()
    assert (shown["level"], shown["holder_code"], shown["status"]) == (
        "township",
        TOWNSHIP,
        "registered",
    )
    village = deadlines(shown, "village")
    for clock in ("accept", "settle"):
        old = village[clock]
        assert not old["running"] and old["stopped_at"]
        assert bool(old["met_at"]) != bool(old["breached_at"])  # settled: met or breached
    assert village["statutory"]["running"]  # the whole case's limit goes on
    township = deadlines(shown, "township")
    assert set(township) == {"accept", "settle"}
    assert all(d["running"] and d["working_days"] for d in township.values())
    assert (township["accept"]["days"], township["settle"]["days"]) == (1, 10)
    assert township["accept"]["started_at"] == village["settle"]["stopped_at"]
    assert township["settle"]["due_at"] > township["accept"]["due_at"]

    event = api.get(world.mediator, f"/cases/{case.id}/events").get_json()[-1]
    assert event["action"] == "escalate" and event["note"] == "村级调解不成"
    assert (event["from_level"], event["to_level"]) == ("village", "township")
    assert (event["from_status"], event["to_status"]) == ("in_mediation", "registered")
    assert event["data"] == {"to_unit_code": TOWNSHIP} and event["version"] == shown["version"]

    officer = api.get(world.township_officer, f"/cases/{case.id}").get_json()
    assert officer["allowed_actions"] == [
        "accept",
        "escalate",
        "assign_down",
        "refer",
        "withdraw",
        "extend",
        "reclassify",
    ]


def test_assign_down_hands_the_case_to_the_village_with_instructions(api, make, world):
    case = case_in(make, world, "village", "registered")
    act(world.mediator, case, "escalate")
    act(world.township_officer, case, "accept")
    instructions = "请西裴村调委会在三日内入户调解，结果报镇综治中心。"
    response = post_action(
        api,
        world.township_officer,
        case.id,
        body("assign_down", "township", note=instructions, to_unit_code=VILLAGE),
        case.version,
    )

    assert response.status_code == 200
    shown = response.get_json()
    assert (shown["level"], shown["holder_code"], shown["status"]) == (
        "village",
        VILLAGE,
        "registered",
    )
    township = deadlines(shown, "township")
    assert township["accept"]["met_at"] and not township["settle"]["running"]
    fresh = [d for d in shown["deadlines"] if d["level"] == "village" and d["running"]]
    assert sorted(d["clock"] for d in fresh) == ["accept", "settle", "statutory"]
    # the officer may still change its scale, or take it back up
    assert shown["allowed_actions"] == ["reclassify", "take_over"]
    mine = api.get(world.mediator, f"/cases/{case.id}").get_json()
    assert mine["allowed_actions"] == ["accept", "escalate", "refer", "withdraw", "extend"]

    event = api.get(world.mediator, f"/cases/{case.id}/events").get_json()[-1]
    assert event["action"] == "assign_down" and event["note"] == instructions
    assert event["actor"] == "baibi" and event["data"] == {"to_unit_code": VILLAGE}
    assert (event["from_level"], event["to_level"]) == ("township", "village")


def test_reclassifying_a_village_case_as_major_starts_the_report_clock(api, make, world):
    case = case_in(make, world, "village", "in_mediation")
    assert "major_report" not in deadlines(api.get(world.mediator, f"/cases/{case.id}").get_json())
    response = post_action(
        api,
        world.township_officer,
        case.id,
        body("reclassify", note="涉及三十余户，有群体性风险", scale="major"),
        case.version,
    )

    assert response.status_code == 200
    shown = response.get_json()
    assert (shown["scale"], shown["home_level"], shown["is_scale_overridden"]) == (
        "major",
        "county",
        True,
    )
    assert (shown["status"], shown["level"]) == ("in_mediation", "village")
    report = deadlines(shown)["major_report"]
    assert report["level"] == "village" and report["running"] and report["days"] == 1
    assert "涉及三十余户" in shown["scale_reason"]

    escalated = post_action(api, world.mediator, case.id, body("escalate"), shown["version"])
    report = deadlines(escalated.get_json())["major_report"]
    assert report["running"]  # reported to the township: still below its home level
    act(world.township_officer, case, "escalate")
    report = deadlines(api.get(world.county_officer, f"/cases/{case.id}").get_json())[
        "major_report"
    ]
    assert not report["running"] and report["met_at"]


def test_resolve_records_the_agreement_and_its_clocks(api, make, world):
    case = case_in(make, world, "township", "in_mediation")
    response = post_action(
        api, world.township_officer, case.id, body("resolve", "township"), case.version
    )
    assert response.status_code == 200
    shown = response.get_json()
    [agreement] = shown["agreements"]
    assert agreement["form"] == "written" and agreement["terms"] == "赔偿 500 元，七日内付清。"
    assert agreement["amount_yuan"] == "500.00" and agreement["agreed_at"].endswith("+08:00")
    assert (agreement["level"], agreement["unit_code"]) == ("township", TOWNSHIP)
    running = {d["clock"] for d in shown["deadlines"] if d["running"]}
    assert running == {"follow_up", "judicial_confirmation"}
    event = api.get(world.township_officer, f"/cases/{case.id}/events").get_json()[-1]
    assert event["data"]["form"] == "written" and event["data"]["amount_yuan"] == "500.00"


def test_pause_and_resume_keep_the_clocks_stopped_in_between(api, make, world):
    case = case_in(make, world, "village", "in_mediation")
    paused = post_action(api, world.mediator, case.id, body("pause"), case.version)
    assert paused.status_code == 200 and paused.get_json()["status"] == "paused"
    assert paused.get_json()["allowed_actions"] == ["resume", "refer", "withdraw", "extend"]
    resumed = post_action(
        api, world.mediator, case.id, body("resume"), paused.get_json()["version"]
    )
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "in_mediation"
    events = api.get(world.mediator, f"/cases/{case.id}/events").get_json()
    assert [e["action"] for e in events] == ["register", "accept", "pause", "resume"]
    assert events[2]["note"] == "等待伤情鉴定" and "paused_at" in events[3]["data"]
    assert [e["version"] for e in events] == [1, 2, 3, 4]


def test_a_follow_up_without_performance_keeps_the_case_resolved(api, make, world):
    case = case_in(make, world, "village", "resolved")
    response = post_action(
        api,
        world.mediator,
        case.id,
        body("follow_up", performed=False, relapse_risk=True),
        case.version,
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "resolved"
    assert "reopen" in response.get_json()["allowed_actions"]


def test_a_sweep_in_between_does_not_make_the_users_version_stale(api, make, world, runner):
    """The sweep raises flags and notes when to look again; it changes nothing the user saw, so
    an action sent with the version loaded before it goes through."""
    case = case_in(make, world, "village", "registered")
    version = api.get(world.mediator, f"/cases/{case.id}").get_json()["version"]
    accept_due = next(
        d.due_at for d in db.session.get(Case, case.id).deadlines if d.clock == "accept"
    )
    later = (accept_due + dt.timedelta(minutes=5)).isoformat()
    swept = runner.invoke(args=["sweep", "--now", later, "--json"])
    assert swept.exit_code == 0 and '"accept_overdue": 1' in swept.output
    response = post_action(api, world.mediator, case.id, body("accept"), version)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == version + 1
