"""The people's-mediation statistical report (人民调解统计报表): its definitions.

A report covers the cases *received* in a period of whole months (local months, as the
scorecard counts them) and shows each one's outcome *as it stood at the period's end*:

- ``resolved`` (调解成功): resolved, or closed after the follow-up visit;
- ``referred`` (分流/移交) and ``withdrawn`` (撤回): the two other conclusions;
- ``open`` (未结): anything not concluded at the period's end.

Cases resolved are also counted by the level that settled them (village, township, county),
by their agreement's form (oral, written) with the amount agreed, and as "prevented" (防止)
in cases and people when they carried a violence (民转刑), group-incident (群体性事件) or
petition (越级上访) risk marker. Merged duplicates (并单) are not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from .enums import AgreementForm, CaseStatus, Category, LabelledEnum, Level, Source
from .i18n import N_, Message
from .intake import REQUIRED, InvalidInput
from .months import Month


class Outcome(LabelledEnum):
    """A case's outcome at the end of a report's period, in the report's column order."""

    resolved = "resolved", N_("Mediated successfully")
    referred = "referred", N_("Referred")
    withdrawn = "withdrawn", N_("Withdrawn")
    open = "open", N_("Still open")

    @classmethod
    def of(cls, status: CaseStatus | None) -> Outcome:
        """The outcome of a case whose status is ``status`` (None: nothing happened yet)."""
        return _OUTCOMES.get(status, cls.open)


_OUTCOMES = {
    CaseStatus.resolved: Outcome.resolved,
    CaseStatus.closed: Outcome.resolved,
    CaseStatus.referred: Outcome.referred,
    CaseStatus.withdrawn: Outcome.withdrawn,
}


class Prevented(LabelledEnum):
    """The classic "prevented" counts: a resolved case that carried this risk marker."""

    violence = "violence", N_("Disputes kept from turning criminal")
    group = "group", N_("Group incidents prevented")
    petition = "petition", N_("Collective or over-level petitions prevented")


SETTLED_LEVELS = (Level.village, Level.township, Level.county)


@dataclass(frozen=True)
class CaseRow:
    """One group of cases received in the period (the service's GROUP BY): how many, how many
    people, their category, source, outcome at the period's end, the level they stood at then,
    and their risk markers."""

    category: Category
    source: Source
    outcome: Outcome
    level: Level | None
    is_violence_risk: bool
    is_group_risk: bool
    is_petition_risk: bool
    cases: int
    people: int


@dataclass(frozen=True)
class AgreementRow:
    """The agreements in force at the period's end of the cases resolved: by form."""

    form: AgreementForm
    count: int
    amount_fen: int


@dataclass
class Counts:
    cases: int = 0
    people: int = 0


@dataclass
class Report:
    """The report's figures; :meth:`as_dict` is the JSON document of docs/api.md."""

    received: int = 0
    by_category: dict[Category, dict[Outcome, int]] = field(default_factory=dict)
    by_source: dict[Source, dict[Outcome, int]] = field(default_factory=dict)
    by_level_settled: dict[Level, int] = field(default_factory=dict)
    agreements: dict[AgreementForm, int] = field(default_factory=dict)
    amount_settled_fen: int = 0
    prevented: dict[Prevented, Counts] = field(default_factory=dict)

    @property
    def totals(self) -> dict[Outcome, int]:
        return {
            outcome: sum(row[outcome] for row in self.by_category.values()) for outcome in Outcome
        }

    @property
    def amount_settled_yuan(self) -> Decimal:
        return (Decimal(self.amount_settled_fen) / 100).quantize(Decimal("0.01"))

    def as_dict(self) -> dict:
        return {
            "received": self.received,
            "by_category": [
                {
                    "category": category.value,
                    "received": sum(outcomes.values()),
                    **{outcome.value: outcomes[outcome] for outcome in Outcome},
                }
                for category, outcomes in self.by_category.items()
            ],
            "by_source": [
                {
                    "source": source.value,
                    "received": sum(outcomes.values()),
                    **{outcome.value: outcomes[outcome] for outcome in Outcome},
                }
                for source, outcomes in self.by_source.items()
            ],
            "by_level_settled": {
                level.value: self.by_level_settled[level] for level in SETTLED_LEVELS
            },
            "agreements": {form.value: self.agreements[form] for form in _FORMS},
            "amount_settled_yuan": str(self.amount_settled_yuan),
            "prevented": {
                kind.value: {"cases": counts.cases, "people": counts.people}
                for kind, counts in self.prevented.items()
            },
        }


_FORMS = (AgreementForm.oral, AgreementForm.written)


def tally(case_rows: Iterable[CaseRow], agreement_rows: Iterable[AgreementRow]) -> Report:
    """The report from the grouped rows: every category and source listed (zeros included, in
    the standard's order), outcomes as defined above."""
    report = Report(
        by_category={category: dict.fromkeys(Outcome, 0) for category in Category},
        by_source={source: dict.fromkeys(Outcome, 0) for source in Source},
        by_level_settled=dict.fromkeys(SETTLED_LEVELS, 0),
        agreements=dict.fromkeys(_FORMS, 0),
        prevented={kind: Counts() for kind in Prevented},
    )
    for row in case_rows:
        report.received += row.cases
        report.by_category[row.category][row.outcome] += row.cases
        report.by_source[row.source][row.outcome] += row.cases
        if row.outcome is not Outcome.resolved:
            continue
        if row.level is not None:
            report.by_level_settled[row.level] += row.cases
        for kind, marked in (
            (Prevented.violence, row.is_violence_risk),
            (Prevented.group, row.is_group_risk),
            (Prevented.petition, row.is_petition_risk),
        ):
            if marked:
                report.prevented[kind].cases += row.cases
                report.prevented[kind].people += row.people
    for row in agreement_rows:
        report.agreements[row.form] += row.count
        report.amount_settled_fen += row.amount_fen
    return report


@dataclass(frozen=True)
class Period:
    """Whole local months ``first`` to ``last``, both included."""

    first: Month
    last: Month

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The instants (start, end] as UTC, as :meth:`Month.bounds` counts a month."""
        return self.first.bounds(tz)[0], self.last.bounds(tz)[1]

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first} – {self.last}"


MONTH_FORMAT = Message(N_("Enter a month such as 2026-11."))


def parse_period(first: str | None, last: str | None) -> Period:
    """A period from ``from`` and ``to`` (YYYY-MM; ``to`` defaults to ``from``). Raises
    InvalidInput naming ``from`` or ``to``."""
    errors: dict[str, Message] = {}
    months: dict[str, Month | None] = {}
    for key, text in (("from", first), ("to", last if last not in (None, "") else first)):
        if text is None or not str(text).strip():
            errors[key] = REQUIRED
            months[key] = None
            continue
        try:
            months[key] = Month.parse(str(text).strip())
        except ValueError:
            errors[key] = MONTH_FORMAT
            months[key] = None
    if not errors and _key(months["to"]) < _key(months["from"]):
        errors["to"] = Message(N_("The last month cannot come before the first."))
    if errors:
        raise InvalidInput(errors)
    return Period(months["from"], months["to"])


def _key(month: Month) -> tuple[int, int]:
    return month.year, month.month
