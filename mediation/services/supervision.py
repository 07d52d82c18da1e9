"""Supervision notices (督办) and their ladder: issued, reminded (催办), circulated (通报).

Who may supervise is decided by :func:`mediation.domain.supervision.may_supervise`; when the
ladder's steps fall due and how they are dated, by the same module. Here: the writes, the
reads scoped by :mod:`.access`, and the sweep's part (:func:`sweep_supervisions`), which reads
only the notices whose indexed ``next_check_at`` has come.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select, update

from ..domain import supervision as rules
from ..domain.enums import CaseNews, Role
from ..domain.i18n import N_, Message
from ..domain.intake import CONTROL_CHARACTERS, InvalidInput, has_control_characters
from ..domain.months import Month
from ..domain.workflow import HANDLER, Refused
from ..extensions import db
from ..models import Case, Supervision, Unit, User
from . import access
from .notify import holders_of, tell_units

# --- issuing and replying ---------------------------------------------------------------------


def parse_issue(raw: Any) -> tuple[str, int]:
    """``{instruction, due_working_days}`` checked, or InvalidInput naming each bad field."""
    errors: dict[str, Message] = {}
    instruction = raw.get("instruction") if isinstance(raw, dict) else None
    instruction = instruction.strip() if isinstance(instruction, str) else ""
    if not instruction:
        errors["instruction"] = Message(N_("Write the instruction."))
    elif has_control_characters(instruction):
        errors["instruction"] = CONTROL_CHARACTERS
    elif len(instruction) > rules.MAX_INSTRUCTION:
        errors["instruction"] = Message(
            N_("At most %(max)s characters."), {"max": rules.MAX_INSTRUCTION}
        )
    days = raw.get("due_working_days") if isinstance(raw, dict) else None
    if isinstance(days, str) and days.strip().isascii() and days.strip().isdigit():
        days = int(days.strip())
    if (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not 1 <= days <= rules.MAX_WORKING_DAYS
    ):
        errors["due_working_days"] = Message(
            N_("Enter a whole number of working days from %(min)s to %(max)s."),
            {"min": 1, "max": rules.MAX_WORKING_DAYS},
        )
    if errors:
        raise InvalidInput(errors)
    return instruction, days


def parse_progress(raw: Any) -> str:
    progress = raw.get("progress") if isinstance(raw, dict) else None
    progress = progress.strip() if isinstance(progress, str) else ""
    if not progress:
        raise InvalidInput({"progress": Message(N_("Write the progress made."))})
    if has_control_characters(progress):
        raise InvalidInput({"progress": CONTROL_CHARACTERS})
    if len(progress) > rules.MAX_PROGRESS:
        raise InvalidInput(
            {"progress": Message(N_("At most %(max)s characters."), {"max": rules.MAX_PROGRESS})}
        )
    return progress


def can_supervise(user: User, case: Case) -> bool:
    return (
        case.status.is_open and rules.may_supervise(user.role, user.unit.kind, case.level) is None
    )


def issue(user: User, case: Case, raw: Any, *, ctx) -> Supervision:
    """A supervision notice on ``case`` (found through access) by ``user``. Refused (403) for a
    user not above the level holding the case; InvalidInput (422) for a concluded case or a bad
    field. The holder's users are told. Flushes; the caller commits."""
    why = rules.may_supervise(user.role, user.unit.kind, case.level)
    if why is not None:
        raise Refused(why, forbidden=True)
    instruction, days = parse_issue(raw)
    if not case.status.is_open:
        raise InvalidInput(
            {"case": Message(N_("The case is concluded: there is nothing left to supervise."))}
        )
    due = rules.due_schedule(
        ctx.now,
        days,
        warn_ratio=ctx.policy.clocks.warn_ratio,
        calendar=ctx.calendar,
        tz=ctx.tz,
    )
    notice = Supervision(
        case_id=case.id,
        village_id=case.village_id,
        township_id=case.township_id,
        county_id=case.county_id,
        holder_id=case.holder_id,
        issuing_unit_id=user.unit_id,
        issued_by_id=user.id,
        issued_at=ctx.now,
        instruction=instruction,
        due_working_days=days,
        remind_at=due.warn.at,
        due_at=due.due.at,
    )
    notice.next_check_at = rules.next_check(_ladder(notice))
    db.session.add(notice)
    db.session.flush()
    tell_units(
        CaseNews.supervision,
        [(case.id, [holders_of(case.level, case.holder_id)])],
        ctx.now,
        actor_id=user.id,
    )
    return notice


