"""Worked examples of the working-day clocks on the real Chinese calendar, as the API shows
them. Cases are registered through the services with ``now`` at the time of receipt (the API
itself refuses a receipt more than 90 days back)."""

from __future__ import annotations

import datetime as dt

from ..factories import TZ


def received(make, actor, when: str, **fields):
    """A case received (and registered) at local time ``when``."""
    at = dt.datetime.fromisoformat(when)
    return make.case(actor, now=at.astimezone(dt.UTC), received_at=when, **fields)


def clocks(api, user, case) -> dict:
    response = api.get(user, f"/cases/{case.id}")
    assert response.status_code == 200
    return {(d["clock"], d["level"]): d for d in response.get_json()["deadlines"]}


def test_the_accept_clock_waits_for_the_end_of_national_day(api, make, world):
    # Wednesday 30 September 2026; 1-7 October are the National Day holidays.
    case = received(make, world.mediator, "2026-09-30T10:00:00+08:00")
    shown = clocks(api, world.mediator, case)

    accept = shown[("accept", "village")]
    assert accept["due_at"] == "2026-10-09T00:00:00+08:00"  # 24:00 of Thursday 8 October
    assert accept["warn_at"] == "2026-10-08T19:12:00+08:00"  # 80 % of that working day
    assert accept["started_at"] == "2026-09-30T10:00:00+08:00"
    assert (accept["days"], accept["working_days"], accept["provisional"]) == (1, True, False)
    assert accept["running"] and accept["met_at"] is None and accept["breached_at"] is None
    # 8, 9, 10 (a Saturday worked in exchange), 12 and 13 October.
    assert shown[("settle", "village")]["due_at"] == "2026-10-14T00:00:00+08:00"
    statutory = shown[("statutory", "village")]
    assert statutory["due_at"] == "2026-10-30T10:00:00+08:00"  # 30 calendar days, holidays too
    assert (statutory["working_days"], statutory["days"]) == (False, 30)


def test_a_make_up_saturday_counts_as_a_working_day(api, make, world):
    # Friday 9 October 2026 09:00. Working days after it: Saturday 10 October (调休, worked
    # for the holiday), Monday 12, Tuesday 13, Wednesday 14, Thursday 15. Counting Monday to
    # Friday only, the fifth would be Friday 16 and the deadline 17 October 00:00.
    case = received(make, world.mediator, "2026-10-09T09:00:00+08:00")
    shown = clocks(api, world.mediator, case)

    settle = shown[("settle", "village")]
    assert settle["due_at"] == "2026-10-16T00:00:00+08:00"
    assert settle["warn_at"] == "2026-10-15T00:00:00+08:00"  # after 4 of the 5 working days
    assert settle["provisional"] is False
    assert shown[("accept", "village")]["due_at"] == "2026-10-11T00:00:00+08:00"  # the Saturday


def test_an_ordinary_weekend_is_skipped(api, make, world):
    # Friday 20 November 2026 16:00, 1 working day: Monday 23 → due Tuesday 00:00.
    case = received(make, world.mediator, "2026-11-20T16:00:00+08:00")
    assert clocks(api, world.mediator, case)[("accept", "village")]["due_at"] == (
        "2026-11-24T00:00:00+08:00"
    )


def test_a_deadline_in_an_unknown_year_is_provisional(api, make, world):
    # Monday 28 December 2026: the bundled calendar knows 2026 but not 2027, so the days from
    # 1 January 2027 are counted Monday to Friday (New Year's Day too) and marked provisional.
    case = received(make, world.mediator, "2026-12-28T10:00:00+08:00")
    shown = clocks(api, world.mediator, case)

    settle = shown[("settle", "village")]
    # 29, 30, 31 December, then Friday 1 and Monday 4 January 2027 (a guess).
    assert settle["due_at"] == "2027-01-05T00:00:00+08:00"
    assert settle["provisional"] is True
    accept = shown[("accept", "village")]
    assert accept["due_at"] == "2026-12-30T00:00:00+08:00" and accept["provisional"] is False
    statutory = shown[("statutory", "village")]
    assert statutory["due_at"] == "2027-01-27T10:00:00+08:00"
    assert statutory["provisional"] is False  # calendar days need no calendar


def test_a_township_case_has_the_townships_settle_span(api, make, world):
    # Registered at the township on Monday 12 October 2026: 10 working days, 13-16, 19-23 and
    # Monday 26 October.
    case = received(
        make, world.township_officer, "2026-10-12T11:00:00+08:00", village_code="410522100201"
    )
    shown = clocks(api, world.township_officer, case)
    assert set(shown) == {("accept", "township"), ("settle", "township"), ("statutory", "township")}
    settle = shown[("settle", "township")]
    assert (settle["days"], settle["due_at"]) == (10, "2026-10-27T00:00:00+08:00")


def test_times_are_local_whatever_the_instant(api, make, world):
    case = received(make, world.mediator, "2026-10-09T01:30:00+08:00")  # 8 October in UTC
    shown = api.get(world.mediator, f"/cases/{case.id}").get_json()
    assert shown["received_at"] == "2026-10-09T01:30:00+08:00"
    # Counting starts from the local day (9 October), not the UTC one.
    assert clocks(api, world.mediator, case)[("accept", "village")]["due_at"] == (
        "2026-10-11T00:00:00+08:00"
    )
    assert all(d["due_at"].endswith("+08:00") for d in shown["deadlines"])
    assert TZ.key == "Asia/Shanghai"
