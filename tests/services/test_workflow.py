"""services.workflow.perform on real data: each action's effect on the case, its clocks and
its history, and what it refuses without changing anything."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mediation.domain.calendar import WorkCalendar, add_working_days
from mediation.domain.enums import Action, AgreementForm, CaseStatus, Clock, Level, Scale
from mediation.domain.intake import InvalidInput
from mediation.domain.policy import Policy, parse_policy
from mediation.domain.workflow import Refused
from mediation.extensions import db
from mediation.models import Agreement, Case, CaseEvent, Deadline, FollowUp
from mediation.services.workflow import Conflict, Context, perform

from ..factories import TZ

S = CaseStatus
REAL = WorkCalendar()
RECEIVED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)  # a Monday; November 2026 has no holiday


def at(day: int, hour: int = 10, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


def act(user, case, action, when, *, policy: Policy | None = None, **raw):
    """One action at ``when`` as ``user``, committed; returns the event."""
    db.session.refresh(case)
    ctx = Context.build(when, policy or Policy(), TZ)
    event = perform(user, case, action, raw, version=case.version, ctx=ctx)
    db.session.commit()
    return event


def clocks(case, *, running: bool | None = None) -> dict[tuple[Clock, Level], Deadline]:
    """The case's latest deadline of each (clock, level)."""
    db.session.expire_all()
    result = {}
    for deadline in db.session.scalars(
        select(Deadline).where(Deadline.case_id == case.id).order_by(Deadline.id)
    ):
        if running is None or deadline.is_running == running:
            result[deadline.clock, deadline.level] = deadline
    return result


def events(case) -> list[CaseEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )


def snapshot(case):
    """Everything an action could change, to show a refused one changed nothing."""
    db.session.expire_all()
    fresh = db.session.get(Case, case.id)
    return (
        (fresh.status, fresh.level, fresh.holder_id, fresh.version, fresh.scale, fresh.is_extended),
        [(e.id, e.action) for e in events(case)],
        sorted(
            (d.id, d.due_at, d.stopped_at, d.met_at, d.breached_at, d.shift_seconds, d.days)
            for d in clocks(case).values()
        ),
        db.session.scalar(select(func.count()).select_from(Agreement)),
    )


def working_days_later(instant, days):
    """The deadline ``days`` working days after ``instant``'s local date (24:00 local)."""
    return add_working_days(instant, days, REAL, TZ).at


@pytest.fixture
def case(world, make):
    return make.case(world.mediator, now=RECEIVED)


@pytest.fixture
def accepted(world, case):
    act(world.mediator, case, Action.accept, at(2, 10), note="已受理")
    return case


# -- intake and accept -----------------------------------------------------------------------


def test_a_new_case_starts_its_levels_clocks_and_the_statutory_limit(case):
    running = clocks(case, running=True)
    assert set(running) == {
        (Clock.accept, Level.village),
        (Clock.settle, Level.village),
        (Clock.statutory, Level.village),
    }
    assert running[Clock.accept, Level.village].due_at == at(4, 0)  # Tuesday 24:00
    assert running[Clock.settle, Level.village].due_at == at(10, 0)  # Tue-Fri, Mon: Tue 00:00
    assert running[Clock.statutory, Level.village].due_at == RECEIVED + dt.timedelta(days=30)
    assert not any(d.is_provisional for d in running.values())


def test_accept_stops_the_accept_clock_met(world, case):
    event = act(world.mediator, case, Action.accept, at(2, 10), note="约双方面谈")
    db.session.refresh(case)
    assert case.status is S.in_mediation and case.level is Level.village
    accept = clocks(case)[Clock.accept, Level.village]
    assert accept.stopped_at == accept.met_at == at(2, 10) and accept.breached_at is None
    assert clocks(case)[Clock.settle, Level.village].is_running
    assert (event.action, event.from_status, event.to_status) == (
        "accept",
        S.registered,
        S.in_mediation,
    )
    assert (event.from_level, event.to_level, event.note) == (
        Level.village,
        Level.village,
        "约双方面谈",
    )
    assert event.actor_id == world.mediator.id and event.version == case.version


def test_a_late_accept_is_recorded_as_a_breach(world, case):
    act(world.mediator, case, Action.accept, at(5, 9))
    accept = clocks(case)[Clock.accept, Level.village]
    assert accept.breached_at == accept.due_at == at(4, 0) and accept.met_at is None


# -- escalation and assignment ---------------------------------------------------------------


