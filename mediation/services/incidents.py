"""The 三零 inputs: incidents recorded by officers, and the villages' monthly screening reports.

Each operation changes data and flushes; the caller (view, API, job) commits once. Whether the
user may see a village or a case is decided in :mod:`.access`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError

from ..domain.enums import FlagKind, IncidentKind, Level
from ..domain.flags import fact_of_petition, screening_key
from ..domain.i18n import N_, Message
from ..domain.incidents import NOTE_MAX, IncidentDraft, ScreeningDraft
from ..domain.intake import InvalidInput
from ..domain.months import Month
from ..extensions import db
from ..models import Case, Flag, Incident, IncidentRevision, Screening, Unit, User
from . import access
from .cases import NotAllowed
from .facts import missing_screening
from .notify import Notifier, notify_flags
from .scorecard import in_month

__all__ = [
    "Conflict",
    "NotAllowed",
    "record_incident",
    "edit_incident",
    "file_screening",
    "raise_pushed_up",
    "incident_values",
    "screening_status",
    "IncidentFilters",
    "parse_incident_filters",
    "search_incidents",
    "find_case_by_number",
]

CHOOSE_VILLAGE = Message(N_("Choose a village in your area."))


class Conflict(Exception):
    """The change collides with the data as it is now (HTTP 409): a stale incident version,
    or a second screening report for the same village and month. Nothing was changed."""

    def __init__(self, message: Message, *, current_version: int | None = None):
        super().__init__(message.msgid)
        self.message = message
        self.current_version = current_version


def record_incident(
    actor: User, draft: IncidentDraft, now: dt.datetime, *, notifier: Notifier | None = None
) -> Incident:
    """Record an incident of a village in the officer's area (township and county officers
    only). A linked case must be a case of that village the officer can see. A petition above
    the county raises the pushed_up flag (once per case, or per village without a case)."""
    if not access.can_record_incidents(actor):
        raise NotAllowed
    village, case = _village_and_case(actor, draft)
    incident = Incident(created_by_id=actor.id, created_at=now)
    _apply(incident, draft, village, now)
    db.session.add(incident)
    db.session.flush()
    raise_pushed_up(incident, case, now, notifier=notifier)
    return incident


def edit_incident(
    actor: User,
    incident: Incident,
    draft: IncidentDraft,
    version: int | None,
    now: dt.datetime,
    note: str,
    *,
    notifier: Notifier | None = None,
) -> Incident:
    """Change an incident the officer can see, at the ``version`` he saw (else Conflict), with
    the reason in ``note``. The earlier values are kept as an IncidentRevision. Unchanged values
    change nothing."""
    if not access.can_record_incidents(actor):
        raise NotAllowed
    note = (note or "").strip()
    errors: dict[str, Message] = {}
    if not note:
        errors["note"] = Message(N_("Give the reason for the change."))
    elif len(note) > NOTE_MAX:
        errors["note"] = Message(N_("At most %(n)s characters, please."), {"n": NOTE_MAX})
    if version != incident.version:
        raise Conflict(
            Message(N_("The incident was changed meanwhile. Look at the changes and try again.")),
            current_version=incident.version,
        )
    village, case = _village_and_case(actor, draft, errors)
    before = incident_values(incident)
    _apply(incident, draft, village, now)
    after = incident_values(incident)
    if before == after:
        db.session.expire(incident)  # nothing to record: leave the row as it was
        return incident
    db.session.add(
        IncidentRevision(
            incident_id=incident.id, at=now, actor_id=actor.id, before=before, note=note
        )
    )
    db.session.flush()
    raise_pushed_up(incident, case, now, notifier=notifier)
    return incident


def incident_values(incident: Incident) -> dict:
    """What a revision keeps: the values a user can change, as JSON."""
    return {
        "village_code": incident.village.code if incident.village else None,
        "kind": incident.kind.value,
        "occurred_at": incident.occurred_at.astimezone(dt.UTC).isoformat(),
        "summary": incident.summary,
        "petition_level": incident.petition_level.value if incident.petition_level else None,
        "collective": incident.is_collective,
        "people": incident.people,
        "injured": incident.injured,
        "dead": incident.dead,
        "case_id": incident.case_id,
    }


def _village_and_case(
    actor: User, draft: IncidentDraft, errors: dict[str, Message] | None = None
) -> tuple[Unit, Case | None]:
    errors = dict(errors or {})
    village = access.find_unit(actor, draft.village_code)
    if village is None or village.kind is not Level.village:
        errors["village_code"] = CHOOSE_VILLAGE
    case = None
    if draft.case_id is not None:
        case = access.find_case(actor, draft.case_id)
        if case is None or (village is not None and case.village_id != village.id):
            errors["case_id"] = Message(N_("Choose a case of this village."))
    if errors:
        raise InvalidInput(errors)
    return village, case


def _apply(incident: Incident, draft: IncidentDraft, village: Unit, now: dt.datetime) -> None:
    incident.village = village
    incident.village_id = village.id
    incident.township_id = village.township_id
    incident.county_id = village.county_id
    incident.kind = draft.kind
    incident.occurred_at = draft.occurred_at
    incident.summary = draft.summary
    incident.petition_level = draft.petition_level if draft.kind is IncidentKind.petition else None
    incident.is_collective = draft.is_collective
    incident.people = draft.people
    incident.injured = draft.injured
    incident.dead = draft.dead
    incident.case_id = draft.case_id
    incident.updated_at = now


def raise_pushed_up(
    incident: Incident, case: Case | None, now: dt.datetime, *, notifier: Notifier | None = None
) -> Flag | None:
    """矛盾上交: a petition above the county raises the pushed_up flag at county level, once per
    petition, with its case when linked, dated when the petition happened. A fact of record:
    never cleared. The village's mediators and the officers of the holder (the case's, else
    the county's) are told. Returns the new flag, or None."""
    if incident.kind is not IncidentKind.petition or incident.petition_level is None:
        return None
    db.session.flush()  # the incident's id names the fact
    fact = fact_of_petition(
        incident.id,
        above_county=incident.petition_level.is_above_county,
        occurred_at=incident.occurred_at,
    )
    if fact is None or db.session.scalar(select(Flag.id).where(Flag.key == fact.key)):
        return None
    flag = Flag(
        key=fact.key,
        kind=fact.kind,
        case=case,
        case_id=case.id if case is not None else None,
        unit_id=incident.village_id,
        township_id=incident.township_id,
        county_id=incident.county_id,
        level=fact.level,
        occurred_at=fact.occurred_at,
        raised_at=now,
    )
    db.session.add(flag)
    db.session.flush()
    notify_flags([flag], notifier or Notifier.from_config("inbox"), now)
    return flag


