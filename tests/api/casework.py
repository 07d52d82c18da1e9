"""Cases in a given state and level, built through the real services, and what the domain
says about each action (written out here from docs/rules.md#workflow, not read from the code)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from mediation.domain.enums import Action
from mediation.extensions import db
from mediation.models import Case, CaseEvent, Deadline
from mediation.platform import runtime
from mediation.services.workflow import Context, perform

VILLAGE, TOWNSHIP, COUNTY = "410522100201", "410522100000", "410522000000"
LEVELS = ["village", "township", "county"]
STATES = ["registered", "in_mediation", "paused", "resolved", "closed", "referred", "withdrawn"]
ROLES = ["mediator", "township_officer", "county_officer", "viewer", "admin"]
ACTIONS = [
    "accept",
    "pause",
    "resume",
    "resolve",
    "escalate",
    "assign_down",
    "refer",
    "withdraw",
    "follow_up",
    "reopen",
    "extend",
    "reclassify",
    "report",
    "take_over",
    "session",
]
HANDLER = {"village": "mediator", "township": "township_officer", "county": "county_officer"}
BELOW = {"village": VILLAGE, "township": VILLAGE, "county": TOWNSHIP}  # a unit to assign down to
UP = {"village": "township", "township": "county"}
DOWN = {"township": "village", "county": "township"}

OPEN = {"registered", "in_mediation", "paused"}
ACTIVE = {"registered", "in_mediation"}
STARTS = {
    "accept": {"registered"},
    "pause": {"in_mediation"},
    "resume": {"paused"},
    "resolve": {"in_mediation"},
    "escalate": ACTIVE,
    "assign_down": ACTIVE,
    "refer": OPEN,
    "withdraw": OPEN,
    "follow_up": {"resolved"},
    "reopen": {"resolved", "closed"},
    "extend": OPEN,
    "reclassify": OPEN,
    "report": OPEN | {"resolved", "closed"},
    "take_over": OPEN,
    "session": {"in_mediation"},
}
# The state after a successful action (None: unchanged). The follow-up body says "performed".
LEADS_TO = {
    "accept": "in_mediation",
    "pause": "paused",
    "resume": "in_mediation",
    "resolve": "resolved",
    "escalate": "registered",
    "assign_down": "registered",
    "refer": "referred",
    "withdraw": "withdrawn",
    "follow_up": "closed",
    "reopen": "in_mediation",
    "extend": None,
    "reclassify": None,
    "report": None,
    "take_over": "registered",
    "session": None,
}
RANK = {"village": 0, "township": 1, "county": 2}
SERVES = {role: level for level, role in HANDLER.items()}


def expected_answer(action: str, state: str, level: str, role: str) -> int:
    """200, 403 (not this role's or unit's) or 409 (not in this state) for a small case that
    was never extended, held by the unit of its level in the case's own chain."""
    if role in ("viewer", "admin"):
        return 403
    if action == "reclassify":
        if role not in ("township_officer", "county_officer"):
            return 403
    elif action == "take_over":  # an officer above the unit holding it
        if role not in ("township_officer", "county_officer"):
            return 403
        if RANK[SERVES[role]] <= RANK[level]:
            return 409
    elif action == "report":  # anyone at or above the holder; a small case has nothing to report
        return 403 if RANK[SERVES[role]] < RANK[level] else 409
    elif role != HANDLER[level]:
        return 403
    if state not in STARTS[action]:
        return 409
    if action == "escalate" and level == "county":
        return 409
    if action == "assign_down" and level == "village":
        return 409
    return 200


def body(action: str, level: str = "village", **overrides) -> dict:
    """A complete, valid body for ``action`` on a case held at ``level`` (without version)."""
    fields = {
        "accept": {},
        "pause": {"note": "等待伤情鉴定"},
        "resume": {},
        "resolve": {
            "agreement": {
                "form": "written",
                "terms": "赔偿 500 元，七日内付清。",
                "amount_yuan": "500",
            }
        },
        "escalate": {"note": "村级调解不成"},
        "assign_down": {"note": "请村调委会先行调解", "to_unit_code": BELOW[level]},
        "refer": {"note": "涉嫌刑事，移交派出所", "to": "police"},
        "withdraw": {"note": "申请人撤回"},
        "follow_up": {"performed": True, "satisfied": True, "relapse_risk": False},
        "reopen": {"note": "协议未履行"},
        "extend": {"consent": True},
        "reclassify": {"note": "涉及多户", "scale": "big"},
        "report": {},
        "take_over": {"note": "案情复杂，提级办理"},
        "session": {
            "held_at": dt.datetime.now(dt.UTC).isoformat(),
            "place": "村委会调解室",
            "participants": "申请人、被申请人、调解员",
            "summary": "双方陈述意见，同意再次协商。",
        },
    }[action]
    return {"action": action, **fields, **overrides}


# How to reach each state from a fresh registration, by the handler of the level.
PATHS = {
    "registered": [],
    "in_mediation": ["accept"],
    "paused": ["accept", "pause"],
    "resolved": ["accept", "resolve"],
    "closed": ["accept", "resolve", "follow_up"],
    "referred": ["refer"],
    "withdrawn": ["withdraw"],
}


def context(now: dt.datetime | None = None) -> Context:
    return Context.build(now or runtime.utcnow(), runtime.policy(), runtime.tz())


def act(user, case: Case, action: str, *, now: dt.datetime | None = None, **overrides) -> None:
    """One action through services.workflow.perform, committed (as a view would)."""
    db.session.refresh(case)  # it may have moved through the API meanwhile
    raw = body(action, case.level.value, **overrides)
    perform(user, case, Action(action), raw, version=case.version, ctx=context(now))
    db.session.commit()


def case_in(make, world, level: str, state: str, **fields) -> Case:
    """A case of 西裴村 registered at ``level`` by its handler and driven to ``state``."""
    handler = getattr(world, HANDLER[level])
    case = make.case(handler, village_code=VILLAGE, **fields)
    for action in PATHS[state]:
        act(handler, case, action)
    assert (case.status.value, case.level.value) == (state, level)
    return case


@dataclass(frozen=True)
class Snapshot:
    version: int
    status: str
    level: str
    holder_id: int
    is_extended: bool
    events: int
    deadlines: tuple


def snapshot(case_id: int) -> Snapshot:
    """What the database holds of the case now (fresh, not from the session's cache)."""
    db.session.commit()
    version, status, level, holder_id, is_extended = db.session.execute(
        select(Case.version, Case.status, Case.level, Case.holder_id, Case.is_extended).where(
            Case.id == case_id
        )
    ).one()
    events = db.session.scalar(select(func.count()).where(CaseEvent.case_id == case_id))
    deadlines = tuple(
        db.session.execute(
            select(Deadline.clock, Deadline.due_at, Deadline.stopped_at, Deadline.days)
            .where(Deadline.case_id == case_id)
            .order_by(Deadline.id)
        ).all()
    )
    return Snapshot(version, status.value, level.value, holder_id, is_extended, events, deadlines)
