"""POST /api/v1/cases of a dispute already settled on the spot (当场调解): one request records
it received, accepted and resolved, each at its own instant, and it never goes up by itself."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mediation.domain.calendar import WorkCalendar, add_working_days
from mediation.domain.enums import Clock, Level
from mediation.extensions import db
from mediation.models import Case, Deadline
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep

from ..factories import TZ, case_fields
from .test_cases import local_iso


def settled(received_at: dt.datetime, resolved_at: dt.datetime, **agreement) -> dict:
    return case_fields(
        received_at=local_iso(received_at),
        resolved_at=local_iso(resolved_at),
        agreement={"form": "oral", "terms": "双方当场和解，李四赔礼道歉。", **agreement},
    )


def clocks(case_id: int) -> dict[tuple[Clock, Level], Deadline]:
    db.session.expire_all()
    rows = db.session.scalars(select(Deadline).where(Deadline.case_id == case_id))
    return {(row.clock, row.level): row for row in rows}


def test_a_dispute_settled_on_the_spot_is_recorded_in_one_step(api, world, now):
    received_at = (now - dt.timedelta(days=2)).replace(microsecond=0)
    resolved_at = received_at + dt.timedelta(hours=1)
    answer = api.post(world.mediator, "/cases", settled(received_at, resolved_at))
    assert answer.status_code == 201, answer.get_json()
    case = answer.get_json()
    assert case["status"] == "resolved" and case["level"] == "village"
    deadlines = {(d["clock"], d["level"]): d for d in case["deadlines"]}
    assert deadlines["accept", "village"]["state"] == "met"
    assert deadlines["accept", "village"]["met_at"] == local_iso(received_at)
    assert deadlines["settle", "village"]["state"] == "met"
    assert deadlines["statutory", "village"]["met_at"] == local_iso(resolved_at)
    follow_up = deadlines["follow_up", "village"]
    assert follow_up["state"] == "running" and follow_up["started_at"] == local_iso(resolved_at)

    history = api.get(world.mediator, f"/cases/{case['id']}/events").get_json()
    assert [(e["action"], e["at"]) for e in history if e["action"] != "register"] == [
        ("accept", local_iso(received_at)),
        ("resolve", local_iso(resolved_at)),
    ]
    assert all(e["recorded_at"] == history[0]["recorded_at"] for e in history)  # written now


def test_a_back_dated_settled_case_judges_its_clocks_by_its_own_instants(api, world, now):
    """Received 20 days ago, settled 12 days later: the village's 5 working days had run out,
    so the settle clock is breached at its deadline; it never escalates."""
    received_at = (now - dt.timedelta(days=20)).replace(microsecond=0)
    resolved_at = received_at + dt.timedelta(days=12)
    answer = api.post(world.mediator, "/cases", settled(received_at, resolved_at))
    assert answer.status_code == 201, answer.get_json()
    case_id = answer.get_json()["id"]
    settle = clocks(case_id)[Clock.settle, Level.village]
    due = add_working_days(received_at, 5, WorkCalendar(), TZ).at
    assert settle.due_at == due and settle.breached_at == due and settle.met_at is None
    run_sweep(now, policy=_policy(), tz=TZ, notifier=Notifier.from_config("inbox"))
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert (case.status.value, case.level) == ("resolved", Level.village)  # never went up


def _policy():
    from mediation.platform import runtime

    return runtime.policy()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"agreement": None}, "agreement"),
        ({"resolved_at": None}, "resolved_at"),
        ({"agreement": {"form": "oral"}}, "agreement.terms"),
        ({"agreement": {"form": "spoken", "terms": "x"}}, "agreement.form"),
    ],
)
def test_a_settled_case_needs_both_the_time_and_the_agreement(
    api, world, now, case_count, change, field
):
    received_at = now - dt.timedelta(days=1)
    body = {**settled(received_at, received_at + dt.timedelta(hours=2)), **change}
    body = {key: value for key, value in body.items() if value is not None}
    before = case_count()
    answer = api.post(world.mediator, "/cases", body)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["error"]["fields"]
    assert case_count() == before


@pytest.mark.parametrize("offset_hours", [-1, 48])  # before received, in the future
def test_the_time_settled_lies_between_receipt_and_now(api, world, now, case_count, offset_hours):
    received_at = now - dt.timedelta(days=1)
    body = settled(received_at, received_at + dt.timedelta(hours=offset_hours))
    before = case_count()
    answer = api.post(world.mediator, "/cases", body)
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"resolved_at"}
    assert case_count() == before
