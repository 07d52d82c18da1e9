"""Recording incidents and filing screening reports on real data: who may, scoping, revisions,
the pushed_up flag, and the sweep's monthly check for missing reports."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from mediation.domain.enums import Level
from mediation.domain.incidents import parse_incident, parse_screening, screening_due_at
from mediation.domain.intake import InvalidInput
from mediation.domain.months import Month
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Flag, Incident, IncidentRevision, Mark, Notification, Screening
from mediation.services import access
from mediation.services import incidents as service
from mediation.services.incidents import (
    Conflict,
    NotAllowed,
    edit_incident,
    record_incident,
)
from mediation.services.notify import Notifier
from mediation.services.sweep import SCREENING_MARK, run_sweep

from ..factories import TZ

XIPEI, DONGPEI, BEIGUAN = "410522100201", "410522100202", "410522101201"


def at(month: int, day: int, hour: int = 9, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=TZ)


NOW = at(11, 26)


def incident_draft(now=NOW, **overrides):
    raw = {
        "village_code": XIPEI,
        "kind": "petition",
        "occurred_at": (now - dt.timedelta(days=2)).isoformat(),
        "summary": "村民赴市上访，反映土地补偿问题。",
        "petition_level": "city",
    }
    raw.update(overrides)
    return parse_incident({k: v for k, v in raw.items() if v is not None}, now=now, tz=TZ)


def screening_draft(now=NOW, **overrides):
    raw = {
        "village_code": XIPEI,
        "month": "2026-10",
        "visited_at": "2026-10-28",
        "households": 80,
        "risks_found": 1,
        "disputes_found": 0,
    }
    raw.update(overrides)
    return parse_screening(raw, now=now, tz=TZ)


def file_screening(user, draft, now):
    """File as the views do: the report is due by 24:00 on the 25th of its own month."""
    due_at = screening_due_at(draft.month, Policy().scorecard.screening_due_day, TZ)
    return service.file_screening(user, draft, now, due_at=due_at)


def inbox():
    return Notifier.from_config("inbox")


def sweep(now):
    return run_sweep(now, policy=Policy(), tz=TZ, notifier=inbox())


def flags(kind):
    db.session.expire_all()
    return list(db.session.scalars(select(Flag).where(Flag.kind == kind).order_by(Flag.id)))


def recipients(flag):
    return sorted(
        n.user_id
        for n in db.session.scalars(select(Notification).where(Notification.flag_id == flag.id))
    )


# --- incidents --------------------------------------------------------------------------------


def test_an_officer_records_an_incident_of_a_village_in_his_area(world):
    incident = record_incident(
        world.township_officer, incident_draft(petition_level="township"), NOW
    )
    db.session.commit()
    assert incident.village.code == XIPEI
    assert incident.township_id == world.township_officer.unit_id
    assert incident.county_id == world.county_officer.unit_id
    assert incident.created_by_id == world.township_officer.id and incident.version == 1
    assert flags("pushed_up") == []  # a township petition is not pushed up


@pytest.mark.parametrize("who", ["mediator", "viewer", "admin"])
def test_only_officers_record_incidents(world, who):
    with pytest.raises(NotAllowed):
        record_incident(getattr(world, who), incident_draft(), NOW)


def test_a_village_outside_the_area_or_a_case_of_another_village_is_refused(world, make):
    with pytest.raises(InvalidInput) as error:
        record_incident(world.township_officer, incident_draft(village_code=BEIGUAN), NOW)
    assert set(error.value.fields) == {"village_code"}
    east_case = make.case(world.mediator_east)
    other_case = make.case(world.mediator_other_township)
    for case in (east_case, other_case):
        with pytest.raises(InvalidInput) as error:
            record_incident(world.township_officer, incident_draft(case_id=case.id), NOW)
        assert set(error.value.fields) == {"case_id"}
    with pytest.raises(InvalidInput):
        record_incident(world.township_officer, incident_draft(village_code="410522100000"), NOW)
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 0


def test_scoping_of_incidents(world):
    incident = record_incident(world.county_officer, incident_draft(village_code=BEIGUAN), NOW)
    db.session.commit()
    assert access.find_incident(world.county_officer, incident.id) is incident
    assert access.find_incident(world.viewer, incident.id) is incident
    assert access.find_incident(world.other_township_officer, incident.id) is incident
    assert access.find_incident(world.mediator_other_township, incident.id) is incident
    assert access.find_incident(world.township_officer, incident.id) is None
    assert access.find_incident(world.mediator, incident.id) is None


def test_each_petition_above_the_county_is_pushed_up_and_never_cleared(world, make):
    case = make.case(world.mediator, now=NOW - dt.timedelta(days=5))
    record_incident(world.township_officer, incident_draft(case_id=case.id), NOW)
    db.session.commit()
    [flag] = flags("pushed_up")
    assert (flag.case_id, flag.unit_id, flag.level.value) == (case.id, case.village_id, "county")
    assert (flag.township_id, flag.county_id) == (case.township_id, case.county_id)
    # the village's mediators, the officers holding the case (here the village's own) and,
    # since it is a petition pushed up, the county's officers
    assert recipients(flag) == sorted([world.mediator.id, world.county_officer.id])
    assert flag.occurred_at == NOW - dt.timedelta(days=2)  # when the petition happened
    # a second petition about the same case: a second fact
    record_incident(
        world.county_officer, incident_draft(case_id=case.id, petition_level="national"), NOW
    )
    db.session.commit()
    assert len(flags("pushed_up")) == 2
    # the sweep never clears them, even once the case is long settled
    sweep(NOW + dt.timedelta(days=60))
    assert [flag.cleared_at for flag in flags("pushed_up")] == [None, None]


def test_a_petition_above_the_county_without_a_case_flags_its_village(world):
    record_incident(world.township_officer, incident_draft(), NOW)
    record_incident(world.township_officer, incident_draft(petition_level="province"), NOW)
    record_incident(world.township_officer, incident_draft(village_code=DONGPEI), NOW)
    db.session.commit()
    pushed = flags("pushed_up")
    assert [(f.case_id, f.unit.code) for f in pushed] == [
        (None, XIPEI),
        (None, XIPEI),
        (None, DONGPEI),
    ]
    # the village's mediators and the county's officers
    assert recipients(pushed[0]) == sorted([world.mediator.id, world.county_officer.id])


def test_an_edit_keeps_the_old_values_and_a_stale_version_is_a_conflict(world, make):
    incident = record_incident(world.township_officer, incident_draft(petition_level="county"), NOW)
    db.session.commit()
    later = NOW + dt.timedelta(hours=2)
    edit_incident(
        world.county_officer,
        incident,
        incident_draft(petition_level="county", people=3),
        1,
        later,
        "核实人数",
    )
    db.session.commit()
    assert incident.version == 2 and incident.people == 3
    [revision] = db.session.scalars(select(IncidentRevision)).all()
    assert revision.before["people"] == 1 and revision.before["petition_level"] == "county"
    assert revision.note == "核实人数" and revision.actor_id == world.county_officer.id
    with pytest.raises(Conflict) as error:
        edit_incident(world.county_officer, incident, incident_draft(people=4), 1, later, "again")
    assert error.value.current_version == 2
    db.session.rollback()
    assert incident.people == 3
    # an edit to a petition above the county raises pushed_up (once)
    edit_incident(
        world.county_officer, incident, incident_draft(petition_level="national"), 2, later, "市级"
    )
    db.session.commit()
    assert len(flags("pushed_up")) == 1


def test_an_edit_needs_a_reason_and_an_unchanged_edit_records_nothing(world):
    incident = record_incident(world.township_officer, incident_draft(), NOW)
    db.session.commit()
    with pytest.raises(InvalidInput) as error:
        edit_incident(world.township_officer, incident, incident_draft(people=2), 1, NOW, " ")
    assert set(error.value.fields) == {"note"}
    db.session.rollback()
    edit_incident(world.township_officer, incident, incident_draft(), 1, NOW, "no change")
    db.session.commit()
    assert incident.version == 1
    assert db.session.scalar(select(func.count()).select_from(IncidentRevision)) == 0
    with pytest.raises(NotAllowed):
        edit_incident(world.viewer, incident, incident_draft(), 1, NOW, "x")


# --- screening reports ------------------------------------------------------------------------


def test_a_mediator_files_his_village_report_once_a_month(world):
    report = file_screening(world.mediator, screening_draft(), NOW)
    db.session.commit()
    assert (report.village_id, report.month, report.filed_by_id) == (
        world.mediator.unit_id,
        "2026-10",
        world.mediator.id,
    )
    with pytest.raises(Conflict):
        file_screening(world.mediator, screening_draft(households=99), NOW)
    db.session.rollback()
    with pytest.raises(Conflict):  # nor may an officer file a second for the village
        file_screening(world.township_officer, screening_draft(), NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Screening)) == 1
    assert db.session.scalar(select(Screening.households)) == 80
    file_screening(world.mediator, screening_draft(month="2026-11", visited_at="2026-11-20"), NOW)
    db.session.commit()


def test_who_files_for_which_village(world):
    with pytest.raises(InvalidInput):
        file_screening(world.mediator, screening_draft(village_code=DONGPEI), NOW)
    with pytest.raises(InvalidInput):
        file_screening(world.township_officer, screening_draft(village_code=BEIGUAN), NOW)
    for user in (world.viewer, world.admin):
        with pytest.raises(NotAllowed):
            file_screening(user, screening_draft(), NOW)
    file_screening(
        world.county_officer, screening_draft(village_code=BEIGUAN, zero_report=True), NOW
    )
    db.session.commit()


# --- the sweep's monthly check ----------------------------------------------------------------


@pytest.fixture
def in_use(world, make):
    """The system in use since October 2026 (a case received then), and checked once in
    October before October's reports were due (by 24:00 on the 25th)."""
    make.case(world.mediator, now=at(10, 15))
    sweep(at(10, 20))
    db.session.commit()
    return world


