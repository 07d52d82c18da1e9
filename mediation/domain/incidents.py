"""Validation of the 三零 inputs (docs/rules.md#incidents-and-screening): the incidents officers
record for a village, and the monthly screening report (排查) a village files.

One set of rules behind the HTML forms and the JSON API: :func:`parse_incident` and
:func:`parse_screening` take what the user sent and return a draft, or raise
:class:`~mediation.domain.intake.InvalidInput` naming each bad field. Whether the village (and a
linked case) lies in the user's area is the caller's question: it needs the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from .enums import IncidentKind, PetitionLevel
from .i18n import N_, Message
from .intake import MAX_PEOPLE, FieldReader, InvalidInput, _parse_instant, _present
from .months import Month

SUMMARY_MAX = 2000
NOTE_MAX = 2000
MAX_COUNT = 100_000  # households visited, risks, disputes, injured, dead: beyond that a typo
MAX_CASE_ID = 2**31 - 1
CLOCK_SKEW = dt.timedelta(minutes=5)  # a phone's clock may run ahead

_TRUE = {"true", "1", "yes", "on", "y"}
_FALSE = {"false", "0", "no", "off", "n", ""}


@dataclass(frozen=True)
class IncidentDraft:
    village_code: str
    kind: IncidentKind
    occurred_at: dt.datetime  # aware, UTC
    summary: str
    petition_level: PetitionLevel | None  # petitions only
    is_collective: bool  # petitions only
    people: int  # petitioners (≥2 when collective); for other kinds 0 when not given
    injured: int  # accidents only
    dead: int  # accidents only
    case_id: int | None

    @property
    def is_pushed_up(self) -> bool:
        """A petition lodged above the county: 矛盾上交."""
        return self.petition_level is not None and self.petition_level.is_above_county


@dataclass(frozen=True)
class ScreeningDraft:
    village_code: str
    month: Month
    visited_on: dt.date  # local date
    households: int
    risks_found: int
    disputes_found: int
    is_zero_report: bool
    note: str


def parse_incident(
    raw: Mapping[str, Any], *, now: dt.datetime, tz: ZoneInfo, naive_is_local: bool = False
) -> IncidentDraft:
    """Validate an incident. ``occurred_at`` is ISO 8601 with its offset (a naive time counts as
    local only from the HTML form), not in the future. A petition needs its level (township,
    county, city, province, national); other kinds refuse one. A collective petition counts at
    least 2 people. Injured and dead are whole numbers ≥ 0, for accidents only."""
    errors: dict[str, Message] = {}
    get = FieldReader(raw, errors)

    village_code = get.text("village_code", max_length=32)
    kind = get.choice("kind", IncidentKind)
    summary = get.text("summary", max_length=SUMMARY_MAX)

    occurred_at = None
    if not _present(raw.get("occurred_at")):
        errors["occurred_at"] = Message(N_("This field is required."))
    else:
        occurred_at = _parse_instant(raw["occurred_at"], "occurred_at", tz, naive_is_local, errors)
        if occurred_at is not None and occurred_at > now + CLOCK_SKEW:
            errors["occurred_at"] = Message(N_("The time it happened cannot be in the future."))

    petition_level = None
    is_collective = _boolean(raw, "collective", errors)
    people = 0
    if kind is IncidentKind.petition:
        petition_level = get.choice("petition_level", PetitionLevel)
        if is_collective:
            if not _present(raw.get("people")):
                errors["people"] = Message(N_("Give the number of petitioners (at least 2)."))
            else:
                people = get.whole("people", minimum=2, maximum=MAX_PEOPLE)
        else:
            people = _optional_whole(get, raw, "people", minimum=1, maximum=MAX_PEOPLE, default=1)
    elif kind is not None:
        if _present(raw.get("petition_level")):
            errors["petition_level"] = Message(N_("Only a petition has a level."))
        if is_collective:
            errors["collective"] = Message(N_("Only a petition can be collective."))
        people = _optional_whole(get, raw, "people", minimum=1, maximum=MAX_PEOPLE, default=0)

    injured = _optional_whole(get, raw, "injured", minimum=0, maximum=MAX_COUNT, default=0)
    dead = _optional_whole(get, raw, "dead", minimum=0, maximum=MAX_COUNT, default=0)
    if kind is not None and kind is not IncidentKind.accident:
        for key, value in (("injured", injured), ("dead", dead)):
            if value and key not in errors:
                errors[key] = Message(N_("Only an accident has injured or dead."))

    case_id = None
    if _present(raw.get("case_id")):
        case_id = get.whole("case_id", minimum=1, maximum=MAX_CASE_ID)

    if errors:
        raise InvalidInput(errors)
    return IncidentDraft(
        village_code=village_code,
        kind=kind,
        occurred_at=occurred_at.astimezone(dt.UTC),
        summary=summary,
        petition_level=petition_level,
        is_collective=is_collective,
        people=people,
        injured=injured if kind is IncidentKind.accident else 0,
        dead=dead if kind is IncidentKind.accident else 0,
        case_id=case_id,
    )


def parse_screening(raw: Mapping[str, Any], *, now: dt.datetime, tz: ZoneInfo) -> ScreeningDraft:
    """Validate a monthly screening report. ``month`` is "YYYY-MM", not after the current local
    month; ``visited_at`` a local date (or an ISO 8601 time) within or after that month and not
    in the future. Households, risks and disputes found are whole numbers ≥ 0 (risks and
    disputes may be left out of a zero report, which finds no disputes)."""
    errors: dict[str, Message] = {}
    get = FieldReader(raw, errors)
    today = now.astimezone(tz).date()

    village_code = get.text("village_code", max_length=32)
    note = get.text("note", max_length=NOTE_MAX, required=False)
    is_zero_report = _boolean(raw, "zero_report", errors)

    month = None
    value = raw.get("month")
    if not _present(value):
        errors["month"] = Message(N_("This field is required."))
    else:
        try:
            month = Month.parse(value.strip()) if isinstance(value, str) else None
        except ValueError:
            month = None
        if month is None:
            errors["month"] = Message(N_("Enter a month such as 2026-11."))
        elif (month.year, month.month) > (today.year, today.month):
            errors["month"] = Message(N_("The month cannot be in the future."))
            month = None

    visited_on = _parse_day(raw.get("visited_at"), "visited_at", tz, errors)
    if visited_on is not None:
        if visited_on > today:
            errors["visited_at"] = Message(N_("The day of the visits cannot be in the future."))
        elif month is not None and visited_on < dt.date(month.year, month.month, 1):
            errors["visited_at"] = Message(
                N_("The visits of %(month)s cannot be before that month."), {"month": str(month)}
            )

    households = get.whole("households", minimum=0, maximum=MAX_COUNT)
    if is_zero_report:
        risks_found = _optional_whole(
            get, raw, "risks_found", minimum=0, maximum=MAX_COUNT, default=0
        )
        disputes_found = _optional_whole(
            get, raw, "disputes_found", minimum=0, maximum=MAX_COUNT, default=0
        )
        if disputes_found and "disputes_found" not in errors:
            errors["disputes_found"] = Message(
                N_("A zero report finds no disputes; file a normal report instead.")
            )
    else:
        risks_found = get.whole("risks_found", minimum=0, maximum=MAX_COUNT)
        disputes_found = get.whole("disputes_found", minimum=0, maximum=MAX_COUNT)

    if errors:
        raise InvalidInput(errors)
    return ScreeningDraft(
        village_code=village_code,
        month=month,
        visited_on=visited_on,
        households=households,
        risks_found=risks_found,
        disputes_found=disputes_found,
        is_zero_report=is_zero_report,
        note=note,
    )


def _boolean(raw: Mapping[str, Any], key: str, errors: dict[str, Message]) -> bool:
    """true/false from JSON, or a checkbox's "y"/"on" (absent: false)."""
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    errors[key] = Message(N_("Answer yes or no."))
    return False


