"""The scorecard's tables, defined once: columns, headers, formats and the list behind each figure.

The page, the print page, the CSV, the XLSX and the CLI table all read these columns, so a
header, an order or a format changes here and nowhere else. A row is a village or a rollup of
:func:`mediation.services.scorecard.as_dict` (live or from a snapshot), so the layout never
needs the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..domain.scorecard import TARGET_LEVEL_MIX

# Kinds of cell: how a value is shown and stored.
TEXT = "text"
COUNT = "count"  # a whole number
RATE = "rate"  # a share, 0…1 (a decimal string in the row), shown as a percentage
MONEY = "money"  # yuan, a decimal string
YESNO = "yesno"
DEDUCTIONS = "deductions"
LIGHT = "light"

GROUPS = {
    "unit": _l("Unit"),
    "cases": _l("Cases"),
    "rates": _l("Rates"),
    "rules": _l("Clocks and rules"),
    "incidents": _l("Petitions, accidents and criminal cases"),
    "work": _l("Screening and settlement"),
    "result": _l("Result"),
    "mix": _l("Level mix"),
}


@dataclass(frozen=True)
class Column:
    """One figure of a row: where it is in the row, its header, and the list behind it."""

    key: str  # a key of the row; "level_mix.village" reaches into a nested one
    header: Any  # a lazy translated string
    kind: str = COUNT
    group: str = "cases"
    metric: str | None = None  # the case list behind it (services.scorecard.METRIC_NAMES)
    incident: str | None = None  # the incident list behind it (IncidentKind value)
    part: str | None = None  # a rate's numerator and denominator: keys of the row
    whole: str | None = None
    target: Decimal | None = None  # the Fengqiao level mix's share for this level
    brief: bool = False  # also in the CLI's table

    def value(self, row: dict) -> Any:
        value: Any = row
        for part in self.key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    @property
    def title(self) -> str:
        """The header in the current language, with the target where there is one."""
        if self.target is not None:
            return _(
                "%(header)s (target %(target)s)", header=self.header, target=percent(self.target)
            )
        return str(self.header)


def _counts() -> list[Column]:
    """The figures villages and rollups share, in the order of docs/rules.md."""
    return [
        Column("received", _l("Received"), metric="received", brief=True),
        Column("concluded", _l("Concluded"), metric="concluded", brief=True),
        Column("agreements", _l("Settled by agreement"), metric="agreements"),
        Column(
            "success_rate",
            _l("Success rate"),
            RATE,
            "rates",
            part="agreements",
            whole="concluded",
            brief=True,
        ),
        Column(
            "on_time_rate",
            _l("On-time rate"),
            RATE,
            "rates",
            part="concluded_on_time",
            whole="concluded",
            brief=True,
        ),
        Column(
            "small_in_village_rate",
            _l("Small matters kept in the village"),
            RATE,
            "rates",
            part="small_kept_in_village",
            whole="small_concluded",
            brief=True,
        ),
        Column(
            "big_in_township_rate",
            _l("Big matters kept in the township"),
            RATE,
            "rates",
            part="small_big_kept_below_county",
            whole="small_big_concluded",
            brief=True,
        ),
        Column(
            "escalations", _l("Escalated out of the village"), group="rules", metric="escalations"
        ),
        Column("breaches", _l("Clock breaches"), group="rules", metric="breaches"),
        Column(
            "rule_violations",
            _l("Rule violations"),
            group="rules",
            metric="rule_violations",
            brief=True,
        ),
        Column(
            "follow_up_overdue", _l("Follow-ups overdue"), group="rules", metric="follow_up_overdue"
        ),
        Column(
            "supervision_overdue",
            _l("Supervision circulated"),
            group="rules",
            metric="supervision_overdue",
        ),
        Column(
            "petitions_township",
            _l("Petitions to the township"),
            group="incidents",
            incident="petition",
        ),
        Column(
            "petitions_county",
            _l("Petitions to the county"),
            group="incidents",
            incident="petition",
        ),
        Column(
            "petitions_above_county",
            _l("Petitions above the county"),
            group="incidents",
            incident="petition",
            brief=True,
        ),
        Column(
            "collective_petitions",
            _l("Collective petitions"),
            group="incidents",
            incident="petition",
        ),
        Column("accidents", _l("Accidents"), group="incidents", incident="accident", brief=True),
        Column("injured", _l("Injured"), group="incidents", incident="accident"),
        Column("dead", _l("Dead"), group="incidents", incident="accident"),
        Column(
            "criminal", _l("Criminal cases"), group="incidents", incident="criminal", brief=True
        ),
        Column(
            "public_order",
            _l("Major public-order cases"),
            group="incidents",
            incident="public_order",
            brief=True,
        ),
    ]


def _settlement() -> list[Column]:
    return [
        Column(
            "amount_settled_yuan",
            _l("Amount settled (yuan)"),
            MONEY,
            "work",
            metric="amount_settled",
        ),
        Column(
            "prevented_cases",
            _l("Prevented escalations (cases)"),
            group="work",
            metric="prevented_cases",
        ),
        Column(
            "prevented_people",
            _l("Prevented escalations (people)"),
            group="work",
            metric="prevented_cases",
        ),
    ]


VILLAGE_COLUMNS: list[Column] = [
    Column("code", _l("Code"), TEXT, "unit"),
    Column("name", _l("Village"), TEXT, "unit", brief=True),
    *_counts(),
    Column("screening_filed", _l("Screening filed"), YESNO, "work", brief=True),
    *_settlement(),
    Column("three_zero", _l("Three zeros"), YESNO, "result", brief=True),
    Column("deductions", _l("Deductions"), DEDUCTIONS, "result"),
    Column("score", _l("Score"), COUNT, "result", brief=True),
    Column("rank", _l("Rank in township"), COUNT, "result", brief=True),
    Column("light", _l("Rating"), LIGHT, "result"),
]


ROLLUP_COLUMNS: list[Column] = [
    Column("code", _l("Code"), TEXT, "unit"),
    Column("name", _l("Unit"), TEXT, "unit", brief=True),
    Column("villages", _l("Villages"), COUNT, "result", brief=True),
    Column("three_zero_villages", _l("Villages meeting the three zeros"), COUNT, "result"),
    Column(
        "three_zero_rate",
        _l("Three-zero rate"),
        RATE,
        "result",
        part="three_zero_villages",
        whole="villages",
        brief=True,
    ),
    *_counts(),
    Column("screening_filed", _l("Screenings filed"), COUNT, "work"),
    *_settlement(),
    *[
        Column(
            f"level_mix.{level}",
            header,
            RATE,
            "mix",
            part=f"concluded_{level}",
            whole="concluded",
            target=TARGET_LEVEL_MIX[level],
            brief=True,
        )
        for level, header in (
            ("village", _l("Settled at the village")),
            ("township", _l("Settled at the township")),
            ("county", _l("Settled at the county")),
        )
    ],
]


def result_first(columns: list[Column]) -> list[Column]:
    """The page's order: the unit, then its result (三零, score, rank, rating), then the
    detail, so the result is on screen without scrolling sideways."""
    unit = [column for column in columns if column.group == "unit"]
    result = [column for column in columns if column.group == "result"]
    return unit + result + [column for column in columns if column not in unit + result]


def result_columns(columns: list[Column]) -> list[Column]:
    """The unit's name and its result, without the deductions' detail: the first table a
    reader sees."""
    return [
        column
        for column in columns
        if column.key == "name" or (column.group == "result" and column.kind != DEDUCTIONS)
    ]


# The workbook's villages also name their township (the page groups them under it).
WORKBOOK_VILLAGE_COLUMNS: list[Column] = [
    *VILLAGE_COLUMNS[:2],
    Column("township_name", _l("Township"), TEXT, "unit"),
    *VILLAGE_COLUMNS[2:],
]

# Figures that are not columns but appear as a rate's parts or in a pending revision.
OTHER_FIGURES = {
    "concluded_on_time": _l("Concluded on time"),
    "small_concluded": _l("Small matters concluded"),
    "small_kept_in_village": _l("Small matters concluded in the village"),
    "small_big_concluded": _l("Small and big matters concluded"),
    "small_big_kept_below_county": _l("Small and big matters concluded below the county"),
    "concluded_village": _l("Concluded at the village"),
    "concluded_township": _l("Concluded at the township"),
    "concluded_county": _l("Concluded at the county"),
    "petitions": _l("Petitions"),
    "amount_settled": _l("Amount settled"),
}

# What each weight of the policy ([scorecard] weights) deducts for, in the order of the policy.
WEIGHT_LABELS = {
    "petition": _l("Petition (township or county)"),
    "petition_above_county": _l("Petition above the county"),
    "accident": _l("Accident"),
    "criminal": _l("Criminal case"),
    "public_order": _l("Major public-order case"),
    "rule_violation": _l("Rule violation"),
    "breach": _l("Clock breach"),
    "screening_missing": _l("Screening not filed"),
    "follow_up_overdue": _l("Follow-up overdue"),
    "supervision_overdue": _l("Supervision notice circulated"),
}

LIGHT_LABELS = {"green": _l("Green"), "amber": _l("Amber"), "red": _l("Red")}


def figure_label(key: str) -> str:
    """The header of any figure of a row, by its (dotted) key."""
    for column in (*VILLAGE_COLUMNS, *ROLLUP_COLUMNS):
        if column.key == key:
            return str(column.header)
    if key in OTHER_FIGURES:
        return str(OTHER_FIGURES[key])
    return key


def column_for(key: str, *, rollup: bool = False) -> Column | None:
    for column in ROLLUP_COLUMNS if rollup else VILLAGE_COLUMNS:
        if column.key == key:
            return column
    return None


# --- formats ------------------------------------------------------------------------------------


def percent(value) -> str:
    """0.5 → "50.0%"; None (nothing to divide) → ""."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value) * 100:.1f}%"


