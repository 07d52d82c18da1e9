"""services.scorecard on the hand-built November (tests/scorecard_month.py): every figure worked
out on paper, the list behind each figure, freezing and revisions, and the scheduled freeze."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from types import SimpleNamespace

import pytest

from mediation import jobs
from mediation.domain.enums import IncidentKind
from mediation.domain.policy import Policy, parse_policy
from mediation.extensions import db
from mediation.models import ScorecardSnapshot
from mediation.services import scorecard
from mediation.services.cases import parse_filters, search_cases
from mediation.services.lease import acquire_lease, release_lease

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
    sweep,
    unit,
)


@pytest.fixture
def month(world, make):
    return build_november(world, make)


def card(code: str = COUNTY, policy: Policy | None = None) -> dict:
    return scorecard.as_dict(scorecard.compute(unit(code), MONTH, policy=policy or Policy(), tz=TZ))


def village(data: dict, code: str) -> dict:
    return next(row for row in data["villages"] if row["code"] == code)


def township(data: dict, code: str) -> dict:
    return next(row for row in data["townships"] if row["code"] == code)


def test_a_village_that_meets_the_three_zeros_scores_100(month):
    a = village(card(), A)
    assert (a["received"], a["concluded"], a["agreements"]) == (1, 1, 1)
    assert (a["success_rate"], a["on_time_rate"]) == ("1.0000", "1.0000")
    assert (a["small_in_village_rate"], a["big_in_township_rate"]) == ("1.0000", "1.0000")
    assert (a["escalations"], a["breaches"], a["rule_violations"], a["petitions"]) == (0, 0, 0, 0)
    assert a["screening_filed"] == 1 and a["amount_settled_yuan"] == "500.00"
    assert a["three_zero"] is True and a["score"] == 100 and a["deductions"] == []
    assert a["light"] == "green" and a["rank"] == 1


def test_a_collective_petition_to_the_city_costs_the_three_zeros_and_30_points(month):
    b = village(card(), B)
    assert (b["petitions_above_county"], b["collective_petitions"], b["petitions"]) == (1, 1, 1)
    assert (b["petitions_township"], b["petitions_county"]) == (0, 0)
    assert b["three_zero"] is False
    assert b["deductions"] == [
        {"kind": "petition_above_county", "count": 1, "weight": 30, "points": 30}
    ]
    assert b["score"] == 70 and b["light"] == "amber" and b["rank"] == 2
    # its case, with violence risk, was settled: one dispute prevented, three people
    assert (b["prevented_cases"], b["prevented_people"], b["amount_settled_yuan"]) == (1, 3, "0.00")


def test_a_small_case_pushed_to_the_county_breaks_the_rules_and_the_rates(month):
    c = village(card(), C)
    assert (c["received"], c["concluded"], c["agreements"], c["escalations"]) == (2, 2, 2, 1)
    assert (c["small_concluded"], c["small_kept_in_village"]) == (2, 1)
    assert (c["small_big_concluded"], c["small_big_kept_below_county"]) == (2, 1)
    assert (c["small_in_village_rate"], c["big_in_township_rate"]) == ("0.5000", "0.5000")
    assert c["on_time_rate"] == "1.0000" and c["breaches"] == 0
    assert c["rule_violations"] == 2  # small_left_village and big_left_township, at the county
    assert (c["concluded_village"], c["concluded_township"], c["concluded_county"]) == (1, 0, 1)
    assert c["amount_settled_yuan"] == "2300.00"
    assert c["three_zero"] is True
    assert c["deductions"] == [{"kind": "rule_violation", "count": 2, "weight": 5, "points": 10}]
    assert c["score"] == 90 and c["light"] == "green"


def test_a_quiet_village_without_its_screening_loses_10(month):
    d = village(card(), D)
    assert d["received"] == d["concluded"] == 0
    assert d["success_rate"] is None and d["small_in_village_rate"] is None  # nothing to divide
    assert d["three_zero"] is True and d["screening_filed"] == 0
    assert d["deductions"] == [
        {"kind": "screening_missing", "count": 1, "weight": 10, "points": 10}
    ]
    assert d["score"] == 90


def test_ranks_are_within_each_township_and_ties_share_a_rank(month):
    ranks = {row["code"]: (row["score"], row["rank"]) for row in card()["villages"]}
    assert ranks == {A: (100, 1), B: (70, 2), C: (90, 1), D: (90, 1)}


def test_a_village_card_alone_keeps_its_rank_in_the_township(month):
    """A village's own card is ranked among its township's villages, not alone."""
    alone = card(B)
    assert [row["code"] for row in alone["villages"]] == [B]
    assert alone["villages"][0]["rank"] == 2 and alone["townships"] == []
    assert alone["rollup"]["level"] == "village" and alone["rollup"]["three_zero_rate"] == "0.0000"


def test_rollups_three_zero_rate_and_level_mix(month):
    data = card()
    baibi, shuiye, county = township(data, BAIBI), township(data, SHUIYE), data["rollup"]
    assert (baibi["villages"], baibi["three_zero_villages"], baibi["three_zero_rate"]) == (
        2,
        1,
        "0.5000",
    )
    assert baibi["level_mix"] == {"village": "1.0000", "township": "0.0000", "county": "0.0000"}
    assert (shuiye["three_zero_villages"], shuiye["three_zero_rate"]) == (2, "1.0000")
    assert shuiye["level_mix"] == {"village": "0.5000", "township": "0.0000", "county": "0.5000"}
    assert (county["villages"], county["three_zero_villages"], county["three_zero_rate"]) == (
        4,
        3,
        "0.7500",
    )
    assert county["level_mix"] == {"village": "0.7500", "township": "0.0000", "county": "0.2500"}
    assert county["level_mix_target"] == {"village": "0.70", "township": "0.20", "county": "0.10"}
    assert (county["received"], county["concluded"], county["agreements"]) == (4, 4, 4)
    assert (
        county["small_in_village_rate"] == "0.7500" and county["amount_settled_yuan"] == "2800.00"
    )
    assert card(SHUIYE)["rollup"] == shuiye  # a township's own card rolls up the same


def test_weights_come_from_the_policy(month):
    policy = parse_policy(
        {"scorecard": {"weights": {"petition_above_county": 45, "rule_violation": 1}}}
    )
    data = card(policy=policy)
    assert village(data, B)["score"] == 55 and village(data, C)["score"] == 98


def listed(user, code: str, metric: str) -> set[int]:
    filters = parse_filters(user, {"unit": code, "month": str(MONTH), "metric": metric}, TZ)
    assert not filters.errors
    return {case.id for case in db.session.scalars(search_cases(user, filters, TZ))}


def test_each_figure_lists_exactly_the_cases_counted(world, month):
    officer = world.county_officer
    assert listed(officer, C, "concluded") == {month.c1.id, month.c2.id}
    assert listed(officer, C, "small_kept_in_village") == {month.c2.id}
    assert listed(officer, C, "small_big_kept_below_county") == {month.c2.id}
    assert listed(officer, C, "concluded_county") == {month.c1.id}
    assert listed(officer, C, "escalations") == {month.c1.id}
    assert listed(officer, C, "rule_violations") == {month.c1.id}
    assert listed(officer, C, "amount_settled") == {month.c1.id, month.c2.id}
    assert listed(officer, B, "prevented_cases") == {month.b.id}
    assert listed(officer, BAIBI, "agreements") == {month.a.id, month.b.id}
    assert listed(officer, COUNTY, "received") == {month.a.id, month.b.id, month.c1.id, month.c2.id}
    assert listed(officer, D, "received") == set()
    # every count over cases, for every village, is the length of its list
    data = card()
    for row in data["villages"]:
        for metric in scorecard.CASE_METRICS:
            assert len(listed(officer, row["code"], metric)) == row[metric], (row["code"], metric)


def test_the_figure_filter_is_scoped_and_checked(world, month):
    # another township's officer cannot list C's cases, even through a figure
    filters = parse_filters(
        world.township_officer, {"unit": C, "month": "2026-11", "metric": "concluded"}, TZ
    )
    assert "unit" in filters.errors
    assert not {
        c.id for c in db.session.scalars(search_cases(world.township_officer, filters, TZ))
    } & {month.c1.id, month.c2.id}
    for args, bad in (
        ({"metric": "score", "month": "2026-11"}, "metric"),
        ({"metric": "concluded", "month": "2026-13"}, "month"),
        ({"metric": "concluded"}, "month"),
        ({"month": "2026-11"}, "metric"),
    ):
        filters = parse_filters(world.county_officer, args, TZ)
        assert bad in filters.errors and filters.metric == ""


def test_an_overdue_follow_up_is_deducted_once_not_also_as_a_breach(world, make, month):
    sweep(at(21, 9))  # B's follow-up visit was due on 20 November
    b = village(card(), B)
    assert (b["follow_up_overdue"], b["breaches"]) == (1, 0)
    assert b["score"] == 70 - 2


def test_freeze_then_a_later_change_is_a_pending_revision_until_published(world, month):
    county = unit(COUNTY)
    first = scorecard.freeze(county, MONTH, now=FROZEN_AT, policy=Policy(), tz=TZ)
    db.session.commit()
    assert first.revision == 1 and first.published_by_id is None
    assert (
        scorecard.freeze(county, MONTH, now=FROZEN_AT, policy=Policy(), tz=TZ) is None
    )  # nothing new

    shown, pending, kept = scorecard.view(county, MONTH, policy=Policy(), tz=TZ)
    assert (shown["frozen"], shown["revision"], pending, len(kept)) == (True, 1, None, 1)
    for code in (SHUIYE, D):  # narrowed to a township or a village: nothing pending either
        assert scorecard.view(unit(code), MONTH, policy=Policy(), tz=TZ)[1] is None

    # a late entry: an accident in D on 20 November, recorded after the freeze
    incident(D, IncidentKind.accident, at(20, 8), injured=2, summary="农机侧翻")
    shown, pending, kept = scorecard.view(county, MONTH, policy=Policy(), tz=TZ)
    assert village(shown, D)["accidents"] == 0 and village(pending, D)["accidents"] == 1
    changed = {(c.code, c.key): (c.before, c.after) for c in scorecard.changes(shown, pending)}
    assert changed[(D, "accidents")] == (0, 1) and changed[(D, "injured")] == (0, 2)
    assert changed[(D, "three_zero")] == (True, False) and changed[(D, "score")] == (90, 75)
    assert changed[(SHUIYE, "three_zero_rate")] == ("1.0000", "0.5000")
    assert changed[(COUNTY, "three_zero_rate")] == ("0.7500", "0.5000")
    assert (A, "score") not in changed
    assert scorecard.view(unit(D), MONTH, policy=Policy(), tz=TZ)[1] is not None
    assert scorecard.view(unit(A), MONTH, policy=Policy(), tz=TZ)[1] is None  # A did not change

    second = scorecard.freeze(
        county,
        MONTH,
        now=at(8, 9, month=12),
        policy=Policy(),
        tz=TZ,
        user=world.county_officer,
        reason="补录11月20日农机事故",
    )
    db.session.commit()
    assert (second.revision, second.reason, second.published_by_id) == (
        2,
        "补录11月20日农机事故",
        world.county_officer.id,
    )
    shown, pending, kept = scorecard.view(county, MONTH, policy=Policy(), tz=TZ)
    assert [s.revision for s in kept] == [1, 2] and pending is None
    assert village(shown, D)["score"] == 75 and shown["revision"] == 2
    old, pending, _ = scorecard.view(unit(D), MONTH, policy=Policy(), tz=TZ, revision=1)
    assert old["revision"] == 1 and old["villages"][0]["score"] == 90
    with pytest.raises(LookupError):
        scorecard.view(county, MONTH, policy=Policy(), tz=TZ, revision=3)


def test_twelve_months_of_history_use_snapshots_where_frozen(world, month):
    scorecard.freeze(unit(COUNTY), MONTH.previous(), now=at(5, 1), policy=Policy(), tz=TZ)
    db.session.commit()
    points = scorecard.history(unit(C), MONTH, count=12, policy=Policy(), tz=TZ)
    assert [str(p.month) for p in points][-2:] == ["2026-10", "2026-11"] and len(points) == 12
    assert points[-2].is_frozen and not points[-1].is_frozen
    assert (points[-1].received, points[-1].concluded, points[-1].score) == (2, 2, Decimal("90.0"))
    assert points[-1].three_zero_rate == Decimal("1.0000")
    township_points = scorecard.history(unit(BAIBI), MONTH, count=3, policy=Policy(), tz=TZ)
    assert township_points[-1].score == Decimal("85.0") and township_points[
        -1
    ].three_zero_rate == Decimal("0.5")


def test_the_scheduled_freeze_freezes_the_previous_month_once(app, world, month):
    assert jobs.freeze_month(app, at(4, 23, month=12)) == []  # before the freeze day
    assert jobs.freeze_month(app, at(5, 1, month=12)) == [(COUNTY, 1)]
    incident(A, IncidentKind.criminal, at(15, 8))
    assert jobs.freeze_month(app, at(6, 1, month=12)) == []  # never a silent revision
    rows = db.session.scalars(db.select(ScorecardSnapshot)).all()
    assert [(r.month, r.revision, r.reason) for r in rows] == [("2026-11", 1, "")]


def test_the_scheduled_freeze_waits_for_the_sweeps_lease(app, world, month, caplog):
    """Two schedulers (or a sweep and a freeze) never write the month at once: the freeze
    holds the sweep's lease, and while another holds it, nothing is frozen."""
    assert acquire_lease("another-scheduler:1")
    assert jobs.freeze_month(app, at(5, 1, month=12), wait_seconds=0) == []
    assert "month freeze skipped" in caplog.text
    assert db.session.scalars(db.select(ScorecardSnapshot)).all() == []
    release_lease("another-scheduler:1")
    assert jobs.freeze_month(app, at(5, 1, month=12), wait_seconds=0) == [(COUNTY, 1)]
    assert acquire_lease("another-scheduler:1")  # the freeze let the lease go


