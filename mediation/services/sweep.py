"""The sweep: raise and clear flags, auto-escalate, at one instant (docs/rules.md#flags).

It reads only the cases whose ``next_check_at`` has come (an indexed column every action sets
to "now" and every sweep sets to the next warning or deadline), in batches, each committed whole:
killed in the middle, the next run finds the rest. Run twice at the same instant, the second run
finds nothing to do. One sweep at a time: a lease row in the database, plus a transaction-level
advisory lock on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from ..database import insert_rows
from ..domain.enums import CaseStatus, Clock, Level, Scale
from ..domain.flags import (
    CASE_KINDS,
    NEVER_CLEARED,
    ClockFacts,
    FlagKind,
    case_flags,
    next_check,
    should_auto_escalate,
)
from ..domain.i18n import N_
from ..domain.incidents import last_screening_due, screening_months_to_check
from ..domain.policy import Policy
from ..domain.scorecard import Month
from ..extensions import db
from ..models import Case, CaseEvent, Deadline, Flag, Lease, Mark, Screening, Unit
from .notify import Notice, Notifier, notify, notify_flags
from .workflow import Context, auto_escalate

LEASE_NAME = "sweep"
SCREENING_MARK = "screening_checked"  # the last month checked for missing screening reports
LEASE_SECONDS = 300
ADVISORY_KEY = 4242002
MAX_REREADS = 5  # batches read again in one sweep because users changed their cases meanwhile
AUTO_ESCALATE_NOTE = N_("Escalated automatically: the village's settle time was exceeded.")


class SweepBusy(Exception):
    """Another sweep holds the lease."""


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


def lease_holder() -> str:
    """Who holds the lease: the machine, the process and the thread (the demo's scheduler
    runs the sweep and the freeze in threads of one process, which must not share it)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_sweep(
    now: dt.datetime,
    *,
    policy: Policy,
    tz: ZoneInfo,
    notifier: Notifier,
    batch_size: int = 1000,
    holder: str | None = None,
    max_batches: int | None = None,
) -> SweepResult:
    """One sweep at instant ``now``. Commits each batch. Raises SweepBusy if another runs."""
    started = time.perf_counter()
    holder = holder or lease_holder()
    if not acquire_lease(holder):
        raise SweepBusy
    result = SweepResult()
    try:
        ctx = Context.build(now, policy, tz)
        batches = rereads = 0
        while max_batches is None or batches < max_batches:
            if not _advisory_lock():
                break  # another machine's sweep is in this very moment (PostgreSQL only)
            batch = _Batch.load(now, batch_size)
            if not batch.cases:
                db.session.rollback()
                break
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
            batch.count(result)
            batches += 1
        _check_screenings(now, policy, tz, notifier, result, holder)
    finally:
        release_lease(holder)
    result.seconds = time.perf_counter() - started
    return result


# --- the due cases, a batch at a time ------------------------------------------------------
#
# A batch is read with three statements (the cases with their holder's parent unit, their
# clocks, their flags) into plain objects, checked in Python by the domain's rules, the same
# functions the case page's actions use, and written back with one statement per kind of
# change. No ORM objects: a day's backlog of ten thousand due cases costs what its rows cost.

_cases, _deadlines, _flags = Case.__table__, Deadline.__table__, Flag.__table__
_holders, _parents = Unit.__table__.alias("holder"), Unit.__table__.alias("parent")


@dataclass(slots=True, eq=False)
class _Clock:
    """A running clock (a row of ``deadlines``) as the sweep reads and writes it; also what
    :func:`services.workflow.start_clock` builds for a case escalated here. A stopped clock
    never matters to the sweep, so none is read."""

    clock: Clock
    level: Level
    due_at: dt.datetime
    warn_at: dt.datetime
    breached_at: dt.datetime | None = None
    met_at: dt.datetime | None = None
    stopped_at: dt.datetime | None = None
    # Only for a clock started here: the rest of its row.
    started_at: dt.datetime | None = None
    days: int = 0
    is_working_days: bool = False
    shift_seconds: int = 0
    is_provisional: bool = False
    id: int | None = None
    read_breached: dt.datetime | None = None


