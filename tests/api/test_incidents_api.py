"""Incidents and screening reports through /api/v1: round trips, each bad field named (422),
roles (403), a second report for a month (409), and scoping (404)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from mediation.domain.months import Month
from mediation.extensions import db
from mediation.models import Flag, Incident, Screening

from ..factories import TZ

XIPEI, DONGPEI, BEIGUAN = "410522100201", "410522100202", "410522101201"


def local_iso(instant: dt.datetime) -> str:
    return instant.astimezone(TZ).replace(microsecond=0).isoformat()


def petition(now, **overrides):
    body = {
        "village_code": XIPEI,
        "kind": "petition",
        "occurred_at": local_iso(now - dt.timedelta(days=1)),
        "summary": "五名村民到县信访局反映征地补偿问题。",
        "petition_level": "county",
        "collective": True,
        "people": 5,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def last_month(now) -> Month:
    return Month.of(now, TZ).previous()


def report(now, **overrides):
    month = last_month(now)
    body = {
        "village_code": XIPEI,
        "month": str(month),
        "visited_at": f"{month}-15",
        "households": 86,
        "risks_found": 2,
        "disputes_found": 1,
        "zero_report": False,
        "note": "走访三组、五组。",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_incident_round_trip(api, world, make, now):
    case = make.case(world.mediator)
    body = petition(now, case_id=case.id)
    created = api.post(world.township_officer, "/incidents", body)
    assert created.status_code == 201, created.get_json()
    incident = created.get_json()
    assert created.headers["Location"] == f"/api/v1/incidents/{incident['id']}"
    for key in (
        "village_code",
        "kind",
        "summary",
        "petition_level",
        "collective",
        "people",
        "case_id",
    ):
        assert incident[key] == body[key]
    assert incident["occurred_at"] == body["occurred_at"]
    assert (incident["injured"], incident["dead"], incident["version"]) == (0, 0, 1)
    assert incident["case_number"] == case.number and incident["created_by"] == "baibi"

    got = api.get(world.county_officer, f"/incidents/{incident['id']}").get_json()
    assert got["summary"] == body["summary"] and got["revisions"] == []
    listed = api.get(world.viewer, "/incidents").get_json()
    assert [item["id"] for item in listed] == [incident["id"]]


def test_an_edit_through_the_api_keeps_a_revision_and_a_stale_version_is_409(api, world, now):
    incident = api.post(world.township_officer, "/incidents", petition(now)).get_json()
    body = {**petition(now, people=7), "version": 1, "note": "核实后为七人"}
    changed = api.client.put(
        f"/api/v1/incidents/{incident['id']}",
        json=body,
        headers=api.headers(world.township_officer),
    )
    assert changed.status_code == 200, changed.get_json()
    data = changed.get_json()
    assert data["people"] == 7 and data["version"] == 2
    assert [(r["note"], r["before"]["people"]) for r in data["revisions"]] == [("核实后为七人", 5)]
    stale = api.client.put(
        f"/api/v1/incidents/{incident['id']}",
        json=body,
        headers=api.headers(world.township_officer),
    )
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "version_conflict"
    assert stale.get_json()["error"]["current_version"] == 2
    no_reason = api.client.put(
        f"/api/v1/incidents/{incident['id']}",
        json={**body, "version": 2, "note": ""},
        headers=api.headers(world.township_officer),
    )
    assert no_reason.status_code == 422 and set(no_reason.get_json()["error"]["fields"]) == {"note"}


def test_a_petition_above_the_county_raises_pushed_up(api, world, now):
    assert (
        api.post(
            world.county_officer, "/incidents", petition(now, petition_level="province")
        ).status_code
        == 201
    )
    flag = db.session.scalar(select(Flag))
    assert (flag.kind.value, flag.level.value, flag.unit.code) == ("pushed_up", "county", XIPEI)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"kind": "riot"}, "kind"),
        ({"kind": None}, "kind"),
        ({"occurred_at": "2026-11-20T09:30"}, "occurred_at"),  # no offset
        ({"occurred_at": "next week"}, "occurred_at"),
        ({"summary": ""}, "summary"),
        ({"summary": "长" * 2001}, "summary"),
        ({"petition_level": None}, "petition_level"),
        ({"petition_level": "village"}, "petition_level"),
        ({"people": 1}, "people"),
        ({"people": "many"}, "people"),
        ({"collective": "sometimes"}, "collective"),
        ({"injured": 2}, "injured"),
        ({"dead": -1}, "dead"),
        ({"case_id": "x"}, "case_id"),
        ({"case_id": 999999}, "case_id"),
        ({"village_code": BEIGUAN}, "village_code"),  # outside the township
        ({"village_code": "410522100000"}, "village_code"),  # not a village
        ({"reporter": "张三"}, "reporter"),  # unknown
    ],
)
def test_each_bad_incident_field_is_422_naming_it(api, world, now, overrides, field):
    response = api.post(world.township_officer, "/incidents", petition(now, **overrides))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and set(error["fields"]) == {field}
    assert count(Incident) == 0


def test_a_future_incident_is_refused(api, world, now):
    response = api.post(
        world.township_officer,
        "/incidents",
        petition(now, occurred_at=local_iso(now + dt.timedelta(hours=2))),
    )
    assert response.status_code == 422 and set(response.get_json()["error"]["fields"]) == {
        "occurred_at"
    }


def test_accidents_criminal_and_public_order(api, world, now):
    for body in (
        petition(
            now,
            kind="accident",
            petition_level=None,
            collective=None,
            people=None,
            injured=3,
            dead=1,
        ),
        petition(now, kind="criminal", petition_level=None, collective=None, people=None),
        petition(now, kind="public_order", petition_level=None, collective=None, people=None),
    ):
        assert api.post(world.county_officer, "/incidents", body).status_code == 201
    accident = api.get(world.county_officer, "/incidents?kind=accident").get_json()
    assert [(i["injured"], i["dead"]) for i in accident] == [(3, 1)]


@pytest.mark.parametrize("who", ["mediator", "viewer", "admin"])
def test_only_officers_record_incidents(api, world, now, who):
    response = api.post(getattr(world, who), "/incidents", petition(now))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert count(Incident) == 0


def test_bad_bodies_are_400(api, world):
    response = api.post(
        world.township_officer,
        "/incidents",
        data="kind=petition",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert (
        api.post(
            world.mediator, "/screenings", data="[1]", content_type="application/json"
        ).status_code
        == 400
    )


def test_incidents_outside_the_area_are_not_found(api, world, now):
    incident = api.post(
        world.county_officer, "/incidents", petition(now, village_code=BEIGUAN)
    ).get_json()
    path = f"/incidents/{incident['id']}"
    assert api.get(world.other_township_officer, path).status_code == 200
    for user in (world.township_officer, world.mediator):
        response = api.get(user, path)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
        assert api.get(user, "/incidents").get_json() == []
    put = api.client.put(
        f"/api/v1{path}",
        json={**petition(now), "version": 1, "note": "x"},
        headers=api.headers(world.township_officer),
    )
    assert put.status_code == 404
    assert api.get(world.township_officer, "/incidents/424242").status_code == 404


def test_incident_filters(api, world, now):
    api.post(world.county_officer, "/incidents", petition(now))
    api.post(
        world.county_officer,
        "/incidents",
        petition(
            now,
            village_code=BEIGUAN,
            kind="criminal",
            petition_level=None,
            collective=None,
            people=None,
        ),
    )
    month = str(Month.of(now - dt.timedelta(days=1), TZ))
    county = world.county_officer
    assert len(api.get(county, "/incidents").get_json()) == 2
    assert [i["village_code"] for i in api.get(county, f"/incidents?unit={XIPEI}").get_json()] == [
        XIPEI
    ]
    assert [
        i["village_code"] for i in api.get(county, "/incidents?unit=410522101000").get_json()
    ] == [BEIGUAN]
    assert len(api.get(county, f"/incidents?month={month}").get_json()) == 2
    assert api.get(county, "/incidents?month=2001-01").get_json() == []
    assert [i["kind"] for i in api.get(county, "/incidents?kind=criminal").get_json()] == [
        "criminal"
    ]
    for query, field in (
        ("unit=999", "unit"),
        ("month=2026-13", "month"),
        ("month=9999-12", "month"),
        ("kind=fire", "kind"),
    ):
        response = api.get(county, f"/incidents?{query}")
        assert response.status_code == 422 and set(response.get_json()["error"]["fields"]) == {
            field
        }
    # a unit outside the caller's area is not his to filter by
    response = api.get(world.township_officer, f"/incidents?unit={BEIGUAN}")
    assert response.status_code == 422


# --- screening reports ------------------------------------------------------------------------


def test_screening_round_trip_and_a_second_is_409(api, world, now):
    body = report(now)
    created = api.post(world.mediator, "/screenings", body)
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert {key: data[key] for key in body} == body
    again = api.post(world.mediator, "/screenings", report(now, households=10))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    assert count(Screening) == 1
    assert db.session.scalar(select(Screening.households)) == 86

    month = api.get(world.township_officer, f"/screenings?month={last_month(now)}").get_json()
    assert [r["village_code"] for r in month["filed"]] == [XIPEI]
    assert [v["village_code"] for v in month["missing"]] == [DONGPEI]
    county = api.get(
        world.county_officer, f"/screenings?month={last_month(now)}&unit=410522101000"
    ).get_json()
    assert county["filed"] == [] and len(county["missing"]) == 2


def test_a_zero_report(api, world, now):
    body = report(now, zero_report=True, risks_found=None, disputes_found=None, note=None)
    response = api.post(world.mediator, "/screenings", body)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["zero_report"] is True and (data["risks_found"], data["disputes_found"]) == (0, 0)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"month": "2026/10"}, "month"),
        ({"month": None}, "month"),
        ({"month": "2099-01"}, "month"),
        ({"visited_at": "soon"}, "visited_at"),
        ({"visited_at": "2001-01-01"}, "visited_at"),
        ({"households": -3}, "households"),
        ({"households": None}, "households"),
        ({"risks_found": 1.5}, "risks_found"),
        ({"disputes_found": "一"}, "disputes_found"),
        ({"zero_report": True}, "disputes_found"),
        ({"zero_report": "perhaps"}, "zero_report"),
        ({"note": "x" * 2001}, "note"),
        ({"village_code": DONGPEI}, "village_code"),  # not the mediator's village
        ({"photos": []}, "photos"),
    ],
)
def test_each_bad_screening_field_is_422_naming_it(api, world, now, overrides, field):
    response = api.post(world.mediator, "/screenings", report(now, **overrides))
    assert response.status_code == 422, response.get_json()
    assert set(response.get_json()["error"]["fields"]) == {field}
    assert count(Screening) == 0


def test_who_files_screenings(api, world, now):
    for user in (world.viewer, world.admin):
        assert api.post(user, "/screenings", report(now)).status_code == 403
    assert (
        api.post(
            world.township_officer, "/screenings", report(now, village_code=BEIGUAN)
        ).status_code
        == 422
    )
    assert (
        api.post(
            world.township_officer, "/screenings", report(now, village_code=DONGPEI)
        ).status_code
        == 201
    )
    assert api.get(world.mediator, "/screenings?unit=410522100000").status_code == 422
    mine = api.get(world.mediator, "/screenings").get_json()
    assert mine["missing"] == [{"village_code": XIPEI, "village_name": "白壁镇西裴村"}]


def test_messages_follow_the_language(api, world, now):
    body = report(now)
    api.post(world.mediator, "/screenings", body)
    english = api.post(world.mediator, "/screenings", body, lang="en").get_json()["error"][
        "message"
    ]
    assert "already filed" in english
    chinese = api.post(world.township_officer, "/incidents", petition(now, kind="x"), lang="zh")
    assert chinese.status_code == 422