def test_two_schedulers_freezing_at_once_keep_one_snapshot(app, world, month, caplog):
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: jobs.freeze_month(app, at(5, 1, month=12)), range(2)))
    assert sorted(results) == [[], [(COUNTY, 1)]]
    assert "IntegrityError" not in caplog.text and "failed" not in caplog.text
    assert len(db.session.scalars(db.select(ScorecardSnapshot)).all()) == 1


def test_the_scheduled_freeze_survives_a_failing_county(app, world, month, monkeypatch, caplog):
    calls = SimpleNamespace(count=0)
    real = scorecard.freeze_if_unfrozen

    def flaky(county, *args, **kwargs):
        calls.count += 1
        raise RuntimeError("disk full")

    monkeypatch.setattr(scorecard, "freeze_if_unfrozen", flaky)
    assert jobs.freeze_month(app, at(5, 1, month=12)) == []
    assert calls.count == 1 and "freeze of 2026-11 for county 410522000000 failed" in caplog.text
    monkeypatch.setattr(scorecard, "freeze_if_unfrozen", real)
    assert jobs.freeze_month(app, at(5, 2, month=12)) == [(COUNTY, 1)]


def test_the_scheduler_freezes_on_the_policy_day(app):
    scheduler = jobs.build_scheduler(app, background=True)
    job = scheduler.get_job("freeze_month")
    fields = {field.name: str(field) for field in job.trigger.fields}
    assert (fields["day"], fields["hour"], fields["minute"]) == ("5", "1", "0")
    assert str(job.trigger.timezone) == "Asia/Shanghai"
