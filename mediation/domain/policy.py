"""The policy: the configurable numbers of the rules, with their defaults (docs/policy.md).

``parse_policy`` takes the TOML document (already parsed into a dict) and returns a frozen
:class:`Policy`. Every key is optional; an unknown key or a bad value raises
:class:`PolicyError` naming it, so a mistyped policy stops start-up instead of being ignored.
"""

from __future__ import annotations

import datetime as dt
import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .enums import Category, Level


class PolicyError(ValueError):
    """A policy key that is unknown or holds a value that cannot be used."""


@dataclass(frozen=True)
class ScalePolicy:
    big_people: int = 5
    big_amount_yuan: Decimal = Decimal("50000")
    major_people: int = 30
    major_amount_yuan: Decimal = Decimal("500000")
    big_categories: tuple[Category, ...] = (Category.land_acquisition, Category.land_forest)


@dataclass(frozen=True)
class ClockPolicy:
    accept_working_days: int = 1
    settle_working_days: Mapping[Level, int] = field(
        default_factory=lambda: {Level.village: 5, Level.township: 10, Level.county: 15}
    )
    statutory_calendar_days: int = 30
    extension_calendar_days: int = 30
    major_report_working_days: int = 1
    follow_up_calendar_days: int = 15
    warn_ratio: float = 0.8
    auto_escalate_village_breach: bool = True


@dataclass(frozen=True)
class IntakePolicy:
    max_backdate_days: int = 90


@dataclass(frozen=True)
class CalendarPolicy:
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()