def mark():
    db.session.expire_all()
    row = db.session.get(Mark, SCREENING_MARK)
    return row.value if row else None


OCTOBER_DUE = dt.datetime(2026, 10, 26, 0, 0, tzinfo=TZ)  # 24:00 on 25 October


def test_missing_reports_are_flagged_after_the_25th_once_and_cleared_but_kept_on_filing(in_use):
    world = in_use
    assert screening_due_at(Month(2026, 10), 25, TZ) == OCTOBER_DUE
    file_screening(world.mediator_east, screening_draft(village_code=DONGPEI), at(10, 24))
    db.session.commit()
    assert sweep(at(10, 25, 23)).raised.get("screening_missing", 0) == 0  # still the 25th
    result = sweep(at(10, 26, 1))
    assert result.raised["screening_missing"] == 3
    missing = flags("screening_missing")
    assert sorted(f.unit.code for f in missing) == sorted([XIPEI, BEIGUAN, "410522101202"])
    assert {(f.period, f.level.value, f.case_id) for f in missing} == {("2026-10", "village", None)}
    assert {f.occurred_at for f in missing} == {OCTOBER_DUE}  # dated at the deadline
    xipei = next(f for f in missing if f.unit.code == XIPEI)
    assert (xipei.township_id, xipei.county_id) == (
        world.township_officer.unit_id,
        world.county_officer.unit_id,
    )
    assert recipients(xipei) == [world.mediator.id]  # the village's mediators
    assert mark() == "2026-10"
    # once: the same instant, later that month, nothing more
    assert "screening_missing" not in sweep(at(10, 26, 2)).raised
    assert "screening_missing" not in sweep(at(11, 3)).raised
    # a late report clears its village's flag, which stays on record
    file_screening(world.mediator, screening_draft(), at(10, 28))
    db.session.commit()
    xipei = next(f for f in flags("screening_missing") if f.unit.code == XIPEI)
    assert xipei.cleared_at == at(10, 28) and xipei.occurred_at == OCTOBER_DUE
    assert len(flags("screening_missing")) == 3
    assert sum(f.cleared_at is None for f in flags("screening_missing")) == 2