def may_reply(user: User, notice: Supervision) -> bool:
    """Any handling user (mediator or officer) of the unit holding the case, now or when the
    notice was issued."""
    return user.role in (Role.mediator, Role.township_officer, Role.county_officer) and (
        user.unit_id in (notice.holder_id, notice.case.holder_id)
    )


def reply(user: User, notice: Supervision, raw: Any, *, now: dt.datetime) -> Supervision:
    """The holder's reply with progress. The first reply stops the ladder from that instant
    on; a reply after an instant undoes nothing recorded (or still to record) at it."""
    if not may_reply(user, notice):
        raise Refused(
            Message(N_("Only the unit holding the case replies to its supervision notice.")),
            forbidden=True,
        )
    progress = parse_progress(raw)
    if notice.replied_at is not None:
        raise InvalidInput({"progress": Message(N_("This notice has been answered already."))})
    notice.progress, notice.replied_at, notice.replied_by_id = progress, now, user.id
    notice.next_check_at = rules.next_check(_ladder(notice))
    db.session.flush()
    return notice


def _ladder(notice) -> rules.Ladder:
    return rules.Ladder(
        notice.remind_at,
        notice.due_at,
        notice.replied_at,
        notice.reminded_at,
        notice.circulated_at,
    )


def stage(notice: Supervision) -> rules.Stage:
    return rules.stage(_ladder(notice))


# --- reading ------------------------------------------------------------------------------------


def visible_supervisions(user: User) -> Select[tuple[Supervision]]:
    """The notices on cases in the user's area."""
    return select(Supervision).where(access.within(user.unit, Supervision))


def find_supervision(user: User, supervision_id: int) -> Supervision | None:
    return db.session.scalar(visible_supervisions(user).where(Supervision.id == supervision_id))


@dataclass
class ListFilters:
    open: bool = False
    overdue: bool = False
    unit: Unit | None = None


def parse_list_filters(user: User, args) -> tuple[ListFilters, dict[str, Message]]:
    filters, errors = ListFilters(), {}
    for name in ("open", "overdue"):
        value = args.get(name, "")
        if value not in ("", "0", "1"):
            errors[name] = Message(N_("Not a valid choice."))
        setattr(filters, name, value == "1")
    code = args.get("unit", "").strip()
    if code:
        filters.unit = access.find_unit(user, code)
        if filters.unit is None:
            errors["unit"] = Message(N_("No such unit in your area."))
    return filters, errors


def list_supervisions(user: User, filters: ListFilters, now: dt.datetime) -> list[Supervision]:
    """The notices of the user's area, newest first: ``open`` unanswered; ``overdue``
    circulated, or past due with no reply before it (the sweep may not have run yet); ``unit``
    on cases within that unit."""
    query = visible_supervisions(user)
    if filters.unit is not None:
        query = query.where(access.within(filters.unit, Supervision))
    if filters.open:
        query = query.where(Supervision.replied_at.is_(None))
    if filters.overdue:
        query = query.where(
            or_(
                Supervision.circulated_at.is_not(None),
                and_(
                    Supervision.due_at <= now,
                    or_(
                        Supervision.replied_at.is_(None),
                        Supervision.replied_at >= Supervision.due_at,
                    ),
                ),
            )
        )
    return list(
        db.session.scalars(query.order_by(Supervision.issued_at.desc(), Supervision.id.desc()))
    )


