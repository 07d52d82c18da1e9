"""The working calendar in force (bundled + policy + admin entries), and entering a year."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, null, select, update

from ..domain.calendar import WorkCalendar, parse_year_entry
from ..domain.enums import CaseStatus
from ..domain.policy import Policy
from ..domain.progress import Context, reschedule
from ..extensions import db
from ..models import CalendarDay, CalendarYear, Case, CaseCheck, Deadline, User
from ..platform.database import chunks


def work_calendar(policy: Policy) -> WorkCalendar:
    """The calendar: the policy's days, then the admin's, over the bundled Chinese calendar."""
    # One round trip for both tables (every page with a clock on it reads them): the days,
    # then the years entered, each row holding one or the other.
    rows = db.session.execute(
        select(CalendarDay.day, CalendarDay.is_workday, null()).union_all(
            select(null(), null(), CalendarYear.year)
        )
    ).all()
    days = [(day, work) for day, work, year in rows if year is None]
    holidays = set(policy.calendar.holidays) | {day for day, work in days if not work}
    workdays = set(policy.calendar.workdays) | {day for day, work in days if work}
    holidays -= {day for day, work in days if work}  # an admin's entry wins over the policy's
    workdays -= {day for day, work in days if not work}
    years = [year for _, _, year in rows if year is not None]
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
    deadlines changed. Raises InvalidInput (a day outside the year, a day in both lists)
    before changing anything."""
    entry = parse_year_entry(year, holidays, workdays)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    db.session.execute(delete(CalendarDay).where(CalendarDay.day.between(first, last)))
    for day in entry.holidays:
        db.session.add(CalendarDay(day=day, is_workday=False))
    for day in entry.workdays:
        db.session.add(CalendarDay(day=day, is_workday=True))
    entered = db.session.get(CalendarYear, year)
    if entered is None:
        db.session.add(CalendarYear(year=year, entered_at=now, entered_by_id=actor.id))
    else:
        entered.entered_at, entered.entered_by_id = now, actor.id
    db.session.flush()
    return recompute_provisional(policy, tz, now=now)


def recompute_provisional(policy: Policy, tz: ZoneInfo, *, now: dt.datetime) -> int:
    """Recompute the running deadlines marked provisional against the calendar as it now
    stands, and have the sweep look at their cases at once (a warning may now come sooner).
    A stopped clock keeps the deadline it was settled against (met or breached), so its
    record never contradicts itself."""
    ctx = Context(now, policy, work_calendar(policy), tz)
    changed = 0
    moved: set[int] = set()
    for deadline in db.session.scalars(_provisional_running()):
        before = (deadline.due_at, deadline.warn_at, deadline.is_provisional)
        reschedule(deadline, ctx)
        if (deadline.due_at, deadline.warn_at, deadline.is_provisional) != before:
            changed += 1
            moved.add(deadline.case_id)
    for chunk in chunks(sorted(moved)):
        active = select(Case.id).where(Case.id.in_(chunk), Case.status != CaseStatus.paused)
        db.session.execute(
            update(CaseCheck)
            .where(CaseCheck.case_id.in_(active))
            .values(next_check_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    return changed


def _provisional_running():
    return select(Deadline).where(Deadline.is_provisional.is_(True), Deadline.stopped_at.is_(None))


def provisional_count() -> int:
    """How many running deadlines rest on a provisional (Monday-Friday) guess."""
    return db.session.scalar(select(func.count()).select_from(_provisional_running().subquery()))


def entered_years() -> list[tuple[CalendarYear, list[dt.date], list[dt.date]]]:
    """The years an admin has entered, newest first, each with its holidays and make-up
    working days."""
    days = db.session.execute(
        select(CalendarDay.day, CalendarDay.is_workday).order_by(CalendarDay.day)
    ).all()
    result = []
    for entered in db.session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())):
        of_year = [(day, work) for day, work in days if day.year == entered.year]
        result.append(
            (
                entered,
                [day for day, work in of_year if not work],
                [day for day, work in of_year if work],
            )
        )
    return result
