"""The demo county shows a realistic month, 三零 included: petitions, an accident, a criminal
case, late and missing screening reports, a big case taken over by its township, a major case
reported to the county. Its facts are dated when they happened, so the scorecards of past
months show those months' violations."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import Counter

import pytest
from sqlalchemy import select

from mediation import demo
from mediation.domain.enums import CaseStatus, FlagKind, Level, Scale
from mediation.domain.months import Month
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Case, CaseEvent, Flag, Incident, Screening
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep

from ..factories import TZ

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def county(app, monkeypatch):
    from mediation.models import users

    cheap = functools.partial(users.generate_password_hash, method="pbkdf2:sha256:1")
    monkeypatch.setattr(users, "generate_password_hash", cheap)
    demo.seed_demo(echo=lambda line: None, now=NOW)
    db.session.commit()
    run_sweep(NOW, policy=Policy(), tz=TZ, notifier=Notifier.from_config("inbox"))


def scorecard(runner, month: str) -> dict:
    result = runner.invoke(args=["scorecard", month, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_demo_has_incidents_late_and_missing_screenings(county):
    kinds = Counter(incident.kind.value for incident in db.session.scalars(select(Incident)))
    assert kinds["petition"] >= 3 and kinds["accident"] >= 1 and kinds["criminal"] >= 1
    october = {
        s.village_id: s
        for s in db.session.scalars(select(Screening).where(Screening.month == "2026-10"))
    }
    assert 0 < len(october) < 15  # some villages never filed
    due = dt.datetime(2026, 10, 25, 16, 0, tzinfo=dt.UTC)  # 24:00 on the 25th, Beijing
    assert any(s.filed_at >= due for s in october.values())  # and some filed late
    assert any(s.filed_at < due for s in october.values())


def test_big_cases_reach_the_levels_above(county):
    taken = db.session.scalars(
        select(Case).join(CaseEvent).where(CaseEvent.action == "take_over")
    ).all()
    assert any(c.scale is Scale.big and c.level is Level.township for c in taken)
    reported = db.session.scalars(
        select(Case).join(CaseEvent).where(CaseEvent.action == "report")
    ).all()
    assert any(c.scale is Scale.major and c.level is not Level.county for c in reported)
    assert db.session.scalar(select(Case.id).where(Case.status == CaseStatus.paused))


def test_past_months_show_their_own_violations(county, runner):
    flags = db.session.scalars(select(Flag)).all()
    months = Counter(str(Month.of(flag.occurred_at, TZ)) for flag in flags)
    # Dated when they happened, not at the instant the demo was loaded and swept.
    assert len([m for m in months if m < "2026-11"]) >= 3, months
    at_load = [f for f in flags if abs(f.occurred_at - NOW) < dt.timedelta(hours=1)]
    assert len(at_load) < len(flags) / 10

    october = scorecard(runner, "2026-10")
    rollup = october["rollup"]
    assert rollup["three_zero_rate"] is not None and float(rollup["three_zero_rate"]) < 1
    deductions = Counter(
        item["kind"] for village in october["villages"] for item in village["deductions"]
    )
    assert deductions["screening_missing"] >= 3  # 2 late, 1 missing
    assert deductions["petition_above_county"] >= 1 and deductions["criminal"] >= 1
    assert deductions["breach"] + deductions["rule_violation"] >= 1, deductions
    assert min(village["score"] for village in october["villages"]) < 90
    september = scorecard(runner, "2026-09")
    assert float(september["rollup"]["three_zero_rate"]) < 1
    assert any(
        flag.kind is FlagKind.screening_missing and flag.period == "2026-09" for flag in flags
    )
