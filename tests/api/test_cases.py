"""POST, GET and list cases through /api/v1, with bearer tokens."""

from __future__ import annotations

import datetime as dt

import pytest

from mediation.domain.identity import id_check_char
from mediation.extensions import db
from mediation.models import CaseCounter, CaseEvent

from ..factories import TZ, case_fields


def id_number(born: str = "19850312", region: str = "410522", sequence: str = "123") -> str:
    """A resident ID number with the right check digit."""
    first17 = region + born + sequence
    return first17 + id_check_char(first17)


def local_iso(instant: dt.datetime) -> str:
    return instant.astimezone(TZ).replace(microsecond=0).isoformat()


def two_parties() -> list[dict]:
    return [
        {
            "name": "王建国",
            "role": "applicant",
            "id_number": id_number("19700101", sequence="456"),
            "phone": "13912345678",
            "address": "西裴村三组12号",
        },
        {"name": "赵秀英", "role": "respondent", "phone": "0372-5123456"},
    ]


def test_round_trip(api, world, now):
    received_at = local_iso(now - dt.timedelta(days=3))
    body = case_fields(
        title="耕地边界纠纷",
        category="land_forest",
        received_at=received_at,
        amount_yuan="1200",
        risks=["petition"],
        parties=two_parties(),
    )

    created = api.post(world.mediator, "/cases", body)

    assert created.status_code == 201, created.get_json()
    case = created.get_json()
    assert created.headers["Location"] == f"/api/v1/cases/{case['id']}"
    assert case["number"].startswith("410522-")
    assert case["village_code"] == "410522100201" and case["village_name"] == "西裴村"
    assert case["received_at"] == received_at and received_at.endswith("+08:00")
    assert case["amount_yuan"] == "1200.00"
    assert case["risks"] == ["petition"]
    assert case["status"] == "registered" and case["level"] == "village"
    assert case["holder_code"] == "410522100201"
    assert case["scale"] == "big" and case["home_level"] == "township"
    assert case["version"] == 1 and case["created_at"].endswith("+08:00")
    assert case["flags"] == [] and case["agreements"] == [] and case["is_extended"] is False
    assert [(d["clock"], d["level"], d["running"]) for d in case["deadlines"]] == [
        ("accept", "village", True),
        ("settle", "village", True),
        ("statutory", "village", True),
    ]
    assert case["allowed_actions"] == ["accept", "escalate", "refer", "withdraw", "extend"]
    full_id = body["parties"][0]["id_number"]
    assert case["parties"] == [
        {
            "name": "王建国",
            "role": "applicant",
            "id_number": full_id[:4] + "*" * 10 + full_id[-4:],
            "phone": "13912345678",
            "address": "西裴村三组12号",
        },
        {
            "name": "赵秀英",
            "role": "respondent",
            "id_number": None,
            "phone": "0372-5123456",
            "address": None,
        },
    ]

    fetched = api.get(world.mediator, f"/cases/{case['id']}")
    assert fetched.status_code == 200
    assert fetched.get_json() == case

    listed = api.get(world.mediator, "/cases?category=land_forest&q=赵秀英&status=registered")
    assert listed.status_code == 200
    assert listed.get_json() == {"items": [case], "total": 1, "page": 1, "per_page": 20}

    events = api.get(world.mediator, f"/cases/{case['id']}/events")
    assert events.status_code == 200
    [event] = events.get_json()
    assert event["actor"] == "xipei" and event["action"] == "register"
    assert event["from_status"] is None and event["to_status"] == "registered"
    assert event["from_level"] is None and event["to_level"] == "village"
    assert event["note"] == "" and event["at"].endswith("+08:00")
    assert event["version"] == 1 and event["data"] == {"scale": "big"}


def test_id_numbers_are_masked_everywhere(api, world, make):
    case = make.case(world.mediator)
    detail = api.get(world.mediator, f"/cases/{case.id}").get_json()
    listed = api.get(world.mediator, "/cases").get_json()["items"][0]
    for shown in (detail, listed):
        assert shown["parties"][0]["id_number"] == "4105**********1233"
    assert "410522198503121233" not in api.get(world.mediator, "/cases").get_data(as_text=True)


