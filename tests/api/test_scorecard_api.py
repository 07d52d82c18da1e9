"""GET /api/v1/scorecards/{YYYY-MM}: docs/api.md's shape, scoping, errors, frozen months."""

from __future__ import annotations

import pytest

from mediation.domain.enums import IncidentKind
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.services import scorecard

from ..factories import TZ
from ..scorecard_month import (
    BAIBI,
    COUNTY,
    FROZEN_AT,
    MONTH,
    SHUIYE,
    A,
    B,
    C,
    D,
    at,
    build_november,
    incident,
    unit,
)


@pytest.fixture
def month(world, make):
    return build_november(world, make)


def test_the_contract_shape(api, world, month):
    response = api.get(world.county_officer, "/scorecards/2026-11")
    assert response.status_code == 200
    body = response.get_json()
    assert {
        "month",
        "unit_code",
        "frozen",
        "revision",
        "villages",
        "rollup",
        "pending_revision",
    } <= set(body)
    assert (body["month"], body["unit_code"], body["frozen"], body["revision"]) == (
        "2026-11",
        COUNTY,
        False,
        None,
    )
    assert body["pending_revision"] is False and body["revisions"] == []
    assert [v["code"] for v in body["villages"]] == [B, A, C, D]
    c = next(v for v in body["villages"] if v["code"] == C)
    assert {
        "code",
        "name",
        "three_zero",
        "score",
        "rank",
        "received",
        "concluded",
        "success_rate",
        "on_time_rate",
        "small_in_village_rate",
        "big_in_township_rate",
        "escalations",
        "breaches",
        "rule_violations",
        "petitions",
        "accidents",
        "criminal",
        "public_order",
        "screening_filed",
        "amount_settled_yuan",
        "prevented_cases",
        "prevented_people",
        "deductions",
    } <= set(c)
    assert (c["name"], c["three_zero"], c["score"], c["rank"]) == ("北关村", True, 90, 1)
    assert c["small_in_village_rate"] == "0.5000" and c["amount_settled_yuan"] == "2300.00"
    rollup = body["rollup"]
    assert (rollup["code"], rollup["three_zero_rate"]) == (COUNTY, "0.7500")
    assert rollup["level_mix"] == {"village": "0.7500", "township": "0.0000", "county": "0.2500"}
    assert [t["code"] for t in body["townships"]] == [BAIBI, SHUIYE]
    assert body["weights"]["petition_above_county"] == 30


def test_the_default_unit_is_the_callers_and_others_are_not_found(api, world, month):
    body = api.get(world.township_officer, "/scorecards/2026-11").get_json()
    assert body["unit_code"] == BAIBI and [v["code"] for v in body["villages"]] == [B, A]
    assert body["rollup"]["three_zero_rate"] == "0.5000"
    mine = api.get(world.mediator, "/scorecards/2026-11").get_json()
    assert mine["unit_code"] == B and [v["code"] for v in mine["villages"]] == [B]
    assert mine["villages"][0]["rank"] == 2  # still ranked within its township
    for user, code in (
        (world.township_officer, C),
        (world.township_officer, COUNTY),
        (world.mediator, A),
        (world.county_officer, "999999"),
    ):
        response = api.get(user, f"/scorecards/2026-11?unit={code}")
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert api.get(world.viewer, f"/scorecards/2026-11?unit={SHUIYE}").status_code == 200


def test_a_bad_month_is_422_and_no_token_is_401(api, world):
    for bad in ("2026-13", "2026-1", "november", "1999-12"):
        response = api.get(world.county_officer, f"/scorecards/{bad}")
        assert response.status_code == 422, bad
        assert "month" in response.get_json()["error"]["fields"]
    assert api.get(None, "/scorecards/2026-11").status_code == 401


def test_a_frozen_month_and_its_pending_revision(api, world, month):
    scorecard.freeze(unit(COUNTY), MONTH, now=FROZEN_AT, policy=Policy(), tz=TZ)
    db.session.commit()
    body = api.get(world.county_officer, "/scorecards/2026-11").get_json()
    assert (body["frozen"], body["revision"], body["pending_revision"]) == (True, 1, False)
    assert body["frozen_at"] == "2026-12-05T01:00:00+08:00"
    assert body["revisions"] == [
        {
            "revision": 1,
            "frozen_at": "2026-12-05T01:00:00+08:00",
            "reason": "",
            "published_by": None,
        }
    ]
    incident(D, IncidentKind.criminal, at(18, 22))
    body = api.get(world.county_officer, "/scorecards/2026-11").get_json()
    assert body["pending_revision"] is True
    assert (
        next(v for v in body["villages"] if v["code"] == D)["three_zero"] is True
    )  # the frozen figure
    assert (
        api.get(world.township_officer, "/scorecards/2026-11").get_json()["pending_revision"]
        is False
    )
    assert (
        api.get(world.other_township_officer, "/scorecards/2026-11").get_json()["pending_revision"]
        is True
    )


def test_the_openapi_document_describes_it(api):
    document = api.client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/scorecards/{month}"]["get"]
    assert set(operation["responses"]) >= {"200", "404", "422"}
    assert "pending_revision" in document["components"]["schemas"]["Scorecard"]["required"]
