"""Merging a duplicate case into the one kept (并单): the API, both histories, read-only, and
the scorecard counting the dispute once (the duplicate and its flags nowhere)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from mediation.domain.months import Month
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Case, Flag
from mediation.services import scorecard
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep

from ..factories import TZ

RECEIVED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)


def _merge(api, user, case, into, note="热线与村里各登记一次"):
    return api.post(user, f"/cases/{case.id}/merge", {"into_case_id": into.id, "note": note})


def test_merge_makes_the_duplicate_read_only_and_both_histories_say_so(api, world, make):
    kept = make.case(world.mediator)
    duplicate = make.case(world.mediator)
    answer = _merge(api, world.township_officer, duplicate, kept)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "merged" and body["merged_into_id"] == kept.id
    assert body["allowed_actions"] == []
    events = api.get(world.mediator, f"/cases/{duplicate.id}/events").get_json()
    assert events[-1]["action"] == "merge" and events[-1]["to_status"] == "merged"
    assert events[-1]["data"]["into_case_id"] == kept.id
    kept_events = api.get(world.mediator, f"/cases/{kept.id}/events").get_json()
    assert kept_events[-1]["action"] == "merged_in"
    assert kept_events[-1]["data"]["case_id"] == duplicate.id
    assert api.get(world.mediator, f"/cases/{kept.id}").get_json()["status"] == "registered"
    # read-only: no action is allowed on it any more
    refused = api.post(
        world.mediator,
        f"/cases/{duplicate.id}/actions",
        {"action": "accept", "version": body["version"]},
    )
    assert refused.status_code == 409
    # merged once: a second merge is refused, so is merging into a duplicate
    again = _merge(api, world.township_officer, duplicate, kept)
    assert again.status_code == 422 and "case" in again.get_json()["error"]["fields"]
    third = make.case(world.mediator)
    into_duplicate = _merge(api, world.township_officer, third, duplicate)
    assert into_duplicate.status_code == 422
    assert "into_case_id" in into_duplicate.get_json()["error"]["fields"]
    # the holding village's mediator is told
    inbox = api.get(world.mediator, "/notifications").get_json()["items"]
    assert any(item["kind"] == "case_merged" and item["case_id"] == duplicate.id for item in inbox)


def test_who_may_merge_and_into_what(api, world, make):
    kept = make.case(world.mediator)
    duplicate = make.case(world.mediator)
    elsewhere = make.case(world.mediator_other_township)
    assert _merge(api, world.mediator, duplicate, kept).status_code == 403
    assert _merge(api, world.viewer, duplicate, kept).status_code == 403
    assert _merge(api, world.other_township_officer, duplicate, kept).status_code == 404
    outside = _merge(api, world.township_officer, duplicate, elsewhere)
    assert outside.status_code == 422 and "into_case_id" in outside.get_json()["error"]["fields"]
    itself = _merge(api, world.township_officer, duplicate, duplicate)
    assert itself.status_code == 422
    no_note = _merge(api, world.township_officer, duplicate, kept, note=" ")
    assert no_note.status_code == 422 and "note" in no_note.get_json()["error"]["fields"]
    bad = api.post(world.township_officer, f"/cases/{duplicate.id}/merge", {"into_case_id": "1"})
    assert bad.status_code == 422
    db.session.expire_all()
    assert db.session.get(Case, duplicate.id).merged_into_id is None
    assert _merge(api, world.county_officer, duplicate, kept).status_code == 200


def test_the_duplicate_counts_nowhere_on_the_scorecard(api, world, make):
    kept = make.case(world.mediator, now=RECEIVED)
    duplicate = make.case(world.mediator, now=RECEIVED + dt.timedelta(hours=1))
    # both cases' village clocks run out before the merge: breaches, escalations to the
    # township and rule violations (a small case leaving the village) counted against it
    run_sweep(
        dt.datetime(2026, 11, 12, 8, 0, tzinfo=TZ),
        policy=Policy(),
        tz=TZ,
        notifier=Notifier([]),
    )
    month = Month(2026, 11)
    county = world.county_officer.unit

    def village():
        card = scorecard.compute(county, month, policy=Policy(), tz=TZ)
        return next(v for v in card.villages if v.code == "410522100201").counts

    assert village().received == 2
    was = village()
    assert (was.breaches, was.escalations, was.rule_violations) == (6, 2, 2)
    flagged = db.session.scalar(
        select(func.count()).select_from(Flag).where(Flag.case_id == duplicate.id)
    )
    assert flagged >= 1
    before = village().rule_violations
    assert _merge(api, world.county_officer, duplicate, kept).status_code == 200
    db.session.expire_all()
    counts = village()
    assert counts.received == 1 and counts.concluded == 0 and counts.agreements == 0
    # the duplicate's flags count no more, and its list behind a figure leaves it out
    duplicate_flags = db.session.scalar(
        select(func.count())
        .select_from(Flag)
        .where(
            Flag.case_id == duplicate.id,
            Flag.kind.in_(list(scorecard.RULE_VIOLATIONS)),
        )
    )
    assert duplicate_flags == 1 and counts.rule_violations == before - duplicate_flags == 1
    assert (counts.breaches, counts.escalations) == (3, 1)
    listed = api.get(world.county_officer, "/cases?metric=received&month=2026-11").get_json()
    assert [item["id"] for item in listed["items"]] == [kept.id]
    # the open flags of the duplicate are cleared: it asks nothing of anyone any more
    assert not db.session.scalar(
        select(func.count())
        .select_from(Flag)
        .where(Flag.case_id == duplicate.id, Flag.cleared_at.is_(None))
    )


def test_bad_bodies_are_422_never_500(api, world, make):
    kept = make.case(world.mediator)
    duplicate = make.case(world.mediator)
    path = f"/cases/{duplicate.id}/merge"
    for body in (
        {"into_case_id": 2**40, "note": "x"},
        {"into_case_id": kept.id, "note": "a\x00b"},
        {"into_case_id": kept.id, "note": "x", "extra": 1},
        {"into_case_id": None, "note": None},
    ):
        assert api.post(world.county_officer, path, body).status_code == 422, body
    notice = api.post(
        world.county_officer,
        f"/cases/{kept.id}/supervisions",
        {"instruction": "a\x00b", "due_working_days": 3},
    )
    assert notice.status_code == 422 and "instruction" in notice.get_json()["error"]["fields"]
