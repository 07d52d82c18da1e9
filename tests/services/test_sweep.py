"""The sweep at chosen instants: each flag raised and cleared, idempotence, auto-escalation,
notifications, and a sweep cut short then resumed."""

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from mediation.domain.enums import Action, Level
from mediation.domain.policy import Policy, parse_policy
from mediation.extensions import db
from mediation.models import Case, Flag, Notification
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep
from mediation.services.workflow import Context, perform

from ..factories import TZ

RECEIVED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)  # a Monday


def at(day: int, hour: int = 8, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=TZ)


def sweep(now, policy=None, **kwargs):
    return run_sweep(
        now, policy=policy or Policy(), tz=TZ, notifier=Notifier.from_config("inbox"), **kwargs
    )


def act(user, case, action, now, **raw):
    db.session.refresh(case)
    perform(user, case, action, raw, version=case.version, ctx=Context.build(now, Policy(), TZ))
    db.session.commit()


def open_flags(case):
    db.session.expire_all()
    return sorted(
        (f.kind.value, f.level.value)
        for f in db.session.scalars(
            select(Flag).where(Flag.case_id == case.id, Flag.cleared_at.is_(None))
        )
    )


def all_flags(case):
    db.session.expire_all()
    return sorted(
        (f.kind.value, f.level.value, f.cleared_at is None)
        for f in db.session.scalars(select(Flag).where(Flag.case_id == case.id))
    )


@pytest.fixture
def case(world, make):
    return make.case(world.mediator, now=RECEIVED)


def test_nothing_before_the_first_deadline(case):
    result = sweep(at(3, 8))
    assert result.checked == 1 and not result.raised
    assert open_flags(case) == []


def test_accept_overdue_is_raised_and_cleared_on_accept_but_kept(world, case):
    result = sweep(at(4, 8))  # accept was due at 24:00 on Tuesday 3 November
    assert result.raised["accept_overdue"] == 1
    assert open_flags(case) == [("accept_overdue", "village")]
    act(world.mediator, case, Action.accept, at(4, 9))  # the acceptance clears it, at once
    assert all_flags(case) == [("accept_overdue", "village", False)]
    flag = db.session.scalar(select(Flag).where(Flag.case_id == case.id))
    assert flag.occurred_at == at(4, 0) and flag.raised_at == at(4, 8)  # dated at the deadline
    assert flag.cleared_at == at(4, 9)
    assert not sweep(at(4, 10)).cleared


def test_a_second_sweep_at_the_same_instant_changes_nothing(case):
    first = sweep(at(4, 8))
    second = sweep(at(4, 8))
    assert first.checked == 1 and sum(first.raised.values()) == 1
    assert second.checked == 0 and not second.raised and not second.cleared


def test_settle_warning_then_breach_escalates_the_village_case(world, case):
    act(world.mediator, case, Action.accept, at(2, 10))
    assert sweep(at(6, 23)).raised == {}  # 4 working days end at 24:00 on Friday
    assert sweep(at(7, 8)).raised["settle_warning"] == 1
    result = sweep(at(10, 8))  # 5 working days ended at 24:00 on Monday 9 November
    assert result.raised["settle_breached"] == 1 and result.escalated == 1
    db.session.expire_all()
    escalated = db.session.get(Case, case.id)
    assert escalated.level is Level.township and escalated.holder.code == "410522100000"
    assert escalated.events[-1].action == "escalate" and escalated.events[-1].actor_id is None
    assert open_flags(case) == [("small_left_village", "township")]
    assert ("settle_breached", "village", False) in all_flags(case)


def test_the_same_finding_on_a_new_clock_is_a_new_record(world, case):
    act(world.mediator, case, Action.accept, at(2, 10))
    sweep(at(7, 8))  # the village's settle warning
    sweep(at(10, 8))  # breached and escalated: the village's warning is cleared
    db.session.refresh(case)
    act(
        world.township_officer,
        case,
        Action.assign_down,
        at(10, 9),
        note="请村里再调解",
        to_unit_code=case.village.code,
    )
    act(world.mediator, case, Action.accept, at(10, 10))
    result = sweep(at(17, 8))  # the village's new settle clock: 4 of 5 working days used
    assert result.raised["settle_warning"] == 1
    db.session.expire_all()
    records = db.session.scalars(
        select(Flag)
        .where(Flag.case_id == case.id, Flag.kind == "settle_warning", Flag.level == Level.village)
        .order_by(Flag.occurred_at)
    ).all()
    escalated_at = at(10, 0)  # the village's settle deadline, 24:00 on Monday 9 November
    assert [(flag.occurred_at, flag.raised_at, flag.cleared_at) for flag in records] == [
        (at(7, 0), at(7, 8), escalated_at),  # 80 % of five working days: 24:00 on Thursday
        (at(17, 0), at(17, 8), None),  # the new clock's: its own record
    ]