def test_escalate_settles_the_old_levels_clocks_and_starts_the_new_ones(world, accepted):
    when = at(3, 15)
    event = act(world.mediator, accepted, Action.escalate, when, note="村级调解未果")
    db.session.refresh(accepted)
    assert accepted.status is S.registered and accepted.level is Level.township
    assert accepted.holder.code == "410522100000"
    all_clocks = clocks(accepted)
    village_settle = all_clocks[Clock.settle, Level.village]
    assert village_settle.stopped_at == village_settle.met_at == when
    new_accept = all_clocks[Clock.accept, Level.township]
    new_settle = all_clocks[Clock.settle, Level.township]
    assert new_accept.started_at == new_settle.started_at == when
    assert new_accept.due_at == working_days_later(when, 1)
    assert new_settle.days == 10 and new_settle.due_at == working_days_later(when, 10)
    assert all_clocks[Clock.statutory, Level.village].is_running  # the whole case's limit
    assert (event.from_status, event.to_status) == (S.in_mediation, S.registered)
    assert (event.from_level, event.to_level) == (Level.village, Level.township)
    assert event.data == {"to_unit_code": "410522100000"} and event.note == "村级调解未果"

    act(world.township_officer, accepted, Action.escalate, at(4, 9), note="需县级协调")
    db.session.refresh(accepted)
    assert accepted.level is Level.county and accepted.holder.code == "410522000000"
    township_accept = clocks(accepted)[Clock.accept, Level.township]
    assert township_accept.met_at == at(4, 9)  # escalated in time: settled, not breached
    assert clocks(accepted)[Clock.settle, Level.county].days == 15


def test_escalate_is_refused_at_the_county_and_changes_nothing(world, make):
    case = make.case(world.county_officer, village_code="410522100201", now=RECEIVED)
    before = snapshot(case)
    with pytest.raises(Refused) as refused:
        act(world.county_officer, case, Action.escalate, at(2, 10), note="上报")
    assert refused.value.message.msgid.startswith("The county is the highest level")
    db.session.rollback()
    assert snapshot(case) == before


NO_AUTO_ESCALATION = parse_policy({"clocks": {"auto_escalate_village_breach": False}})


def test_a_breached_settle_clock_stays_on_record_after_escalation(world, accepted):
    act(
        world.mediator,
        accepted,
        Action.escalate,
        at(12, 9),
        note="超期上报",
        policy=NO_AUTO_ESCALATION,
    )
    settle = clocks(accepted)[Clock.settle, Level.village]
    assert settle.breached_at == settle.due_at == at(10, 0) and settle.met_at is None


def test_acting_after_the_village_deadline_finds_the_case_at_the_township(world, accepted):
    """Before any action the case is brought up to date: the village's settle time ran out at
    24:00 on the 9th, so the case went up then, whoever acts and whenever."""
    before = snapshot(accepted)
    with pytest.raises(Refused):
        act(
            world.mediator,
            accepted,
            Action.resolve,
            at(12, 9),
            agreement={"form": "oral", "terms": "x"},
        )
    db.session.rollback()
    assert snapshot(accepted) == before  # refused: nothing kept (a sweep finds the same)
    act(world.township_officer, accepted, Action.accept, at(12, 9))
    history = events(accepted)
    escalation = history[-2]
    assert (escalation.action, escalation.actor_id) == ("escalate", None)
    assert escalation.at == at(10, 0) and escalation.recorded_at == at(12, 9)
    assert history[-1].action == "accept" and history[-1].at == at(12, 9)
    running = clocks(accepted)
    assert running[Clock.accept, Level.township].started_at == at(10, 0)
    assert running[Clock.settle, Level.village].breached_at == at(10, 0)


def test_assign_down_hands_the_case_to_a_unit_below(world, make):
    case = make.case(world.township_officer, village_code="410522100202", now=RECEIVED)
    act(world.township_officer, case, Action.accept, at(2, 10))
    event = act(
        world.township_officer,
        case,
        Action.assign_down,
        at(2, 14),
        note="请村里先行调解",
        to_unit_code="410522100202",
    )
    db.session.refresh(case)
    assert case.status is S.registered and case.level is Level.village
    assert case.holder.code == "410522100202"
    assert clocks(case)[Clock.settle, Level.township].met_at == at(2, 14)
    assert clocks(case, running=True)[Clock.settle, Level.village].due_at == working_days_later(
        at(2, 14), 5
    )
    assert (event.from_level, event.to_level, event.data) == (
        Level.township,
        Level.village,
        {"to_unit_code": "410522100202"},
    )
    act(world.mediator_east, case, Action.accept, at(3, 9))  # the village now holds it


