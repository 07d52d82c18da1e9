"""The monthly scorecard's arithmetic (docs/rules.md#the-monthly-scorecard): from the counts of a
village's month to its rates, 三零, score and rank, and the rollups of townships and the county.

The counts come from the database (aggregate queries); everything derived from them is decided
here, once, as plain Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from zoneinfo import ZoneInfo

from .calendar import local_day
from .enums import LabelledEnum, Level
from .i18n import N_


class PetitionLevel(LabelledEnum):
    """Where a petition (上访) was lodged; above the county it is 矛盾上交."""

    township = "township", N_("Township")
    county = "county", N_("County")
    city = "city", N_("City")
    province = "province", N_("Province")
    national = "national", N_("National")

    @property
    def is_above_county(self) -> bool:
        return self in (PetitionLevel.city, PetitionLevel.province, PetitionLevel.national)


class IncidentKind(LabelledEnum):
    petition = "petition", N_("Petition")
    accident = "accident", N_("Accident")
    criminal = "criminal", N_("Criminal case")
    public_order = "public_order", N_("Major public-order case")


# The years the system counts in: ledgers from 2000 on, and far enough ahead for any real date,
# yet far from year 9999, where the month after, a deadline or a local time no longer exists.
MIN_YEAR, MAX_YEAR = 2000, 2999


def is_supported_instant(instant: dt.datetime) -> bool:
    """Whether an aware instant lies in the years the system counts in (UTC year)."""
    return MIN_YEAR <= instant.astimezone(dt.UTC).year <= MAX_YEAR


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """ "2026-11" → Month, in the years MIN_YEAR to MAX_YEAR; raises ValueError."""
        year, _, month = text.partition("-")
        if not (len(year) == 4 and len(month) == 2 and (year + month).isascii()):
            raise ValueError(text)
        if not (year + month).isdigit():
            raise ValueError(text)
        value = cls(int(year), int(month))
        if not 1 <= value.month <= 12 or not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValueError(text)
        return value

    @classmethod
    def of(cls, instant: dt.datetime, tz: ZoneInfo) -> Month:
        """The month an instant counts in: that of its local day (00:00 on the 1st is 24:00
        of the month before)."""
        day = local_day(instant, tz)
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The month's first and last instants as UTC: it holds the instants in (start, end],
        local 00:00 on its first day excluded (24:00 of the month before) and 24:00 on its
        last day included."""
        start = dt.datetime(self.year, self.month, 1, tzinfo=tz)
        following = self.next()
        end = dt.datetime(following.year, following.month, 1, tzinfo=tz)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def contains(self, instant: dt.datetime, tz: ZoneInfo) -> bool:
        start, end = self.bounds(tz)
        return start < instant <= end

    def end_of_day(self, day: int, tz: ZoneInfo) -> dt.datetime:
        """24:00 local of ``day`` of this month (the screening deadline), as UTC."""
        return (
            dt.datetime(self.year, self.month, day, tzinfo=tz) + dt.timedelta(days=1)
        ).astimezone(dt.UTC)

    def has_ended(self, now: dt.datetime, tz: ZoneInfo) -> bool:
        return now >= self.bounds(tz)[1]

    def freezes_on(self, day: int) -> dt.date:
        """The local day of the next month on which this month is frozen (policy freeze_day)."""
        following = self.next()
        return dt.date(following.year, following.month, day)

    def last_months(self, count: int) -> list[Month]:
        months = [self]
        while len(months) < count:
            months.append(months[-1].previous())
        return list(reversed(months))


@dataclass
class Counts:
    """What the database counts for one village and month."""

    received: int = 0
    concluded: int = 0
    agreements: int = 0
    concluded_on_time: int = 0
    small_concluded: int = 0
    small_kept_in_village: int = 0
    small_big_concluded: int = 0
    small_big_kept_below_county: int = 0
    concluded_village: int = 0
    concluded_township: int = 0
    concluded_county: int = 0
    escalations: int = 0
    breaches: int = 0
    rule_violations: int = 0
    follow_up_overdue: int = 0
    petitions_township: int = 0
    petitions_county: int = 0
    petitions_above_county: int = 0
    collective_petitions: int = 0
    accidents: int = 0
    injured: int = 0
    dead: int = 0
    criminal: int = 0
    public_order: int = 0
    screening_filed: int = 0  # 0 or 1 for a village (on time or late); a count in rollups
    screening_late: int = 0  # filed at or after its deadline
    screening_missing: int = 0  # none filed by the deadline: on record even when filed late
    amount_settled_fen: int = 0
    prevented_cases: int = 0
    prevented_people: int = 0

    def add(self, other: Counts) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    @property
    def petitions(self) -> int:
        return self.petitions_township + self.petitions_county + self.petitions_above_county


