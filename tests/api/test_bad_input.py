"""Bad input through the API: each a clear 4xx naming the field, and nothing changed.

A corpus of what clients really send wrong (types, dates and offsets, ID numbers, amounts, unit
codes, unknown fields, bodies too large, actions in the wrong state, stale versions) beyond the
cases of test_cases.py, test_actions.py and test_incidents_api.py. Every test counts the rows
before and after: a refused call saves nothing anywhere.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from mediation.domain.identity import id_check_char
from mediation.extensions import db
from mediation.models import Case, CaseEvent, Incident, Party, Screening

from ..factories import TZ, case_fields
from .casework import VILLAGE, body, case_in, snapshot

UNKNOWN_CODE = "410522999201"  # a village code no unit has
MAX_BODY = 1024 * 1024  # MAX_CONTENT_LENGTH


def id_number(first17: str) -> str:
    """17 digits and their right check character."""
    return first17 + id_check_char(first17)


def local_iso(instant: dt.datetime) -> str:
    return instant.astimezone(TZ).replace(microsecond=0).isoformat()


def rows() -> dict[str, int]:
    db.session.expire_all()
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Case, CaseEvent, Party, Incident, Screening)
    }


def assert_named(response, field: str, status: int = 422) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["message"]
    assert set(error["fields"]) == {field}, error["fields"]
    assert error["fields"][field]


def party(**fields) -> list[dict]:
    return [{"name": "张三", "role": "applicant", **fields}]


# --- registering a case ---------------------------------------------------------------------

DAY = dt.timedelta(days=1)
CASE_BODIES = [
    # wrong types
    ("people as a string", lambda now: {"people_involved": "2"}, "people_involved"),
    ("people as a boolean", lambda now: {"people_involved": True}, "people_involved"),
    ("people as a fraction", lambda now: {"people_involved": 2.5}, "people_involved"),
    ("people as a list", lambda now: {"people_involved": [2]}, "people_involved"),
    ("title as a number", lambda now: {"title": 123}, "title"),
    ("category as a number", lambda now: {"category": 7}, "category"),
    ("village code as a number", lambda now: {"village_code": 410522100201}, "village_code"),
    ("risks as a string", lambda now: {"risks": "violence"}, "risks"),
    ("risks holding a number", lambda now: {"risks": [1]}, "risks"),
    ("parties as an object", lambda now: {"parties": {"name": "张三"}}, "parties"),
    ("a party as a string", lambda now: {"parties": ["张三"]}, "parties.0"),
    ("a party without a name", lambda now: {"parties": party(name=None)}, "parties.0.name"),
    ("received_at as a timestamp", lambda now: {"received_at": 1764000000}, "received_at"),
    ("amount as a boolean", lambda now: {"amount_yuan": True}, "amount_yuan"),
    # dates and offsets
    ("30 February", lambda now: {"received_at": "2026-02-30T10:00:00+08:00"}, "received_at"),
    ("hour 25", lambda now: {"received_at": "2026-11-20T25:00:00+08:00"}, "received_at"),
    (
        "offset beyond a day",
        lambda now: {"received_at": "2026-11-20T10:00:00+25:00"},
        "received_at",
    ),
    ("a day without a time", lambda now: {"received_at": "2026-11-20"}, "received_at"),
    ("a word", lambda now: {"received_at": "yesterday"}, "received_at"),
    ("year 1", lambda now: {"received_at": "0001-01-01T00:00:00+14:00"}, "received_at"),
    ("year 9999", lambda now: {"received_at": "9999-12-31T23:59:59-12:00"}, "received_at"),
    (
        "an hour ahead, written in UTC",
        lambda now: {"received_at": (now + DAY / 24).isoformat()},
        "received_at",
    ),
    # ID numbers
    (
        "17 digits",
        lambda now: {"parties": party(id_number="41052219850312123")},
        "parties.0.id_number",
    ),
    (
        "19 digits",
        lambda now: {"parties": party(id_number=id_number("41052219850312123") + "4")},
        "parties.0.id_number",
    ),
    (
        "a bad check digit",
        lambda now: {"parties": party(id_number="410522198503121230")},
        "parties.0.id_number",
    ),
    (
        "a letter other than X",
        lambda now: {"parties": party(id_number="41052219850312123A")},
        "parties.0.id_number",
    ),
    (
        "born on 30 February",
        lambda now: {"parties": party(id_number=id_number("41052219850230123"))},
        "parties.0.id_number",
    ),
    (
        "born in month 13",
        lambda now: {"parties": party(id_number=id_number("41052219851301123"))},
        "parties.0.id_number",
    ),
    (
        "born in the future",
        lambda now: {"parties": party(id_number=id_number("41052220990101123"))},
        "parties.0.id_number",
    ),
    (
        "born before 1890",
        lambda now: {"parties": party(id_number=id_number("41052218000101123"))},
        "parties.0.id_number",
    ),
    (
        "an ID number as a number",
        lambda now: {"parties": party(id_number=410522198503121233)},
        "parties.0.id_number",
    ),
    # amounts
    ("a negative number", lambda now: {"amount_yuan": -5}, "amount_yuan"),
    ("minus one fen", lambda now: {"amount_yuan": "-0.01"}, "amount_yuan"),
    ("three decimals", lambda now: {"amount_yuan": "1.001"}, "amount_yuan"),
    ("words", lambda now: {"amount_yuan": "一千"}, "amount_yuan"),
    ("NaN as a string", lambda now: {"amount_yuan": "NaN"}, "amount_yuan"),
    ("Infinity as a string", lambda now: {"amount_yuan": "Infinity"}, "amount_yuan"),
    # units
    ("an unknown village", lambda now: {"village_code": UNKNOWN_CODE}, "village_code"),
    ("the county's code", lambda now: {"village_code": "410522000000"}, "village_code"),
    ("an empty village code", lambda now: {"village_code": ""}, "village_code"),
    # unknown fields
    ("a misspelt field", lambda now: {"peopleInvolved": 2}, "peopleInvolved"),
    ("the status", lambda now: {"status": "closed"}, "status"),
    ("the scale", lambda now: {"scale": "small"}, "scale"),
    (
        "a party's masked ID",
        lambda now: {"parties": party(masked_id_number="4105**")},
        "parties.0.masked_id_number",
    ),
]


@pytest.mark.parametrize(
    "overrides, field", [c[1:] for c in CASE_BODIES], ids=[c[0] for c in CASE_BODIES]
)
def test_a_bad_case_is_named_and_nothing_is_saved(api, world, now, overrides, field):
    before = rows()
    assert_named(api.post(world.mediator, "/cases", case_fields(**overrides(now))), field)
    assert rows() == before


# --- incidents and screening reports --------------------------------------------------------


def accident(now, **overrides) -> dict:
    return {
        "village_code": VILLAGE,
        "kind": "accident",
        "summary": "农机侧翻",
        "occurred_at": local_iso(now - DAY),
        "injured": 1,
        "dead": 0,
        **overrides,
    }


INCIDENT_BODIES = [
    ("in the future", lambda now: {"occurred_at": local_iso(now + DAY)}, "occurred_at"),
    ("30 February", lambda now: {"occurred_at": "2026-02-30T10:00:00+08:00"}, "occurred_at"),
    (
        "offset beyond a day",
        lambda now: {"occurred_at": "2026-11-20T10:00:00+25:00"},
        "occurred_at",
    ),
    ("year 1", lambda now: {"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),
    ("an unknown village", lambda now: {"village_code": UNKNOWN_CODE}, "village_code"),
    ("injured as a string", lambda now: {"injured": "2"}, "injured"),
    ("negative dead", lambda now: {"dead": -1}, "dead"),
    ("dead as a fraction", lambda now: {"dead": 0.5}, "dead"),
    ("an unknown kind", lambda now: {"kind": "fire"}, "kind"),
    ("an unknown field", lambda now: {"weather": "rain"}, "weather"),
    ("a case id too large", lambda now: {"case_id": 10**30}, "case_id"),
]


@pytest.mark.parametrize(
    "overrides, field", [c[1:] for c in INCIDENT_BODIES], ids=[c[0] for c in INCIDENT_BODIES]
)
def test_a_bad_incident_is_named_and_nothing_is_saved(api, world, now, overrides, field):
    before = rows()
    assert_named(
        api.post(world.county_officer, "/incidents", accident(now, **overrides(now))), field
    )
    assert rows() == before


def test_a_bad_edit_of_an_incident_changes_nothing(api, world, now):
    created = api.post(world.county_officer, "/incidents", accident(now)).get_json()
    path = f"/incidents/{created['id']}"
    edit = {**accident(now), "version": created["version"], "note": "更正"}
    before = rows()
    for overrides, field in [
        ({"dead": -2}, "dead"),
        ({"occurred_at": local_iso(now + DAY)}, "occurred_at"),
        ({"version": "1"}, "version"),
        ({"colour": "red"}, "colour"),
    ]:
        response = api.client.put(
            "/api/v1" + path, json={**edit, **overrides}, headers=api.headers(world.county_officer)
        )
        assert_named(response, field)
    stale = api.client.put(
        "/api/v1" + path,
        json={**edit, "version": created["version"] - 1},
        headers=api.headers(world.county_officer),
    )
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "version_conflict"
    assert rows() == before
    assert api.get(world.county_officer, path).get_json() == {**created, "revisions": []}


def report(now, **overrides) -> dict:
    month = (now.astimezone(TZ).replace(day=1) - DAY).strftime("%Y-%m")
    return {
        "village_code": VILLAGE,
        "month": month,
        "visited_at": f"{month}-15",
        "households": 40,
        "risks_found": 1,
        "disputes_found": 1,
        "zero_report": False,
        "note": "",
        **overrides,
    }


SCREENING_BODIES = [
    (
        "visited in the future",
        lambda now: {"visited_at": (now + 2 * DAY).date().isoformat()},
        "visited_at",
    ),
    ("visited on 30 February", lambda now: {"visited_at": "2026-02-30"}, "visited_at"),
    ("month 13", lambda now: {"month": "2026-13"}, "month"),
    ("month as a number", lambda now: {"month": 202611}, "month"),
    ("an unknown village", lambda now: {"village_code": UNKNOWN_CODE}, "village_code"),
    ("households as a string", lambda now: {"households": "40"}, "households"),
    ("negative risks", lambda now: {"risks_found": -1}, "risks_found"),
    ("zero report as a number", lambda now: {"zero_report": 0}, "zero_report"),
]


@pytest.mark.parametrize(
    "overrides, field", [c[1:] for c in SCREENING_BODIES], ids=[c[0] for c in SCREENING_BODIES]
)
def test_a_bad_screening_report_is_named_and_nothing_is_saved(api, world, now, overrides, field):
    before = rows()
    assert_named(api.post(world.mediator, "/screenings", report(now, **overrides(now))), field)
    assert rows() == before


# --- actions --------------------------------------------------------------------------------

ACTION_BODIES = [
    # action, state of the case, acting role, body overrides, the field named
    (
        "assign_down",
        "registered",
        "township_officer",
        {"to_unit_code": UNKNOWN_CODE},
        "to_unit_code",
    ),
    (
        "assign_down",
        "registered",
        "township_officer",
        {"to_unit_code": 410522100201},
        "to_unit_code",
    ),
    (
        "resolve",
        "in_mediation",
        "mediator",
        {"agreement": {"form": "written", "terms": "赔偿", "amount_yuan": "-1"}},
        "agreement.amount_yuan",
    ),
    (
        "resolve",
        "in_mediation",
        "mediator",
        {"agreement": {"form": "video", "terms": "赔偿"}},
        "agreement.form",
    ),
    ("resolve", "in_mediation", "mediator", {"agreement": "赔偿 500 元"}, "agreement"),
    (
        "resolve",
        "in_mediation",
        "mediator",
        {"agreement": {"form": "oral", "terms": "赔偿", "witness": "王五"}},
        "agreement.witness",
    ),
    ("pause", "in_mediation", "mediator", {"note": 42}, "note"),
    ("extend", "registered", "mediator", {"consent": "yes"}, "consent"),
    ("accept", "registered", "mediator", {"priority": "high"}, "priority"),
]


@pytest.mark.parametrize(
    "action, state, role, overrides, field",
    ACTION_BODIES,
    ids=[f"{a[0]}-{a[4]}-{i}" for i, a in enumerate(ACTION_BODIES)],
)
def test_a_bad_action_field_is_named_and_nothing_changes(
    api, make, world, action, state, role, overrides, field
):
    level = "township" if action == "assign_down" else "village"
    case = case_in(make, world, level, state)
    before, counts = snapshot(case.id), rows()
    payload = {**body(action, level), **overrides, "version": case.version}
    assert_named(api.post(getattr(world, role), f"/cases/{case.id}/actions", payload), field)
    assert snapshot(case.id) == before and rows() == counts


WRONG_STATE = [
    ("resume", "registered"),
    ("resolve", "registered"),
    ("follow_up", "in_mediation"),
    ("pause", "paused"),
    ("reopen", "in_mediation"),
    ("accept", "closed"),
    ("withdraw", "resolved"),
    ("escalate", "withdrawn"),
]


@pytest.mark.parametrize("action, state", WRONG_STATE, ids=[f"{a}-{s}" for a, s in WRONG_STATE])
def test_an_action_in_the_wrong_state_is_409_and_changes_nothing(api, make, world, action, state):
    case = case_in(make, world, "village", state)
    before, counts = snapshot(case.id), rows()
    response = api.post(
        world.mediator, f"/cases/{case.id}/actions", {**body(action), "version": case.version}
    )
    assert response.status_code == 409, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "not_allowed" and error["message"]
    assert snapshot(case.id) == before and rows() == counts


@pytest.mark.parametrize("offset", [-1, 1, 100])
def test_a_stale_or_future_version_is_409_and_changes_nothing(api, make, world, offset):
    case = case_in(make, world, "village", "in_mediation")
    before, counts = snapshot(case.id), rows()
    response = api.post(
        world.mediator,
        f"/cases/{case.id}/actions",
        {**body("pause"), "version": case.version + offset},
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "version_conflict" and error["current_version"] == case.version
    assert snapshot(case.id) == before and rows() == counts


# --- ids in the path --------------------------------------------------------------------------

# 2**31 is past PostgreSQL's integer, 2**63 past SQLite's.
IDS = [
    "0",
    "-1",
    "01",
    "1.5",
    "abc",
    "2147483648",
    "9" * 10,
    "9" * 19,
    "18446744073709551616",
    "1" + "0" * 40,
]


@pytest.mark.parametrize("case_id", IDS)
@pytest.mark.parametrize("method, suffix", [("get", ""), ("get", "/events"), ("post", "/actions")])
def test_an_impossible_id_is_not_found(api, world, case_id, method, suffix):
    response = getattr(api.client, method)(
        f"/api/v1/cases/{case_id}{suffix}",
        json={"action": "accept", "version": 1},
        headers=api.headers(world.county_officer),
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("incident_id", IDS)
@pytest.mark.parametrize("method", ["get", "put"])
def test_an_impossible_incident_id_is_not_found(api, world, incident_id, method):
    response = getattr(api.client, method)(
        f"/api/v1/incidents/{incident_id}", json={}, headers=api.headers(world.county_officer)
    )
    assert response.status_code == 404


# --- bodies too large -------------------------------------------------------------------------

TOO_LARGE = [
    ("/cases", "mediator"),
    ("/incidents", "county_officer"),
    ("/screenings", "mediator"),
]


@pytest.mark.parametrize("path, role", TOO_LARGE, ids=[p for p, _ in TOO_LARGE])
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_body_over_one_mebibyte_is_a_json_413(api, world, now, path, role, content_type):
    padded = case_fields(description="长" * (MAX_BODY // 3 + 1))
    before = rows()
    response = api.post(
        getattr(world, role), path, data=str(padded).encode(), content_type=content_type
    )
    assert response.status_code == 413
    assert response.is_json
    assert response.get_json()["error"]["code"] == "too_large"
    assert response.get_json()["error"]["message"]
    assert rows() == before


def test_an_action_over_one_mebibyte_is_a_json_413(api, make, world):
    case = case_in(make, world, "village", "in_mediation")
    before = snapshot(case.id)
    payload = {**body("pause"), "note": "x" * (MAX_BODY + 1), "version": case.version}
    response = api.post(world.mediator, f"/cases/{case.id}/actions", payload)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    assert snapshot(case.id) == before


def test_a_body_just_under_the_limit_is_read(api, world):
    """The limit counts the whole body: a large but allowed one gets the ordinary 422."""
    response = api.post(world.mediator, "/cases", case_fields(description="x" * 900_000))
    assert_named(response, "description")


def test_a_large_form_on_a_web_page_is_an_html_413(client, login, world):
    login(world.mediator)
    before = rows()
    response = client.post("/cases/new", data={"title": "x" * (MAX_BODY + 1)})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "<html" in response.get_data(as_text=True).lower()
    assert rows() == before