DEFAULT_WEIGHTS: Mapping[str, int] = {
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


@dataclass(frozen=True)
class ScorecardPolicy:
    screening_due_day: int = 25
    freeze_day: int = 5
    weights: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


@dataclass(frozen=True)
class Policy:
    scale: ScalePolicy = field(default_factory=ScalePolicy)
    clocks: ClockPolicy = field(default_factory=ClockPolicy)
    intake: IntakePolicy = field(default_factory=IntakePolicy)
    calendar: CalendarPolicy = field(default_factory=CalendarPolicy)
    scorecard: ScorecardPolicy = field(default_factory=ScorecardPolicy)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """The policy in force, in the file's own shape, for the admin page."""
        return {
            f.name: {
                sub.name: _plain(getattr(getattr(self, f.name), sub.name))
                for sub in fields(getattr(self, f.name))
            }
            for f in fields(self)
        }


def load_policy(path: str | Path | None) -> Policy:
    """The policy from a TOML file, or the defaults when ``path`` is None."""
    if not path:
        return Policy()
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyError(f"MEDIATION_POLICY: no such file: {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"MEDIATION_POLICY: {path} is not valid TOML: {error}") from None
    return parse_policy(document)


def parse_policy(document: Mapping[str, Any]) -> Policy:
    """A :class:`Policy` from a parsed TOML document; raises PolicyError naming the bad key."""
    _no_unknown(document, ["scale", "clocks", "intake", "calendar", "scorecard"], "")
    policy = Policy()
    sections = {
        "scale": _parse_scale,
        "clocks": _parse_clocks,
        "intake": _parse_intake,
        "calendar": _parse_calendar,
        "scorecard": _parse_scorecard,
    }
    for name, parse in sections.items():
        section = document.get(name, {})
        if not isinstance(section, Mapping):
            raise PolicyError(f"[{name}]: expected a table")
        policy = replace(policy, **{name: parse(section, getattr(policy, name))})
    if policy.scale.major_people < policy.scale.big_people:
        raise PolicyError("scale.major_people: must not be below scale.big_people")
    if policy.scale.major_amount_yuan < policy.scale.big_amount_yuan:
        raise PolicyError("scale.major_amount_yuan: must not be below scale.big_amount_yuan")
    return policy


def _parse_scale(section: Mapping[str, Any], default: ScalePolicy) -> ScalePolicy:
    _no_unknown(section, [f.name for f in fields(ScalePolicy)], "scale.")
    values: dict[str, Any] = {}
    for key in ("big_people", "major_people"):
        if key in section:
            values[key] = _whole(section[key], f"scale.{key}", minimum=0)
    for key in ("big_amount_yuan", "major_amount_yuan"):
        if key in section:
            values[key] = _amount(section[key], f"scale.{key}")
    if "big_categories" in section:
        raw = section["big_categories"]
        if not isinstance(raw, list):
            raise PolicyError("scale.big_categories: expected a list of category names")
        categories = []
        for item in raw:
            category = Category.parse(item)
            if category is None:
                raise PolicyError(f"scale.big_categories: unknown category {item!r}")
            categories.append(category)
        values["big_categories"] = tuple(categories)
    return replace(default, **values)


def _parse_clocks(section: Mapping[str, Any], default: ClockPolicy) -> ClockPolicy:
    _no_unknown(section, [f.name for f in fields(ClockPolicy)], "clocks.")
    values: dict[str, Any] = {}
    for key in (
        "accept_working_days",
        "statutory_calendar_days",
        "extension_calendar_days",
        "major_report_working_days",
        "follow_up_calendar_days",
    ):
        if key in section:
            values[key] = _whole(section[key], f"clocks.{key}", minimum=1)
    if "settle_working_days" in section:
        raw = section["settle_working_days"]
        if not isinstance(raw, Mapping):
            raise PolicyError("clocks.settle_working_days: expected a table of level = days")
        _no_unknown(raw, [level.value for level in Level], "clocks.settle_working_days.")
        settle = dict(default.settle_working_days)
        for level in Level:
            if level.value in raw:
                settle[level] = _whole(
                    raw[level.value], f"clocks.settle_working_days.{level.value}", minimum=1
                )
        values["settle_working_days"] = settle
    if "warn_ratio" in section:
        ratio = section["warn_ratio"]
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio < 1:
            raise PolicyError("clocks.warn_ratio: expected a number between 0 and 1")
        values["warn_ratio"] = float(ratio)
    if "auto_escalate_village_breach" in section:
        values["auto_escalate_village_breach"] = _boolean(
            section["auto_escalate_village_breach"], "clocks.auto_escalate_village_breach"
        )
    return replace(default, **values)


def _parse_intake(section: Mapping[str, Any], default: IntakePolicy) -> IntakePolicy:
    _no_unknown(section, ["max_backdate_days"], "intake.")
    if "max_backdate_days" in section:
        return replace(
            default,
            max_backdate_days=_whole(section["max_backdate_days"], "intake.max_backdate_days", 0),
        )
    return default


def _parse_calendar(section: Mapping[str, Any], default: CalendarPolicy) -> CalendarPolicy:
    _no_unknown(section, ["holidays", "workdays"], "calendar.")
    values = {key: _dates(section[key], f"calendar.{key}") for key in section}
    result = replace(default, **values)
    both = result.holidays & result.workdays
    if both:
        day = min(both).isoformat()
        raise PolicyError(f"calendar: {day} is listed both as a holiday and as a workday")
    return result


def _parse_scorecard(section: Mapping[str, Any], default: ScorecardPolicy) -> ScorecardPolicy:
    _no_unknown(section, ["screening_due_day", "freeze_day", "weights"], "scorecard.")
    values: dict[str, Any] = {}
    for key in ("screening_due_day", "freeze_day"):
        if key in section:
            day = _whole(section[key], f"scorecard.{key}", minimum=1)
            if day > 28:
                raise PolicyError(f"scorecard.{key}: expected a day of the month from 1 to 28")
            values[key] = day
    if "weights" in section:
        raw = section["weights"]
        if not isinstance(raw, Mapping):
            raise PolicyError("scorecard.weights: expected a table of kind = weight")
        _no_unknown(raw, list(DEFAULT_WEIGHTS), "scorecard.weights.")
        weights = dict(default.weights)
        for key, value in raw.items():
            weights[key] = _whole(value, f"scorecard.weights.{key}", minimum=0)
        values["weights"] = weights
    return replace(default, **values)


def _no_unknown(section: Mapping[str, Any], known: list[str], prefix: str) -> None:
    for key in section:
        if key not in known:
            raise PolicyError(f"{prefix}{key}: unknown policy key")


def _whole(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = "a positive" if minimum >= 1 else "a non-negative"
        raise PolicyError(f"{name}: expected {kind} whole number, got {value!r}")
    return value


def _amount(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise PolicyError(f"{name}: expected an amount in yuan, got {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PolicyError(f"{name}: expected an amount in yuan, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise PolicyError(f"{name}: expected a non-negative amount in yuan, got {value!r}")
    return amount


def _boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(f"{name}: expected true or false, got {value!r}")
    return value


def _dates(value: Any, name: str) -> frozenset[dt.date]:
    if not isinstance(value, list):
        raise PolicyError(f'{name}: expected a list of "YYYY-MM-DD" dates')
    days = set()
    for item in value:
        if isinstance(item, dt.date) and not isinstance(item, dt.datetime):
            days.add(item)
            continue
        try:
            days.add(dt.date.fromisoformat(str(item)))
        except ValueError:
            raise PolicyError(f"{name}: {item!r} is not a YYYY-MM-DD date") from None
    return frozenset(days)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(item) for item in value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