def test_auto_escalation_follows_the_policy(world, case):
    policy = parse_policy({"clocks": {"auto_escalate_village_breach": False}})
    result = sweep(at(10, 8), policy=policy)
    assert result.escalated == 0
    assert ("settle_breached", "village") in open_flags(case)


def test_statutory_overdue_until_extended(world, case):
    act(world.mediator, case, Action.accept, at(2, 10))
    act(world.mediator, case, Action.escalate, at(3, 10), note="双方分歧大")
    act(world.township_officer, case, Action.accept, at(3, 11))
    assert "statutory_overdue" in sweep(at(3, 8, month=12)).raised
    act(world.township_officer, case, Action.extend, at(3, 9, month=12), consent=True)
    assert ("statutory_overdue", "village") in open_flags(case)  # extended too late
    agreement = {"form": "oral", "terms": "x"}
    act(world.township_officer, case, Action.resolve, at(3, 11, month=12), agreement=agreement)
    assert ("statutory_overdue", "village") not in open_flags(case)  # it concluded


def test_a_major_case_must_be_reported_to_the_county(world, make):
    major = make.case(world.mediator, now=RECEIVED, people_involved=40)
    assert sweep(at(4, 8)).raised["major_not_reported"] == 1
    act(world.mediator, major, Action.escalate, at(4, 9), note="重大纠纷上报")
    act(world.township_officer, major, Action.escalate, at(4, 10), note="上报县矛调中心")
    assert ("major_not_reported", "village", False) in all_flags(major)  # at the county


def test_big_left_township_is_a_fact_of_record(world, make):
    big = make.case(world.mediator, now=RECEIVED, people_involved=6)
    act(world.mediator, big, Action.escalate, at(2, 11), note="涉及人数多")
    act(world.township_officer, big, Action.escalate, at(2, 12), note="需县级协调")
    sweep(at(2, 13))
    assert ("big_left_township", "county") in open_flags(big)
    act(
        world.county_officer,
        big,
        Action.assign_down,
        at(2, 14),
        note="请镇里牵头",
        to_unit_code="410522100000",
    )
    sweep(at(2, 15))
    assert ("big_left_township", "county") in open_flags(big)


def test_follow_up_overdue_until_the_visit(world, case):
    act(world.mediator, case, Action.accept, at(2, 10))
    act(
        world.mediator,
        case,
        Action.resolve,
        at(3, 10),
        agreement={"form": "oral", "terms": "李四拆除滴水檐"},
    )
    assert "follow_up_overdue" not in sweep(at(18, 9)).raised
    assert sweep(at(18, 11)).raised["follow_up_overdue"] == 1  # 15 days after 3 Nov 10:00
    act(
        world.mediator,
        case,
        Action.follow_up,
        at(19, 9),
        performed=True,
        satisfied=True,
        relapse_risk=False,
    )
    assert ("follow_up_overdue", "village", False) in all_flags(case)  # the visit cleared it


def test_a_paused_case_raises_nothing_new(world, case):
    act(world.mediator, case, Action.accept, at(2, 10))
    act(world.mediator, case, Action.pause, at(2, 11), note="等待伤情鉴定")
    assert sweep(at(20, 8)).raised == {}
    assert db.session.get(Case, case.id).next_check_at is None


def test_new_flags_reach_who_can_act(world, case):
    act(world.mediator, case, Action.accept, at(2, 10))
    sweep(at(10, 8))  # breached and escalated to the township
    db.session.expire_all()
    inbox = {(n.user_id, n.flag.kind.value) for n in db.session.scalars(select(Notification))}
    # the breach cleared by the escalation it caused tells nobody; the escalation does
    assert (world.mediator.id, "small_left_village") in inbox
    assert (world.township_officer.id, "small_left_village") in inbox
    assert all(kind != "settle_breached" for _, kind in inbox)
    assert all(
        user_id not in (world.mediator_east.id, world.other_township_officer.id)
        for user_id, _ in inbox
    )


