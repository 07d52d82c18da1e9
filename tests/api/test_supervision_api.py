"""Supervision notices (督办) through the JSON API, their ladder walked with the sweep command
(催办 at the reminder instant, 通报 at the due instant), the list's filters and scoping."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from mediation.domain.calendar import WorkCalendar, after_working_seconds, anchor_after
from mediation.domain.months import Month
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Notification, Supervision
from mediation.services import scorecard
from mediation.services import supervision as service

from ..factories import TZ

INSTRUCTION = "请五个工作日内报告调处进展。"


def _issue(api, officer, case, days=5, **extra):
    body = {"instruction": INSTRUCTION, "due_working_days": days, **extra}
    return api.post(officer, f"/cases/{case.id}/supervisions", body)


def _sweep(runner, instant: dt.datetime) -> dict:
    result = runner.invoke(args=["sweep", "--now", instant.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _notices(kind: str) -> list[tuple[int, int]]:
    db.session.expire_all()
    return db.session.execute(
        select(Notification.user_id, Notification.case_id).where(Notification.kind == kind)
    ).all()


def _row(notice_id: int) -> Supervision:
    db.session.expire_all()
    return db.session.get(Supervision, notice_id)


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_the_ladder_walked_with_the_sweep(api, runner, world, make):
    case = make.case(world.mediator)
    answer = _issue(api, world.township_officer, case)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["stage"] == "issued" and body["unit_code"] == "410522100201"
    assert body["issued_by"] == "baibi" and body["replied_at"] is None
    # the due instant: 24:00 (local) of the 5th working day after the issuing day, the reminder
    # at 80 % of that span, both by the working-day calendar, worked out here independently
    issued = _parse(body["issued_at"])
    calendar = WorkCalendar()
    anchor = anchor_after(issued, TZ)
    due = after_working_seconds(anchor, 5 * 86400, calendar, TZ).at
    remind = after_working_seconds(anchor, 4 * 86400, calendar, TZ).at
    assert _parse(body["due_at"]) == due and _parse(body["remind_at"]) == remind
    assert due.astimezone(TZ).time() == dt.time(0, 0)
    # the holder (the village's mediator) is told; the issuer is not
    assert _notices("supervision") == [(world.mediator.id, case.id)]

    before = _sweep(runner, remind - dt.timedelta(seconds=1))
    assert "supervision_reminder" not in before["raised"]
    first = _sweep(runner, remind)
    assert first["raised"]["supervision_reminder"] == 1
    notice = _row(body["id"])
    assert notice.reminded_at == remind and notice.circulated_at is None
    assert api.get(world.township_officer, "/supervisions").get_json()[0]["stage"] == "reminded"
    assert _notices("supervision_reminder") == [(world.mediator.id, case.id)]
    again = _sweep(runner, remind)
    assert "supervision_reminder" not in again["raised"]
    assert len(_notices("supervision_reminder")) == 1

    # found a day late, the circulation is still dated at the due instant
    late = due + dt.timedelta(days=1)
    second = _sweep(runner, late)
    assert second["raised"]["supervision_circulated"] == 1
    notice = _row(body["id"])
    assert notice.circulated_at == due and notice.reminded_at == remind
    assert notice.next_check_at is None
    listed = api.get(world.township_officer, "/supervisions").get_json()[0]
    assert listed["stage"] == "circulated" and _parse(listed["circulated_at"]) == due
    # the case went up to the township meanwhile: its mediator (issued to), the township
    # holding it now, which also issued the notice, are told once each
    told = _notices("supervision_circulated")
    assert sorted(told) == sorted(
        [(world.mediator.id, case.id), (world.township_officer.id, case.id)]
    )
    for instant in (late, late + dt.timedelta(days=30)):
        summary = _sweep(runner, instant)
        assert "supervision_circulated" not in summary["raised"]
    assert len(_notices("supervision_circulated")) == 2

    # a reply after the due instant undoes nothing
    reply = api.post(world.mediator, f"/supervisions/{body['id']}/reply", {"progress": "已调解"})
    assert reply.status_code == 200 and reply.get_json()["stage"] == "circulated"


def test_a_reply_before_the_reminder_stops_the_ladder(api, runner, world, make):
    case = make.case(world.mediator)
    body = _issue(api, world.county_officer, case, days=3).get_json()
    reply = api.post(world.mediator, f"/supervisions/{body['id']}/reply", {"progress": "已受理"})
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["stage"] == "issued" and reply.get_json()["replied_at"]
    assert _row(body["id"]).next_check_at is None
    summary = _sweep(runner, _parse(body["due_at"]) + dt.timedelta(days=3))
    assert not {"supervision_reminder", "supervision_circulated"} & set(summary["raised"])
    notice = _row(body["id"])
    assert notice.reminded_at is None and notice.circulated_at is None
    twice = api.post(world.mediator, f"/supervisions/{body['id']}/reply", {"progress": "再报"})
    assert twice.status_code == 422 and "progress" in twice.get_json()["error"]["fields"]


def test_a_reply_between_reminder_and_due_stops_only_the_circulation(app, runner, world, make):
    case = make.case(world.mediator)
    from mediation.services.workflow import Context

    ctx = Context.build(dt.datetime.now(dt.UTC), Policy(), TZ)
    notice = service.issue(
        world.township_officer, case, {"instruction": "x", "due_working_days": 5}, ctx=ctx
    )
    db.session.commit()
    halfway = notice.remind_at + (notice.due_at - notice.remind_at) / 2
    # the reply comes before any sweep ran: the reminder it came after is still recorded
    service.reply(world.mediator, notice, {"progress": "进展"}, now=halfway)
    db.session.commit()
    summary = _sweep(runner, notice.due_at + dt.timedelta(days=2))
    assert summary["raised"].get("supervision_reminder") == 1
    assert "supervision_circulated" not in summary["raised"]
    row = _row(notice.id)
    assert row.reminded_at == row.remind_at and row.circulated_at is None


def test_a_reply_after_due_found_later_still_circulates(app, runner, world, make):
    case = make.case(world.mediator)
    from mediation.services.workflow import Context

    ctx = Context.build(dt.datetime.now(dt.UTC), Policy(), TZ)
    notice = service.issue(
        world.township_officer, case, {"instruction": "x", "due_working_days": 2}, ctx=ctx
    )
    db.session.commit()
    service.reply(world.mediator, notice, {"progress": "迟报"}, now=notice.due_at)
    db.session.commit()
    summary = _sweep(runner, notice.due_at + dt.timedelta(hours=1))
    assert summary["raised"]["supervision_circulated"] == 1
    assert _row(notice.id).circulated_at == notice.due_at


def test_who_may_issue_and_reply(api, world, make, login):
    village_case = make.case(world.mediator)
    township_case = make.case(world.township_officer, village_code="410522100202")
    assert township_case.level.value == "township"
    # outside the area: not found
    assert _issue(api, world.other_township_officer, village_case).status_code == 404
    assert _issue(api, world.mediator_east, village_case).status_code == 404
    # in the area but not above the level holding it
    refused = _issue(api, world.mediator, village_case)
    assert refused.status_code == 403 and refused.get_json()["error"]["message"]
    refused = api.post(
        world.township_officer,
        f"/cases/{township_case.id}/supervisions",
        {"instruction": INSTRUCTION, "due_working_days": 5},
        lang="en",
    )
    assert refused.status_code == 403
    assert "above the level holding the case" in refused.get_json()["error"]["message"]
    assert _issue(api, world.viewer, village_case).status_code == 403
    assert _issue(api, world.county_officer, township_case).status_code == 201
    body = _issue(api, world.county_officer, village_case).get_json()
    assert db.session.scalar(select(func.count()).select_from(Supervision)) == 2
    # replies: the unit holding the case only
    path = f"/supervisions/{body['id']}/reply"
    assert api.post(world.mediator_east, path, {"progress": "x"}).status_code == 404
    assert api.post(world.township_officer, path, {"progress": "x"}).status_code == 403
    assert api.post(world.mediator, path, {"progress": "x"}).status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({"instruction": "", "due_working_days": 5}, "instruction"),
        ({"instruction": "x", "due_working_days": 0}, "due_working_days"),
        ({"instruction": "x", "due_working_days": 61}, "due_working_days"),
        ({"instruction": "x", "due_working_days": "5"}, "due_working_days"),
        ({"instruction": "x", "due_working_days": 5, "priority": 1}, "priority"),
        ({"instruction": "x" * 2001, "due_working_days": 5}, "instruction"),
    ],
)
def test_bad_input_is_422_naming_the_field(api, world, make, body, field):
    case = make.case(world.mediator)
    answer = api.post(world.township_officer, f"/cases/{case.id}/supervisions", body)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(Supervision)) == 0


def test_the_list_and_its_filters(api, world, make):
    from mediation.services.workflow import Context

    case = make.case(world.mediator)
    other = make.case(world.mediator_other_township)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    overdue = service.issue(
        world.county_officer,
        case,
        {"instruction": "旧督办", "due_working_days": 3},
        ctx=Context.build(long_ago, Policy(), TZ),
    )
    answered = service.issue(
        world.county_officer,
        case,
        {"instruction": "已回复", "due_working_days": 3},
        ctx=Context.build(long_ago, Policy(), TZ),
    )
    service.reply(world.mediator, answered, {"progress": "按期回复"}, now=long_ago)
    db.session.commit()
    fresh = _issue(api, world.township_officer, case).get_json()
    elsewhere = _issue(api, world.county_officer, other).get_json()

    def ids(user, query=""):
        answer = api.get(user, "/supervisions" + query)
        assert answer.status_code == 200, answer.get_json()
        return {item["id"] for item in answer.get_json()}

    everything = {overdue.id, answered.id, fresh["id"], elsewhere["id"]}
    assert ids(world.county_officer) == everything
    assert ids(world.county_officer, "?open=1") == {overdue.id, fresh["id"], elsewhere["id"]}
    assert ids(world.county_officer, "?overdue=1") == {overdue.id}
    assert ids(world.county_officer, "?open=1&overdue=1") == {overdue.id}
    assert ids(world.county_officer, "?unit=410522101000") == {elsewhere["id"]}
    assert ids(world.township_officer) == {overdue.id, answered.id, fresh["id"]}
    assert ids(world.other_township_officer) == {elsewhere["id"]}
    assert ids(world.mediator_east) == set()
    item = api.get(world.county_officer, "/supervisions?overdue=1").get_json()[0]
    assert set(item) >= {
        "id",
        "case_id",
        "unit_code",
        "issued_by",
        "issued_at",
        "instruction",
        "due_at",
        "replied_at",
        "stage",
    }
    for bad in ("?open=yes", "?overdue=2", "?unit=410522101000"):
        user = world.township_officer
        answer = api.get(user, "/supervisions" + bad)
        assert answer.status_code == 422, bad


def test_a_circulation_counts_on_the_scorecard_in_the_month_of_its_due_instant(
    api, runner, world, make
):
    case = make.case(world.mediator)
    body = _issue(api, world.township_officer, case).get_json()
    due = _parse(body["due_at"])
    month = Month.of(due, TZ)
    county = world.county_officer.unit
    # the month frozen before the circulation is found: the snapshot stays, a revision waits
    scorecard.freeze(county, month, now=due, policy=Policy(), tz=TZ)
    db.session.commit()

    def village(answer):
        return next(v for v in answer["villages"] if v["code"] == "410522100201")

    frozen = api.get(world.county_officer, f"/scorecards/{month}").get_json()
    assert village(frozen)["supervision_overdue"] == 0
    _sweep(runner, due + dt.timedelta(days=2))
    shown = api.get(world.county_officer, f"/scorecards/{month}").get_json()
    assert shown["pending_revision"] is True and village(shown)["supervision_overdue"] == 0
    scorecard.freeze(county, month, now=due + dt.timedelta(days=3), policy=Policy(), tz=TZ)
    db.session.commit()
    revised = api.get(world.county_officer, f"/scorecards/{month}").get_json()
    assert revised["revision"] == 2
    row = village(revised)
    assert row["supervision_overdue"] == 1
    deduction = next(d for d in row["deductions"] if d["kind"] == "supervision_overdue")
    assert (deduction["count"], deduction["weight"], deduction["points"]) == (1, 5, 5)
    assert revised["weights"]["supervision_overdue"] == 5
    # the month before the due instant's has no such deduction
    before = api.get(world.county_officer, f"/scorecards/{month.previous()}").get_json()
    assert village(before)["supervision_overdue"] == 0


def test_the_openapi_document_describes_it(api):
    document = api.get(None, "/openapi.json").get_json()
    assert "/cases/{case_id}/supervisions" in document["paths"]
    assert "/supervisions/{supervision_id}/reply" in document["paths"]
    assert "/supervisions" in document["paths"] and "/cases/{case_id}/merge" in document["paths"]
    stage = document["components"]["schemas"]["Supervision"]["properties"]["stage"]
    assert stage["enum"] == ["issued", "reminded", "circulated"]