@dataclass
class Deduction:
    kind: str
    count: int
    weight: int

    @property
    def points(self) -> int:
        return self.count * self.weight


@dataclass
class VillageCard:
    code: str
    name: str
    township_code: str
    counts: Counts
    three_zero: bool
    score: int
    deductions: list[Deduction]
    rank: int = 0

    def rates(self) -> dict[str, Decimal | None]:
        return rates(self.counts)


@dataclass
class Rollup:
    code: str
    name: str
    level: Level
    counts: Counts = field(default_factory=Counts)
    villages: int = 0
    three_zero_villages: int = 0

    @property
    def three_zero_rate(self) -> Decimal | None:
        return ratio(self.three_zero_villages, self.villages)

    def level_mix(self) -> dict[str, Decimal | None]:
        """Share of concluded cases settled at each level; the Fengqiao shape is ~70/20/10."""
        total = (
            self.counts.concluded_village
            + self.counts.concluded_township
            + self.counts.concluded_county
        )
        return {
            "village": ratio(self.counts.concluded_village, total),
            "township": ratio(self.counts.concluded_township, total),
            "county": ratio(self.counts.concluded_county, total),
        }


TARGET_LEVEL_MIX = {
    "village": Decimal("0.70"),
    "township": Decimal("0.20"),
    "county": Decimal("0.10"),
}


def ratio(part: int, whole: int) -> Decimal | None:
    """part / whole to four decimals, or None when there is nothing to divide (shown as —)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def rates(counts: Counts) -> dict[str, Decimal | None]:
    return {
        "success_rate": ratio(counts.agreements, counts.concluded),
        "on_time_rate": ratio(counts.concluded_on_time, counts.concluded),
        "small_in_village_rate": ratio(counts.small_kept_in_village, counts.small_concluded),
        "big_in_township_rate": ratio(
            counts.small_big_kept_below_county, counts.small_big_concluded
        ),
    }


def is_three_zero(counts: Counts) -> bool:
    """三零: no petition at township level or above, no accident, no criminal or public-order
    case."""
    return (
        counts.petitions == 0
        and counts.accidents == 0
        and counts.criminal == 0
        and counts.public_order == 0
    )


def deductions(counts: Counts, weights: Mapping[str, int]) -> list[Deduction]:
    """Each weighted deduction of the month (a petition above the county costs its own weight)."""
    items = [
        Deduction(
            "petition", counts.petitions_township + counts.petitions_county, weights["petition"]
        ),
        Deduction(
            "petition_above_county", counts.petitions_above_county, weights["petition_above_county"]
        ),
        Deduction("accident", counts.accidents, weights["accident"]),
        Deduction("criminal", counts.criminal, weights["criminal"]),
        Deduction("public_order", counts.public_order, weights["public_order"]),
        Deduction("rule_violation", counts.rule_violations, weights["rule_violation"]),
        Deduction("breach", counts.breaches, weights["breach"]),
        Deduction("screening_missing", counts.screening_missing, weights["screening_missing"]),
        Deduction("follow_up_overdue", counts.follow_up_overdue, weights["follow_up_overdue"]),
    ]
    return [item for item in items if item.count]


def score(items: Iterable[Deduction]) -> int:
    """max(0, 100 − Σ weight × count)."""
    return max(0, 100 - sum(item.points for item in items))


def village_card(
    code: str, name: str, township_code: str, counts: Counts, weights: Mapping[str, int]
) -> VillageCard:
    items = deductions(counts, weights)
    return VillageCard(
        code, name, township_code, counts, is_three_zero(counts), score(items), items
    )


def rank_within_townships(cards: list[VillageCard]) -> None:
    """Rank by score within each township: 1, 2, 2, 4 (ties share a rank)."""
    by_township: dict[str, list[VillageCard]] = {}
    for card in cards:
        by_township.setdefault(card.township_code, []).append(card)
    for group in by_township.values():
        group.sort(key=lambda card: (-card.score, card.code))
        for position, card in enumerate(group, start=1):
            previous = group[position - 2] if position > 1 else None
            card.rank = previous.rank if previous and previous.score == card.score else position


def roll_up(rollup: Rollup, cards: Iterable[VillageCard]) -> Rollup:
    for card in cards:
        rollup.counts.add(card.counts)
        rollup.villages += 1
        rollup.three_zero_villages += card.three_zero
    return rollup


def traffic_light(card: VillageCard) -> str:
    """green: 三零 and ≥ 90; amber: ≥ 70; red otherwise."""
    if card.three_zero and card.score >= 90:
        return "green"
    return "amber" if card.score >= 70 else "red"


def counts_as_dict(counts: Counts) -> dict[str, int]:
    return asdict(counts)
