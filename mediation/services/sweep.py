"""The sweep: at one instant, apply to every case what has fallen due (docs/rules.md#flags).

What falls due and when it happened is decided by the workflow's own
:func:`~mediation.domain.progress.catch_up`, the very function every action runs first: the
sweep finds facts, dates nothing itself, and tells people. It reads only the cases whose
``next_check_at`` has come (an indexed column of ``case_checks`` that every action sets to
"now" and every sweep to the next warning or deadline), in batches, each committed whole:
killed in the middle, the next run finds the rest. Run twice at the same instant, the second
run finds nothing to do. One sweep at a time: the lease of :mod:`.lease`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, insert, select

from ..domain.enums import CaseStatus, FlagKind, Level, Scale
from ..domain.incidents import (
    last_screening_due,
    screening_due_at,
    screening_months_to_check,
)
from ..domain.months import Month
from ..domain.policy import Policy
from ..domain.progress import CaseClock, Context, UnitRef, catch_up, next_check
from ..extensions import db
from ..models import Case, CaseCheck, CaseEvent, Deadline, Flag, Mark, Screening, Unit
from ..platform.database import chunks, insert_rows, large_batches, update_rows
from . import facts as fact_records
from .calendar import work_calendar
from .facts import Found
from .lease import SweepBusy, acquire_lease, advisory_lock, lease_holder, release_lease, renew_lease
from .notify import Notice, Notifier, notify, notify_flags
from .supervision import sweep_supervisions
from .workflow import collected

SCREENING_MARK = "screening_checked"  # the last month checked for missing screening reports
MAX_REREADS = 5  # batches read again in one sweep because users changed their cases meanwhile


@dataclass
class SweepResult:
    checked: int = 0
    raised: Counter = field(default_factory=Counter)
    cleared: Counter = field(default_factory=Counter)
    escalated: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "checked": self.checked,
            "raised": dict(sorted(self.raised.items())),
            "cleared": dict(sorted(self.cleared.items())),
            "escalated": self.escalated,
            "seconds": round(self.seconds, 3),
        }


def run_sweep(
    now: dt.datetime,
    *,
    policy: Policy,
    tz: ZoneInfo,
    notifier: Notifier,
    batch_size: int = 1000,
    holder: str | None = None,
    max_batches: int | None = None,
    lease_held: bool = False,
) -> SweepResult:
    """One sweep at instant ``now``. Commits each batch. Raises SweepBusy if another runs.
    ``lease_held``: the caller holds the lease as ``holder`` (the month freeze) and keeps it.
    What finds nothing due reads on in one transaction, which ends by letting the lease go:
    the scheduler's sweeps, most of which find nothing, cost a few round trips."""
    started = time.perf_counter()
    holder = holder or lease_holder()
    if not lease_held and not acquire_lease(holder):
        raise SweepBusy
    result = SweepResult()
    try:
        with large_batches() as committed:
            _check_cases(
                now, policy, tz, notifier, result, holder, batch_size, max_batches, committed
            )
            _check_supervisions(now, result, batch_size)
            _check_screenings(now, policy, tz, notifier, result, holder)
            if not lease_held:
                release_lease(holder, commit=False)
            db.session.commit()
    except BaseException:
        if not lease_held:
            release_lease(holder)  # the uncommitted work dropped first
        raise
    result.seconds = time.perf_counter() - started
    return result


