"""Acceptance: the month's scorecard, as `flask scorecard --format json` prints it for a
`gen-data` province of 20,000 cases, equals the same figures worked out again here from the raw
tables (cases, case_events, deadlines, agreements, follow_ups, incidents, screenings), following
the definitions of docs/rules.md and the policy's default weights, not the scorecard's code.

Every figure of every village, township and of the county is compared, for a complete month in
the middle of the data, the month before the data's "now" and the current, partial month.

The recomputation judges each fact by the rules rather than by the records the sweep keeps: a
clock's deadline is counted again from its start (working days of the Chinese calendar, from
the chinese_calendar package), and it is breached when it stopped at or after that deadline,
or was still running (not paused) at it; a rule violation is the first move of the case that
broke the rule, dated by its event, or a petition above the county; a follow-up visit is overdue
15 days after the agreement. So a wrong month boundary, a misdated fact or a missing record
shows as a named difference.

Reopenings, reclassifications, take-overs and intakes already settled are followed as the rules
say, though gen-data makes none of them yet.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from sqlalchemy import select

from mediation import create_app
from mediation.extensions import db

from .runner import command_runner

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 27, 4, 0, tzinfo=dt.UTC)  # Friday 12:00 local
CASES, VILLAGES, SEED = 20_000, 150, 11
# A complete month in the middle, the month before "now", and the current one (partial).
MONTHS = ["2025-11", "2026-10", "2026-11"]

# The policy's defaults (the test app has no policy file), from the project's contract.
WEIGHTS = {
    "petition": 20,
    "petition_above_county": 30,
    "accident": 15,
    "criminal": 20,
    "public_order": 10,
    "rule_violation": 5,
    "breach": 2,
    "screening_missing": 10,
    "follow_up_overdue": 2,
    "supervision_overdue": 5,
}
SCREENING_DUE_DAY = 25
FOLLOW_UP_DAYS = 15
# Clock spans: working days by level, or calendar days (the judicial window never breaches).
WORKING_DAYS = {
    ("accept", "village"): 1,
    ("accept", "township"): 1,
    ("accept", "county"): 1,
    ("settle", "village"): 5,
    ("settle", "township"): 10,
    ("settle", "county"): 15,
    ("major_report", "village"): 1,
    ("major_report", "township"): 1,
}
WORKING_DAYS_CLOCKS = {clock for clock, _ in WORKING_DAYS}
CALENDAR_DAYS = {"statutory": 30, "follow_up": FOLLOW_UP_DAYS}
EXTENSION_DAYS = 30

RANK = {"village": 0, "township": 1, "county": 2}
OPEN = {"registered", "in_mediation", "paused"}
CONCLUDED = {"resolved", "closed", "referred", "withdrawn"}
# Clocks whose breach is a scorecard "breach" (an overdue follow-up has its own figure; the
# judicial-confirmation window never breaches).
BREACH_CLOCKS = {"accept", "settle", "statutory", "major_report"}
ABOVE_COUNTY = {"city", "province", "national"}


# --- the province, made once ------------------------------------------------------------------


@pytest.fixture(scope="module")
def province(databases, tmp_path_factory):
    """A fresh database (SQLite, or PostgreSQL with --postgres) filled by the real
    `flask gen-data` command."""
    folder = tmp_path_factory.mktemp("recomputed")
    url = databases.fresh(folder)
    app = create_app(
        {
            "DATABASE_URL": url,
            "MEDIATION_DEMO": False,
            "AUTO_SETUP": False,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
        },
        instance_path=str(folder / "instance"),
    )
    assert not app.config.get("MEDIATION_POLICY"), "the weights below are the defaults"
    with app.app_context():
        started = time.perf_counter()
        result = command_runner(app).invoke(
            args=[
                "gen-data",
                "--cases",
                str(CASES),
                "--villages",
                str(VILLAGES),
                "--seed",
                str(SEED),
                "--now",
                NOW.isoformat(),
                "--json",
            ]
        )
        assert result.exit_code == 0, result.output
        print(f"\ngen-data --cases {CASES}: {time.perf_counter() - started:.1f} s")
        yield app
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)


@pytest.fixture(scope="module")
def records(province):
    return Records.load()


def scorecard(app, month: str, unit_code: str | None = None) -> dict:
    args = ["scorecard", month, "--format", "json"]
    if unit_code:
        args += ["--unit", unit_code]
    result = command_runner(app).invoke(args=args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# --- months -----------------------------------------------------------------------------------


def month_window(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The month's instants (start, end]: local 00:00 of the 1st is 24:00 of the month before,
    local 24:00 of the last day is in the month."""
    year, number = map(int, month.split("-"))
    following = (year + number // 12, number % 12 + 1)
    start = dt.datetime(year, number, 1, tzinfo=TZ)
    end = dt.datetime(*following, 1, tzinfo=TZ)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def screening_due(month: str) -> dt.datetime:
    """24:00 local on the due day of the month itself."""
    year, number = map(int, month.split("-"))
    return dt.datetime(year, number, SCREENING_DUE_DAY, tzinfo=TZ) + dt.timedelta(days=1)


@functools.cache
def is_working_day(day: dt.date) -> bool:
    """The Chinese calendar (holidays and make-up days); Monday to Friday where it ends."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def working_days_after(instant: dt.datetime, days: int) -> dt.datetime:
    """24:00 local of the ``days``-th working day after the instant's local date (00:00 local
    counts as 24:00 of the day before)."""
    local = instant.astimezone(TZ)
    day = local.date() - dt.timedelta(days=local.time() == dt.time(0))
    while days:
        day += dt.timedelta(days=1)
        days -= is_working_day(day)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), TZ).astimezone(dt.UTC)


# --- the raw records --------------------------------------------------------------------------


def rows(table: str, *columns: str):
    """Plain rows of one table (instants come back as aware UTC)."""
    source = db.metadata.tables[table]
    return db.session.execute(select(*(source.c[name] for name in columns))).all()


def value(member) -> str | None:
    return None if member is None else getattr(member, "value", member)


class Event(NamedTuple):
    at: dt.datetime
    id: int
    action: str
    from_status: str | None
    to_status: str | None
    from_level: str | None
    to_level: str | None
    data: dict


class Clock(NamedTuple):
    clock: str
    level: str
    started_at: dt.datetime
    shifted: bool  # moved by a pause
    recorded_due_at: dt.datetime
    stopped_at: dt.datetime | None

    def due_at(self, is_extended: bool) -> dt.datetime:
        """The deadline by the rules, from its start (a paused clock's as recorded)."""
        if self.shifted:
            return self.recorded_due_at
        if self.clock in CALENDAR_DAYS:
            days = CALENDAR_DAYS[self.clock]
            days += EXTENSION_DAYS if self.clock == "statutory" and is_extended else 0
            return self.started_at + dt.timedelta(days=days)
        return working_days_after(self.started_at, WORKING_DAYS[self.clock, self.level])


@dataclass
class CaseFacts:
    """What the rules make of one case's record, worked out from its events."""

    village_id: int
    received_at: dt.datetime
    people: int
    risks: list[str]
    events: list[Event] = field(default_factory=list)  # in the order they took effect
    deadlines: list[Clock] = field(default_factory=list)

    def scale_at(self, instant: dt.datetime) -> str:
        scale = None
        for event in self.events:
            if event.at > instant:
                break
            if event.action == "register":
                scale = event.data["scale"]
            elif event.action == "reclassify":
                scale = event.data["to_scale"]
        return scale

    @property
    def status(self) -> str:
        return self.events[-1].to_status

    @property
    def conclusion(self) -> Event | None:
        """The event that concluded the case (resolve, refer, withdraw, or an intake already
        settled), when it stands concluded now."""
        if self.status not in CONCLUDED:
            return None
        for event in reversed(self.events):
            if event.to_status in CONCLUDED and event.from_status not in CONCLUDED:
                return event
        raise AssertionError("a concluded case without its concluding event")

    @property
    def highest_rank(self) -> int:
        return max(RANK[event.to_level] for event in self.events if event.to_level)

    @property
    def paused_since(self) -> dt.datetime | None:
        last = self.events[-1]
        return last.at if last.to_status == "paused" else None

    @property
    def is_extended(self) -> bool:
        return any(event.action == "extend" for event in self.events)

    def due(self, deadline: Clock) -> dt.datetime:
        return deadline.due_at(self.is_extended)

    def breached(self, deadline: Clock) -> bool:
        """Stopped at or after its deadline, or still running (not paused) at it."""
        due = self.due(deadline)
        if deadline.stopped_at is not None:
            return deadline.stopped_at >= due
        paused = self.paused_since
        return due <= (paused if paused is not None else NOW)

    def rule_moves(self):
        """(kind, instant) of 小事出村 and 大事出乡, each the first time only: a small case
        escalated or taken over out of its village, or accepted above it; a small or big case
        escalated or taken over to the county, or accepted there."""
        found = {}
        for event in self.events:
            if event.action not in ("escalate", "take_over", "accept"):
                continue
            scale = self.scale_at(event.at)
            if scale == "small" and RANK[event.to_level] > RANK["village"]:
                found.setdefault("small_left_village", event.at)
            if scale in ("small", "big") and event.to_level == "county":
                found.setdefault("big_left_township", event.at)
        return found.items()


@dataclass
class Records:
    villages: dict  # id → (code, name, township id)
    townships: dict  # id → (code, name)
    county: tuple
    cases: dict
    agreements: list
    follow_ups: dict
    incidents: list
    screenings: dict
    supervisions: list = ()

    @classmethod
    def load(cls) -> Records:
        units = rows("units", "id", "code", "name", "kind", "parent_id")
        villages = {i: (c, n, p) for i, c, n, k, p in units if value(k) == "village"}
        townships = {i: (c, n) for i, c, n, k, p in units if value(k) == "township"}
        (county,) = [(c, n) for i, c, n, k, p in units if value(k) == "county"]
        cases = {
            i: CaseFacts(v, r, p, list(risks or []))
            for i, v, r, p, risks in rows(
                "cases", "id", "village_id", "received_at", "people_involved", "risks"
            )
        }
        for case_id, at, event_id, action, *states, data in sorted(
            rows(
                "case_events",
                "case_id",
                "at",
                "id",
                "action",
                "from_status",
                "to_status",
                "from_level",
                "to_level",
                "data",
            ),
            key=lambda row: (row[0], row[1], row[2]),
        ):
            data = json.loads(data) if isinstance(data, str) else data
            cases[case_id].events.append(
                Event(at, event_id, action, *(value(s) for s in states), data or {})
            )
        for case_id, clock, level, started_at, shift, due_at, stopped_at in rows(
            "deadlines",
            "case_id",
            "clock",
            "level",
            "started_at",
            "shift_seconds",
            "due_at",
            "stopped_at",
        ):
            if value(clock) != "judicial_confirmation":
                cases[case_id].deadlines.append(
                    Clock(value(clock), value(level), started_at, bool(shift), due_at, stopped_at)
                )
        follow_ups = defaultdict(list)
        for case_id, at in rows("follow_ups", "case_id", "at"):
            follow_ups[case_id].append(at)
        return cls(
            villages=villages,
            townships=townships,
            county=county,
            cases=cases,
            agreements=rows("agreements", "case_id", "agreed_at", "amount_fen"),
            supervisions=rows("supervisions", "village_id", "case_id", "due_at", "replied_at"),
            follow_ups=follow_ups,
            incidents=[
                (v, value(k), at, value(level), collective, injured, dead)
                for v, k, at, level, collective, injured, dead in rows(
                    "incidents",
                    "village_id",
                    "kind",
                    "occurred_at",
                    "petition_level",
                    "is_collective",
                    "injured",
                    "dead",
                )
            ],
            screenings={
                (v, month): filed_at
                for v, month, filed_at in rows("screenings", "village_id", "month", "filed_at")
            },
        )


# --- the figures, recomputed -----------------------------------------------------------------

COUNTS = (
    "received",
    "concluded",
    "agreements",
    "concluded_on_time",
    "small_concluded",
    "small_kept_in_village",
    "small_big_concluded",
    "small_big_kept_below_county",
    "concluded_village",
    "concluded_township",
    "concluded_county",
    "escalations",
    "breaches",
    "rule_violations",
    "follow_up_overdue",
    "supervision_overdue",
    "petitions_township",
    "petitions_county",
    "petitions_above_county",
    "collective_petitions",
    "accidents",
    "injured",
    "dead",
    "criminal",
    "public_order",
    "screening_filed",
    "screening_late",
    "screening_missing",
    "prevented_cases",
    "prevented_people",
    "amount_settled_fen",
)


def month_counts(records: Records, month: str) -> dict[int, dict[str, int]]:
    """Each village's counts for the month, straight from the records."""
    start, end = month_window(month)

    def within(instant) -> bool:
        return instant is not None and start < instant <= end

    counts = {village: dict.fromkeys(COUNTS, 0) for village in records.villages}
    for case in records.cases.values():
        mine = counts[case.village_id]
        mine["received"] += within(case.received_at)
        for event in case.events:
            if event.action == "escalate" and event.from_level == "village" and within(event.at):
                mine["escalations"] += 1
        for deadline in case.deadlines:
            if deadline.clock in BREACH_CLOCKS and within(case.due(deadline)):
                mine["breaches"] += case.breached(deadline)
        mine["rule_violations"] += sum(within(at) for _, at in case.rule_moves())
        conclusion = case.conclusion
        if conclusion is None or not within(conclusion.at):
            continue
        scale = case.scale_at(conclusion.at)
        agreed = conclusion.to_status == "resolved"  # resolve, or an intake already settled
        settle_breached = any(case.breached(d) for d in case.deadlines if d.clock == "settle")
        mine["concluded"] += 1
        mine["agreements"] += agreed
        mine["concluded_on_time"] += not settle_breached
        mine[f"concluded_{conclusion.to_level}"] += 1
        if scale == "small":
            mine["small_concluded"] += 1
            mine["small_kept_in_village"] += case.highest_rank == RANK["village"]
        if scale in ("small", "big"):
            mine["small_big_concluded"] += 1
            mine["small_big_kept_below_county"] += case.highest_rank < RANK["county"]
        if agreed and {"violence", "group_incident"} & set(case.risks):
            mine["prevented_cases"] += 1
            mine["prevented_people"] += case.people

    for case_id, agreed_at, amount_fen in records.agreements:
        mine = counts[records.cases[case_id].village_id]
        mine["amount_settled_fen"] += amount_fen if within(agreed_at) else 0
        due = agreed_at + dt.timedelta(days=FOLLOW_UP_DAYS)
        visits = [at for at in records.follow_ups.get(case_id, []) if at >= agreed_at]
        visited = min(visits) if visits else None
        overdue = visited >= due if visited else due <= NOW
        mine["follow_up_overdue"] += overdue and within(due)

    # a supervision notice unanswered strictly before its due instant is circulated then
    for village, _case, due_at, replied_at in records.supervisions:
        unanswered = replied_at is None or replied_at >= due_at
        counts[village]["supervision_overdue"] += unanswered and due_at <= NOW and within(due_at)

    for village, kind, at, level, collective, injured, dead in records.incidents:
        if not within(at):
            continue
        mine = counts[village]
        if kind == "petition":
            where = "above_county" if level in ABOVE_COUNTY else level
            mine[f"petitions_{where}"] += 1
            mine["collective_petitions"] += bool(collective)
            mine["rule_violations"] += level in ABOVE_COUNTY  # 矛盾上交
        elif kind == "accident":
            mine["accidents"] += 1
            mine["injured"] += injured
            mine["dead"] += dead
        else:
            mine[kind] += 1

    due = screening_due(month)
    for village, mine in counts.items():
        filed_at = records.screenings.get((village, month))
        mine["screening_filed"] = int(filed_at is not None)
        mine["screening_late"] = int(filed_at is not None and filed_at >= due)
        mine["screening_missing"] = int(due <= NOW and (filed_at is None or filed_at >= due))
    return counts


def share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def figures(counts: dict[str, int]) -> dict:
    """The figures the scorecard shows for a sum of counts (a village or a rollup)."""
    shown = {name: number for name, number in counts.items() if name != "amount_settled_fen"}
    shown["amount_settled_yuan"] = Decimal(counts["amount_settled_fen"]) / 100
    shown["petitions"] = sum(
        counts[f"petitions_{w}"] for w in ("township", "county", "above_county")
    )
    shown["success_rate"] = share(counts["agreements"], counts["concluded"])
    shown["on_time_rate"] = share(counts["concluded_on_time"], counts["concluded"])
    shown["small_in_village_rate"] = share(
        counts["small_kept_in_village"], counts["small_concluded"]
    )
    shown["big_in_township_rate"] = share(
        counts["small_big_kept_below_county"], counts["small_big_concluded"]
    )
    return shown


def deductions(counts: dict[str, int]) -> dict[str, int]:
    number = {
        "petition": counts["petitions_township"] + counts["petitions_county"],
        "petition_above_county": counts["petitions_above_county"],
        "accident": counts["accidents"],
        "criminal": counts["criminal"],
        "public_order": counts["public_order"],
        "rule_violation": counts["rule_violations"],
        "breach": counts["breaches"],
        "screening_missing": counts["screening_missing"],
        "follow_up_overdue": counts["follow_up_overdue"],
        "supervision_overdue": counts["supervision_overdue"],
    }
    return {kind: n for kind, n in number.items() if n}


def village_cards(records: Records, month: str) -> dict[str, dict]:
    cards = {}
    for village, counts in month_counts(records, month).items():
        code, name, township = records.villages[village]
        items = deductions(counts)
        card = figures(counts)
        card["three_zero"] = not (
            card["petitions"] or counts["accidents"] or counts["criminal"] or counts["public_order"]
        )
        card["score"] = max(0, 100 - sum(WEIGHTS[kind] * n for kind, n in items.items()))
        card["deductions"] = {
            kind: {"count": n, "weight": WEIGHTS[kind], "points": n * WEIGHTS[kind]}
            for kind, n in items.items()
        }
        card["light"] = (
            "green"
            if card["three_zero"] and card["score"] >= 90
            else "amber"
            if card["score"] >= 70
            else "red"
        )
        card["township_code"] = records.townships[township][0]
        card["_counts"] = counts
        cards[code] = card
    for township_code in {card["township_code"] for card in cards.values()}:
        scores = [c["score"] for c in cards.values() if c["township_code"] == township_code]
        for card in cards.values():
            if card["township_code"] == township_code:
                card["rank"] = 1 + sum(score > card["score"] for score in scores)
    return cards


def rollup(cards: list[dict]) -> dict:
    counts = {name: sum(card["_counts"][name] for card in cards) for name in COUNTS}
    shown = figures(counts)
    settled = (
        counts["concluded_village"] + counts["concluded_township"] + counts["concluded_county"]
    )
    shown["villages"] = len(cards)
    shown["three_zero_villages"] = sum(card["three_zero"] for card in cards)
    shown["three_zero_rate"] = share(shown["three_zero_villages"], len(cards))
    shown["level_mix"] = {level: share(counts[f"concluded_{level}"], settled) for level in RANK}
    return shown


# --- the comparison ---------------------------------------------------------------------------

SHOWN_AS_IS = {"code", "name", "level", "level_mix_target"}


def same(expected, shown) -> bool:
    """A share is shown rounded to four decimals (an ordinary or a banker's rounding of the
    exact fraction); everything else exactly."""
    if isinstance(expected, Fraction):
        return shown is not None and abs(Fraction(Decimal(shown)) - expected) <= Fraction(1, 20000)
    if isinstance(expected, Decimal):
        return Decimal(shown) == expected
    return shown == expected


def readable(expected) -> str:
    if isinstance(expected, Fraction):
        return f"{float(expected):.4f} ({expected.numerator}/{expected.denominator})"
    return repr(expected)


def differences(where: str, expected: dict, shown: dict) -> list[str]:
    found = []
    missing = set(shown) - set(expected) - SHOWN_AS_IS - {"township_code"}
    found += [f"{where}: {name} is shown but not recomputed" for name in sorted(missing)]
    for name, wanted in expected.items():
        if name.startswith("_"):
            continue
        got = shown.get(name)
        if name == "deductions":
            got = {d["kind"]: {k: d[k] for k in ("count", "weight", "points")} for d in got}
        if isinstance(wanted, dict) and name != "deductions":
            found += differences(f"{where} {name}", wanted, got or {})
        elif not (wanted == got if name == "deductions" else same(wanted, got)):
            found.append(f"{where}: {name} shown {got!r}, recomputed {readable(wanted)}")
    return found


def month_differences(app, records: Records, month: str) -> list[str]:
    """Every figure of the county's card (its villages, townships and the county), and of one
    township's and one village's own card, that differs from the recomputation."""
    shown = scorecard(app, month)
    cards = village_cards(records, month)
    assert not shown["frozen"] and shown["unit_code"] == records.county[0]
    assert [v["code"] for v in shown["villages"]] == sorted(cards)
    assert sum(card["received"] for card in cards.values()) > 0
    found = []
    for village in shown["villages"]:
        found += differences(f"{month} village {village['code']}", cards[village["code"]], village)
    by_township = defaultdict(list)
    for card in cards.values():
        by_township[card["township_code"]].append(card)
    assert [t["code"] for t in shown["townships"]] == sorted(by_township)
    for township in shown["townships"]:
        expected = rollup(by_township[township["code"]])
        found += differences(f"{month} township {township['code']}", expected, township)
    found += differences(f"{month} county", rollup(list(cards.values())), shown["rollup"])

    village_code = min(cards)
    township_code = cards[village_code]["township_code"]
    own = scorecard(app, month, township_code)["rollup"]
    found += differences(f"{month} --unit {township_code}", rollup(by_township[township_code]), own)
    (own,) = scorecard(app, month, village_code)["villages"]
    found += differences(f"{month} --unit {village_code}", cards[village_code], own)
    return found


def test_the_scorecard_equals_its_recomputation(province, records):
    """One test for all months, so that a parallel run builds the province once."""
    starts = {month_window(month)[0] for month in MONTHS}
    at_midnight = [
        d for case in records.cases.values() for d in case.deadlines if case.due(d) in starts
    ]
    assert at_midnight, "the months compared hold no deadline at 24:00 before their first day"
    misplaced = [
        f"case {case_id} {d.clock} at {d.level} from {d.started_at}: due_at recorded "
        f"{d.recorded_due_at}, by the rules {case.due(d)}"
        for case_id, case in records.cases.items()
        for d in case.deadlines
        if d.recorded_due_at != case.due(d)
    ]
    assert not misplaced, f"{len(misplaced)} deadlines misplaced:\n" + "\n".join(misplaced[:20])
    found = [line for month in MONTHS for line in month_differences(province, records, month)]
    assert not found, f"{len(found)} figures differ from the rules:\n" + "\n".join(found[:60])