def test_a_sweep_cut_short_is_completed_by_the_next(world, make):
    cases = [make.case(world.mediator, now=RECEIVED) for _ in range(5)]
    partial = sweep(at(4, 8), batch_size=2, max_batches=1)
    assert partial.checked == 2
    rest = sweep(at(4, 8), batch_size=2)
    assert rest.checked == 3
    assert sweep(at(4, 8)).checked == 0
    for each in cases:
        assert open_flags(each) == [("accept_overdue", "village")]
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 5


def test_the_sweep_reads_only_what_is_due(world, make):
    make.case(world.mediator, now=RECEIVED)
    sweep(at(3, 8))  # nothing due yet; the next check is the accept warning
    assert sweep(at(3, 9)).checked == 0


# -- a user acting while the sweep works ------------------------------------------------------


@pytest.fixture
def meanwhile(monkeypatch):
    """Run ``action`` once, committed, after the sweep has read and judged its batch and
    before it writes: a user acting at that very moment."""
    from mediation.services import sweep as module

    def install(action):
        check, done = module._Batch.check, []

        def check_then_act(batch, ctx):
            check(batch, ctx)
            if not done:
                done.append(True)
                action()

        monkeypatch.setattr(module._Batch, "check", check_then_act)

    return install


def test_a_case_resolved_while_the_sweep_escalates_it_is_not_escalated(world, case, meanwhile):
    act(world.mediator, case, Action.accept, at(3, 9))
    meanwhile(
        lambda: act(
            world.mediator,
            case,
            Action.resolve,
            at(9, 23),
            agreement={"form": "oral", "terms": "拆除滴水檐"},
        )
    )
    result = sweep(at(10, 8))  # the settle time ran out: the sweep meant to escalate it
    db.session.refresh(case)
    assert result.escalated == 0
    assert (case.status.value, case.level) == ("resolved", Level.village)
    assert [event.action for event in case.events] == ["register", "accept", "resolve"]


def test_a_case_acted_on_while_the_sweep_checks_it_is_checked_again(world, case, meanwhile):
    meanwhile(lambda: act(world.mediator, case, Action.accept, at(4, 8)))
    result = sweep(at(4, 8))
    # judged before the acceptance, then read again within the same sweep: the acceptance's
    # "look again" was not overwritten by the stale judgement
    # the acceptance found the overdue clock itself and cleared it: one record, not two
    assert "accept_overdue" not in result.raised
    assert all_flags(case) == [("accept_overdue", "village", False)]
    assert sweep(at(4, 8)).checked == 0


def test_a_sweep_that_keeps_meeting_changes_stops(world, case, monkeypatch):
    from mediation.services import sweep as module

    check = module._Batch.check
    reads = []

    def check_then_change(batch, ctx):  # someone changes the case after every read
        check(batch, ctx)
        reads.append(1)
        db.session.execute(update(Case).where(Case.id == case.id).values(version=Case.version + 1))
        db.session.commit()

    monkeypatch.setattr(module._Batch, "check", check_then_change)
    act(world.mediator, case, Action.accept, at(3, 9))
    result = sweep(at(10, 8))  # the settle time ran out: it would escalate the case
    assert result.escalated == 0 and len(reads) == module.MAX_REREADS + 1
    db.session.refresh(case)
    assert case.level is Level.village and case.next_check_at is not None


def test_a_small_case_registered_at_the_township_left_its_village_when_accepted(world, make):
    """A hotline call registered by the township and taken up there is a small matter handled
    above its village: 小事出村, dated at the acceptance, whether or not a sweep ever runs."""
    small = make.case(world.township_officer, village_code="410522100202", now=RECEIVED)
    assert all_flags(small) == []
    act(world.township_officer, small, Action.accept, at(2, 11))
    db.session.expire_all()
    (flag,) = db.session.scalars(select(Flag).where(Flag.case_id == small.id)).all()
    assert (flag.kind.value, flag.level, flag.occurred_at) == (
        "small_left_village",
        Level.township,
        at(2, 11),
    )
    big = make.case(
        world.township_officer, village_code="410522100202", now=RECEIVED, people_involved=6
    )
    act(world.township_officer, big, Action.accept, at(2, 11))
    assert all_flags(big) == []  # a big case at the township is the rule working