@pytest.mark.parametrize(
    "target",
    ["410522101201", "410522000000", "410522100000", "999"],
    ids=["other-township", "above", "itself", "unknown"],
)
def test_assign_down_only_below_the_holder(world, make, target):
    case = make.case(world.township_officer, village_code="410522100202", now=RECEIVED)
    before = snapshot(case)
    with pytest.raises(InvalidInput) as invalid:
        act(
            world.township_officer,
            case,
            Action.assign_down,
            at(2, 14),
            note="交办",
            to_unit_code=target,
        )
    assert set(invalid.value.fields) == {"to_unit_code"}
    db.session.rollback()
    assert snapshot(case) == before


def test_the_county_assigns_down_two_levels(world, make):
    case = make.case(world.county_officer, village_code="410522100201", now=RECEIVED)
    act(
        world.county_officer,
        case,
        Action.assign_down,
        at(2, 11),
        note="属地调解",
        to_unit_code="410522100201",
    )
    db.session.refresh(case)
    assert case.level is Level.village and case.holder.code == "410522100201"


# -- resolve, follow up, reopen --------------------------------------------------------------


def test_resolve_with_a_written_agreement(world, accepted):
    when = at(5, 16)
    event = act(
        world.mediator,
        accepted,
        Action.resolve,
        when,
        note="双方签字",
        agreement={"form": "written", "terms": "李四赔偿张三一千元", "amount_yuan": "1000"},
    )
    db.session.refresh(accepted)
    assert accepted.status is S.resolved
    agreement = db.session.scalar(select(Agreement).where(Agreement.case_id == accepted.id))
    assert agreement.form is AgreementForm.written and agreement.terms == "李四赔偿张三一千元"
    assert agreement.amount_yuan == Decimal("1000.00") and agreement.agreed_at == when
    assert (agreement.level, agreement.unit_id, agreement.mediator_id) == (
        Level.village,
        world.mediator.unit_id,
        world.mediator.id,
    )
    assert event.data == {"agreement_id": agreement.id, "form": "written", "amount_yuan": "1000.00"}
    all_clocks = clocks(accepted)
    for key in ((Clock.settle, Level.village), (Clock.statutory, Level.village)):
        assert all_clocks[key].stopped_at == all_clocks[key].met_at == when
    running = clocks(accepted, running=True)
    assert set(running) == {
        (Clock.follow_up, Level.village),
        (Clock.judicial_confirmation, Level.village),
    }
    assert running[Clock.follow_up, Level.village].due_at == when + dt.timedelta(days=15)
    assert running[Clock.judicial_confirmation, Level.village].due_at == when + dt.timedelta(
        days=30
    )


def test_an_oral_agreement_has_no_judicial_confirmation_window(world, accepted):
    act(
        world.mediator,
        accepted,
        Action.resolve,
        at(5, 16),
        agreement={"form": "oral", "terms": "互相道歉"},
    )
    assert set(clocks(accepted, running=True)) == {(Clock.follow_up, Level.village)}


def resolve(world, case, when=None):
    act(
        world.mediator,
        case,
        Action.resolve,
        when or at(5, 16),
        agreement={"form": "oral", "terms": "拆除滴水檐"},
    )


def test_a_performed_follow_up_closes_the_case(world, accepted):
    resolve(world, accepted)
    event = act(
        world.mediator,
        accepted,
        Action.follow_up,
        at(12, 10),
        note="已履行",
        performed=True,
        satisfied=True,
        relapse_risk=False,
    )
    db.session.refresh(accepted)
    assert accepted.status is S.closed
    follow_up = clocks(accepted)[Clock.follow_up, Level.village]
    assert follow_up.met_at == at(12, 10)
    visit = db.session.scalar(select(FollowUp).where(FollowUp.case_id == accepted.id))
    assert (visit.is_performed, visit.is_satisfied, visit.has_relapse_risk) == (True, True, False)
    assert (event.from_status, event.to_status) == (S.resolved, S.closed)
    assert event.data == {"performed": True, "satisfied": True, "relapse_risk": False}


