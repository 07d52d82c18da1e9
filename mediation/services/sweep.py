"""The sweep: raise and clear flags, auto-escalate, at one instant (DOMAIN.md "Flags").

It reads only the cases whose ``next_check_at`` has come (an indexed column every action sets
to "now" and every sweep sets to the next warning or deadline), in batches, each committed whole:
killed in the middle, the next run finds the rest. Run twice at the same instant, the second run
finds nothing to do. One sweep at a time: a lease row in the database, plus a transaction-level
advisory lock on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from ..domain.enums import Action, CaseStatus, Level
from ..domain.flags import CASE_KINDS, NEVER_CLEARED, ClockFacts, FlagKind, case_flags, next_check, should_auto_escalate
from ..domain.i18n import N_
from ..domain.incidents import last_screening_due, screening_months_to_check
from ..domain.policy import Policy
from ..domain.scorecard import Month
from ..extensions import db
from ..models import Case, Flag, Lease, Mark, Screening, Unit
from .notify import Notifier, notify_flags
from .workflow import Context, perform

LEASE_NAME = "sweep"
SCREENING_MARK = "screening_checked"  # the last month checked for missing screening reports
LEASE_SECONDS = 300
ADVISORY_KEY = 4242002
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
    return f"{socket.gethostname()}:{os.getpid()}"


def run_sweep(
    now: dt.datetime,
    *,
    policy: Policy,
    tz: ZoneInfo,
    notifier: Notifier,
    batch_size: int = 500,
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
        batches = 0
        while max_batches is None or batches < max_batches:
            if not _advisory_lock():
                break  # another machine's sweep is in this very moment (PostgreSQL only)
            cases = db.session.scalars(
                select(Case)
                .where(Case.next_check_at <= now)
                .order_by(Case.next_check_at, Case.id)
                .limit(batch_size)
                .options(selectinload(Case.deadlines), selectinload(Case.flags))
            ).all()
            if not cases:
                db.session.rollback()
                break
            raised: list[Flag] = []
            checks = []
            for case in cases:
                raised += _check_case(case, ctx, result)
                checks.append({"case_id": case.id, "check_at": _next_check_of(case, ctx)})
            db.session.flush()
            _set_next_checks(checks)
            notify_flags(raised, notifier, now)
            db.session.commit()
            renew_lease(holder)
            result.checked += len(cases)
            batches += 1
        _check_screenings(now, policy, tz, notifier, result, holder)
    finally:
        release_lease(holder)
    result.seconds = time.perf_counter() - started
    return result


def _check_case(case: Case, ctx: Context, result: SweepResult) -> list[Flag]:
    """Bring one case's flags up to date at ``ctx.now``; returns the flags raised."""
    if case.status is CaseStatus.paused:
        return []
    raised = _apply_flags(case, ctx, result)
    desired = {(flag.kind, flag.level) for flag in case.flags if flag.is_open}
    if should_auto_escalate(
        status=case.status, level=case.level, flags=desired,
        enabled=ctx.policy.clocks.auto_escalate_village_breach,
    ):
        perform(None, case, Action.escalate, {"note": AUTO_ESCALATE_NOTE}, version=None, ctx=ctx,
                flush=False)  # the batch is flushed once
        result.escalated += 1
        raised += _apply_flags(case, ctx, result)
    return raised


def _next_check_of(case: Case, ctx: Context) -> dt.datetime | None:
    if case.status is CaseStatus.paused:
        return None  # its clocks are stopped; resume sets it again
    return next_check(_clock_facts(case), ctx.now)


_NEXT_CHECK = (
    update(Case.__table__)
    .where(Case.__table__.c.id == bindparam("case_id"))
    .values(next_check_at=bindparam("check_at", type_=Case.__table__.c.next_check_at.type),
            updated_at=Case.__table__.c.updated_at)  # bookkeeping, not a change of the case
)


def _set_next_checks(checks: list[dict]) -> None:
    """When to look at each case next: one statement for the batch. It is the sweep's own
    bookkeeping, not a change of the case, so the case's version stays: a user who opened the
    case before the sweep can still act on it."""
    if checks:
        db.session.execute(_NEXT_CHECK, checks)


def _clock_facts(case: Case) -> list[ClockFacts]:
    return [
        ClockFacts(d.clock, d.level, d.warn_at, d.due_at, d.stopped_at is None)
        for d in case.deadlines
    ]


def _apply_flags(case: Case, ctx: Context, result: SweepResult) -> list[Flag]:
    for deadline in case.deadlines:
        if deadline.stopped_at is None and deadline.breached_at is None and deadline.due_at <= ctx.now:
            deadline.breached_at = deadline.due_at
    desired = case_flags(
        status=case.status, scale=case.scale, level=case.level,
        clocks=_clock_facts(case), now=ctx.now,
    )
    existing = {(flag.kind, flag.level): flag for flag in case.flags}
    raised = []
    for kind, level in sorted(desired):
        flag = existing.get((kind, level))
        if flag is not None and flag.is_open:
            continue
        if flag is None:
            flag = Flag(
                key=Flag.make_key(kind, level, case_id=case.id),
                kind=kind,
                case_id=case.id,
                unit_id=case.village_id,
                township_id=case.township_id,
                county_id=case.county_id,
                level=level,
                raised_at=ctx.now,
            )
            case.flags.append(flag)
        else:  # the same finding again (e.g. handed back down): the record reopens
            flag.cleared_at = None
            flag.raised_at = ctx.now
        result.raised[kind.value] += 1
        raised.append(flag)
    for (kind, level), flag in existing.items():
        if flag.is_open and kind in CASE_KINDS and kind not in NEVER_CLEARED and (kind, level) not in desired:
            flag.cleared_at = ctx.now
            result.cleared[kind.value] += 1
    return raised


# --- the monthly screening reports ------------------------------------------------------------


def _check_screenings(now: dt.datetime, policy: Policy, tz: ZoneInfo, notifier: Notifier,
                      result: SweepResult, holder: str) -> None:
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
            key=Flag.make_key(FlagKind.screening_missing, Level.village, unit_id=unit_id, period=period),
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
    return dt.datetime.now(dt.timezone.utc)


def acquire_lease(holder: str, seconds: int = LEASE_SECONDS) -> bool:
    """Take the sweep lease if it is free, expired, or already ours. Commits."""
    now = _wall_clock()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(Lease)
        .values(name=LEASE_NAME, holder="", expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
        .on_conflict_do_nothing(index_elements=["name"])
    )
    taken = db.session.execute(
        update(Lease)
        .where(Lease.name == LEASE_NAME, or_(Lease.expires_at < now, Lease.holder == holder))
        .values(holder=holder, expires_at=now + dt.timedelta(seconds=seconds))
    ).rowcount
    db.session.commit()
    return taken == 1


def renew_lease(holder: str, seconds: int = LEASE_SECONDS) -> None:
    db.session.execute(
        update(Lease)
        .where(Lease.name == LEASE_NAME, Lease.holder == holder)
        .values(expires_at=_wall_clock() + dt.timedelta(seconds=seconds))
    )
    db.session.commit()


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
    return bool(db.session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY}).scalar())
