"""`flask --app app gen-data`: synthetic data that the app's own rules agree with."""

import datetime as dt
import json
import re

import pytest
from sqlalchemy import delete, func, insert, inspect, select, text

from mediation.domain.enums import CaseStatus, Clock, Level
from mediation.extensions import db
from mediation.models import Case, CaseCheck, Deadline, Flag, Incident, Screening, Unit, User
from mediation_perf.synthetic import BULK_TABLES, PASSWORD

from .runner import command_runner

NOW = "2026-11-27T04:00:00+00:00"
OPEN = (CaseStatus.registered, CaseStatus.in_mediation, CaseStatus.paused)
# The clocks the sweep watches (the judicial-confirmation window is only shown).
WATCHED = (Clock.accept, Clock.settle, Clock.statutory, Clock.major_report, Clock.follow_up)


def generate(runner, *extra: str) -> dict:
    result = runner.invoke(
        args=[
            "gen-data",
            "--cases",
            "600",
            "--villages",
            "45",
            "--seed",
            "7",
            "--now",
            NOW,
            "--json",
            *extra,
        ]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def sweep(runner, at: str) -> dict:
    result = runner.invoke(args=["sweep", "--now", at, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def generated(runner):
    return generate(runner)


def test_the_province_has_the_asked_shape(generated):
    assert (
        generated["villages"] == 45 and generated["townships"] == 3 and generated["counties"] == 1
    )
    assert generated["rows"]["cases"] == 600
    assert (
        db.session.scalar(select(func.count()).select_from(Unit).where(Unit.kind == Level.village))
        == 45
    )
    # every village has its mediator, who can sign in with the printed password
    mediators = db.session.scalars(select(User).where(User.username.like("m49%"))).all()
    assert len(mediators) == 45 and mediators[0].check_password(PASSWORD)
    open_cases = db.session.scalar(
        select(func.count()).select_from(Case).where(Case.status.in_(OPEN))
    )
    assert open_cases == generated["open_cases"] and 6 <= open_cases <= 90  # about 5 %
    assert db.session.scalar(select(func.count()).select_from(Incident)) > 0
    assert db.session.scalar(select(func.count()).select_from(Screening)) > 24 * 45 * 0.8


def test_the_database_is_left_whole_with_its_indexes(generated):
    """The indexes dropped for the load are all back, and a SQLite database passes its
    integrity check (a fresh database's indexes are built with the journal in memory)."""
    inspector = inspect(db.engine)
    for model in BULK_TABLES:
        present = {index["name"] for index in inspector.get_indexes(model.__tablename__)}
        assert {index.name for index in model.__table__.indexes} <= present, model.__tablename__
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    else:  # analysed, so the first queries are not planned blind
        estimate = db.session.execute(
            text("SELECT reltuples FROM pg_class WHERE relname = 'cases'")
        )
        assert estimate.scalar() == 600


def test_cases_are_consistent_with_the_rules(generated):
    cases = db.session.scalars(select(Case)).all()
    numbers = [case.number for case in cases]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"490100-20\d\d-\d{6}", number) for number in numbers)
    for case in cases:
        assert case.events[0].action == "register" and case.events[0].at == case.received_at
        assert [event.version for event in case.events] == list(range(1, len(case.events) + 1))
        instants = [event.at for event in case.events]
        assert instants == sorted(instants), f"{case.number}: its history goes back in time"
        assert not any(d.met_at and d.breached_at for d in case.deadlines), case.number
        assert case.highest_level.rank >= case.level.rank
        if case.status in OPEN:
            assert case.concluded_at is None
            assert all(
                deadline.met_at is None
                for deadline in case.deadlines
                if deadline.stopped_at is None
            )
        else:
            assert case.concluded_at is not None and case.concluded_at <= dt.datetime.fromisoformat(
                NOW
            )
        if case.status is not CaseStatus.paused:  # a sweep marks the running clocks past due
            running_due = [
                d
                for d in case.deadlines
                if d.stopped_at is None
                and d.clock in WATCHED
                and d.due_at <= dt.datetime.fromisoformat(NOW)
            ]
            assert all(d.breached_at == d.due_at for d in running_due), case.number


def test_the_sweep_finds_the_state_it_would_have_left(runner, generated):
    """The data is as if a sweep had just run at its "now": another one finds nothing to do;
    one a day later checks exactly the cases gen-data said were due within the day."""
    assert sweep(runner, NOW)["checked"] == 0
    later = sweep(runner, "2026-11-28T04:00:00+00:00")
    assert later["checked"] == generated["due_within_day"] > 0


def test_a_sweep_looking_at_every_case_finds_nothing_new(runner, generated):
    """gen-data plays each case through the rules the sweep applies: a sweep made to look at
    every case at the data's "now" raises, dates, clears and escalates nothing."""
    flags_before = _flag_rows()
    clocks_before = _clock_rows()
    every = [{"case_id": case_id, "next_check_at": _instant(NOW)} for case_id in _case_ids()]
    db.session.execute(delete(CaseCheck))
    db.session.execute(insert(CaseCheck), every)
    db.session.commit()
    result = sweep(runner, NOW)
    assert result["checked"] == db.session.scalar(select(func.count()).select_from(Case))
    assert (result["raised"], result["cleared"], result["escalated"]) == ({}, {}, 0)
    db.session.expire_all()
    assert _flag_rows() == flags_before
    assert _clock_rows() == clocks_before


def _instant(text_: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text_).astimezone(dt.UTC)


def _flag_rows() -> list[tuple]:
    return db.session.execute(
        select(Flag.key, Flag.occurred_at, Flag.raised_at, Flag.cleared_at).order_by(Flag.key)
    ).all()


def _clock_rows() -> list[tuple]:
    return db.session.execute(
        select(
            Deadline.id, Deadline.due_at, Deadline.met_at, Deadline.breached_at, Deadline.stopped_at
        ).order_by(Deadline.id)
    ).all()


def test_flags_match_what_the_sweep_would_raise(generated):
    breached = db.session.scalar(
        select(func.count())
        .select_from(Deadline)
        .where(Deadline.breached_at.is_not(None), Deadline.clock == "settle")
    )
    settle_flags = db.session.scalar(
        select(func.count()).select_from(Flag).where(Flag.kind == "settle_breached")
    )
    assert breached == settle_flags > 0
    open_flags_of_closed = db.session.scalar(
        select(func.count())
        .select_from(Flag)
        .join(Case)
        .where(
            Case.status == CaseStatus.closed,
            Flag.cleared_at.is_(None),
            Flag.kind.in_(["settle_breached", "settle_warning", "accept_overdue"]),
        )
    )
    assert open_flags_of_closed == 0
    assert (
        db.session.scalar(
            select(func.count()).select_from(Flag).where(Flag.kind == "screening_missing")
        )
        > 0
    )


def test_an_intake_after_generation_continues_the_numbers(runner, client, generated):
    village = db.session.scalar(select(Unit).where(Unit.kind == Level.village).order_by(Unit.code))
    token = runner.invoke(args=["create-token", f"m{village.code}"]).output.strip().split()[-1]
    response = client.post(
        "/api/v1/cases",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "village_code": village.code,
            "category": "neighbor",
            "source": "party_application",
            "title": "邻里排水纠纷",
            "description": "两户因排水沟走向发生争执。",
            "people_involved": 2,
            "risks": [],
            "parties": [
                {"name": "张伟", "role": "applicant"},
                {"name": "李强", "role": "respondent"},
            ],
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    year = response.get_json()["number"].split("-")[1]
    earlier = db.session.scalars(
        select(Case.number).where(Case.number.like(f"490100-{year}-%"))
    ).all()
    assert response.get_json()["number"] == max(earlier)


def test_the_same_seed_gives_the_same_data_whatever_the_processes(app, runner, databases, tmp_path):
    first = generate(runner, "--processes", "1")
    rows = db.session.execute(_case_rows()).all()
    from mediation import create_app

    (tmp_path / "other").mkdir()
    other_url = databases.fresh(tmp_path / "other")
    other = create_app(
        {
            "DATABASE_URL": other_url,
            "MEDIATION_DEMO": False,
            "AUTO_SETUP": False,
            "SECRET_KEY": "test-secret",
        },
        instance_path=str(tmp_path / "other-instance"),
    )
    try:
        with other.app_context():
            result = command_runner(other).invoke(
                args=[
                    "gen-data",
                    "--cases",
                    "600",
                    "--villages",
                    "45",
                    "--seed",
                    "7",
                    "--now",
                    NOW,
                    "--json",
                    "--processes",
                    "2",
                ]
            )
            assert result.exit_code == 0, result.output
            again = db.session.execute(_case_rows()).all()
            db.session.remove()
            db.engine.dispose()
    finally:
        databases.drop(other_url)
    assert json.loads(result.output)["rows"] == first["rows"]
    assert again == rows


def test_bad_arguments_are_refused(runner):
    result = runner.invoke(args=["gen-data", "--cases", "-1", "--villages", "3"])
    assert result.exit_code == 2 and "--cases" in result.output
    result = runner.invoke(
        args=["gen-data", "--cases", "10", "--villages", "3", "--open-share", "2"]
    )
    assert result.exit_code == 2 and "--open-share" in result.output


def _case_rows():
    return (
        select(Case.number, Case.status, Case.level, Case.received_at, CaseCheck.next_check_at)
        .outerjoin(CaseCheck)
        .order_by(Case.id)
    )


def _case_ids() -> list[int]:
    return list(db.session.scalars(select(Case.id)))
