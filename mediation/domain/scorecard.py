"""The monthly scorecard's arithmetic (docs/rules.md#the-monthly-scorecard): from the counts of a
village's month to its rates, 三零, score and rank, and the rollups of townships and the county.

The counts come from the database (aggregate queries); everything derived from them is decided
here, once, as plain Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal

from .enums import IncidentKind, Level, PetitionLevel


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
    supervision_overdue: int = 0  # supervision notices circulated (通报) in the month
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

    def add_incidents(
        self,
        kind: IncidentKind,
        level: PetitionLevel | None,
        collective: bool,
        number: int,
        injured: int,
        dead: int,
    ) -> None:
        """Count ``number`` incidents of one kind: petitions by where they were lodged (above
        the county is 矛盾上交), accidents with their injured and dead, criminal and
        public-order cases."""
        if kind is IncidentKind.petition:
            if level is not None and level.is_above_county:
                self.petitions_above_county += number
            elif level is PetitionLevel.county:
                self.petitions_county += number
            else:
                self.petitions_township += number
            self.collective_petitions += number if collective else 0
        elif kind is IncidentKind.accident:
            self.accidents += number
            self.injured += injured
            self.dead += dead
        elif kind is IncidentKind.criminal:
            self.criminal += number
        else:
            self.public_order += number

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
        Deduction(
            "supervision_overdue", counts.supervision_overdue, weights["supervision_overdue"]
        ),
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