@dataclass(slots=True, eq=False)
class _Flag:
    """An open flag of a case, or one raised here (its id then comes with the write). Cleared
    flags are not read: raising one again reopens its record, by its key."""

    kind: FlagKind
    level: Level
    cleared_at: dt.datetime | None = None
    raised_at: dt.datetime | None = None  # only when raised here
    id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


@dataclass(frozen=True, slots=True)
class _Unit:
    id: int
    kind: Level
    code: str


@dataclass(slots=True, eq=False)
class _Case:
    """The columns of a case the sweep's rules read, and those an escalation writes."""

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
    parent: _Unit | None  # the holder's parent unit: where an escalation goes
    deadlines: list[_Clock] = field(default_factory=list)
    flags: list[_Flag] = field(default_factory=list)
    read_version: int = 0
    holder: _Unit | None = None
    updated_at: dt.datetime | None = None
    next_check_at: dt.datetime | None = None
    concluded_at: dt.datetime | None = None
    concluded_level: Level | None = None
    concluded_action: str | None = None
    event: dict | None = None  # the escalation's event

    def clock_facts(self) -> list[ClockFacts]:
        return [
            ClockFacts(d.clock, d.level, d.warn_at, d.due_at, d.stopped_at is None)
            for d in self.deadlines
        ]


_CLOCK_COLUMNS = (
    "clock",
    "level",
    "due_at",
    "warn_at",
    "breached_at",
    "met_at",
    "stopped_at",
    "started_at",
    "days",
    "is_working_days",
    "shift_seconds",
    "is_provisional",
)