def test_a_report_filed_late_before_any_sweep_is_still_late(in_use):
    """Whether a sweep ran between the deadline and the filing changes nothing."""
    file_screening(in_use.mediator, screening_draft(), at(10, 27))
    db.session.commit()
    (record,) = flags("screening_missing")
    assert (record.unit.code, record.period) == (XIPEI, "2026-10")
    assert (record.occurred_at, record.cleared_at) == (OCTOBER_DUE, at(10, 27))
    assert sweep(at(10, 28)).raised["screening_missing"] == 3  # the three other villages
    assert len(flags("screening_missing")) == 4


def test_the_check_runs_once_per_month(in_use, make):
    sweep(at(10, 26, 1))
    assert mark() == "2026-10"
    # a village added after the check is not flagged for October by later sweeps
    make.units([("410522100203", "新村", Level.village, "410522100000")])
    sweep(at(11, 3))
    assert len(flags("screening_missing")) == 4
    # November's check, after 25 November: the new village too
    result = sweep(at(11, 26, 1))
    assert result.raised["screening_missing"] == 5 and mark() == "2026-11"


def test_a_sweep_long_after_catches_up_month_by_month(in_use):
    result = sweep(at(1, 27, year=2027))
    assert result.raised["screening_missing"] == 16  # October to January, four villages each
    assert sorted({f.period for f in flags("screening_missing")}) == [
        "2026-10",
        "2026-11",
        "2026-12",
        "2027-01",
    ]
    assert mark() == "2027-01"


def test_a_database_never_checked_starts_with_its_first_month_of_use(world, make):
    # nothing recorded: nothing to check, the mark is set to the last month due
    assert "screening_missing" not in sweep(at(12, 21)).raised
    assert mark() == "2026-11"


def test_the_first_check_of_a_database_in_use(world, make):
    make.case(world.mediator, now=at(11, 2))
    result = sweep(at(12, 21))
    assert result.raised["screening_missing"] == 4 and mark() == "2026-11"
    assert {f.period for f in flags("screening_missing")} == {"2026-11"}


def test_a_check_cut_short_resumes_with_the_month_it_was_in(in_use, monkeypatch):
    from mediation.services import sweep as sweep_module

    real = sweep_module.raise_screening_missing
    calls = []

    def fail_on_november(month, now, due_at):
        calls.append(str(month))
        if str(month) == "2026-11":
            raise RuntimeError("killed")
        return real(month, now, due_at)

    monkeypatch.setattr(sweep_module, "raise_screening_missing", fail_on_november)
    with pytest.raises(RuntimeError):
        sweep(at(12, 22))
    db.session.rollback()
    assert mark() == "2026-10" and len(flags("screening_missing")) == 4
    monkeypatch.setattr(sweep_module, "raise_screening_missing", real)
    assert sweep(at(12, 22)).raised["screening_missing"] == 4
    assert mark() == "2026-11" and calls == ["2026-10", "2026-11"]
