"""What each home page lists and counts: the mediator's day (her village's cases by nearest
deadline, the follow-up visits due, the month's screening report), the officers' big and major
cases open in their area wherever they are handled, and the counts at the top of each page (open
flags by kind; cases by level, state, scale and unit; the admin's units and users)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..domain.enums import CaseStatus, Clock, FlagKind, Level, Scale
from ..domain.incidents import screening_due_at
from ..domain.months import Month
from ..extensions import db
from ..models import Case, Deadline, Flag, Screening, Unit, User
from . import access

OPEN_STATES = [status for status in CaseStatus if status.is_open]
# The informational judicial-confirmation window is nobody's deadline.
NOT_A_DEADLINE = (Clock.judicial_confirmation,)
HOME_LIMIT = 50


@dataclass(frozen=True)
class CaseDue:
    """A case and its running deadline that falls first (None: no clock running)."""

    case: Case
    deadline: Deadline | None


@dataclass(frozen=True)
class ScreeningDue:
    """The village's report for ``month``: filed (``report``) or due at ``due_at``."""

    month: Month
    due_at: dt.datetime
    report: Screening | None
    days_left: float  # calendar days; negative once overdue

    @property
    def is_overdue(self) -> bool:
        return self.report is None and self.days_left < 0


def _by_nearest_deadline(
    cases: list[Case], clocks: tuple[Clock, ...] | None = None
) -> list[CaseDue]:
    """Each case with its nearest running deadline (one query), nearest first, those without
    a running clock last."""
    nearest: dict[int, Deadline] = {}
    if cases:
        query = select(Deadline).where(
            Deadline.case_id.in_([case.id for case in cases]),
            Deadline.stopped_at.is_(None),
            Deadline.clock.not_in(NOT_A_DEADLINE),
        )
        if clocks is not None:
            query = query.where(Deadline.clock.in_(clocks))
        for deadline in db.session.scalars(query.order_by(Deadline.due_at, Deadline.id)):
            nearest.setdefault(deadline.case_id, deadline)
    rows = [CaseDue(case, nearest.get(case.id)) for case in cases]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(rows, key=lambda row: (row.deadline.due_at if row.deadline else far, row.case.id))


def cases_at_my_level(user: User) -> list[CaseDue]:
    """The open cases the user's own unit holds (what she can act on), nearest deadline first;
    not those of her area held above, which she cannot accept."""
    cases = db.session.scalars(
        access.visible_cases(user)
        .where(Case.holder_id == user.unit_id, Case.status.in_(OPEN_STATES))
        .order_by(Case.received_at)
        .limit(HOME_LIMIT * 4)
    ).all()
    return _by_nearest_deadline(list(cases))[:HOME_LIMIT]


def follow_ups_due(user: User) -> list[CaseDue]:
    """Resolved cases the user's unit holds whose follow-up visit (回访) is still to be made,
    the one due first first."""
    cases = db.session.scalars(
        access.visible_cases(user)
        .join(Deadline, Deadline.case_id == Case.id)
        .where(
            Case.holder_id == user.unit_id,
            Case.status == CaseStatus.resolved,
            Deadline.clock == Clock.follow_up,
            Deadline.stopped_at.is_(None),
        )
        .order_by(Deadline.due_at)
        .limit(HOME_LIMIT)
    ).all()
    return _by_nearest_deadline(list(cases), clocks=(Clock.follow_up,))


def big_cases_open(user: User) -> list[CaseDue]:
    """The big and major cases open in the user's area, wherever they are handled (a village
    that registered one may keep it): the levels above must know of them and be able to act."""
    cases = db.session.scalars(
        access.visible_cases(user)
        .where(Case.scale.in_([Scale.big, Scale.major]), Case.status.in_(OPEN_STATES))
        .order_by(Case.received_at.desc())
        .limit(HOME_LIMIT * 4)
    ).all()
    return _by_nearest_deadline(list(cases))[:HOME_LIMIT]


def screening_due(village_id: int, now: dt.datetime, due_day: int, tz: ZoneInfo) -> ScreeningDue:
    """This month's screening report of a village: filed, or due by 24:00 on ``due_day``
    (Asia/Shanghai) of the month itself."""
    month = Month.of(now, tz)
    report = db.session.scalar(
        select(Screening).where(Screening.village_id == village_id, Screening.month == str(month))
    )
    due_at = screening_due_at(month, due_day, tz)
    return ScreeningDue(month, due_at, report, (due_at - now).total_seconds() / 86400)


# --- the counts at the top of the home pages ---------------------------------------------


def open_flags(user: User) -> list[tuple[FlagKind, int]]:
    """Open flags in the user's area by kind, one GROUP BY."""
    rows = db.session.execute(
        access.visible_flags(user)
        .where(Flag.cleared_at.is_(None))
        .with_only_columns(Flag.kind, func.count())
        .group_by(Flag.kind)
    ).all()
    counts = dict(rows)
    return [(kind, counts[kind]) for kind in FlagKind if counts.get(kind)]


def overview(user: User) -> dict:
    """Counts by level × state, by scale, and by unit below the user's, all in SQL."""
    scope = access.case_scope(user)
    by_level_state = {
        (level, status): count
        for level, status, count in db.session.execute(
            select(Case.level, Case.status, func.count())
            .where(scope)
            .group_by(Case.level, Case.status)
        )
    }
    by_scale = dict(
        db.session.execute(select(Case.scale, func.count()).where(scope).group_by(Case.scale)).all()
    )
    child_column = Case.township_id if user.unit.kind is Level.county else Case.village_id
    per_unit_rows = db.session.execute(
        select(child_column, Case.status, func.count())
        .where(scope)
        .group_by(child_column, Case.status)
    ).all()
    children = db.session.scalars(
        select(Unit).where(Unit.parent_id == user.unit_id).order_by(Unit.code)
    ).all()
    per_unit = {unit.id: {} for unit in children}
    for unit_id, status, count in per_unit_rows:
        per_unit.setdefault(unit_id, {})[status] = count
    return {
        "levels": list(Level),
        "statuses": list(CaseStatus),
        "scales": list(Scale),
        "by_level_state": by_level_state,
        "by_scale": by_scale,
        "children": children,
        "per_unit": per_unit,
    }


def admin_summary(user: User) -> dict:
    """What the admin's home counts: units by kind and users, in the admin's area."""
    units = dict(
        db.session.execute(
            select(Unit.kind, func.count()).where(access.unit_scope(user)).group_by(Unit.kind)
        ).all()
    )
    users = db.session.scalar(
        select(func.count())
        .select_from(User)
        .join(Unit, User.unit_id == Unit.id)
        .where(access.unit_scope(user))
    )
    return {"unit_counts": units, "user_count": users, "levels": list(Level)}