def _check_cases(
    now: dt.datetime,
    policy: Policy,
    tz: ZoneInfo,
    notifier: Notifier,
    result: SweepResult,
    holder: str,
    batch_size: int,
    max_batches: int | None,
    committed: Callable[[], None],
) -> None:
    """The due cases, a batch at a time: read, judged, written and committed whole. The
    transaction of the last read, which found none, is left open for the next checks."""
    ctx = None  # the working calendar is read once a case is due
    batches = rereads = 0
    while max_batches is None or batches < max_batches:
        if not advisory_lock():
            break  # another machine's sweep is in this very moment (PostgreSQL only)
        batch = _Batch.load(now, batch_size)
        if not batch.cases:
            break
        if ctx is None:
            ctx = Context(now, policy, work_calendar(policy), tz)  # plain clocks, not rows
        batch.check(ctx)
        if not batch.write(now):
            db.session.rollback()  # a user acted on a case being escalated: read it again
            rereads += 1
            if rereads > MAX_REREADS:
                break  # cases changing under every read: the next sweep carries on
            continue
        notify(batch.notices, notifier, now)
        renew_lease(holder, commit=False)
        db.session.commit()
        if len(batch.cases) == batch_size:  # more to come: its log copied while they are read
            committed()
        batch.count(result)
        batches += 1


# --- the due cases, a batch at a time ------------------------------------------------------
#
# A batch is read with three statements (the cases with their holder's parent unit, their
# clocks, their flags) into plain objects, checked in Python by the domain's rules, the same
# functions the case page's actions use, and written back with one statement per kind of
# change. No ORM objects: a day's backlog of ten thousand due cases costs what its rows cost.

_cases, _checks, _deadlines = Case.__table__, CaseCheck.__table__, Deadline.__table__
_holders, _parents = Unit.__table__.alias("holder"), Unit.__table__.alias("parent")


@dataclass(slots=True, eq=False)
class _Case:
    """The columns of a case the rules read, and those an escalation writes: the same names
    as :class:`~mediation.models.Case` (:class:`~mediation.domain.progress.CaseLike`). Only
    its running clocks are read: a stopped clock never matters to the sweep."""

    id: int
    status: CaseStatus
    scale: Scale
    level: Level
    home_level: Level
    holder_id: int
    village_id: int
    township_id: int
    county_id: int
    highest_level: Level | None
    is_extended: bool
    version: int
    created_at: dt.datetime
    last_event_at: dt.datetime
    parent: UnitRef | None  # the holder's parent unit: where an escalation goes
    read_check: dt.datetime  # its next check as read: a user's action since then changed it
    deadlines: list[CaseClock] = field(default_factory=list)
    read_version: int = 0
    holder: UnitRef | None = None
    updated_at: dt.datetime | None = None
    next_check_at: dt.datetime | None = None
    concluded_at: dt.datetime | None = None
    concluded_level: Level | None = None
    concluded_action: str | None = None
    event: dict | None = None  # the escalation's event


_CLOCK_COLUMNS = (
    "clock",
    "level",
    "started_at",
    "days",
    "is_working_days",
    "shift_seconds",
    "due_at",
    "warn_at",
    "is_provisional",
)
_STARTED_COLUMNS = (*_CLOCK_COLUMNS, "breached_at", "met_at", "stopped_at")