class _Batch:
    def __init__(self, cases: list[_Case]):
        self.cases = cases
        self.raised: list[tuple[_Case, _Flag]] = []
        self.cleared: Counter = Counter()
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
                _parents.c.id,
                _parents.c.kind,
                _parents.c.code,
            )
            .join(_holders, _holders.c.id == _cases.c.holder_id)
            .outerjoin(_parents, _parents.c.id == _holders.c.parent_id)
            .where(_cases.c.next_check_at <= now)
            .order_by(_cases.c.next_check_at, _cases.c.id)
            .limit(size)
        ).all()
        cases = {
            row[0]: _Case(
                *row[:12],
                parent=_Unit(*row[12:]) if row[12] is not None else None,
                read_version=row[11],
            )
            for row in rows
        }
        if not cases:
            return cls([])
        ids = list(cases)
        for case_id, clock_id, clock, level, due_at, warn_at, breached_at in db.session.execute(
            select(
                _deadlines.c.case_id,
                _deadlines.c.id,
                _deadlines.c.clock,
                _deadlines.c.level,
                _deadlines.c.due_at,
                _deadlines.c.warn_at,
                _deadlines.c.breached_at,
            )
            .where(_deadlines.c.case_id.in_(ids), _deadlines.c.stopped_at.is_(None))
            .order_by(_deadlines.c.id)
        ):
            cases[case_id].deadlines.append(
                _Clock(
                    clock,
                    level,
                    due_at,
                    warn_at,
                    breached_at,
                    id=clock_id,
                    read_breached=breached_at,
                )
            )
        for case_id, flag_id, kind, level in db.session.execute(
            select(_flags.c.case_id, _flags.c.id, _flags.c.kind, _flags.c.level)
            .where(_flags.c.case_id.in_(ids), _flags.c.cleared_at.is_(None))
            .order_by(_flags.c.id)
        ):
            cases[case_id].flags.append(_Flag(kind, level, id=flag_id))
        return cls(list(cases.values()))

    # .. the rules ..

    def check(self, ctx: Context) -> None:
        for case in self.cases:
            if case.status is CaseStatus.paused:
                case.next_check_at = None  # its clocks are stopped; resume sets it again
                continue
            self._apply_flags(case, ctx)
            desired = {(flag.kind, flag.level) for flag in case.flags if flag.is_open}
            if (
                should_auto_escalate(
                    status=case.status,
                    level=case.level,
                    flags=desired,
                    enabled=ctx.policy.clocks.auto_escalate_village_breach,
                )
                and case.parent is not None
            ):
                case.event = auto_escalate(case, case.parent, AUTO_ESCALATE_NOTE, ctx, make=_Clock)
                if case.event is not None:
                    self._apply_flags(case, ctx)
            case.next_check_at = next_check(case.clock_facts(), ctx.now)

    def _apply_flags(self, case: _Case, ctx: Context) -> None:
        now = ctx.now
        for deadline in case.deadlines:
            if (
                deadline.stopped_at is None
                and deadline.breached_at is None
                and deadline.due_at <= now
            ):
                deadline.breached_at = deadline.due_at
        desired = case_flags(
            status=case.status,
            scale=case.scale,
            level=case.level,
            clocks=case.clock_facts(),
            now=now,
        )
        open_flags = {(flag.kind, flag.level): flag for flag in case.flags if flag.is_open}
        for kind, level in sorted(desired):
            if (kind, level) not in open_flags:
                flag = _Flag(kind, level, raised_at=now)
                case.flags.append(flag)
                self.raised.append((case, flag))
        for (kind, level), flag in open_flags.items():
            if kind in CASE_KINDS and kind not in NEVER_CLEARED and (kind, level) not in desired:
                flag.cleared_at = now
                self.cleared[kind.value] += 1

    # .. the writes ..

    def write(self, now: dt.datetime) -> bool:
        """Write the batch's changes; False (nothing kept) if a case being escalated was
        changed by someone else since it was read. The decisions were made above, case by
        case; here each kind of change is one statement for the whole batch."""
        escalated = [case for case in self.cases if case.event is not None]
        if escalated and not _updated(
            _ESCALATED,
            [
                {
                    "b_id": c.id,
                    "b_version": c.read_version,
                    "b_status": c.status,
                    "b_level": c.level,
                    "b_holder": c.holder_id,
                    "b_highest": c.highest_level,
                    "b_new_version": c.version,
                    "b_now": now,
                    "b_check": c.next_check_at,
                }
                for c in escalated
            ],
        ):
            return False
        if escalated:
            db.session.execute(insert(CaseEvent.__table__), [c.event for c in escalated])
        self._write_next_checks()
        self._write_clocks(escalated, now)
        self._write_flags(now)
        return True

    def _write_next_checks(self) -> None:
        """When to look at each case next, for those not escalated here: the sweep's own
        bookkeeping, not a change of the case, so the version stays (a user who opened the
        case can still act on it), and a case a user acted on since it was read keeps the
        "now" that action set."""
        checks = [
            {"b_id": c.id, "b_version": c.read_version, "b_check": c.next_check_at}
            for c in self.cases
            if c.event is None
        ]
        if checks:
            db.session.execute(_NEXT_CHECK, checks)

    def _write_clocks(self, escalated: list[_Case], now: dt.datetime) -> None:
        """Running clocks found breached (breached_at is always the clock's own due instant),
        clocks settled by an escalation (stopped now, met now or breached), and the clocks
        an escalation started."""
        breached, stopped, met = [], [], []
        for case in self.cases:
            for clock in case.deadlines:
                if clock.id is None:
                    continue
                if clock.breached_at is not None and clock.read_breached is None:
                    breached.append(clock.id)
                if clock.stopped_at is not None:
                    stopped.append(clock.id)
                if clock.met_at is not None:
                    met.append(clock.id)
        for ids, values in (
            (breached, {"breached_at": _deadlines.c.due_at}),
            (stopped, {"stopped_at": now}),
            (met, {"met_at": now}),
        ):
            for chunk in _chunks(ids):
                db.session.execute(
                    update(_deadlines).where(_deadlines.c.id.in_(chunk)).values(values)
                )
        started = [
            {"case_id": c.id, **{name: getattr(d, name) for name in _CLOCK_COLUMNS}}
            for c in escalated
            for d in c.deadlines
            if d.id is None
        ]
        insert_rows(_deadlines, started)

    def _write_flags(self, now: dt.datetime) -> None:
        """Flags raised (a new record, or the case's earlier record of the same finding
        reopened: e.g. handed back down) and open flags cleared. A flag can be raised and
        cleared in the same sweep (a village's settle breach, then the escalation it caused).
        The raised flags' ids are read back by their keys, for the notices."""
        cleared = [
            flag.id
            for case in self.cases
            for flag in case.flags
            if flag.id is not None and flag.cleared_at is not None
        ]
        for chunk in _chunks(cleared):
            db.session.execute(update(_flags).where(_flags.c.id.in_(chunk)).values(cleared_at=now))
        rows = [
            {
                "key": Flag.make_key(flag.kind, flag.level, case_id=case.id),
                "kind": flag.kind,
                "case_id": case.id,
                "unit_id": case.village_id,
                "township_id": case.township_id,
                "county_id": case.county_id,
                "level": flag.level,
                "raised_at": flag.raised_at,
                "cleared_at": flag.cleared_at,
            }
            for case, flag in self.raised
        ]
        insert_rows(_flags, rows, on_conflict=("key", ("raised_at", "cleared_at")))
        keys = [row["key"] for row in rows]
        ids = dict(
            kv
            for chunk in _chunks(keys)
            for kv in db.session.execute(
                select(_flags.c.key, _flags.c.id).where(_flags.c.key.in_(chunk))
            )
        )
        self.notices = [
            Notice(
                ids[key],
                flag.kind,
                flag.level,
                case.village_id,
                case.township_id,
                case.county_id,
                case.id,
                case.holder_id,
                case.level,
            )
            for (case, flag), key in zip(self.raised, keys)
        ]

    def count(self, result: SweepResult) -> None:
        result.checked += len(self.cases)
        result.escalated += sum(case.event is not None for case in self.cases)
        result.raised.update(flag.kind.value for _, flag in self.raised)
        result.cleared.update(self.cleared)


