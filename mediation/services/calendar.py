"""The working calendar in force (bundled + policy + admin entries), and entering a year."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from ..domain.calendar import WorkCalendar
from ..domain.clocks import schedule
from ..domain.policy import Policy
from ..extensions import db
from ..models import CalendarDay, CalendarYear, Deadline, User


def work_calendar(policy: Policy) -> WorkCalendar:
    """The calendar: the policy's days, then the admin's, over the bundled Chinese calendar."""
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.is_workday)).all()
    holidays = set(policy.calendar.holidays) | {day for day, work in rows if not work}
    workdays = set(policy.calendar.workdays) | {day for day, work in rows if work}
    holidays -= {day for day, work in rows if work}  # an admin's entry wins over the policy's
    workdays -= {day for day, work in rows if not work}
    years = db.session.scalars(select(CalendarYear.year)).all()
    return WorkCalendar(holidays=holidays, workdays=workdays, entered_years=years)


def enter_year(
    actor: User,
    year: int,
    *,
    holidays: list[dt.date],
    workdays: list[dt.date],
    now: dt.datetime,
    policy: Policy,
    tz: ZoneInfo,
) -> int:
    """Record a year's holidays and make-up working days (replacing earlier entries for that
    year), mark it entered, and recompute every provisional deadline. Returns how many
    deadlines changed."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    db.session.execute(delete(CalendarDay).where(CalendarDay.day.between(first, last)))
    for day in sorted(set(holidays)):
        db.session.add(CalendarDay(day=day, is_workday=False))
    for day in sorted(set(workdays)):
        db.session.add(CalendarDay(day=day, is_workday=True))
    if db.session.get(CalendarYear, year) is None:
        db.session.add(CalendarYear(year=year, entered_at=now, entered_by_id=actor.id))
    db.session.flush()
    return recompute_provisional(policy, tz)


def recompute_provisional(policy: Policy, tz: ZoneInfo) -> int:
    """Recompute the deadlines marked provisional against the calendar as it now stands."""
    calendar = work_calendar(policy)
    changed = 0
    for deadline in db.session.scalars(select(Deadline).where(Deadline.is_provisional.is_(True))):
        result = schedule(
            started_at=deadline.started_at,
            days=deadline.days,
            working=deadline.is_working_days,
            shift_seconds=deadline.shift_seconds,
            warn_ratio=policy.clocks.warn_ratio,
            calendar=calendar,
            tz=tz,
        )
        if (result.due.at, result.warn.at, result.provisional) != (
            deadline.due_at, deadline.warn_at, deadline.is_provisional
        ):
            changed += 1
        deadline.due_at, deadline.warn_at = result.due.at, result.warn.at
        deadline.is_provisional = result.provisional
    db.session.flush()
    return changed