class _Batch:
    def __init__(self, cases: list[_Case]):
        self.cases = cases
        # each running clock's breach as read (by id): what the write compares against
        self.read = {c.id: c.breached_at for case in cases for c in case.deadlines}
        self.found: list[Found] = []
        self.cleared: list[tuple[str, dt.datetime]] = []
        self.cleared_keys: list[str] = []
        self.recorded: list[Found] = []
        self.notices: list[Notice] = []

    @classmethod
    def load(cls, now: dt.datetime, size: int) -> _Batch:
        rows = db.session.execute(
            select(
                _cases.c.id,
                _cases.c.status,
                _cases.c.scale,
                _cases.c.level,
                _cases.c.home_level,
                _cases.c.holder_id,
                _cases.c.village_id,
                _cases.c.township_id,
                _cases.c.county_id,
                _cases.c.highest_level,
                _cases.c.is_extended,
                _cases.c.version,
                _cases.c.created_at,
                _cases.c.last_event_at,
                _parents.c.id,
                _parents.c.kind,
                _parents.c.code,
                _checks.c.next_check_at,
            )
            .select_from(_checks)
            .join(_cases, _cases.c.id == _checks.c.case_id)
            .join(_holders, _holders.c.id == _cases.c.holder_id)
            .outerjoin(_parents, _parents.c.id == _holders.c.parent_id)
            .where(_checks.c.next_check_at <= now)
            .order_by(_checks.c.next_check_at, _checks.c.case_id)
            .limit(size)
        ).all()
        cases = {
            row[0]: _Case(
                *row[:14],
                parent=UnitRef(*row[14:17]) if row[14] is not None else None,
                read_check=row[17],
                read_version=row[11],
            )
            for row in rows
        }
        if not cases:
            return cls([])
        ids = list(cases)
        columns = [getattr(_deadlines.c, name) for name in _CLOCK_COLUMNS]
        for chunk in chunks(ids):
            for case_id, clock_id, breached, *values in db.session.execute(
                select(_deadlines.c.case_id, _deadlines.c.id, _deadlines.c.breached_at, *columns)
                .where(_deadlines.c.case_id.in_(chunk), _deadlines.c.stopped_at.is_(None))
                .order_by(_deadlines.c.id)
            ):
                clock = CaseClock(*values, breached_at=breached, id=clock_id)
                cases[case_id].deadlines.append(clock)
        return cls(list(cases.values()))

    # .. the rules: the workflow's own, case by case ..

    def check(self, ctx: Context) -> None:
        for case in self.cases:
            events = catch_up(case, ctx, parent_of=_parent)
            case.event = events[0] if events else None
            case.next_check_at = next_check(case, ctx)
            found, cleared = collected(case, ctx)
            self.found += found
            self.cleared += cleared

    # .. the writes ..

    def write(self, now: dt.datetime) -> bool:
        """Write the batch's changes; False (nothing kept) if a case being escalated was
        changed by someone else since it was read. The decisions were made above, case by
        case; here each kind of change is one statement for the whole batch."""
        escalated = [case for case in self.cases if case.event is not None]
        changed = update_rows(
            _cases,
            [
                (
                    {"id": c.id, "version": c.read_version},
                    {
                        "status": c.status,
                        "level": c.level,
                        "holder_id": c.holder_id,
                        "highest_level": c.highest_level,
                        "version": c.version,
                        "updated_at": now,
                        "last_event_at": c.last_event_at,
                    },
                )
                for c in escalated
            ],
        )
        if changed != len(escalated):
            return False
        if escalated:
            db.session.execute(insert(CaseEvent.__table__), [c.event for c in escalated])
        self._write_next_checks()
        self._write_clocks(escalated)
        self.cleared_keys = fact_records.clear(self.cleared)
        self.recorded, self.notices = fact_records.record(self.found, now)
        return True

    def _write_next_checks(self) -> None:
        """When to look at each case next: the sweep's own bookkeeping, not a change of the
        case, so the version stays (a user who opened the case can still act on it), and a
        case a user acted on since it was read keeps the "now" that action set."""
        update_rows(
            _checks,
            [
                (
                    {"case_id": c.id, "next_check_at": c.read_check},
                    {"next_check_at": c.next_check_at},
                )
                for c in self.cases
            ],
        )

    def _write_clocks(self, escalated: list[_Case]) -> None:
        """Clocks whose deadline passed (breached at it), that ended (the judicial window) or
        that an escalation settled, each with its own instants; and the clocks an escalation
        started."""
        update_rows(
            _deadlines,
            [
                (
                    {"id": clock.id},
                    {
                        "breached_at": clock.breached_at,
                        "met_at": clock.met_at,
                        "stopped_at": clock.stopped_at,
                    },
                )
                for case in self.cases
                for clock in case.deadlines
                if clock.id is not None
                and (clock.stopped_at is not None or clock.breached_at != self.read[clock.id])
            ],
        )
        started = [
            {"case_id": c.id, **{name: getattr(d, name) for name in _STARTED_COLUMNS}}
            for c in escalated
            for d in c.deadlines
            if d.id is None
        ]
        insert_rows(_deadlines, started)

    def count(self, result: SweepResult) -> None:
        result.checked += len(self.cases)
        result.escalated += sum(case.event is not None for case in self.cases)
        result.raised.update(item.fact.kind.value for item in self.recorded)
        result.cleared.update(key.rsplit(":", 1)[-1] for key in self.cleared_keys)