def _optional_whole(
    get: FieldReader, raw: Mapping[str, Any], key: str, *, minimum: int, maximum: int, default: int
) -> int:
    if not _present(raw.get(key)):
        return default
    return get.whole(key, minimum=minimum, maximum=maximum)


def _parse_day(value: Any, key: str, tz: ZoneInfo, errors: dict[str, Message]) -> dt.date | None:
    """A local date from "2026-11-26", or from an ISO 8601 time (its local day)."""
    if not _present(value):
        errors[key] = Message(N_("This field is required."))
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text)
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed.astimezone(tz).date() if parsed.tzinfo else parsed.date()
    errors[key] = Message(N_("Enter a date such as 2026-11-26."))
    return None


# --- the monthly screening check of the sweep ----------------------------------------------


def last_screening_due(now: dt.datetime, due_day: int, tz: ZoneInfo) -> Month:
    """The latest month whose screening report is overdue at ``now``: month M's is due by 24:00
    on ``due_day`` of M itself, local time (policy scorecard.screening_due_day, 25), so that
    M's card is complete when it freezes early in M+1."""
    current = Month.of(now, tz)
    return current if now >= screening_due_at(current, due_day, tz) else current.previous()


def screening_due_at(month: Month, due_day: int, tz: ZoneInfo) -> dt.datetime:
    """When ``month``'s screening report is due: 24:00 local on ``due_day`` of that month."""
    return month.end_of_day(due_day, tz)


def screening_months_to_check(
    now: dt.datetime,
    due_day: int,
    tz: ZoneInfo,
    *,
    checked: Month | None,
    first_used: Month | None,
) -> list[Month]:
    """The months, oldest first, whose missing screening reports the sweep has yet to flag.

    ``checked`` is the last month already checked. A database never checked starts with the
    month of its first case or report (``first_used``): a county is not blamed for the months
    before it used the system, and with no data at all there is nothing to check yet.
    """
    latest = last_screening_due(now, due_day, tz)
    if checked is None:
        if first_used is None:
            return []
        checked = first_used.previous()
    months = []
    month = checked.next()
    while (month.year, month.month) <= (latest.year, latest.month):
        months.append(month)
        month = month.next()
    return months