def test_not_performed_stays_resolved_then_reopen_starts_a_new_settle_clock(world, accepted):
    resolve(world, accepted)
    act(
        world.mediator,
        accepted,
        Action.follow_up,
        at(12, 10),
        note="未履行",
        performed=False,
        satisfied=False,
        relapse_risk=True,
    )
    db.session.refresh(accepted)
    assert accepted.status is S.resolved

    when = at(13, 9)
    event = act(world.mediator, accepted, Action.reopen, when, note="协议未履行，重新调解")
    db.session.refresh(accepted)
    assert accepted.status is S.in_mediation and accepted.level is Level.village
    running = clocks(accepted, running=True)
    assert set(running) == {(Clock.settle, Level.village), (Clock.statutory, Level.village)}
    settle = running[Clock.settle, Level.village]
    assert settle.started_at == when and settle.due_at == working_days_later(when, 5)
    limit = running[Clock.statutory, Level.village]  # a new one-month limit from the reopening
    assert limit.started_at == when and limit.due_at == when + dt.timedelta(days=30)
    assert (event.from_status, event.to_status, event.note) == (
        S.resolved,
        S.in_mediation,
        "协议未履行，重新调解",
    )
    resolve(world, accepted, at(16, 10))  # and it can be resolved again
    assert (
        len(db.session.scalars(select(Agreement).where(Agreement.case_id == accepted.id)).all())
        == 2
    )


def test_reopening_before_the_visit_drops_the_follow_up_clock_unmet(world, accepted):
    resolve(world, accepted)
    act(world.mediator, accepted, Action.reopen, at(9, 9), note="一方反悔")
    follow_up = clocks(accepted)[Clock.follow_up, Level.village]
    assert follow_up.stopped_at == at(9, 9) and follow_up.met_at is None


# -- extend ----------------------------------------------------------------------------------


def test_extend_adds_thirty_calendar_days_once(world, accepted):
    before = clocks(accepted)[Clock.statutory, Level.village].due_at
    event = act(
        world.mediator, accepted, Action.extend, at(6, 10), note="双方同意延期", consent=True
    )
    db.session.refresh(accepted)
    statutory = clocks(accepted)[Clock.statutory, Level.village]
    assert statutory.due_at == before + dt.timedelta(days=30) and statutory.days == 60
    assert accepted.is_extended and accepted.status is S.in_mediation
    assert (
        event.data == {"days": 30} and (event.from_status, event.to_status) == (S.in_mediation,) * 2
    )
    snap = snapshot(accepted)
    with pytest.raises(Refused):
        act(world.mediator, accepted, Action.extend, at(7, 10), consent=True)
    db.session.rollback()
    assert snapshot(accepted) == snap


def test_extend_needs_consent(world, accepted):
    before = snapshot(accepted)
    with pytest.raises(InvalidInput):
        act(world.mediator, accepted, Action.extend, at(6, 10), consent=False)
    db.session.rollback()
    assert snapshot(accepted) == before


# -- pause and resume ------------------------------------------------------------------------


def test_pause_and_resume_shift_running_deadlines_by_the_paused_working_time(world, accepted):
    before = {key: (d.due_at, d.warn_at) for key, d in clocks(accepted, running=True).items()}
    act(world.mediator, accepted, Action.pause, at(3, 10), note="等待伤情鉴定")
    db.session.refresh(accepted)
    assert accepted.status is S.paused
    # Tuesday 10:00 to the next Tuesday 10:00: five working days, seven calendar days.
    event = act(world.mediator, accepted, Action.resume, at(10, 10), note="鉴定结果已出")
    db.session.refresh(accepted)
    assert accepted.status is S.in_mediation
    after = clocks(accepted, running=True)
    settle = after[Clock.settle, Level.village]
    assert settle.shift_seconds == 5 * 86_400
    assert settle.due_at == working_days_later(RECEIVED, 10) == at(17, 0)
    assert settle.warn_at == at(14, 0)  # 80 % of 5 working days, plus the five paused
    assert before[Clock.settle, Level.village] == (at(10, 0), at(7, 0))
    statutory = after[Clock.statutory, Level.village]
    assert statutory.due_at == before[Clock.statutory, Level.village][0] + dt.timedelta(days=7)
    assert event.data == {"paused_at": at(3, 10).astimezone(dt.UTC).isoformat(), "shifted": 2}


def test_a_pause_over_a_weekend_moves_only_by_working_days(world, accepted):
    act(world.mediator, accepted, Action.pause, at(6, 12), note="当事人外出")  # Friday noon
    act(world.mediator, accepted, Action.resume, at(9, 12), note="已返回")  # Monday noon
    settle = clocks(accepted)[Clock.settle, Level.village]
    assert settle.shift_seconds == 86_400  # Friday afternoon and Monday morning
    assert settle.due_at == at(11, 0)