def test_an_officer_registers_at_his_level_with_the_scale_reason(api, world):
    body = case_fields(village_code="410522100202", people_involved=6, risks=["petition"])
    response = api.post(world.township_officer, "/cases", body, lang="en")
    assert response.status_code == 201
    case = response.get_json()
    assert case["level"] == "township" and case["holder_code"] == "410522100000"
    assert case["scale"] == "big"
    assert case["scale_reason"] == "≥5 people; petition risk"

    chinese = api.get(world.township_officer, f"/cases/{case['id']}").get_json()
    assert "、" in chinese["scale_reason"]  # the zh separator; the words come from the catalog


# Each bad value, and the one field the answer must name.
BAD_BODIES = {
    "ID check digit": (
        lambda now: {
            "parties": [{"name": "张三", "role": "applicant", "id_number": "410522198503121234"}]
        },
        "parties.0.id_number",
    ),
    "impossible birth date": (
        lambda now: {
            "parties": [{"name": "张三", "role": "applicant", "id_number": id_number("19850230")}]
        },
        "parties.0.id_number",
    ),
    "17-digit ID": (
        lambda now: {
            "parties": [{"name": "张三", "role": "applicant", "id_number": "41052219850312123"}]
        },
        "parties.0.id_number",
    ),
    "bad phone": (
        lambda now: {
            "parties": [
                {"name": "张三", "role": "applicant"},
                {"name": "李四", "role": "respondent", "phone": "1234567"},
            ]
        },
        "parties.1.phone",
    ),
    "negative amount": (lambda now: {"amount_yuan": "-1.00"}, "amount_yuan"),
    "amount as a float with fen beyond two places": (
        lambda now: {"amount_yuan": 12.345},
        "amount_yuan",
    ),
    "no people": (lambda now: {"people_involved": 0}, "people_involved"),
    "received in the future": (
        lambda now: {"received_at": local_iso(now + dt.timedelta(days=1))},
        "received_at",
    ),
    "received beyond 90 days back": (
        lambda now: {"received_at": local_iso(now - dt.timedelta(days=91))},
        "received_at",
    ),
    "received_at without its offset": (
        lambda now: {"received_at": (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")},
        "received_at",
    ),
    "village outside the caller's area": (
        lambda now: {"village_code": "410522100202"},
        "village_code",
    ),
    "a township is not a village": (lambda now: {"village_code": "410522100000"}, "village_code"),
    "unknown category": (lambda now: {"category": "feud"}, "category"),
    "unknown source": (lambda now: {"source": "rumour"}, "source"),
    "no parties": (lambda now: {"parties": []}, "parties"),
    "unknown risk": (lambda now: {"risks": ["fire"]}, "risks"),
    "title missing": (lambda now: {"title": "  "}, "title"),
    "unknown top-level field": (lambda now: {"priority": "high"}, "priority"),
    "unknown party field": (
        lambda now: {"parties": [{"name": "张三", "role": "applicant", "nickname": "老三"}]},
        "parties.0.nickname",
    ),
}


@pytest.mark.parametrize("overrides, field", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_bad_field_is_named_and_nothing_is_saved(api, world, now, case_count, overrides, field):
    response = api.post(world.mediator, "/cases", case_fields(**overrides(now)))

    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {field}
    assert error["fields"][field]
    assert case_count() == 0
    assert db.session.query(CaseEvent).count() == 0
    assert db.session.query(CaseCounter).count() == 0


def test_messages_follow_the_request_language(api, world):
    body = case_fields(
        priority="high",
        parties=[{"name": "张三", "role": "applicant", "id_number": "410522198503121234"}],
    )
    response = api.post(world.mediator, "/cases", body, lang="en")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "priority": "Unknown field.",
        "parties.0.id_number": "This ID number's check digit is wrong; please check it.",
    }


def test_every_bad_field_is_reported_at_once(api, world):
    body = case_fields(people_involved=0, category="feud", colour="red", parties=[])
    response = api.post(world.mediator, "/cases", body)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {
        "people_involved",
        "category",
        "colour",
        "parties",
    }


MALFORMED = {
    "broken JSON": {"data": '{"title": ', "content_type": "application/json"},
    "a list, not an object": {"json": [case_fields()]},
    "null": {"data": "null", "content_type": "application/json"},
    "a string": {"json": "hello"},
    "form data": {"data": {"title": "x"}},
    "no body": {},
    "NaN is not JSON": {"data": '{"people_involved": NaN}', "content_type": "application/json"},
    "not UTF-8": {"data": b'{"title": "\xff"}', "content_type": "application/json"},
    "nested too deep": {"data": "[" * 100_000 + "]" * 100_000, "content_type": "application/json"},
}


@pytest.mark.parametrize("request_body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_body_is_a_bad_request(api, world, case_count, request_body):
    response = api.post(world.mediator, "/cases", **request_body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert case_count() == 0


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_roles_that_do_not_register_get_403(api, world, case_count, role):
    response = api.post(getattr(world, role), "/cases", case_fields())
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert case_count() == 0


def test_a_viewer_reads(api, world, make):
    case = make.case(world.mediator)
    assert api.get(world.viewer, f"/cases/{case.id}").status_code == 200
    assert api.get(world.viewer, "/cases").get_json()["total"] == 1


@pytest.mark.parametrize(
    "outsider", ["mediator_east", "other_township_officer", "mediator_other_township"]
)
def test_a_case_outside_the_area_does_not_exist(api, world, make, outsider):
    case = make.case(world.mediator)
    user = getattr(world, outsider)
    for path in (f"/cases/{case.id}", f"/cases/{case.id}/events"):
        response = api.get(user, path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
    assert api.get(user, "/cases").get_json() == {
        "items": [],
        "total": 0,
        "page": 1,
        "per_page": 20,
    }
    assert api.get(user, f"/cases?q={case.number}").get_json()["total"] == 0


@pytest.mark.parametrize("insider", ["mediator", "township_officer", "county_officer", "viewer"])
def test_the_case_is_seen_from_above(api, world, make, insider):
    case = make.case(world.mediator)
    user = getattr(world, insider)
    assert api.get(user, f"/cases/{case.id}").status_code == 200
    assert api.get(user, f"/cases/{case.id}/events").status_code == 200
    assert [item["id"] for item in api.get(user, "/cases").get_json()["items"]] == [case.id]


def test_an_unknown_id_is_not_found(api, world):
    assert api.get(world.county_officer, "/cases/999999").status_code == 404
    assert api.get(world.county_officer, "/cases/999999/events").status_code == 404


def test_units_are_the_callers_subtree(api, world):
    township = api.get(world.township_officer, "/units").get_json()
    assert township == [
        {
            "code": "410522100000",
            "name": "白壁镇",
            "kind": "township",
            "parent_code": "410522000000",
        },
        {
            "code": "410522100201",
            "name": "西裴村",
            "kind": "village",
            "parent_code": "410522100000",
        },
        {
            "code": "410522100202",
            "name": "东裴村",
            "kind": "village",
            "parent_code": "410522100000",
        },
    ]
    assert [u["code"] for u in api.get(world.mediator, "/units").get_json()] == ["410522100201"]
    county = api.get(world.county_officer, "/units").get_json()
    assert len(county) == 7 and county[0]["parent_code"] is None


@pytest.fixture
def spread(world, make, now):
    """Four cases across the county: one received 10 days ago just after local midnight."""
    early = (
        (now - dt.timedelta(days=10))
        .astimezone(TZ)
        .replace(hour=0, minute=30, second=0, microsecond=0)
    )
    return {
        "early": make.case(world.mediator, received_at=early.isoformat()),
        "east_forest": make.case(world.mediator_east, category="land_forest"),
        "township": make.case(
            world.township_officer,
            village_code="410522100201",
            people_involved=6,
            parties=[{"name": "孙立新", "role": "applicant"}],
        ),
        "canal": make.case(world.mediator_other_township, title="水渠放水纠纷"),
    }


def _ids(api, user, query: str) -> set[int]:
    response = api.get(user, "/cases?" + query)
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


def test_filters(api, world, spread):
    county = world.county_officer
    ids = {name: case.id for name, case in spread.items()}
    assert _ids(api, county, "") == set(ids.values())
    assert _ids(api, county, "status=registered") == set(ids.values())
    assert _ids(api, county, "status=closed") == set()
    assert _ids(api, county, "level=township") == {ids["township"]}
    assert _ids(api, county, "scale=big") == {ids["east_forest"], ids["township"]}
    assert _ids(api, county, "category=land_forest") == {ids["east_forest"]}
    assert _ids(api, county, "unit=410522100000") == {
        ids["early"],
        ids["east_forest"],
        ids["township"],
    }
    assert _ids(api, county, "unit=410522100201") == {ids["early"], ids["township"]}
    assert _ids(api, county, "q=水渠") == {ids["canal"]}
    assert _ids(api, county, "q=孙立新") == {ids["township"]}
    assert _ids(api, county, f"q={spread['canal'].number}") == {ids["canal"]}


def test_received_dates_are_local_days(api, world, spread):
    local_day = spread["early"].received_at.astimezone(TZ).date()
    utc_day = spread["early"].received_at.date()
    assert utc_day == local_day - dt.timedelta(days=1)  # 00:30 in Beijing is yesterday in UTC
    county = world.county_officer
    assert _ids(api, county, f"received_from={local_day}&received_to={local_day}") == {
        spread["early"].id
    }
    assert _ids(api, county, f"received_from={utc_day}&received_to={utc_day}") == set()
    next_day = local_day + dt.timedelta(days=1)
    assert spread["early"].id not in _ids(api, county, f"received_from={next_day}")


def test_sort_and_pagination(api, world, spread):
    county = world.county_officer
    oldest_first = api.get(county, "/cases?sort=received_at").get_json()["items"]
    assert oldest_first[0]["id"] == spread["early"].id

    seen = []
    for page in (1, 2):
        body = api.get(county, f"/cases?per_page=3&page={page}").get_json()
        assert body["total"] == 4 and body["page"] == page and body["per_page"] == 3
        seen += [item["id"] for item in body["items"]]
    assert len(seen) == 4 and set(seen) == {case.id for case in spread.values()}
    assert seen[-1] == spread["early"].id  # newest first by default

    beyond = api.get(county, "/cases?per_page=3&page=3").get_json()
    assert beyond == {"items": [], "total": 4, "page": 3, "per_page": 3}

    narrowed = api.get(county, "/cases?scale=big&per_page=1").get_json()
    assert narrowed["total"] == 2 and len(narrowed["items"]) == 1


BAD_QUERIES = {
    "status=lost": "status",
    "level=province": "level",
    "scale=huge": "scale",
    "category=feud": "category",
    "unit=999": "unit",
    "unit=410522101000": "unit",  # another township: outside the township officer's area
    "received_from=2026-13-01": "received_from",
    "received_to=yesterday": "received_to",
    "received_from=0001-01-01": "received_from",  # overflows once moved to UTC
    "received_to=9999-12-31": "received_to",
    "sort=name": "sort",
    "page=0": "page",
    "page=two": "page",
    "page=99999999999999999999": "page",
    "per_page=0": "per_page",
    "per_page=101": "per_page",
    "per_page=-5": "per_page",
    "flag=late": "flag",
    "overdue=yes": "overdue",
}


@pytest.mark.parametrize("query, name", BAD_QUERIES.items(), ids=BAD_QUERIES.keys())
def test_a_bad_filter_is_named(api, world, query, name):
    response = api.get(world.township_officer, "/cases?" + query)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and set(error["fields"]) == {name}


def test_flag_and_overdue_filters(api, world, make):
    import datetime as dt

    from mediation.domain.policy import Policy
    from mediation.services.notify import Notifier
    from mediation.services.sweep import run_sweep

    from ..factories import TZ

    received = dt.datetime(2026, 11, 2, 9, tzinfo=TZ)
    late = make.case(world.mediator, now=received)
    run_sweep(
        dt.datetime(2026, 11, 4, 8, tzinfo=TZ),
        policy=Policy(),
        tz=TZ,
        notifier=Notifier.from_config("log"),
    )
    make.case(world.mediator, now=received + dt.timedelta(days=2))  # not overdue
    for query in ("flag=accept_overdue", "overdue=1"):
        body = api.get(world.county_officer, "/cases?" + query).get_json()
        assert [item["id"] for item in body["items"]] == [late.id]
        assert body["items"][0]["flags"][0]["kind"] == "accept_overdue"
    assert api.get(world.county_officer, "/cases?flag=rule_broken").get_json()["total"] == 0
    assert api.get(world.county_officer, "/cases?overdue=0").get_json()["total"] == 2
