"""The demo county's cases live through the real workflow service: deadlines, agreements,
follow-ups and a history with versions."""

import datetime as dt
import functools

import pytest
from sqlalchemy import select

from mediation import demo
from mediation.domain.enums import CaseStatus, Clock, Level, Scale
from mediation.extensions import db
from mediation.models import Case, CaseEvent

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def county(app, monkeypatch):
    from mediation.models import users

    cheap = functools.partial(users.generate_password_hash, method="pbkdf2:sha256:1")
    monkeypatch.setattr(users, "generate_password_hash", cheap)
    demo.seed_demo(echo=lambda line: None, now=NOW)
    db.session.commit()
    return db.session.scalars(select(Case).order_by(Case.id)).all()


def test_every_demo_case_has_real_clocks_and_history(county):
    for case in county:
        history = case.events
        registered_at_level = history[0].to_level
        clocks = {(d.clock, d.level) for d in case.deadlines}
        assert {
            (Clock.accept, registered_at_level),
            (Clock.settle, registered_at_level),
            (Clock.statutory, registered_at_level),
        } <= clocks, case.number
        versions = [event.version for event in history]
        assert versions == sorted(versions) and len(set(versions)) == len(versions), case.number
        assert history[-1].version == case.version
        if not case.status.is_open:
            assert all(
                not d.is_running
                for d in case.deadlines
                if d.clock in (Clock.accept, Clock.settle, Clock.statutory)
            ), case.number
        if case.status is CaseStatus.paused:
            assert history[-1].action == "pause"


def test_resolved_and_closed_demo_cases_carry_their_agreement_and_visit(county):
    concluded = [c for c in county if c.status in (CaseStatus.resolved, CaseStatus.closed)]
    assert concluded
    for case in concluded:
        assert case.agreements, case.number
        assert any(d.clock is Clock.follow_up for d in case.deadlines)
        if case.status is CaseStatus.closed:
            assert case.follow_ups and case.follow_ups[-1].is_performed


def test_escalations_in_the_demo_start_the_new_levels_clocks(county):
    escalations = db.session.scalars(select(CaseEvent).where(CaseEvent.action == "escalate")).all()
    assert escalations
    for event in escalations:
        case = db.session.get(Case, event.case_id)
        started = [
            d for d in case.deadlines if d.level is event.to_level and d.started_at == event.at
        ]
        assert {d.clock for d in started} >= {Clock.accept, Clock.settle}
        assert event.data["to_unit_code"]


def test_major_demo_cases_reaching_the_county_were_reported(county):
    reported = [
        (case, [d for d in case.deadlines if d.clock is Clock.major_report])
        for case in county
        if case.scale is Scale.major and case.level is Level.county
    ]
    reported = [(case, reports) for case, reports in reported if reports]
    assert reported  # one registered at a village and escalated twice
    for case, reports in reported:
        assert all(not d.is_running for d in reports), case.number