def circular(unit: Unit, month: Month, tz) -> list[Supervision]:
    """The month's circular (通报) of an issuing unit: its notices circulated in the month."""
    start, end = month.bounds(tz)
    return list(
        db.session.scalars(
            select(Supervision)
            .where(
                Supervision.issuing_unit_id == unit.id,
                Supervision.circulated_at > start,
                Supervision.circulated_at <= end,
            )
            .order_by(Supervision.circulated_at, Supervision.id)
        )
    )


def can_issue_anywhere(user: User) -> bool:
    """Officers issue notices, read the list and print their unit's circular."""
    return user.role in (Role.township_officer, Role.county_officer)


# --- the sweep's part ------------------------------------------------------------------------


def sweep_supervisions(now: dt.datetime, *, batch_size: int = 1000) -> tuple[int, int]:
    """Record the reminders and circulations fallen due by ``now``, dated at their instants,
    and tell people: the holder's users of each step, the issuing unit's officers of a
    circulation. Reads only the notices whose ``next_check_at`` has come, a batch at a time,
    each committed whole. Returns (reminded, circulated)."""
    reminded = circulated = 0
    while True:
        rows = db.session.execute(
            select(
                Supervision.id,
                Supervision.case_id,
                Supervision.remind_at,
                Supervision.due_at,
                Supervision.replied_at,
                Supervision.reminded_at,
                Supervision.circulated_at,
                Supervision.issuing_unit_id,
                Supervision.holder_id.label("issued_to"),
                Case.holder_id.label("holder_now"),
                Case.level,
            )
            .join(Case, Case.id == Supervision.case_id)
            .where(Supervision.next_check_at <= now)
            .order_by(Supervision.next_check_at, Supervision.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return reminded, circulated  # the caller's transaction goes on
        told_reminded, told_circulated, changes = [], [], []
        roles: dict[int, Role] = {}
        for row in rows:
            ladder = rules.Ladder(*row[2:7])
            was_reminded, was_circulated = rules.step(ladder, now)
            # the unit holding the case now, and the one it was issued to if the case moved since
            holders = [
                holders_of(row.level, row.holder_now),
                (row.issued_to, _handler_of(row.issued_to, roles)),
            ]
            issuer = (row.issuing_unit_id, _handler_of(row.issuing_unit_id, roles))
            if was_reminded:
                told_reminded.append((row.case_id, holders))
            if was_circulated:
                told_circulated.append((row.case_id, [*holders, issuer]))
            changes.append(
                {
                    "b_id": row.id,
                    "b_reminded": ladder.reminded_at,
                    "b_circulated": ladder.circulated_at,
                    "b_check": rules.next_check(ladder),
                }
            )
        db.session.execute(_STEP, changes)
        tell_units(CaseNews.supervision_reminder, told_reminded, now)
        tell_units(CaseNews.supervision_circulated, told_circulated, now)
        db.session.commit()
        reminded += len(told_reminded)
        circulated += len(told_circulated)


def _handler_of(unit_id: int, known: dict[int, Role]) -> Role:
    """The role handling cases in a unit: a village's mediators, a township's or the
    county's officers (remembered for the batch)."""
    if unit_id not in known:
        level = db.session.scalar(select(Unit.kind).where(Unit.id == unit_id))
        known[unit_id] = HANDLER[level]
    return known[unit_id]


_table = Supervision.__table__
_STEP = (
    update(_table)
    .where(_table.c.id == bindparam("b_id"))
    .values(
        reminded_at=bindparam("b_reminded", type_=_table.c.reminded_at.type),
        circulated_at=bindparam("b_circulated", type_=_table.c.circulated_at.type),
        next_check_at=bindparam("b_check", type_=_table.c.next_check_at.type),
    )
)