def test_a_pause_before_the_clock_counts_moves_nothing(world, case):
    """Received Monday 09:00: the working days count from Tuesday. A pause on Monday
    afternoon held nothing back."""
    act(world.mediator, case, Action.accept, at(2, 10))
    before = clocks(case)[Clock.settle, Level.village].due_at
    act(world.mediator, case, Action.pause, at(2, 11), note="等待材料")
    act(world.mediator, case, Action.resume, at(2, 15), note="材料已到")
    settle = clocks(case)[Clock.settle, Level.village]
    assert settle.shift_seconds == 0 and settle.due_at == before == at(10, 0)


def test_a_deadline_already_passed_when_paused_stays_passed(world, accepted):
    policy = NO_AUTO_ESCALATION
    act(world.mediator, accepted, Action.pause, at(11, 10), note="等待鉴定", policy=policy)
    act(world.mediator, accepted, Action.resume, at(13, 10), note="恢复", policy=policy)
    assert clocks(accepted)[Clock.settle, Level.village].due_at == at(10, 0)


def test_withdrawing_a_paused_case_counts_no_breach_for_the_pause(world, accepted):
    act(world.mediator, accepted, Action.pause, at(3, 10), note="当事人住院")
    act(world.mediator, accepted, Action.withdraw, at(20, 10), note="自行和解")
    settle = clocks(accepted)[Clock.settle, Level.village]
    assert settle.stopped_at == at(20, 10)  # stopped by the withdrawal: neither met nor breached
    assert settle.breached_at is None and settle.met_at is None
    assert settle.due_at > at(20, 10)


# -- refer, withdraw -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, raw, status",
    [
        (Action.refer, {"to": "court", "note": "引导起诉"}, S.referred),
        (Action.withdraw, {"note": "申请人撤回"}, S.withdrawn),
    ],
)
def test_concluding_stops_every_clock(world, accepted, action, raw, status):
    event = act(world.mediator, accepted, action, at(4, 10), **raw)
    db.session.refresh(accepted)
    assert accepted.status is status
    assert clocks(accepted, running=True) == {}
    assert event.data == ({"to": "court"} if action is Action.refer else {})
    assert (event.from_status, event.to_status) == (S.in_mediation, status)
    with pytest.raises(Refused):
        act(world.mediator, accepted, Action.reopen, at(5, 10), note="再议")


# -- reclassify ------------------------------------------------------------------------------


def test_reclassify_to_major_below_the_county_starts_the_report_clock(world, accepted):
    when = at(3, 11)
    event = act(
        world.township_officer,
        accepted,
        Action.reclassify,
        when,
        note="涉及人数增至四十余人",
        scale="major",
    )
    db.session.refresh(accepted)
    assert accepted.scale is Scale.major and accepted.home_level is Level.county
    assert accepted.is_scale_overridden
    assert [m.render() for m in accepted.scale_reasons] == [
        "set by an officer: 涉及人数增至四十余人"
    ]
    report = clocks(accepted, running=True)[Clock.major_report, Level.village]
    assert report.started_at == when and report.due_at == working_days_later(when, 1)
    assert event.note == "涉及人数增至四十余人"
    assert event.data == {"from_scale": "small", "to_scale": "major"}
    assert (event.from_status, event.to_status) == (S.in_mediation, S.in_mediation)
    assert accepted.level is Level.village and accepted.holder.code == "410522100201"

    act(
        world.township_officer,
        accepted,
        Action.reclassify,
        at(3, 12),
        note="核实后人数不多",
        scale="small",
    )
    report = clocks(accepted)[Clock.major_report, Level.village]
    assert report.stopped_at == at(3, 12) and report.met_at is None


def test_reclassify_to_major_at_the_county_starts_no_report(world, make):
    case = make.case(world.county_officer, village_code="410522100201", now=RECEIVED)
    act(world.county_officer, case, Action.reclassify, at(2, 11), note="影响重大", scale="major")
    assert (Clock.major_report, Level.county) not in clocks(case)


def test_a_major_case_is_reported_when_it_reaches_the_county(world, make):
    case = make.case(world.mediator, now=RECEIVED, people_involved=40)
    assert clocks(case, running=True)[Clock.major_report, Level.village].due_at == at(4, 0)
    act(world.mediator, case, Action.escalate, at(2, 11), note="重大纠纷上报")
    assert clocks(case, running=True)[Clock.major_report, Level.village]  # the township is not home
    act(world.township_officer, case, Action.escalate, at(2, 15), note="上报县矛调中心")
    assert clocks(case)[Clock.major_report, Level.village].met_at == at(2, 15)


