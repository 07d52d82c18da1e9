"""November 2026, built by hand through the services, whose every scorecard figure the tests
work out on paper.

白壁镇 (410522100000)
  东裴村 A  one small case, accepted, settled by a written agreement (500 yuan), visited;
           screening filed; no incident → 三零, score 100.
  西裴村 B  one small case with violence risk (3 people), settled by an oral agreement;
           screening filed; a collective petition (12 people) to the city → no 三零,
           score 100 − 30 = 70.
水冶镇 (410522101000)
  北关村 C  c1: small, pushed village → township → county and settled there (2,000 yuan);
           the sweep at the county raises small_left_village and big_left_township;
           c2: small, settled in the village (300 yuan); screening filed
           → 三零, two rule violations, score 100 − 2 × 5 = 90.
  南关村 D  nothing, no screening by 24:00 on 25 November (the missing report on record, as
           the sweep's monthly check finds it) → 三零, score 100 − 10 = 90 (ties with C: both
           rank 1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mediation.domain.enums import Action, IncidentKind, PetitionLevel
from mediation.domain.incidents import screening_due_at
from mediation.domain.months import Month
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Case, Incident, Screening, Unit
from mediation.services.notify import Notifier
from mediation.services.sweep import raise_screening_missing, run_sweep
from mediation.services.workflow import Context, perform

from .factories import TZ

MONTH = Month(2026, 11)
COUNTY = "410522000000"
BAIBI, SHUIYE = "410522100000", "410522101000"
A, B, C, D = "410522100202", "410522100201", "410522101201", "410522101202"
FROZEN_AT = dt.datetime(2026, 12, 5, 1, 0, tzinfo=TZ)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


def act(user, case: Case, action: Action, when: dt.datetime, **raw) -> None:
    """One action as a view does it: through services.workflow.perform, then commit."""
    db.session.refresh(case)
    perform(user, case, action, raw, version=case.version, ctx=Context.build(when, Policy(), TZ))
    db.session.commit()


def resolve(user, case, when, amount: str, form: str = "written") -> None:
    act(
        user,
        case,
        Action.resolve,
        when,
        agreement={"form": form, "terms": "赔偿并赔礼道歉。", "amount_yuan": amount},
    )


def sweep(when: dt.datetime) -> None:
    run_sweep(when, policy=Policy(), tz=TZ, notifier=Notifier.from_config("inbox"))


def unit(code: str) -> Unit:
    return db.session.scalar(db.select(Unit).where(Unit.code == code))


def incident(village_code: str, kind: IncidentKind, when: dt.datetime, **fields) -> Incident:
    """An incident row as the incidents pages would record it."""
    village = unit(village_code)
    row = Incident(
        village_id=village.id,
        township_id=village.township_id,
        county_id=village.county_id,
        kind=kind,
        occurred_at=when,
        summary=fields.pop("summary", "记录"),
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def screening(village_code: str, month: Month = MONTH, *, zero: bool = False) -> Screening:
    village = unit(village_code)
    row = Screening(
        village_id=village.id,
        township_id=village.township_id,
        county_id=village.county_id,
        month=str(month),
        visited_on=dt.date(month.year, month.month, 25),
        households=40,
        risks_found=0 if zero else 1,
        disputes_found=0,
        is_zero_report=zero,
        filed_at=at(25, 16),
    )
    db.session.add(row)
    db.session.commit()
    return row


@dataclass
class November:
    a: Case
    b: Case
    c1: Case
    c2: Case


def build_november(world, make) -> November:
    # A: settled in the village, visited afterwards.
    a = make.case(world.mediator_east, now=at(2, 9), title="东裴村邻里纠纷")
    act(world.mediator_east, a, Action.accept, at(2, 10))
    resolve(world.mediator_east, a, at(3, 15), "500")
    act(
        world.mediator_east,
        a,
        Action.follow_up,
        at(10, 10),
        performed=True,
        satisfied=True,
        relapse_risk=False,
    )
    screening(A)

    # B: a violence risk settled (prevented: 1 case, 3 people), then a collective petition to
    # the city.
    b = make.case(
        world.mediator, now=at(4, 9), title="西裴村口角纠纷", people_involved=3, risks=["violence"]
    )
    act(world.mediator, b, Action.accept, at(4, 10))
    resolve(world.mediator, b, at(5, 11), "0", form="oral")
    incident(
        B,
        IncidentKind.petition,
        at(12, 9),
        petition_level=PetitionLevel.city,
        is_collective=True,
        people=12,
        summary="十二人到市信访局集体上访",
    )
    screening(B)

    # C: a small case pushed up to the county, and one kept in the village.
    c1 = make.case(world.mediator_other_township, now=at(2, 9), title="北关村宅基地纠纷")
    act(world.mediator_other_township, c1, Action.accept, at(2, 10))
    act(world.mediator_other_township, c1, Action.escalate, at(3, 10), note="村级调解不成")
    act(world.other_township_officer, c1, Action.accept, at(3, 11))
    act(world.other_township_officer, c1, Action.escalate, at(4, 10), note="上报县矛调中心")
    act(world.county_officer, c1, Action.accept, at(4, 11))
    sweep(at(4, 12))  # at the county: small_left_village and big_left_township (county)
    resolve(world.county_officer, c1, at(5, 15), "2000")
    c2 = make.case(world.mediator_other_township, now=at(9, 9), title="北关村借款纠纷")
    act(world.mediator_other_township, c2, Action.accept, at(9, 10))
    resolve(world.mediator_other_township, c2, at(10, 15), "300")
    for case in (c1, c2):
        act(
            world.mediator_other_township if case is c2 else world.county_officer,
            case,
            Action.follow_up,
            at(16, 10),
            performed=True,
            satisfied=True,
            relapse_risk=False,
        )
    screening(C)
    # The sweep's monthly check once November's reports were due: D's is missing.
    raise_screening_missing(MONTH, at(26, 9), screening_due_at(MONTH, 25, TZ))
    db.session.commit()
    return November(a, b, c1, c2)
