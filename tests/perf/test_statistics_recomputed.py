"""Acceptance: the statistical report, as `flask statistics --format json` prints it for a
`gen-data` county, equals the same figures worked out again here from the raw tables (units,
cases, case_events, agreements), following the report's definitions in docs/statistics.md,
not the report's code.

For each case received in the period (local months: local 00:00 of the 1st belongs to the
month before): its state at the period's end is the state its history had reached by then
(the registration aside: that event is dated when the case was typed in); no step yet means
open. Resolved or closed counts as resolved. Levels, agreements, the amount and the prevented
counts are those of the cases resolved at the period's end; a case's agreement is the last one
made by then.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mediation import create_app
from mediation.extensions import db

from .runner import command_runner

TZ = ZoneInfo("Asia/Shanghai")
NOW = "2026-11-27T04:00:00+00:00"
CATEGORIES = [
    "marriage_family", "neighbor", "housing_homestead", "contract", "business", "damages",
    "land_forest", "land_acquisition", "environment", "labor", "consumer", "medical", "traffic",
    "property_mgmt", "village_affairs", "other",
]  # fmt: skip
SOURCES = [
    "party_application", "own_initiative", "police_referral", "court_commission",
    "government_assignment", "hotline", "grid_report", "petition_office",
]  # fmt: skip
OUTCOME = {"resolved": "resolved", "closed": "resolved", "referred": "referred"}
OUTCOME["withdrawn"] = "withdrawn"


@pytest.fixture(scope="module")
def county(databases, tmp_path_factory):
    folder = tmp_path_factory.mktemp("statistics")
    url = databases.fresh(folder)
    app = create_app(
        {
            "DATABASE_URL": url,
            "MEDIATION_DEMO": False,
            "AUTO_SETUP": False,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
        },
        instance_path=str(folder / "instance"),
    )
    with app.app_context():
        result = command_runner(app).invoke(
            args=["gen-data", "--cases", "3000", "--villages", "45", "--seed", "5", "--now", NOW]
        )
        assert result.exit_code == 0, result.output
        yield app
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)


def value(member):
    return None if member is None else getattr(member, "value", member)


def table(name: str, *columns: str):
    source = db.metadata.tables[name]
    return db.session.execute(select(*(source.c[column] for column in columns))).all()


def bounds(first: str, last: str) -> tuple[dt.datetime, dt.datetime]:
    year, month = map(int, first.split("-"))
    start = dt.datetime(year, month, 1, tzinfo=TZ)
    year, month = map(int, last.split("-"))
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=TZ)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def recompute(unit_code: str, first: str, last: str) -> dict:
    units = {i: (code, kind, parent) for i, code, kind, parent in table(
        "units", "id", "code", "kind", "parent_id")}  # fmt: skip
    unit_id = next(i for i, (code, _, _) in units.items() if code == unit_code)

    def ancestors(village_id):
        township = units[village_id][2]
        return {village_id, township, units[township][2]}

    start, end = bounds(first, last)
    cases = {
        i: (category, source, people, risks or [])
        for i, village, received, category, source, people, risks in table(
            "cases",
            "id",
            "village_id",
            "received_at",
            "category",
            "source",
            "people_involved",
            "risks",
        )  # fmt: skip
        if start < received <= end and unit_id in ancestors(village)
    }
    last_step: dict[int, tuple] = {}
    for case_id, at, event_id, action, status, level in table(
        "case_events", "case_id", "at", "id", "action", "to_status", "to_level"
    ):
        if case_id in cases and action != "register" and at <= end:
            if case_id not in last_step or (at, event_id) > last_step[case_id][:2]:
                last_step[case_id] = (at, event_id, value(status), value(level))
    last_agreement: dict[int, tuple] = {}
    for case_id, at, agreement_id, form, amount in table(
        "agreements", "case_id", "agreed_at", "id", "form", "amount_fen"
    ):
        if case_id in cases and at <= end:
            if case_id not in last_agreement or (at, agreement_id) > last_agreement[case_id][:2]:
                last_agreement[case_id] = (at, agreement_id, value(form), amount)

    by_category = defaultdict(Counter)
    by_source = defaultdict(Counter)
    levels, forms, prevented = Counter(), Counter(), defaultdict(Counter)
    amount = 0
    for case_id, (category, source, people, risks) in cases.items():
        step = last_step.get(case_id)
        outcome = OUTCOME.get(step[2], "open") if step else "open"
        for counter in (by_category[value(category)], by_source[value(source)]):
            counter[outcome] += 1
            counter["received"] += 1
        if outcome != "resolved":
            continue
        levels[step[3]] += 1
        agreement = last_agreement.get(case_id)
        if agreement:
            forms[agreement[2]] += 1
            amount += agreement[3]
        for marker, kind in (("violence", "violence"), ("group_incident", "group"),
                             ("petition", "petition")):  # fmt: skip
            if marker in risks:
                prevented[kind]["cases"] += 1
                prevented[kind]["people"] += people

    def rows(key, names, counts):
        return [
            {key: name, **{o: counts[name][o] for o in
                           ("received", "resolved", "referred", "withdrawn", "open")}}
            for name in names
        ]  # fmt: skip

    return {
        "unit_code": unit_code,
        "from": first,
        "to": last,
        "received": len(cases),
        "by_category": rows("category", CATEGORIES, by_category),
        "by_source": rows("source", SOURCES, by_source),
        "by_level_settled": {level: levels[level] for level in ("village", "township", "county")},
        "agreements": {"oral": forms["oral"], "written": forms["written"]},
        "amount_settled_yuan": str((Decimal(amount) / 100).quantize(Decimal("0.01"))),
        "prevented": {
            kind: {"cases": prevented[kind]["cases"], "people": prevented[kind]["people"]}
            for kind in ("violence", "group", "petition")
        },
    }


def report(app, first: str, last: str, unit: str | None = None) -> dict:
    args = ["statistics", first, last, "--format", "json"] + (["--unit", unit] if unit else [])
    result = command_runner(app).invoke(args=args)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    for key in ("unit_name", "generated_at"):
        answer.pop(key)
    return answer


@pytest.mark.parametrize(
    "first, last",
    [
        ("2025-11", "2025-11"),
        ("2026-01", "2026-06"),
        ("2026-10", "2026-11"),
        ("2024-01", "2026-12"),
    ],
)
def test_the_county_report_equals_a_recomputation(county, first, last):
    county_code = db.session.scalar(
        select(db.metadata.tables["units"].c.code).where(
            db.metadata.tables["units"].c.kind == "county"
        )
    )
    expected = recompute(county_code, first, last)
    assert expected["received"] > 0
    assert report(county, first, last) == expected
    # the figures are not all zero: outcomes of every kind occur in a long period
    if first == "2024-01":
        totals = Counter()
        for row in expected["by_category"]:
            totals.update({k: v for k, v in row.items() if k != "category"})
        assert all(totals[o] for o in ("resolved", "open"))
        assert expected["agreements"]["oral"] and expected["agreements"]["written"]


def test_a_township_and_a_village_report_equal_a_recomputation(county):
    units = db.metadata.tables["units"]
    for kind in ("township", "village"):
        code = db.session.scalar(
            select(units.c.code).where(units.c.kind == kind).order_by(units.c.code).limit(1)
        )
        assert report(county, "2026-01", "2026-11", code) == recompute(code, "2026-01", "2026-11")
