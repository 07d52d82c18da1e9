"""What the scheduler finds (docs/rules.md#flags): which flags a case should carry at an instant.

The sweep compares :func:`case_flags` with the flags the case has open: a flag that should be
there and is not is raised; an open one that should no longer be there is cleared, unless it
is a fact of record (:data:`NEVER_CLEARED`). Pure: the facts and ``now`` come in as arguments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .enums import CaseStatus, Clock, LabelledEnum, Level, Scale
from .i18n import N_


class FlagKind(LabelledEnum):
    accept_overdue = "accept_overdue", N_("Not accepted in time")
    settle_warning = "settle_warning", N_("Settle time nearly used")
    settle_breached = "settle_breached", N_("Settle time exceeded")
    statutory_overdue = "statutory_overdue", N_("Past the one-month limit")
    small_left_village = "small_left_village", N_("Small matter left the village")
    big_left_township = "big_left_township", N_("Big matter left the township")
    pushed_up = "pushed_up", N_("Dispute pushed up")
    major_not_reported = "major_not_reported", N_("Major case not reported")
    follow_up_overdue = "follow_up_overdue", N_("Follow-up visit overdue")
    screening_missing = "screening_missing", N_("Monthly screening missing")

    @property
    def is_rule_violation(self) -> bool:
        """A breach of 小事不出村、大事不出乡、矛盾不上交 itself."""
        return self in RULE_VIOLATIONS


RULE_VIOLATIONS = frozenset(
    {FlagKind.small_left_village, FlagKind.big_left_township, FlagKind.pushed_up}
)
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
# Facts of record: raised once, never cleared.
NEVER_CLEARED = RULE_VIOLATIONS
# Flags the sweep derives from a case's own state and clocks.
CASE_KINDS = frozenset(
    {
        FlagKind.accept_overdue,
        FlagKind.settle_warning,
        FlagKind.settle_breached,
        FlagKind.statutory_overdue,
        FlagKind.small_left_village,
        FlagKind.big_left_township,
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


@dataclass(frozen=True)
class ClockFacts:
    clock: Clock
    level: Level
    warn_at: dt.datetime
    due_at: dt.datetime
    is_running: bool


# clock → the flag raised when it falls due while still running
FLAG_WHEN_DUE = {
    Clock.accept: FlagKind.accept_overdue,
    Clock.settle: FlagKind.settle_breached,
    Clock.statutory: FlagKind.statutory_overdue,
    Clock.major_report: FlagKind.major_not_reported,
    Clock.follow_up: FlagKind.follow_up_overdue,
}


def case_flags(
    *,
    status: CaseStatus,
    scale: Scale,
    level: Level,
    clocks: Iterable[ClockFacts],
    now: dt.datetime,
) -> set[tuple[FlagKind, Level]]:
    """The (kind, level) flags a case should carry at ``now``.

    A paused case keeps what it has: its clocks are stopped, so nothing new falls due.
    """
    flags: set[tuple[FlagKind, Level]] = set()
    if scale is Scale.small and level is not Level.village:
        flags.add((FlagKind.small_left_village, level))
    if scale is not Scale.major and level is Level.county:
        flags.add((FlagKind.big_left_township, level))
    for facts in clocks:
        if not facts.is_running:
            continue
        if facts.clock is Clock.settle and facts.warn_at <= now:
            flags.add((FlagKind.settle_warning, facts.level))
        kind = FLAG_WHEN_DUE.get(facts.clock)
        if kind is not None and facts.due_at <= now:
            flags.add((kind, facts.level))
    return flags


def next_check(clocks: Iterable[ClockFacts], now: dt.datetime) -> dt.datetime | None:
    """The next instant after ``now`` at which a running clock warns or falls due (None: never)."""
    upcoming = [
        instant
        for facts in clocks
        if facts.is_running and facts.clock in FLAG_WHEN_DUE
        for instant in ((facts.warn_at,) if facts.clock is Clock.settle else ()) + (facts.due_at,)
        if instant > now
    ]
    return min(upcoming, default=None)


def should_auto_escalate(
    *, status: CaseStatus, level: Level, flags: set[tuple[FlagKind, Level]], enabled: bool
) -> bool:
    """A village case whose settle clock is breached goes up to the township (policy switch)."""
    return (
        enabled
        and level is Level.village
        and status in (CaseStatus.registered, CaseStatus.in_mediation)
        and (FlagKind.settle_breached, Level.village) in flags
    )