def _updated(statement, rows: list[dict]) -> bool:
    """Run an UPDATE for each row; True if each changed one row (where the database driver
    can tell)."""
    outcome = db.session.execute(statement, rows)
    if not db.session.get_bind().dialect.supports_sane_multi_rowcount:
        return True
    return outcome.rowcount == len(rows)


_ESCALATED = (
    update(_cases)
    .where(_cases.c.id == bindparam("b_id"), _cases.c.version == bindparam("b_version"))
    .values(
        status=bindparam("b_status", type_=_cases.c.status.type),
        level=bindparam("b_level", type_=_cases.c.level.type),
        holder_id=bindparam("b_holder"),
        highest_level=bindparam("b_highest", type_=_cases.c.highest_level.type),
        version=bindparam("b_new_version"),
        updated_at=bindparam("b_now", type_=_cases.c.updated_at.type),
        next_check_at=bindparam("b_check", type_=_cases.c.next_check_at.type),
    )
)
_NEXT_CHECK = (
    update(_cases)
    .where(_cases.c.id == bindparam("b_id"), _cases.c.version == bindparam("b_version"))
    .values(
        next_check_at=bindparam("b_check", type_=_cases.c.next_check_at.type),
        updated_at=_cases.c.updated_at,
    )  # bookkeeping, not a change of the case
)