def deductions_text(items: list[dict]) -> str:
    """ "Petition above the county 1×30; Rule violation 2×5" (empty when nothing is deducted)."""
    return "; ".join(
        _(
            "%(label)s %(count)s×%(weight)s",
            label=WEIGHT_LABELS.get(item["kind"], item["kind"]),
            count=item["count"],
            weight=item["weight"],
        )
        for item in items or []
    )


def text(column: Column, row: dict, *, grouped: bool = False) -> str:
    """The cell as text (CSV, CLI, print; the page with ``grouped`` thousands in money)."""
    value = column.value(row)
    if column.kind == RATE:
        return percent(value)
    if column.kind == MONEY:
        amount = Decimal(value or 0)
        return f"{amount:,.2f}" if grouped else f"{amount:.2f}"
    if column.kind == YESNO:
        return _("Yes") if value else _("No")
    if column.kind == DEDUCTIONS:
        return deductions_text(value)
    if column.kind == LIGHT:
        return str(LIGHT_LABELS[value]) if value in LIGHT_LABELS else ""
    return "" if value is None else str(value)


def number(column: Column, row: dict) -> Any:
    """The cell as a spreadsheet stores it: numbers as numbers (a share as 0.5), text as text."""
    value = column.value(row)
    if column.kind == COUNT:
        return None if value is None else int(value)
    if column.kind in (RATE, MONEY):
        return None if value is None or value == "" else float(Decimal(value))
    return text(column, row)