def file_screening(
    actor: User, draft: ScreeningDraft, now: dt.datetime, *, due_at: dt.datetime
) -> Screening:
    """File a village's screening report for a month: a mediator for his own village, an
    officer for a village in his area. One per village and month (a second is a Conflict and
    changes nothing). A report filed at or after ``due_at`` is late: the month's
    screening_missing fact happened at the deadline, so it is on record (found now if no
    sweep found it yet), and is cleared by the filing; it stays, and so does its deduction."""
    if not access.can_file_screenings(actor):
        raise NotAllowed
    village = access.find_unit(actor, draft.village_code)
    if village is None or village.kind is not Level.village:
        raise InvalidInput({"village_code": CHOOSE_VILLAGE})
    period = str(draft.month)
    exists_already = Message(
        N_("%(village)s has already filed its screening report for %(month)s."),
        {"village": village.full_name, "month": period},
    )
    if (
        db.session.scalar(
            select(Screening.id).where(
                Screening.village_id == village.id, Screening.month == period
            )
        )
        is not None
    ):
        raise Conflict(exists_already)
    screening = Screening(
        village_id=village.id,
        township_id=village.township_id,
        county_id=village.county_id,
        month=period,
        visited_on=draft.visited_on,
        households=draft.households,
        risks_found=draft.risks_found,
        disputes_found=draft.disputes_found,
        is_zero_report=draft.is_zero_report,
        note=draft.note,
        filed_by_id=actor.id,
        filed_at=now,
    )
    db.session.add(screening)
    try:
        db.session.flush()
    except IntegrityError:  # the same report filed at the same moment by someone else
        db.session.rollback()
        raise Conflict(exists_already) from None
    screening.village = village
    if now >= due_at:
        _record_missing(village, period, due_at, now)
    db.session.execute(
        update(Flag)
        .where(
            Flag.unit_id == village.id,
            Flag.kind == FlagKind.screening_missing,
            Flag.period == period,
            Flag.cleared_at.is_(None),
        )
        .values(cleared_at=now)
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()
    return screening


def _record_missing(village: Unit, period: str, due_at: dt.datetime, now: dt.datetime) -> None:
    """The village's missing report for ``period``, on record from its deadline (once)."""
    key = screening_key(village.id, period)
    if db.session.scalar(select(Flag.id).where(Flag.key == key)) is None:
        db.session.add(
            missing_screening(
                village.id,
                village.township_id,
                village.county_id,
                period,
                due_at=due_at,
                now=now,
            )
        )
        db.session.flush()


def screening_status(villages: list[Unit], month: Month) -> dict[int, Screening]:
    """The reports filed for ``month`` by these villages, by village id (one query)."""
    if not villages:
        return {}
    reports = db.session.scalars(
        select(Screening).where(
            Screening.village_id.in_([village.id for village in villages]),
            Screening.month == str(month),
        )
    )
    return {report.village_id: report for report in reports}


def flagged_missing(villages: list[Unit], month: Month) -> set[int]:
    """The ids of these villages whose ``month`` report was flagged missing (filed late or
    not at all); the villages come from the user's area."""
    if not villages:
        return set()
    return set(
        db.session.scalars(
            select(Flag.unit_id).where(
                Flag.kind == FlagKind.screening_missing,
                Flag.period == str(month),
                Flag.unit_id.in_([village.id for village in villages]),
            )
        )
    )


@dataclass
class IncidentFilters:
    """What an incident list is narrowed to: a unit of the user's area (its subtree), a local
    month of occurrence, a kind. Built by :func:`parse_incident_filters`."""

    unit: Unit | None = None
    month: Month | None = None
    kind: IncidentKind | None = None
    errors: dict[str, Message] = field(default_factory=dict)


def parse_incident_filters(user: User, args) -> IncidentFilters:
    """Filters from query parameters (``unit``, ``month``, ``kind``); a bad one is named."""
    filters = IncidentFilters()
    code = (args.get("unit") or "").strip()
    if code:
        filters.unit = access.find_unit(user, code)
        if filters.unit is None:
            filters.errors["unit"] = Message(N_("No such unit in your area."))
    month = (args.get("month") or "").strip()
    if month:
        try:
            filters.month = Month.parse(month)
            if filters.month.year > 2999:  # the end of the calendar overflows once in UTC
                raise ValueError(month)
        except ValueError:
            filters.month = None
            filters.errors["month"] = Message(N_("Enter a month such as 2026-11."))
    kind = (args.get("kind") or "").strip()
    if kind:
        filters.kind = IncidentKind.parse(kind)
        if filters.kind is None:
            filters.errors["kind"] = Message(N_("Not a valid choice."))
    return filters


def search_incidents(user: User, filters: IncidentFilters, tz: ZoneInfo) -> Select[tuple[Incident]]:
    """The user's visible incidents narrowed by ``filters``, latest first."""
    query = access.visible_incidents(user)
    if filters.unit is not None:
        query = query.where(access.within(filters.unit, Incident))
    if filters.month is not None:
        query = query.where(in_month(Incident.occurred_at, filters.month, tz))
    if filters.kind is not None:
        query = query.where(Incident.kind == filters.kind)
    return query.order_by(Incident.occurred_at.desc(), Incident.id.desc())


def find_incidents(user: User, filters: IncidentFilters, tz: ZoneInfo) -> list[Incident]:
    """The incidents :func:`search_incidents` selects, read."""
    return list(db.session.scalars(search_incidents(user, filters, tz)))


def find_case_by_number(user: User, number: str) -> Case | None:
    """A case the user can see, by its number (410522-2026-000123) or its id."""
    number = number.strip()
    case = db.session.scalars(access.visible_cases(user).where(Case.number == number)).first()
    if case is None and number.isdigit() and len(number) < 10:
        case = access.find_case(user, int(number))
    return case
