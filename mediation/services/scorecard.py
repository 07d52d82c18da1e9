"""The monthly scorecard from the real case data, computed in the database.

Each figure is defined once here as a SQL condition (:data:`CASE_METRICS`): summed per village
with GROUP BY for the scorecard, and used as a WHERE clause for the list of cases behind it,
so a figure and its list can never disagree. A county month costs what the month holds (indexed
by county and date), never a loop over the case table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select, union_all
from sqlalchemy import case as when
from sqlalchemy.sql.elements import ColumnElement

from ..domain.enums import (
    RULE_VIOLATIONS,
    Clock,
    FlagKind,
    Level,
    Scale,
)
from ..domain.incidents import screening_due_at
from ..domain.months import Month
from ..domain.policy import Policy
from ..domain.scorecard import (
    TARGET_LEVEL_MIX,
    Counts,
    Rollup,
    VillageCard,
    rank_within_townships,
    rates,
    roll_up,
    traffic_light,
    village_card,
)
from ..extensions import db
from ..models import (
    Agreement,
    Case,
    CaseEvent,
    Deadline,
    Flag,
    Incident,
    ScorecardSnapshot,
    Screening,
    Supervision,
    Unit,
)
from . import access


def _scope(model, unit: Unit) -> ColumnElement[bool]:
    """Rows of ``model`` (Case, Incident, Screening) within ``unit``'s subtree; for cases, only
    those the scorecard counts (:func:`counted_cases`)."""
    if model is Case:
        return and_(access.within(unit, Case), counted_cases())
    return access.within(unit, model)


def counted_cases() -> ColumnElement[bool]:
    """The one condition leaving merged duplicates (并单) out of every figure of the scorecard:
    the kept case counts once."""
    return Case.merged_into_id.is_(None)


def _counted_flags() -> ColumnElement[bool]:
    """Flags of units, or of cases the scorecard counts (a merged duplicate's flags do not)."""
    merged = exists().where(Case.id == Flag.case_id, Case.merged_into_id.is_not(None))
    return or_(Flag.case_id.is_(None), ~merged)


def _trailing(unit: Unit, start: dt.datetime) -> ColumnElement[bool]:
    """The unit's cases for a query over the month's rows of another table (escalation events,
    breached deadlines, agreements), none of which can belong to a case concluded before the
    month began. A county's month is read from those rows (indexed by date), the condition
    wrapped so that no planner starts from the county's index and reads years of its cases. A
    township starts from its own cases still open or concluded since the month began, a few
    hundred, fewer than the province's month: two ranges of its ``(township_id,
    concluded_at)`` index, spelled out as such (with ``concluded_at IS NULL OR …`` SQLite,
    which keeps no statistics, chose between that index and the ``received_at`` one by the
    order the schema lists them, and read every case of the township)."""
    if unit.kind is Level.county:
        return and_(func.coalesce(Case.county_id, 0) == unit.id, counted_cases())
    within = access.within(unit, Case)
    open_or_recent = union_all(
        select(Case.id).where(within, Case.concluded_at.is_(None)),
        select(Case.id).where(within, Case.concluded_at >= start),
    )
    return and_(Case.id.in_(open_or_recent), counted_cases())


def _settle_breached() -> ColumnElement[bool]:
    return exists().where(
        Deadline.case_id == Case.id,
        Deadline.clock == Clock.settle,
        Deadline.breached_at.is_not(None),
    )


def in_month(column, month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    """``column``'s instant counts in ``month`` (the one SQL form of :meth:`Month.contains`)."""
    return _in(column, *month.bounds(tz))


def _in(column, start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    """Within a month's (start, end] (:meth:`Month.bounds`): 24:00 on its last day is in it,
    00:00 on its first day is the month before's."""
    return and_(column > start, column <= end)


# Clocks whose breach is not a "breach" of the scorecard: the judicial-confirmation window is
# only informational, and an overdue follow-up visit has its own figure and weight
# (follow_up_overdue), so counting it here too would deduct it twice.
NOT_BREACHES = (Clock.judicial_confirmation, Clock.follow_up)


@dataclass(frozen=True)
class CaseMetric:
    """A figure counted over cases: the month's window column and the condition within it."""

    name: str
    window: Callable[[], Any]  # the Case column the month applies to
    condition: Callable[[], ColumnElement[bool] | None] = lambda: None


CASE_METRICS: dict[str, CaseMetric] = {
    metric.name: metric
    for metric in [
        CaseMetric("received", lambda: Case.received_at),
        CaseMetric("concluded", lambda: Case.concluded_at),
        CaseMetric(
            "agreements", lambda: Case.concluded_at, lambda: Case.concluded_action == "resolve"
        ),
        CaseMetric("concluded_on_time", lambda: Case.concluded_at, lambda: ~_settle_breached()),
        CaseMetric("small_concluded", lambda: Case.concluded_at, lambda: Case.scale == Scale.small),
        CaseMetric(
            "small_kept_in_village",
            lambda: Case.concluded_at,
            lambda: and_(Case.scale == Scale.small, Case.highest_level == Level.village),
        ),
        CaseMetric(
            "small_big_concluded", lambda: Case.concluded_at, lambda: Case.scale != Scale.major
        ),
        CaseMetric(
            "small_big_kept_below_county",
            lambda: Case.concluded_at,
            lambda: and_(Case.scale != Scale.major, Case.highest_level != Level.county),
        ),
        CaseMetric(
            "concluded_village",
            lambda: Case.concluded_at,
            lambda: Case.concluded_level == Level.village,
        ),
        CaseMetric(
            "concluded_township",
            lambda: Case.concluded_at,
            lambda: Case.concluded_level == Level.township,
        ),
        CaseMetric(
            "concluded_county",
            lambda: Case.concluded_at,
            lambda: Case.concluded_level == Level.county,
        ),
        CaseMetric(
            "prevented_cases",
            lambda: Case.concluded_at,
            lambda: and_(
                Case.concluded_action == "resolve", (Case.is_violence_risk | Case.is_group_risk)
            ),
        ),
    ]
}
# Figures over cases whose month is that of a related row (events, deadlines, agreements, flags).
RELATED_METRICS = (
    "escalations",
    "breaches",
    "rule_violations",
    "follow_up_overdue",
    "supervision_overdue",
    "amount_settled",
)


def case_metric_filter(name: str, month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    """The WHERE clause listing the cases behind a figure (for the case list's links)."""
    return and_(counted_cases(), _metric_filter(name, month, tz))


def _metric_filter(name: str, month: Month, tz: ZoneInfo) -> ColumnElement[bool]:
    start, end = month.bounds(tz)
    if name in CASE_METRICS:
        metric = CASE_METRICS[name]
        window = _in(metric.window(), start, end)
        condition = metric.condition()
        return window if condition is None else and_(window, condition)
    if name == "escalations":
        return exists().where(
            CaseEvent.case_id == Case.id,
            CaseEvent.action == "escalate",
            CaseEvent.from_level == Level.village,
            _in(CaseEvent.at, start, end),
        )
    if name == "breaches":
        return exists().where(
            Deadline.case_id == Case.id,
            Deadline.clock.not_in(NOT_BREACHES),
            _in(Deadline.breached_at, start, end),
        )
    if name in ("rule_violations", "follow_up_overdue"):
        kinds = list(RULE_VIOLATIONS) if name == "rule_violations" else [FlagKind.follow_up_overdue]
        return exists().where(
            Flag.case_id == Case.id, Flag.kind.in_(kinds), _in(Flag.occurred_at, start, end)
        )
    if name == "supervision_overdue":
        return exists().where(
            Supervision.case_id == Case.id, _in(Supervision.circulated_at, start, end)
        )
    if name == "amount_settled":
        return exists().where(Agreement.case_id == Case.id, _in(Agreement.agreed_at, start, end))
    raise KeyError(name)


METRIC_NAMES = tuple(CASE_METRICS) + RELATED_METRICS


@dataclass
class Scorecard:
    month: Month
    unit: Unit
    villages: list[VillageCard]
    townships: list[Rollup]
    rollup: Rollup
    frozen: bool = False
    revision: int | None = None
    snapshots: list[ScorecardSnapshot] = field(default_factory=list)


def compute(unit: Unit, month: Month, *, policy: Policy, tz: ZoneInfo) -> Scorecard:
    """The live scorecard of ``unit`` (village, township or county) for ``month``: each
    village's counts read with one GROUP BY per kind of fact, then the cards worked out by the
    domain's arithmetic (domain/scorecard.py).

    A village's card is its township's narrowed to it: its rank is among its township's villages.
    """
    if unit.kind is Level.village and unit.township_id is not None:
        whole = compute(db.session.get(Unit, unit.township_id), month, policy=policy, tz=tz)
        cards = [card for card in whole.villages if card.code == unit.code]
        rollup = roll_up(Rollup(unit.code, unit.name, Level.village), cards)
        return Scorecard(month, unit, cards, [], rollup)
    start, end = month.bounds(tz)
    villages = db.session.scalars(
        select(Unit).where(Unit.kind == Level.village, _unit_scope(unit)).order_by(Unit.code)
    ).all()
    counts = {village.id: Counts() for village in villages}
    _count_cases(counts, unit, start, end)
    _count_trailing(counts, unit, start, end)
    _count_flags(counts, unit, start, end)
    _count_incidents(counts, unit, start, end)
    _count_screenings(counts, unit, month, policy, tz)
    return _cards(unit, month, villages, counts, policy)


def _put(counts: dict[int, Counts], rows, attribute: str) -> None:
    """Set ``attribute`` of each village's counts from (village id, value) rows."""
    for village_id, value in rows:
        if village_id in counts:
            setattr(counts[village_id], attribute, int(value or 0))


def _count_cases(counts: dict[int, Counts], unit: Unit, start, end) -> None:
    """Cases received and concluded in the month: one GROUP BY per window column."""
    scope = _scope(Case, unit)
    for window_name in ("received", "concluded"):
        metrics = [
            m
            for m in CASE_METRICS.values()
            if m.window().key == CASE_METRICS[window_name].window().key
        ]
        columns = [
            func.count() if m.condition() is None else func.sum(when((m.condition(), 1), else_=0))
            for m in metrics
        ]
        if window_name == "concluded":
            columns.append(
                func.sum(
                    when(
                        (CASE_METRICS["prevented_cases"].condition(), Case.people_involved), else_=0
                    )
                )
            )
        rows = db.session.execute(
            select(Case.village_id, *columns)
            .where(scope, _in(CASE_METRICS[window_name].window(), start, end))
            .group_by(Case.village_id)
        ).all()
        for row in rows:
            village = counts.get(row[0])
            if village is None:
                continue
            for metric, value in zip(metrics, row[1:]):
                setattr(village, metric.name, int(value or 0))
            if window_name == "concluded":
                village.prevented_people = int(row[-1] or 0)


def _count_trailing(counts: dict[int, Counts], unit: Unit, start, end) -> None:
    """What happened in the month to cases of any month: escalations out of the village,
    breached clocks, amounts settled, supervision notices circulated."""
    trailing = _trailing(unit, start)
    _put(
        counts,
        db.session.execute(
            select(Case.village_id, func.count())
            .join(CaseEvent, CaseEvent.case_id == Case.id)
            .where(
                trailing,
                CaseEvent.action == "escalate",
                CaseEvent.from_level == Level.village,
                _in(CaseEvent.at, start, end),
            )
            .group_by(Case.village_id)
        ),
        "escalations",
    )
    _put(
        counts,
        db.session.execute(
            select(Case.village_id, func.count())
            .join(Deadline, Deadline.case_id == Case.id)
            .where(
                trailing, Deadline.clock.not_in(NOT_BREACHES), _in(Deadline.breached_at, start, end)
            )
            .group_by(Case.village_id)
        ),
        "breaches",
    )
    _put(
        counts,
        db.session.execute(
            select(Case.village_id, func.sum(Agreement.amount_fen))
            .join(Agreement, Agreement.case_id == Case.id)
            .where(trailing, _in(Agreement.agreed_at, start, end))
            .group_by(Case.village_id)
        ),
        "amount_settled_fen",
    )

    _put(
        counts,
        db.session.execute(
            select(Supervision.village_id, func.count())
            .join(Case, Case.id == Supervision.case_id)
            .where(
                access.within(unit, Supervision),
                counted_cases(),
                _in(Supervision.circulated_at, start, end),
            )
            .group_by(Supervision.village_id)
        ),
        "supervision_overdue",
    )


def _count_flags(counts: dict[int, Counts], unit: Unit, start, end) -> None:
    """Rule violations (小事出村, 大事出乡, 矛盾上交) and follow-up visits overdue that
    happened in the month."""
    for village_id, kind, number in db.session.execute(
        select(Flag.unit_id, Flag.kind, func.count())
        .where(
            access.flags_within(unit),
            _counted_flags(),
            _in(Flag.occurred_at, start, end),
            Flag.kind.in_(list(RULE_VIOLATIONS) + [FlagKind.follow_up_overdue]),
        )
        .group_by(Flag.unit_id, Flag.kind)
    ):
        if village_id in counts:
            attribute = (
                "follow_up_overdue" if kind is FlagKind.follow_up_overdue else "rule_violations"
            )
            setattr(counts[village_id], attribute, getattr(counts[village_id], attribute) + number)


def _count_incidents(counts: dict[int, Counts], unit: Unit, start, end) -> None:
    """Petitions by level, accidents with their injured and dead, criminal and public-order
    cases that occurred in the month."""
    for village_id, kind, level, collective, number, injured, dead in db.session.execute(
        select(
            Incident.village_id,
            Incident.kind,
            Incident.petition_level,
            Incident.is_collective,
            func.count(),
            func.sum(Incident.injured),
            func.sum(Incident.dead),
        )
        .where(_scope(Incident, unit), _in(Incident.occurred_at, start, end))
        .group_by(
            Incident.village_id, Incident.kind, Incident.petition_level, Incident.is_collective
        )
    ):
        if village_id in counts:
            counts[village_id].add_incidents(
                kind, level, collective, number, int(injured or 0), int(dead or 0)
            )


def _count_screenings(
    counts: dict[int, Counts], unit: Unit, month: Month, policy: Policy, tz: ZoneInfo
) -> None:
    """The month's screening report of each village: filed, filed late, flagged missing."""
    due_at = screening_due_at(month, policy.scorecard.screening_due_day, tz)
    for village_id, filed_at in db.session.execute(
        select(Screening.village_id, Screening.filed_at).where(
            _scope(Screening, unit), Screening.month == str(month)
        )
    ):
        if village_id in counts:
            counts[village_id].screening_filed = 1
            counts[village_id].screening_late = int(filed_at >= due_at)
    _put(
        counts,
        db.session.execute(
            select(Flag.unit_id, func.count())
            .where(
                access.flags_within(unit),
                Flag.kind == FlagKind.screening_missing,
                Flag.period == str(month),
            )
            .group_by(Flag.unit_id)
        ),
        "screening_missing",
    )


def _cards(
    unit: Unit, month: Month, villages, counts: dict[int, Counts], policy: Policy
) -> Scorecard:
    """Each village's card from its counts, ranked within its township, and the rollups."""
    township_of = {village.id: village.parent for village in villages}
    cards = [
        village_card(
            village.code,
            village.name,
            township_of[village.id].code if township_of[village.id] else "",
            counts[village.id],
            policy.scorecard.weights,
        )
        for village in villages
    ]
    rank_within_townships(cards)
    townships: dict[str, Rollup] = {}
    for village, card in zip(villages, cards):
        parent = township_of[village.id]
        if parent is not None:
            townships.setdefault(parent.code, Rollup(parent.code, parent.name, Level.township))
            roll_up(townships[parent.code], [card])
    rollup = roll_up(Rollup(unit.code, unit.name, unit.kind), cards)
    return Scorecard(month, unit, cards, sorted(townships.values(), key=lambda r: r.code), rollup)


def _unit_scope(unit: Unit) -> ColumnElement[bool]:
    return access.in_subtree(
        unit, village_id=Unit.id, township_id=Unit.township_id, county_id=Unit.county_id
    )


# --- as data: the API, the exports, the snapshots -----------------------------------------


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def _counts_dict(counts: Counts) -> dict[str, Any]:
    data = {
        name: getattr(counts, name)
        for name in Counts.__dataclass_fields__
        if name != "amount_settled_fen"
    }
    data["amount_settled_yuan"] = str(
        (Decimal(counts.amount_settled_fen) / 100).quantize(Decimal("0.01"))
    )
    data["petitions"] = counts.petitions
    data.update({key: _plain(value) for key, value in rates(counts).items()})
    return data


def rollup_dict(rollup: Rollup) -> dict[str, Any]:
    return {
        "code": rollup.code,
        "name": rollup.name,
        "level": rollup.level.value,
        **_counts_dict(rollup.counts),
        "villages": rollup.villages,
        "three_zero_villages": rollup.three_zero_villages,
        "three_zero_rate": _plain(rollup.three_zero_rate),
        "level_mix": {key: _plain(value) for key, value in rollup.level_mix().items()},
        "level_mix_target": {key: str(value) for key, value in TARGET_LEVEL_MIX.items()},
    }


def village_dict(card: VillageCard) -> dict[str, Any]:
    return {
        "code": card.code,
        "name": card.name,
        "township_code": card.township_code,
        **_counts_dict(card.counts),
        "three_zero": card.three_zero,
        "score": card.score,
        "rank": card.rank,
        "light": traffic_light(card),
        "deductions": [
            {"kind": item.kind, "count": item.count, "weight": item.weight, "points": item.points}
            for item in card.deductions
        ],
    }


def as_dict(card: Scorecard) -> dict[str, Any]:
    """The scorecard in the API's shape, docs/api.md#scorecards (also what a snapshot keeps)."""
    return {
        "month": str(card.month),
        "unit_code": card.unit.code,
        "unit_name": card.unit.name,
        "frozen": card.frozen,
        "revision": card.revision,
        "villages": [village_dict(village) for village in card.villages],
        "townships": [rollup_dict(township) for township in card.townships],
        "rollup": rollup_dict(card.rollup),
    }


# --- freezing and revisions -------------------------------------------------------------------


def snapshots(county: Unit, month: Month) -> list[ScorecardSnapshot]:
    return list(
        db.session.scalars(
            select(ScorecardSnapshot)
            .where(ScorecardSnapshot.county_id == county.id, ScorecardSnapshot.month == str(month))
            .order_by(ScorecardSnapshot.revision)
        )
    )


SNAPSHOT_META = ("frozen", "revision", "frozen_at")


def _comparable(data: dict) -> dict:
    return {key: value for key, value in data.items() if key not in SNAPSHOT_META}


def county_of(unit: Unit) -> Unit:
    return unit if unit.kind is Level.county else db.session.get(Unit, unit.county_id)


def counties() -> list[Unit]:
    return list(
        db.session.scalars(select(Unit).where(Unit.kind == Level.county).order_by(Unit.code))
    )


def freeze(
    county: Unit,
    month: Month,
    *,
    now: dt.datetime,
    policy: Policy,
    tz: ZoneInfo,
    user=None,
    reason: str = "",
) -> ScorecardSnapshot | None:
    """Freeze the county's month (revision 1), or publish a revision when the live figures
    differ from the newest snapshot. None when there is nothing new to keep."""
    existing = snapshots(county, month)
    live = as_dict(compute(county, month, policy=policy, tz=tz))
    if existing and _comparable(existing[-1].data) == _comparable(live):
        return None
    snapshot = ScorecardSnapshot(
        county_id=county.id,
        month=str(month),
        revision=len(existing) + 1,
        frozen_at=now,
        published_by_id=user.id if user else None,
        reason=reason,
        data=live,
    )
    db.session.add(snapshot)
    db.session.flush()
    return snapshot


def freeze_if_unfrozen(
    county: Unit, month: Month, *, now: dt.datetime, policy: Policy, tz: ZoneInfo
) -> ScorecardSnapshot | None:
    """The scheduled freeze: revision 1 of a month not frozen yet, else nothing. A later change
    is published only by a person, with a reason (never a silent revision by the scheduler)."""
    if snapshots(county, month):
        return None
    return freeze(county, month, now=now, policy=policy, tz=tz)


def narrow(snapshot: ScorecardSnapshot, unit: Unit) -> dict:
    """A county's snapshot as ``unit`` (the county, a township or a village of it) sees it."""
    data = _restrict(snapshot.data, unit)
    data.update(
        {"frozen": True, "revision": snapshot.revision, "frozen_at": snapshot.frozen_at.isoformat()}
    )
    return data


def view(
    unit: Unit, month: Month, *, policy: Policy, tz: ZoneInfo, revision: int | None = None
) -> tuple[dict, dict | None, list[ScorecardSnapshot]]:
    """What to show for ``unit`` and ``month``: the figures in force (the newest snapshot of a
    frozen month, else live; or the snapshot ``revision``), the live figures when they differ
    from the newest snapshot (a pending revision), and the snapshots kept.

    Raises LookupError for a ``revision`` that was never published."""
    live = as_dict(compute(unit, month, policy=policy, tz=tz))
    kept = snapshots(county_of(unit), month)
    chosen = (
        kept[-1]
        if kept and revision is None
        else next((snapshot for snapshot in kept if snapshot.revision == revision), None)
    )
    if revision is not None and chosen is None:
        raise LookupError(revision)
    if chosen is None:
        return live, None, []
    newest = narrow(kept[-1], unit)
    pending = live if _comparable(newest) != _comparable(live) else None
    return (newest if chosen is kept[-1] else narrow(chosen, unit)), pending, kept


@dataclass(frozen=True)
class Change:
    """One figure of one row that a pending revision would change."""

    section: str  # "villages", "townships" or "rollup"
    code: str
    name: str
    key: str  # a dotted key of the row, e.g. "received" or "level_mix.village"
    before: Any
    after: Any


UNCOMPARED = frozenset(
    {"code", "name", "township_code", "level", "light", "deductions", "level_mix_target"}
)


def _flat(row: dict) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if key in UNCOMPARED:
            continue
        if isinstance(value, dict):
            flat.update({f"{key}.{inner}": item for inner, item in value.items()})
        else:
            flat[key] = value
    return flat


def changes(shown: dict, live: dict) -> list[Change]:
    """The figures that differ between what is shown (a snapshot) and the live figures, row by
    row: villages, then townships, then the unit's own rollup (when it is not one of those)."""
    found: list[Change] = []
    seen: set[str] = set()
    for section in ("villages", "townships"):
        before = {row["code"]: row for row in shown.get(section, [])}
        after = {row["code"]: row for row in live.get(section, [])}
        for code in sorted(before.keys() | after.keys()):
            seen.add(code)
            found += _row_changes(section, before.get(code, {}), after.get(code, {}))
    rollup_before, rollup_after = shown.get("rollup") or {}, live.get("rollup") or {}
    if (rollup_before.get("code") or rollup_after.get("code")) not in seen:
        found += _row_changes("rollup", rollup_before, rollup_after)
    return found


def _row_changes(section: str, before: dict, after: dict) -> list[Change]:
    code = after.get("code") or before.get("code") or ""
    name = after.get("name") or before.get("name") or ""
    flat_before, flat_after = _flat(before), _flat(after)
    return [
        Change(section, code, name, key, flat_before.get(key), flat_after.get(key))
        for key in list(flat_after) + [key for key in flat_before if key not in flat_after]
        if flat_before.get(key) != flat_after.get(key)
    ]


# --- the months before: charts ------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPoint:
    """One month of a unit's history: from its newest snapshot when frozen, else live."""

    month: Month
    is_frozen: bool
    received: int
    concluded: int
    score: Decimal | None  # a village's score; the mean of its villages' for a township or county
    three_zero_rate: Decimal | None  # 1 or 0 for a village
    # Share of the month's concluded cases settled at each level (None: nothing concluded).
    level_mix: dict[str, Decimal | None] = field(default_factory=dict)


# A month in which none of these happened has no data: no score is drawn for it (a unit that
# did not use the system yet is not a unit that met every rule).
ACTIVITY = (
    "received",
    "concluded",
    "petitions",
    "accidents",
    "criminal",
    "public_order",
    "screening_filed",
    "screening_missing",
    "breaches",
    "rule_violations",
    "follow_up_overdue",
)


def history(
    unit: Unit, month: Month, *, count: int = 12, policy: Policy, tz: ZoneInfo
) -> list[MonthPoint]:
    """The ``count`` months up to ``month`` (oldest first): one query for the snapshots, one
    live computation for each month not frozen."""
    months = month.last_months(count)
    newest: dict[str, ScorecardSnapshot] = {}
    for snapshot in db.session.scalars(
        select(ScorecardSnapshot)
        .where(
            ScorecardSnapshot.county_id == county_of(unit).id,
            ScorecardSnapshot.month.in_([str(m) for m in months]),
        )
        .order_by(ScorecardSnapshot.month, ScorecardSnapshot.revision)
    ):
        newest[snapshot.month] = snapshot
    points = []
    for each in months:
        snapshot = newest.get(str(each))
        data = (
            narrow(snapshot, unit)
            if snapshot
            else as_dict(compute(unit, each, policy=policy, tz=tz))
        )
        rollup = data["rollup"] or {}
        has_data = any(int(rollup.get(name) or 0) for name in ACTIVITY)
        scores = [village["score"] for village in data["villages"]] if has_data else []
        rate = rollup.get("three_zero_rate") if has_data else None
        points.append(
            MonthPoint(
                month=each,
                is_frozen=snapshot is not None,
                received=int(rollup.get("received") or 0),
                concluded=int(rollup.get("concluded") or 0),
                score=(Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.1"))
                if scores
                else None,
                three_zero_rate=Decimal(rate) if rate is not None else None,
                level_mix={
                    level: Decimal(share) if share is not None else None
                    for level, share in (rollup.get("level_mix") or {}).items()
                },
            )
        )
    return points


def _counts_from(row: dict) -> Counts:
    """The counts back from a row of :func:`as_dict` (a snapshot's village)."""
    values = {
        name: int(row.get(name) or 0)
        for name in Counts.__dataclass_fields__
        if name != "amount_settled_fen"
    }
    values["amount_settled_fen"] = int(Decimal(row.get("amount_settled_yuan") or 0) * 100)
    return Counts(**values)


def _village_as_rollup(village: dict) -> dict:
    """A village's own rollup, built exactly as :func:`compute` builds it for a live card."""
    return rollup_dict(
        Rollup(
            village["code"],
            village["name"],
            Level.village,
            _counts_from(village),
            villages=1,
            three_zero_villages=int(village["three_zero"]),
        )
    )


def _restrict(county_data: dict, unit: Unit) -> dict:
    """A county snapshot narrowed to a township or village of it."""
    if unit.kind is Level.county:
        return dict(county_data)
    data = dict(county_data)
    if unit.kind is Level.township:
        data["villages"] = [v for v in county_data["villages"] if v["township_code"] == unit.code]
        data["townships"] = [t for t in county_data["townships"] if t["code"] == unit.code]
        data["rollup"] = (
            data["townships"][0]
            if data["townships"]
            else rollup_dict(Rollup(unit.code, unit.name, Level.township))
        )
    else:
        data["villages"] = [v for v in county_data["villages"] if v["code"] == unit.code]
        data["townships"] = []
        data["rollup"] = (
            _village_as_rollup(data["villages"][0])
            if data["villages"]
            else rollup_dict(Rollup(unit.code, unit.name, Level.village))
        )
    data["unit_code"], data["unit_name"] = unit.code, unit.name
    return data
