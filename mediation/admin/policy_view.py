"""The policy in force as the admin page shows it: each setting named and its value in words,
with the file's key beside it for whoever edits the MEDIATION_POLICY file."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..domain.enums import Category, Level
from ..platform.i18n import label
from ..scorecards.layout import WEIGHT_LABELS

SECTIONS = {
    "scale": _l("Scale of a dispute"),
    "clocks": _l("Clocks"),
    "intake": _l("Intake"),
    "calendar": _l("Working calendar"),
    "scorecard": _l("Monthly scorecard"),
}

# key → (what it is, how its value reads)
SETTINGS: dict[str, tuple[Any, str]] = {
    "big_people": (_l("Big dispute from this many people"), "people"),
    "big_amount_yuan": (_l("Big dispute from this amount"), "yuan"),
    "major_people": (_l("Major dispute from this many people"), "people"),
    "major_amount_yuan": (_l("Major dispute from this amount"), "yuan"),
    "big_categories": (_l("Categories that are always big"), "categories"),
    "accept_working_days": (_l("Time to accept a case"), "working_days"),
    "settle_working_days": (_l("Time to settle, by level"), "levels"),
    "statutory_calendar_days": (_l("Statutory limit of the whole case"), "calendar_days"),
    "extension_calendar_days": (_l("Extension with both parties' consent"), "calendar_days"),
    "major_report_working_days": (_l("Time to report a major case"), "working_days"),
    "follow_up_calendar_days": (_l("Follow-up visit after resolution"), "calendar_days"),
    "warn_ratio": (_l("Warning at this share of a clock's span"), "percent"),
    "auto_escalate_village_breach": (
        _l("A village settle breach escalates the case automatically"),
        "yesno",
    ),
    "max_backdate_days": (_l("Received time may be back-dated by up to"), "calendar_days"),
    "holidays": (_l("Extra days off"), "days"),
    "workdays": (_l("Extra make-up working days"), "days"),
    "screening_due_day": (_l("Screening report due by 24:00 on"), "day_of_month"),
    "freeze_day": (_l("The month is frozen on"), "day_of_next_month"),
    "weights": (_l("Score deductions"), "weights"),
}


@dataclass(frozen=True)
class Setting:
    key: str
    name: str
    value: str


def _value(kind: str, value: Any) -> str:
    if kind == "people":
        return _("%(n)s people", n=value)
    if kind == "yuan":
        return _("%(amount)s yuan", amount=f"{Decimal(value):,}")
    if kind == "categories":
        return _(", ").join(label(Category(code)) for code in value) or _("None")
    if kind == "working_days":
        return _("%(n)s working days", n=value)
    if kind == "calendar_days":
        return _("%(n)s calendar days", n=value)
    if kind == "levels":
        return _(", ").join(
            _("%(level)s: %(n)s working days", level=label(Level(level)), n=days)
            for level, days in value.items()
        )
    if kind == "percent":
        return f"{Decimal(str(value)) * 100:.0f}%"
    if kind == "yesno":
        return _("Yes") if value else _("No")
    if kind == "days":
        return _(", ").join(str(day) for day in value) or _("None")
    if kind == "day_of_month":
        return _("day %(n)s of the month", n=value)
    if kind == "day_of_next_month":
        return _("day %(n)s of the next month", n=value)
    if kind == "weights":
        return _(", ").join(
            _("%(what)s −%(points)s", what=WEIGHT_LABELS.get(kind_, kind_), points=points)
            for kind_, points in value.items()
        )
    return str(value)


def policy_sections(policy: dict[str, dict[str, Any]]) -> list[tuple[str, str, list[Setting]]]:
    """(file section, its name, its settings) in the file's order."""
    sections = []
    for section, values in policy.items():
        settings = []
        for key, value in values.items():
            name, kind = SETTINGS.get(key, (key, ""))
            settings.append(Setting(key=key, name=str(name), value=_value(kind, value)))
        sections.append((section, str(SECTIONS.get(section, section)), settings))
    return sections
