"""The statistical report of a unit for a period (docs/statistics.md): two GROUP BY queries
over the cases received in the period, so a report costs what the period holds, not the table.
The definitions are :mod:`mediation.domain.statistics`'s."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from ..domain.enums import CaseStatus, Level, Risk
from ..domain.i18n import N_, Message
from ..domain.intake import InvalidInput
from ..domain.statistics import AgreementRow, CaseRow, Outcome, Period, Report, tally
from ..extensions import db
from ..models import Agreement, Case, CaseEvent, Unit, User
from . import access
from .scorecard import counted_cases

RESOLVED_STATUSES = [status for status in CaseStatus if Outcome.of(status) is Outcome.resolved]


def received_in(unit: Unit, period: Period, tz: ZoneInfo) -> ColumnElement[bool]:
    """A WHERE clause on Case: the cases of ``unit``'s subtree received in ``period``."""
    start, end = period.bounds(tz)
    return and_(
        access.within(unit, Case),
        Case.received_at > start,
        Case.received_at <= end,
        counted_cases(),
    )


def statistics(unit: Unit, period: Period, *, tz: ZoneInfo) -> Report:
    """The report of ``unit`` (any level) for ``period``: outcomes as they stood at its end."""
    end = period.bounds(tz)[1]
    cases = received_in(unit, period, tz)
    # Each case's last step at the period's end (registration aside: it is written when typed
    # in, which for a back-dated case comes after the steps it records). No step: still open.
    last = _latest_per_case(
        CaseEvent,
        CaseEvent.at,
        (CaseEvent.to_status, CaseEvent.to_level),
        cases,
        CaseEvent.at <= end,
        CaseEvent.action != "register",
    )
    is_petition = cast(Case.risk_values, String).like(f'%"{Risk.petition.value}"%')
    grouped = (
        select(
            Case.category,
            Case.source,
            last.c.to_status,
            last.c.to_level,
            Case.is_violence_risk,
            Case.is_group_risk,
            is_petition,
            func.count(),
            func.coalesce(func.sum(Case.people_involved), 0),
        )
        .outerjoin(last, and_(last.c.case_id == Case.id, last.c.rank == 1))
        .where(cases)
        .group_by(
            Case.category,
            Case.source,
            last.c.to_status,
            last.c.to_level,
            Case.is_violence_risk,
            Case.is_group_risk,
            is_petition,
        )
    )
    case_rows = [
        CaseRow(
            category=category,
            source=source,
            outcome=Outcome.of(CaseStatus(status) if status is not None else None),
            level=level,
            is_violence_risk=bool(violence),
            is_group_risk=bool(group),
            is_petition_risk=bool(petition),
            cases=count,
            people=int(people),
        )
        for category, source, status, level, violence, group, petition, count, people in (
            db.session.execute(grouped)
        )
    ]

    # The agreement in force at the period's end of each case then resolved.
    latest = _latest_per_case(
        Agreement,
        Agreement.agreed_at,
        (Agreement.form, Agreement.amount_fen),
        cases,
        Agreement.agreed_at <= end,
    )
    agreements = (
        select(latest.c.form, func.count(), func.coalesce(func.sum(latest.c.amount_fen), 0))
        .join(last, and_(last.c.case_id == latest.c.case_id, last.c.rank == 1))
        .where(latest.c.rank == 1, last.c.to_status.in_(RESOLVED_STATUSES))
        .group_by(latest.c.form)
    )
    agreement_rows = [
        AgreementRow(form=form, count=count, amount_fen=int(amount))
        for form, count, amount in db.session.execute(agreements)
    ]
    return tally(case_rows, agreement_rows)


def report_document(
    unit: Unit, period: Period, report: Report, *, generated_at: dt.datetime
) -> dict:
    """The JSON document of docs/api.md#statistics."""
    return {
        "unit_code": unit.code,
        "unit_name": unit.name,
        "from": str(period.first),
        "to": str(period.last),
        "generated_at": generated_at.isoformat(),
        **report.as_dict(),
    }


class OutsideArea(LookupError):
    """The unit asked for lies outside the user's area (the caller answers 404)."""


def report_unit(user: User | None, code: str | None) -> Unit:
    """The unit a report is asked for: ``code`` (a county, township or village), or the user's
    own unit without one. Raises InvalidInput naming ``unit`` for a code no unit has, and
    OutsideArea for one outside the user's area; ``user`` None (the command line) sees all,
    defaulting to the only county."""
    code = (code or "").strip()
    if not code:
        if user is not None:
            return user.unit
        counties = db.session.scalars(select(Unit).where(Unit.kind == Level.county).limit(2))
        counties = list(counties)
        if len(counties) != 1:
            raise InvalidInput({"unit": Message(N_("Name the unit by its code."))})
        return counties[0]
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise InvalidInput({"unit": Message(N_("No unit has this code."))})
    if user is not None and access.find_unit(user, code) is None:
        raise OutsideArea(code)
    return unit


def _latest_per_case(model, at, columns, *where):
    """Each case's rows of ``model`` (events, agreements) ranked newest first by ``at``: the
    one with ``rank`` 1 is the case's latest; ``where`` narrows them (the cases counted, the
    period's end)."""
    return (
        select(
            model.case_id,
            *columns,
            func.row_number()
            .over(partition_by=model.case_id, order_by=(at.desc(), model.id.desc()))
            .label("rank"),
        )
        .join(Case, Case.id == model.case_id)
        .where(*where)
        .subquery()
    )