def test_an_escalation_records_its_rule_flag_at_once_dated_at_the_move(world, case):
    """Escalated at 10:00 and handed back down at 10:02: 小事出村 is on record, at 10:00,
    whether the sweep looked at 10:01, at 10:05 or never."""
    act(world.mediator, case, Action.accept, at(2, 9))
    act(world.mediator, case, Action.escalate, at(3, 10), note="双方分歧大")
    act(
        world.township_officer,
        case,
        Action.assign_down,
        at(3, 10) + dt.timedelta(minutes=2),
        note="请村里再调解",
        to_unit_code="410522100201",
    )
    db.session.expire_all()
    (flag,) = db.session.scalars(select(Flag).where(Flag.case_id == case.id)).all()
    assert (flag.kind.value, flag.occurred_at, flag.cleared_at) == (
        "small_left_village",
        at(3, 10),
        None,
    )


def test_only_a_sweep_with_full_batches_copies_sqlites_log(world, make, is_postgres, monkeypatch):
    """A sweep of a few due cases (the scheduler's every five minutes) leaves its pages to
    SQLite's own checkpoint; one that fills its batches copies the log after each full one
    and once more at the end."""
    if is_postgres:
        pytest.skip("SQLite's log: this run is on PostgreSQL")
    from mediation.platform import database

    copies = []
    monkeypatch.setattr(database, "_checkpoint", copies.append)
    cases = [make.case(world.mediator, now=RECEIVED) for _ in range(3)]
    assert sweep(at(4, 8), batch_size=5).checked == len(cases)
    assert copies == []
    for case in cases:  # due again: their next checks back at the start
        db.session.refresh(case)
        case.next_check_at = RECEIVED
    db.session.commit()
    assert sweep(at(4, 9), batch_size=2).checked == len(cases)
    assert len(copies) == 2  # after the full batch of two, and at the end


# -- one sweep at a time ----------------------------------------------------------------------


def test_a_sweep_is_refused_while_another_holds_the_lease_and_lets_it_go_after(world, case):
    from mediation.services.lease import SweepBusy, acquire_lease, release_lease

    assert acquire_lease("another-scheduler:1")
    with pytest.raises(SweepBusy):
        sweep(at(4, 8))
    assert open_flags(case) == []
    assert acquire_lease("another-scheduler:1")  # still its own: renewed
    release_lease("another-scheduler:1")
    assert sweep(at(4, 8)).checked == 1
    assert sweep(at(4, 9)).checked == 0  # the idle sweep, reading in one transaction
    assert acquire_lease("another-scheduler:1")  # both sweeps let the lease go


def test_a_sweep_that_fails_keeps_none_of_its_batch_and_lets_the_lease_go(world, case, monkeypatch):
    from mediation.services import sweep as module
    from mediation.services.lease import acquire_lease, release_lease

    def fail(*args, **kwargs):
        raise RuntimeError("the mail server hung up")

    monkeypatch.setattr(module, "notify", fail)  # after the batch's writes, before its commit
    with pytest.raises(RuntimeError):
        sweep(at(4, 8))
    assert open_flags(case) == []
    assert acquire_lease("another-scheduler:1")
    release_lease("another-scheduler:1")
    monkeypatch.undo()
    assert sweep(at(4, 8)).checked == 1
    assert open_flags(case) == [("accept_overdue", "village")]


def test_a_sweep_leaves_the_cases_to_another_machines_sweep_in_that_moment(
    world, case, is_postgres
):
    """PostgreSQL: beside the lease, each batch holds an advisory lock; a sweep that cannot
    take it (another machine's sweep holds it, its lease taken over meanwhile) touches
    nothing, and the next sweep does the work."""
    if not is_postgres:
        pytest.skip("advisory locks: this run is on SQLite")
    from sqlalchemy import text

    from mediation.services.lease import ADVISORY_KEY

    with db.engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
        assert sweep(at(4, 8)).checked == 0
        assert open_flags(case) == []
        other.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
    assert sweep(at(4, 8)).checked == 1
    assert open_flags(case) == [("accept_overdue", "village")]
