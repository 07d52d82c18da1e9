"""The inbox as an API for the phone clients, and what reaches it: a big case registered at a
village tells its township's officers at once, a major case also the county's, a major case
reported tells the county; flags name their case, or their village and month."""

import datetime as dt

from mediation.domain.policy import Policy
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep

from ..factories import TZ

BIG = {"category": "land_acquisition", "people_involved": 8, "title": "征地补偿分配纠纷"}
MAJOR = {"category": "labor", "people_involved": 35, "title": "工地欠薪纠纷"}


def inbox(api, user, **query):
    response = api.get(user, "/notifications", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def kinds(api, user) -> list[tuple[str, int | None]]:
    return [(item["kind"], item["case_id"]) for item in inbox(api, user)["items"]]


def test_a_big_case_registered_at_the_village_tells_the_township_at_once(api, make, world):
    case = make.case(world.mediator, **BIG)
    assert case.scale.value == "big" and case.level.value == "village"
    body = inbox(api, world.township_officer)
    assert body["total"] == 1 and body["unread"] == 1
    (item,) = body["items"]
    assert item["kind"] == "big_case_registered" and item["case_id"] == case.id
    assert item["unit_code"] == "410522100201" and item["read_at"] is None
    assert case.number in item["text"] and "征地补偿分配纠纷" in item["text"]
    assert "较大纠纷登记" in item["text"]
    # The county is not told of a big case; nor another township; nor the mediator herself.
    assert kinds(api, world.county_officer) == []
    assert kinds(api, world.other_township_officer) == []
    assert kinds(api, world.mediator) == []


def test_a_major_case_tells_the_township_and_the_county(api, make, world):
    case = make.case(world.mediator, **MAJOR)
    assert case.scale.value == "major"
    assert kinds(api, world.township_officer) == [("major_case_registered", case.id)]
    assert kinds(api, world.county_officer) == [("major_case_registered", case.id)]
    assert kinds(api, world.other_township_officer) == []


def test_a_small_case_or_one_settled_on_the_spot_tells_nobody_above(api, make, world):
    make.case(world.mediator)
    received = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    make.case(
        world.mediator,
        **BIG,
        received_at=received.isoformat(),
        resolved_at=(received + dt.timedelta(hours=1)).isoformat(),
        agreement={"form": "oral", "terms": "按面积分配补偿款。"},
    )
    assert kinds(api, world.township_officer) == []


def test_reporting_a_major_case_tells_the_county(api, make, world):
    case = make.case(world.mediator, **MAJOR)
    before = len(kinds(api, world.county_officer))
    response = api.post(
        world.mediator, f"/cases/{case.id}/actions", {"action": "report", "version": case.version}
    )
    assert response.status_code == 200, response.get_json()
    told = kinds(api, world.county_officer)
    assert len(told) == before + 1 and told[0] == ("major_case_reported", case.id)
    assert "重大纠纷报告" in inbox(api, world.county_officer)["items"][0]["text"]


def test_reading_one_and_the_unread_filter(api, make, world):
    first = make.case(world.mediator, **BIG)
    second = make.case(world.mediator, **{**BIG, "title": "山林界址纠纷"})
    body = inbox(api, world.township_officer)
    assert body["total"] == 2 and body["unread"] == 2
    newest = body["items"][0]
    assert newest["case_id"] == second.id  # newest first
    response = api.post(world.township_officer, f"/notifications/{newest['id']}/read")
    assert response.status_code == 200 and response.get_json()["read_at"]
    unread = inbox(api, world.township_officer, unread=1)
    assert unread["total"] == 1 and unread["unread"] == 1
    assert unread["items"][0]["case_id"] == first.id
    everything = inbox(api, world.township_officer)
    assert everything["total"] == 2 and everything["unread"] == 1
    # Reading it again keeps the first reading's instant.
    again = api.post(world.township_officer, f"/notifications/{newest['id']}/read").get_json()
    assert again["read_at"] == response.get_json()["read_at"]


def test_another_users_notification_is_not_found(api, make, world):
    make.case(world.mediator, **MAJOR)
    note_id = inbox(api, world.township_officer)["items"][0]["id"]
    for user in (world.other_township_officer, world.mediator, world.county_officer):
        assert api.post(user, f"/notifications/{note_id}/read").status_code == 404
    assert inbox(api, world.township_officer)["unread"] == 1
    assert api.post(world.township_officer, "/notifications/999999/read").status_code == 404
    assert api.get(None, "/notifications").status_code == 401


def test_bad_query_is_a_422_naming_the_field(api, world):
    response = api.get(world.mediator, "/notifications", query_string={"unread": "yes"})
    assert response.status_code == 422
    assert "unread" in response.get_json()["error"]["fields"]
    response = api.get(world.mediator, "/notifications", query_string={"page": "0"})
    assert response.status_code == 422
    assert "page" in response.get_json()["error"]["fields"]


def test_flags_name_their_case_or_their_village_and_month(api, make, world):
    received = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
    case = make.case(world.mediator, now=received, received_at=received.isoformat())
    run_sweep(
        dt.datetime(2026, 12, 1, 8, tzinfo=TZ),
        policy=Policy(),
        tz=TZ,
        notifier=Notifier.from_config("inbox"),
    )
    items = inbox(api, world.mediator)["items"]
    by_kind = {item["kind"]: item for item in items}
    assert by_kind["accept_overdue"]["case_id"] == case.id
    assert case.number in by_kind["accept_overdue"]["text"]
    missing = [item for item in items if item["kind"] == "screening_missing"]
    assert missing and all(item["case_id"] is None for item in missing)
    assert "西裴村 · 2026年11月" in missing[0]["text"]
    assert len({item["text"] for item in missing}) == len(missing)  # each names its month


def test_the_officers_above_may_take_over_and_report_a_major_village_case(api, make, world):
    case = make.case(world.mediator, **MAJOR)
    for officer in (world.township_officer, world.county_officer):
        allowed = api.get(officer, f"/cases/{case.id}").get_json()["allowed_actions"]
        assert {"take_over", "report"} <= set(allowed), (officer.username, allowed)
    big = make.case(world.mediator, **BIG)
    allowed = api.get(world.township_officer, f"/cases/{big.id}").get_json()["allowed_actions"]
    assert "take_over" in allowed and "report" not in allowed
