"""The facts the flags record (docs/rules.md#flags), each dated when it happened by the rules.

A clock flag happens at its clock's warning time or deadline, whoever finds it and whenever;
a rule flag at the event that caused it, judged by the scale then. One record per fact, named
by its key. Pure: the clocks, the scale and the instants come in as arguments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from .enums import RULE_VIOLATIONS, Clock, FlagKind, Level, Scale

# The flags that mean a clock ran out ("overdue" in the case list).
OVERDUE = frozenset(
    {
        FlagKind.accept_overdue,
        FlagKind.settle_breached,
        FlagKind.statutory_overdue,
        FlagKind.major_not_reported,
        FlagKind.follow_up_overdue,
    }
)


RULE_GROUP = "rule_broken"  # the case list's filter for any of RULE_VIOLATIONS


def kinds_for_filter(value: str) -> frozenset[FlagKind] | None:
    """The flag kinds a list filter value stands for (a kind, or "rule_broken"); None if unknown."""
    if value == RULE_GROUP:
        return RULE_VIOLATIONS
    kind = FlagKind.parse(value)
    return frozenset({kind}) if kind is not None else None


# clock → the flag raised when it falls due while still running
FLAG_WHEN_DUE = {
    Clock.accept: FlagKind.accept_overdue,
    Clock.settle: FlagKind.settle_breached,
    Clock.statutory: FlagKind.statutory_overdue,
    Clock.major_report: FlagKind.major_not_reported,
    Clock.follow_up: FlagKind.follow_up_overdue,
}
# The flags that belong to a clock: cleared when it stops (accepted, left the level, concluded,
# reported, visited).
CLOCK_FLAGS: dict[Clock, tuple[FlagKind, ...]] = {
    clock: (FlagKind.settle_warning, kind) if clock is Clock.settle else (kind,)
    for clock, kind in FLAG_WHEN_DUE.items()
}


# --- one record per fact: the keys ----------------------------------------------------------


def clock_key(case_id: int, clock: Clock, level: Level, started_at: dt.datetime, kind) -> str:
    """A clock flag's fact: (deadline, kind). A deadline is its case's clock at a level started
    at an instant, so a second breach after a reopening is a second record."""
    return f"c{case_id}:{clock.value}:{level.value}:{int(started_at.timestamp())}:{kind.value}"


def case_key(case_id: int, kind: FlagKind) -> str:
    """小事出村 and 大事出乡: (case, kind), raised the first time only."""
    return f"c{case_id}:{kind.value}"


def incident_key(incident_id: int) -> str:
    """矛盾上交: one per petition above the county."""
    return f"i{incident_id}:{FlagKind.pushed_up.value}"


def screening_key(village_id: int, period: str) -> str:
    """A missing screening report: (village, month)."""
    return f"u{village_id}:{FlagKind.screening_missing.value}:{period}"


def flag_keys(case_id: int, clock) -> list[str]:
    """The keys of the flags that belong to a clock of a case: they clear when it stops."""
    return [
        clock_key(case_id, clock.clock, clock.level, clock.started_at, kind)
        for kind in CLOCK_FLAGS.get(clock.clock, ())
    ]


@dataclass(frozen=True)
class Fact:
    """A flag to record: what, at which level, when it happened by the rules, and its key."""

    kind: FlagKind
    level: Level
    occurred_at: dt.datetime
    key: str


# --- what happened -----------------------------------------------------------------------------


class ClockLike(Protocol):
    """A clock of a case as the rules read it (a ``Deadline`` row, or the sweep's copy)."""

    clock: Clock
    level: Level
    started_at: dt.datetime
    due_at: dt.datetime
    warn_at: dt.datetime
    stopped_at: dt.datetime | None


def due_facts(case_id: int, clocks: Iterable[ClockLike], now: dt.datetime) -> list[Fact]:
    """The clock flags whose instant has come by ``now`` on the clocks still running: a settle
    warning at its warning time, an overdue clock at its deadline. Dated by the rules, so the
    same whenever they are found."""
    facts = []
    for clock in clocks:
        if clock.stopped_at is not None:
            continue
        kind = FLAG_WHEN_DUE.get(clock.clock)
        if kind is None:
            continue
        if clock.clock is Clock.settle and clock.warn_at <= now:
            warning = FlagKind.settle_warning
            key = clock_key(case_id, clock.clock, clock.level, clock.started_at, warning)
            facts.append(Fact(warning, clock.level, clock.warn_at, key))
        if clock.due_at <= now:
            key = clock_key(case_id, clock.clock, clock.level, clock.started_at, kind)
            facts.append(Fact(kind, clock.level, clock.due_at, key))
    return facts


def facts_of_moving_up(case_id: int, scale: Scale, to_level: Level, at: dt.datetime) -> list[Fact]:
    """A case escalated or taken over to ``to_level`` at ``at``, judged by its scale then: a
    small case leaving the village is 小事出村, a small or big one reaching the county 大事出乡.
    Moving toward its home level is the rule working, not a violation."""
    facts = []
    if scale is Scale.small and to_level.rank > Level.village.rank:
        kind = FlagKind.small_left_village
        facts.append(Fact(kind, to_level, at, case_key(case_id, kind)))
    if scale is not Scale.major and to_level is Level.county:
        kind = FlagKind.big_left_township
        facts.append(Fact(kind, to_level, at, case_key(case_id, kind)))
    return facts


def facts_of_accepting(
    case_id: int, scale: Scale, level: Level, registered_level: Level, at: dt.datetime
) -> list[Fact]:
    """A case registered above the village (a hotline call, a petition office's referral) and
    accepted there, judged by its scale then: a small matter handled above its village is
    小事出村 all the same, a small or big one registered and accepted at the county 大事出乡.
    (A case that went up from below carries those facts from the move itself.)"""
    facts = []
    if scale is Scale.small and registered_level is not Level.village:
        kind = FlagKind.small_left_village
        facts.append(Fact(kind, level, at, case_key(case_id, kind)))
    if scale is not Scale.major and registered_level is Level.county and level is Level.county:
        kind = FlagKind.big_left_township
        facts.append(Fact(kind, level, at, case_key(case_id, kind)))
    return facts


def fact_of_petition(
    incident_id: int, *, above_county: bool, occurred_at: dt.datetime
) -> Fact | None:
    """矛盾上交: a petition lodged above the county is a fact at county level, dated when the
    petition happened, one per petition; None for any other incident."""
    if not above_county:
        return None
    kind = FlagKind.pushed_up
    return Fact(kind, Level.county, occurred_at, incident_key(incident_id))


def escalation_instant(
    *,
    settle_due_at: dt.datetime,
    grace_ends_at: dt.datetime,
    last_event_at: dt.datetime,
) -> dt.datetime:
    """E: when a village case whose settle time ran out goes up by itself — the latest of its
    settle deadline, the end of the 1-working-day grace after its registration (the mediator
    who types in yesterday's paper acts on it first), and its latest event."""
    return max(settle_due_at, grace_ends_at, last_event_at)


def next_check(clocks: Iterable[ClockLike], now: dt.datetime) -> dt.datetime | None:
    """The next instant after ``now`` at which a running clock warns, falls due, or (the
    judicial-confirmation window) ends. None: nothing left to watch."""
    upcoming = [
        instant
        for clock in clocks
        if clock.stopped_at is None
        and (clock.clock in FLAG_WHEN_DUE or clock.clock is Clock.judicial_confirmation)
        for instant in ((clock.warn_at,) if clock.clock is Clock.settle else ()) + (clock.due_at,)
        if instant > now
    ]
    return min(upcoming, default=None)