def test_only_an_officer_reclassifies(world, accepted):
    with pytest.raises(Refused) as refused:
        act(world.mediator, accepted, Action.reclassify, at(3, 11), note="x", scale="big")
    assert refused.value.forbidden


# -- the history and conflicts ---------------------------------------------------------------


def test_every_event_records_the_move_its_note_and_the_version(world, make):
    case = make.case(world.mediator, now=RECEIVED)
    steps = [
        (world.mediator, Action.accept, at(2, 10), {"note": "受理"}),
        (world.mediator, Action.pause, at(2, 12), {"note": "等待"}),
        (world.mediator, Action.resume, at(3, 12), {"note": "恢复"}),
        (world.mediator, Action.escalate, at(4, 10), {"note": "上报镇里"}),
        (world.township_officer, Action.accept, at(4, 11), {"note": "签收"}),
        (world.township_officer, Action.extend, at(5, 9), {"consent": True, "note": "同意"}),
        (
            world.township_officer,
            Action.resolve,
            at(6, 10),
            {"agreement": {"form": "written", "terms": "赔偿"}, "note": "达成协议"},
        ),
        (
            world.township_officer,
            Action.follow_up,
            at(20, 10),
            {"performed": True, "satisfied": True, "relapse_risk": False, "note": "已回访"},
        ),
    ]
    versions = []
    for user, action, when, raw in steps:
        act(user, case, action, when, **raw)
        db.session.refresh(case)
        versions.append(case.version)
    history = events(case)
    assert [e.action for e in history] == ["register"] + [step[1].value for step in steps]
    status, level = history[0].to_status, history[0].to_level
    for event, (user, _action, when, raw), version in zip(history[1:], steps, versions):
        assert (event.from_status, event.from_level) == (status, level)
        assert event.at == when and event.actor_id == user.id
        assert event.note == raw["note"] and event.version == version
        status, level = event.to_status, event.to_level
    assert (status, level) == (S.closed, Level.township)
    assert versions == sorted(set(versions))  # every action moves the version


def test_a_stale_version_is_a_conflict_and_changes_nothing(world, accepted):
    db.session.refresh(accepted)
    stale = accepted.version
    act(world.mediator, accepted, Action.pause, at(3, 10), note="等待")
    before = snapshot(accepted)
    db.session.refresh(accepted)
    with pytest.raises(Conflict) as conflict:
        perform(
            world.mediator,
            accepted,
            Action.resume,
            {"note": "恢复"},
            version=stale,
            ctx=Context.build(at(3, 11), Policy(), TZ),
        )
    assert [e.action for e in conflict.value.changes] == ["pause"]
    db.session.rollback()
    assert snapshot(accepted) == before


def test_another_unit_may_not_act_and_nothing_changes(world, accepted):
    before = snapshot(accepted)
    for user in (world.mediator_east, world.township_officer, world.viewer, world.admin):
        with pytest.raises(Refused) as refused:
            act(user, accepted, Action.pause, at(3, 10), note="x")
        assert refused.value.forbidden
        db.session.rollback()
    assert snapshot(accepted) == before


def test_an_action_not_allowed_now_is_refused_with_its_state(world, case):
    before = snapshot(case)
    with pytest.raises(Refused) as refused:
        act(
            world.mediator,
            case,
            Action.resolve,
            at(2, 10),
            agreement={"form": "oral", "terms": "x"},
        )
    assert not refused.value.forbidden
    assert refused.value.message.params == {"status_label": S.registered.label}
    db.session.rollback()
    assert snapshot(case) == before


def test_the_system_escalates_without_a_user_but_not_beyond_the_county(world, make, accepted):
    event = perform(
        None,
        accepted,
        Action.escalate,
        {"note": "自动上报"},
        version=None,
        ctx=Context.build(at(9, 8), Policy(), TZ),
    )
    db.session.commit()
    assert event.actor_id is None and event.to_level is Level.township
    county_case = make.case(world.county_officer, village_code="410522100201", now=RECEIVED)
    with pytest.raises(Refused):
        perform(
            None,
            county_case,
            Action.escalate,
            {"note": "自动上报"},
            version=None,
            ctx=Context.build(at(10, 8), Policy(), TZ),
        )