def _parent(case: _Case) -> UnitRef | None:
    return case.parent


# --- supervision notices ---------------------------------------------------------------------


def _check_supervisions(now: dt.datetime, result: SweepResult, batch_size: int) -> None:
    """The supervision ladder (督办 → 催办 → 通报): the notices whose ``next_check_at`` has come,
    judged by :mod:`mediation.domain.supervision`, dated at their own instants."""
    if not advisory_lock():
        db.session.rollback()
        return
    reminded, circulated = sweep_supervisions(now, batch_size=batch_size)
    if reminded:
        result.raised["supervision_reminder"] += reminded
    if circulated:
        result.raised["supervision_circulated"] += circulated


# --- the monthly screening reports ------------------------------------------------------------


def _check_screenings(
    now: dt.datetime,
    policy: Policy,
    tz: ZoneInfo,
    notifier: Notifier,
    result: SweepResult,
    holder: str,
) -> None:
    """Once the screening deadline of a month has passed (24:00 on ``screening_due_day`` of the
    month itself, local time), flag every village with no report for it by then, once: a few
    cheap reads the rest of the month. Each month is committed with its mark, so a sweep
    killed midway redoes only the month it was in."""
    mark = db.session.get(Mark, SCREENING_MARK)
    checked = _parse_month(mark.value) if mark is not None else None
    first_used = _first_month_used(tz) if checked is None else None
    due_day = policy.scorecard.screening_due_day
    months = screening_months_to_check(now, due_day, tz, checked=checked, first_used=first_used)
    if checked is None:
        start = first_used.previous() if first_used else last_screening_due(now, due_day, tz)
        if mark is None:
            mark = Mark(name=SCREENING_MARK, value=str(start))
            db.session.add(mark)
        else:
            mark.value = str(start)
        db.session.commit()
    for month in months:
        if not advisory_lock():
            db.session.rollback()
            return
        flags = raise_screening_missing(month, now, screening_due_at(month, due_day, tz))
        db.session.flush()
        notify_flags(flags, notifier, now)
        mark.value = str(month)
        db.session.commit()
        renew_lease(holder)
        result.raised[FlagKind.screening_missing.value] += len(flags)


def raise_screening_missing(month: Month, now: dt.datetime, due_at: dt.datetime) -> list[Flag]:
    """A screening_missing flag (village level, period "YYYY-MM"), dated at the deadline, for
    each village with no report for ``month`` filed before ``due_at`` and no such flag yet: one
    anti-join query, one bulk insert. A report filed late does not undo it."""
    period = str(month)
    filed = exists().where(
        Screening.village_id == Unit.id, Screening.month == period, Screening.filed_at < due_at
    )
    flagged = exists().where(
        Flag.unit_id == Unit.id, Flag.kind == FlagKind.screening_missing, Flag.period == period
    )
    rows = db.session.execute(
        select(Unit.id, Unit.township_id, Unit.county_id)
        .where(Unit.kind == Level.village, ~filed, ~flagged)
        .order_by(Unit.id)
    ).all()
    flags = [fact_records.missing_screening(*row, period, due_at=due_at, now=now) for row in rows]
    db.session.add_all(flags)
    return flags


def _first_month_used(tz: ZoneInfo) -> Month | None:
    """The month of the first case received or report filed (None: nothing yet)."""
    first_case = db.session.scalar(select(func.min(Case.received_at)))
    first_report = _parse_month(db.session.scalar(select(func.min(Screening.month))))
    months = [month for month in (first_case and Month.of(first_case, tz), first_report) if month]
    return min(months, key=lambda month: (month.year, month.month), default=None)


def _parse_month(value: str | None) -> Month | None:
    try:
        return Month.parse(value) if value else None
    except ValueError:
        return None
