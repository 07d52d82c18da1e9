"""The ``session`` action (调解记录): a meeting's record, for a case in mediation, moving no
clock; held not in the future and not before the dispute was received."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from mediation.extensions import db
from mediation.models import Case, Deadline

from .casework import act


def session_body(version: int, held_at: dt.datetime, **overrides) -> dict:
    return {
        "action": "session",
        "version": version,
        "held_at": held_at.isoformat(),
        "place": "西裴村委会调解室",
        "participants": "申请人张三，被申请人李四，调解员王五",
        "summary": "双方就滴水问题陈述意见；约定下周再谈。",
        **overrides,
    }


def clocks_of(case_id: int) -> list[tuple]:
    db.session.expire_all()
    return [
        (d.clock, d.level, d.due_at, d.met_at, d.breached_at, d.stopped_at)
        for d in db.session.scalars(
            select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.id)
        )
    ]


def test_a_session_is_recorded_in_the_history_and_moves_no_clock(api, world, make, now):
    case = make.case(world.mediator, now=now - dt.timedelta(days=2))
    act(world.mediator, case, "accept")
    clocks = clocks_of(case.id)
    version = case.version
    held_at = (now - dt.timedelta(hours=3)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    answer = api.post(world.mediator, f"/cases/{case.id}/actions", session_body(version, held_at))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "in_mediation"
    assert answer.get_json()["version"] == version + 1
    assert clocks_of(case.id) == clocks

    events = api.get(world.mediator, f"/cases/{case.id}/events").get_json()
    session = events[-1]
    assert session["action"] == "session" and session["to_status"] == "in_mediation"
    assert session["actor"] == world.mediator.username
    assert dt.datetime.fromisoformat(session["data"]["held_at"]) == held_at
    assert session["data"]["place"] == "西裴村委会调解室"
    assert session["data"]["participants"].startswith("申请人张三")
    assert session["data"]["summary"].endswith("约定下周再谈。")


def test_a_stale_version_is_a_conflict_and_saves_nothing(api, world, make, now):
    case = make.case(world.mediator)
    act(world.mediator, case, "accept")
    version = case.version
    answer = api.post(world.mediator, f"/cases/{case.id}/actions", session_body(version - 1, now))
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "version_conflict"
    db.session.expire_all()
    assert db.session.get(Case, case.id).version == version
    events = api.get(world.mediator, f"/cases/{case.id}/events").get_json()
    assert "session" not in [event["action"] for event in events]


def test_only_a_case_in_mediation_holds_sessions(api, world, make, now):
    registered = make.case(world.mediator)
    answer = api.post(
        world.mediator,
        f"/cases/{registered.id}/actions",
        session_body(registered.version, now),
    )
    assert answer.status_code == 409
    paused = make.case(world.mediator)
    act(world.mediator, paused, "accept")
    act(world.mediator, paused, "pause")
    answer = api.post(
        world.mediator, f"/cases/{paused.id}/actions", session_body(paused.version, now)
    )
    assert answer.status_code == 409
    # not the holder's: the township officer sees it but does not mediate it
    act(world.mediator, paused, "resume")
    answer = api.post(
        world.township_officer, f"/cases/{paused.id}/actions", session_body(paused.version, now)
    )
    assert answer.status_code == 403


def test_when_it_was_held_is_checked(api, world, make, now):
    case = make.case(world.mediator, now=now - dt.timedelta(days=1))
    act(world.mediator, case, "accept")
    version = case.version
    path = f"/cases/{case.id}/actions"
    for held_at, message in (
        (now + dt.timedelta(hours=1), "The session cannot be in the future."),
        (now - dt.timedelta(days=2), "The session cannot be before the dispute was received."),
    ):
        answer = api.post(world.mediator, path, session_body(version, held_at), lang="en")
        assert answer.status_code == 422
        assert answer.get_json()["error"]["fields"] == {"held_at": message}
    answer = api.post(
        world.mediator,
        path,
        {**session_body(version, now), "held_at": "2026-11-26 09:30", "place": ""},
        lang="en",
    )
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"held_at", "place"}
    db.session.expire_all()
    assert db.session.get(Case, case.id).version == version