def _chunks(items: list, size: int = 900) -> Iterator[list]:
    """Pieces of an IN list small enough for any database's parameter limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the monthly screening reports ------------------------------------------------------------


def _check_screenings(
    now: dt.datetime,
    policy: Policy,
    tz: ZoneInfo,
    notifier: Notifier,
    result: SweepResult,
    holder: str,
) -> None:
    """Once the screening deadline of a month has passed (the end of the 20th of the next
    month, local time), flag every village with no report for it, once: a few cheap reads
    the rest of the month. Each month is committed with its mark, so a sweep killed midway
    redoes only the month it was in."""
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
        if not _advisory_lock():
            db.session.rollback()
            return
        flags = raise_screening_missing(month, now)
        db.session.flush()
        notify_flags(flags, notifier, now)
        mark.value = str(month)
        db.session.commit()
        renew_lease(holder)
        result.raised[FlagKind.screening_missing.value] += len(flags)


def raise_screening_missing(month: Month, now: dt.datetime) -> list[Flag]:
    """A screening_missing flag (village level, period "YYYY-MM") for each village with no
    report for ``month`` and no such flag yet: one anti-join query, one bulk insert."""
    period = str(month)
    filed = exists().where(Screening.village_id == Unit.id, Screening.month == period)
    flagged = exists().where(
        Flag.unit_id == Unit.id, Flag.kind == FlagKind.screening_missing, Flag.period == period
    )
    rows = db.session.execute(
        select(Unit.id, Unit.township_id, Unit.county_id)
        .where(Unit.kind == Level.village, ~filed, ~flagged)
        .order_by(Unit.id)
    ).all()
    flags = [
        Flag(
            key=Flag.make_key(
                FlagKind.screening_missing, Level.village, unit_id=unit_id, period=period
            ),
            kind=FlagKind.screening_missing,
            unit_id=unit_id,
            township_id=township_id,
            county_id=county_id,
            level=Level.village,
            period=period,
            raised_at=now,
        )
        for unit_id, township_id, county_id in rows
    ]
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


# --- one sweep at a time ---------------------------------------------------------------------


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def acquire_lease(holder: str, seconds: int = LEASE_SECONDS) -> bool:
    """Take the sweep lease if it is free, expired, or already ours. Commits."""
    now = _wall_clock()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(Lease)
        .values(name=LEASE_NAME, holder="", expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .on_conflict_do_nothing(index_elements=["name"])
    )
    taken = db.session.execute(
        update(Lease)
        .where(Lease.name == LEASE_NAME, or_(Lease.expires_at < now, Lease.holder == holder))
        .values(holder=holder, expires_at=now + dt.timedelta(seconds=seconds))
    ).rowcount
    db.session.commit()
    return taken == 1


def renew_lease(holder: str, seconds: int = LEASE_SECONDS, *, commit: bool = True) -> None:
    db.session.execute(
        update(Lease)
        .where(Lease.name == LEASE_NAME, Lease.holder == holder)
        .values(expires_at=_wall_clock() + dt.timedelta(seconds=seconds))
    )
    if commit:
        db.session.commit()


@contextlib.contextmanager
def holding_lease(*, wait_seconds: float = 0.0) -> Iterator[str]:
    """Hold the sweep's lease for work that must not run beside a sweep or a second copy of
    itself (the month freeze), waiting up to ``wait_seconds`` for it; raises SweepBusy if it
    stays taken. Yields the holder's name."""
    holder = lease_holder()
    deadline = time.monotonic() + wait_seconds
    while not acquire_lease(holder):
        if time.monotonic() >= deadline:
            raise SweepBusy
        time.sleep(1)
    try:
        yield holder
    finally:
        release_lease(holder)


def release_lease(holder: str) -> None:
    db.session.rollback()
    db.session.execute(
        update(Lease)
        .where(Lease.name == LEASE_NAME, Lease.holder == holder)
        .values(expires_at=_wall_clock() - dt.timedelta(seconds=1))
    )
    db.session.commit()


def _advisory_lock() -> bool:
    """On PostgreSQL, also hold a transaction-level advisory lock for each batch."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        db.session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY}
        ).scalar()
    )