NUMBER_FORMATS = {COUNT: "0", RATE: "0.0%", MONEY: "#,##0.00"}


def format_figure(key: str, value: Any, *, rollup: bool = False) -> str:
    """One figure by its key, formatted as its column shows it ("—" for nothing)."""
    if value is None:
        return "—"
    column = column_for(key, rollup=rollup) or column_for(key, rollup=not rollup)
    if column is None:
        return str(value)
    row: dict = {}
    inner = row
    *outer, last = key.split(".")
    for part in outer:
        inner = inner.setdefault(part, {})
    inner[last] = value
    return text(column, row, grouped=True) or "—"


def is_empty(column: Column, row: dict) -> bool:
    """A zero count or a rate with nothing to divide: shown plainly, without a link."""
    value = column.value(row)
    return value in (None, "", 0)


# --- the lists behind the figures ------------------------------------------------------------


def case_list_url(metric: str, unit_code: str, month: str) -> str:
    return url_for("cases.list_cases", unit=unit_code, month=month, metric=metric)


def incident_list_url(kind: str, unit_code: str, month: str) -> str:
    # The incident list belongs to the incidents pages; the contract fixes its query.
    return "/incidents?" + urlencode({"unit": unit_code, "month": month, "kind": kind})


def link(column: Column, row: dict, month: str) -> str | None:
    """The list behind a count, or None (no list, or nothing to list)."""
    if is_empty(column, row):
        return None
    if column.metric:
        return case_list_url(column.metric, row["code"], month)
    if column.incident:
        return incident_list_url(column.incident, row["code"], month)
    return None


def part_link(key: str, row: dict, month: str) -> str | None:
    """The case list behind a rate's numerator or denominator (None when it has none)."""
    from ..services.scorecard import METRIC_NAMES

    if key in METRIC_NAMES and row.get(key):
        return case_list_url(key, row["code"], month)
    return None
