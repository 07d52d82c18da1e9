"""Supervision (督办) and its ladder: issued, reminded (催办), circulated (通报).

See docs/rules.md#supervision.

An officer above the level holding a case issues a notice with an instruction and a due time in
working days. Its due instant and its reminder (at the clocks' ``warn_ratio`` of the span) are
worked out like any working-day clock's. Unanswered at the reminder instant, a reminder goes
out, dated then; unanswered at the due instant, the notice is circulated, dated then, and counts
against the unit holding the case in the month of that instant. A reply strictly before an
instant stops the ladder there; a reply at or after it undoes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .calendar import WorkCalendar
from .clocks import Schedule, schedule
from .enums import LabelledEnum, Level, Role
from .i18n import N_, Message

MAX_WORKING_DAYS = 60
MAX_INSTRUCTION = 2000
MAX_PROGRESS = 2000

SUPERVISING_ROLES = {Level.township: Role.township_officer, Level.county: Role.county_officer}


class Stage(LabelledEnum):
    issued = "issued", N_("Issued")
    reminded = "reminded", N_("Reminded")
    circulated = "circulated", N_("Circulated")


def may_supervise(role: Role, unit_level: Level, case_level: Level) -> Message | None:
    """Why this officer may not supervise a case held at ``case_level`` (None: he may). Only
    an officer of a level above the one holding the case: a township's on a village-held case,
    the county's on a case held by a village or a township."""
    if SUPERVISING_ROLES.get(unit_level) is not role:
        return Message(N_("Only township and county officers issue supervision notices."))
    if unit_level.rank <= case_level.rank:
        return Message(
            N_(
                "Only an officer above the level holding the case (%(level_label)s) "
                "may supervise it."
            ),
            {"level_label": case_level.label},
        )
    return None


def due_schedule(
    issued_at: dt.datetime, days: int, *, warn_ratio: float, calendar: WorkCalendar, tz: ZoneInfo
) -> Schedule:
    """The due instant (24:00 of the ``days``-th working day after the issuing day) and the
    reminder instant, as for every working-day clock."""
    return schedule(
        started_at=issued_at,
        days=days,
        is_working_days=True,
        shift_seconds=0,
        warn_ratio=warn_ratio,
        calendar=calendar,
        tz=tz,
    )


@dataclass
class Ladder:
    """A notice's instants and what is recorded of it (the names of the table's columns)."""

    remind_at: dt.datetime
    due_at: dt.datetime
    replied_at: dt.datetime | None = None
    reminded_at: dt.datetime | None = None
    circulated_at: dt.datetime | None = None


def _unanswered_at(ladder: Ladder, instant: dt.datetime) -> bool:
    return ladder.replied_at is None or ladder.replied_at >= instant


def step(ladder: Ladder, now: dt.datetime) -> tuple[bool, bool]:
    """Record what has fallen due by ``now``: (reminded, circulated) newly, each dated at its
    own instant, never at ``now``. Running it again at the same or a later instant records
    nothing more."""
    reminded = circulated = False
    if (
        ladder.reminded_at is None
        and ladder.remind_at <= now
        and _unanswered_at(ladder, ladder.remind_at)
    ):
        ladder.reminded_at, reminded = ladder.remind_at, True
    if (
        ladder.circulated_at is None
        and ladder.due_at <= now
        and _unanswered_at(ladder, ladder.due_at)
    ):
        ladder.circulated_at, circulated = ladder.due_at, True
    return reminded, circulated


def next_check(ladder: Ladder) -> dt.datetime | None:
    """When the sweep must next look at the notice: its nearest step still to record, or None
    when nothing is left (both recorded, or stopped by a reply before it)."""
    pending = [
        instant
        for instant, recorded in (
            (ladder.remind_at, ladder.reminded_at),
            (ladder.due_at, ladder.circulated_at),
        )
        if recorded is None and _unanswered_at(ladder, instant)
    ]
    return min(pending, default=None)


def stage(ladder: Ladder) -> Stage:
    if ladder.circulated_at is not None:
        return Stage.circulated
    if ladder.reminded_at is not None:
        return Stage.reminded
    return Stage.issued


def is_overdue(ladder: Ladder, now: dt.datetime) -> bool:
    """Past its due instant with no reply before it."""
    return ladder.due_at <= now and _unanswered_at(ladder, ladder.due_at)
