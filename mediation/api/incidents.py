"""The 三零 inputs in the JSON API: incidents (petitions, accidents, criminal and public-order
cases) and the villages' monthly screening reports. Same services as the web pages; the
authentication and error shapes of :mod:`.views`."""

from __future__ import annotations

from flask import abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..domain.i18n import N_, Message
from ..domain.incidents import parse_incident, parse_screening, screening_due_at
from ..domain.months import Month
from ..extensions import db
from ..models import Incident, Screening, Unit
from ..platform import runtime
from ..platform.i18n import render_message
from ..platform.web import error_response
from ..services import access
from ..services.incidents import (
    Conflict,
    edit_incident,
    file_screening,
    find_incidents,
    parse_incident_filters,
    record_incident,
    screening_status,
)
from ..services.notify import Notifier
from . import bp
from .bodies import invalid, json_object, read_body
from .idempotency import idempotent
from .serializers import instant


def incident_json(incident: Incident, *, revisions: bool = False) -> dict:
    """An incident; with ``revisions``, its earlier versions (oldest first)."""
    data = {
        "id": incident.id,
        "village_code": incident.village.code,
        "village_name": incident.village.full_name,
        "kind": incident.kind.value,
        "occurred_at": instant(incident.occurred_at),
        "summary": incident.summary,
        "petition_level": incident.petition_level.value if incident.petition_level else None,
        "collective": incident.is_collective,
        "people": incident.people,
        "injured": incident.injured,
        "dead": incident.dead,
        "case_id": incident.case_id,
        "case_number": incident.case.number if incident.case else None,
        "version": incident.version,
        "created_by": incident.created_by.username if incident.created_by else None,
        "created_at": instant(incident.created_at),
        "updated_at": instant(incident.updated_at),
    }
    if revisions:
        data["revisions"] = [
            {
                "at": instant(revision.at),
                "actor": revision.actor.username if revision.actor else None,
                "note": revision.note,
                "before": revision.before,
            }
            for revision in incident.revisions
        ]
    return data


def screening_json(screening: Screening) -> dict:
    return {
        "id": screening.id,
        "village_code": screening.village.code,
        "village_name": screening.village.full_name,
        "month": screening.month,
        "visited_at": screening.visited_on.isoformat(),
        "households": screening.households,
        "risks_found": screening.risks_found,
        "disputes_found": screening.disputes_found,
        "zero_report": screening.is_zero_report,
        "note": screening.note,
        "filed_at": instant(screening.filed_at),
    }


@bp.post("/incidents")
@idempotent
def create_incident():
    """Record an incident of a village in the caller's area (officers): 201."""
    if not access.can_record_incidents(current_user):
        return error_response(403, _("Your role may not do this."))
    now, tz = runtime.utcnow(), runtime.tz()
    draft = read_body("IncidentInput", lambda raw: parse_incident(raw, now=now, tz=tz))
    incident = record_incident(current_user, draft, now, notifier=_notifier())
    db.session.commit()
    response = jsonify(incident_json(incident))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_incident", incident_id=incident.id)
    return response


@bp.get("/incidents")
def list_incidents():
    """The caller's incidents, latest first; ``unit``, ``month`` (YYYY-MM, local), ``kind``."""
    filters = parse_incident_filters(current_user, request.args)
    if filters.errors:
        return invalid(filters.errors)
    incidents = find_incidents(current_user, filters, runtime.tz())
    return jsonify([incident_json(incident) for incident in incidents])


@bp.get("/incidents/<id:incident_id>")
def get_incident(incident_id: int):
    """One incident of the caller's area, with its revisions."""
    return jsonify(incident_json(_find_incident_or_404(incident_id), revisions=True))


@bp.put("/incidents/<id:incident_id>")
def update_incident(incident_id: int):
    """Change an incident (officers): all its fields, the ``version`` the caller saw and the
    reason (``note``). 409 on a stale version; the earlier values are kept as a revision."""
    incident = _find_incident_or_404(incident_id)
    if not access.can_record_incidents(current_user):
        return error_response(403, _("Your role may not do this."))
    raw = json_object()
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        return invalid({"version": Message(N_("Send the incident's version as a whole number."))})
    now, tz = runtime.utcnow(), runtime.tz()
    draft = read_body("IncidentUpdate", lambda raw: parse_incident(raw, now=now, tz=tz))
    try:
        edit_incident(
            current_user, incident, draft, version, now, raw.get("note") or "", notifier=_notifier()
        )
        db.session.commit()
    except Conflict as conflict:
        db.session.rollback()
        return _version_conflict(conflict.message, conflict.current_version)
    except StaleDataError:
        db.session.rollback()
        current = _find_incident_or_404(incident_id)
        return _version_conflict(
            Message(N_("The incident was changed meanwhile. Look at the changes and try again.")),
            current.version,
        )
    return jsonify(incident_json(incident, revisions=True))


@bp.post("/screenings")
@idempotent
def create_screening():
    """File a village's screening report for a month: 201; a second for the same village
    and month is 409 and changes nothing."""
    if not access.can_file_screenings(current_user):
        return error_response(403, _("Your role may not do this."))
    now, tz = runtime.utcnow(), runtime.tz()
    draft = read_body("ScreeningInput", lambda raw: parse_screening(raw, now=now, tz=tz))
    try:
        due_at = screening_due_at(draft.month, runtime.policy().scorecard.screening_due_day, tz)
        screening = file_screening(current_user, draft, now, due_at=due_at)
    except Conflict as conflict:
        db.session.rollback()
        return error_response(409, render_message(conflict.message))
    db.session.commit()
    response = jsonify(screening_json(screening))
    response.status_code = 201
    return response


@bp.get("/screenings")
def list_screenings():
    """The screening reports filed for a month (``month``, default the previous one) by the
    villages of the caller's area, or of ``unit``; plus the villages that have not filed."""
    errors: dict[str, Message] = {}
    month = _month_arg(errors)
    unit = current_user.unit
    code = request.args.get("unit", "").strip()
    if code:
        unit = access.find_unit(current_user, code)
        if unit is None:
            errors["unit"] = Message(N_("No such unit in your area."))
    if errors:
        return invalid(errors)
    villages = [village for village in access.villages(current_user) if _under(village, unit)]
    reports = screening_status(villages, month)
    return jsonify(
        {
            "month": str(month),
            "unit_code": unit.code,
            "filed": [screening_json(reports[v.id]) for v in villages if v.id in reports],
            "missing": [
                {"village_code": v.code, "village_name": v.full_name}
                for v in villages
                if v.id not in reports
            ],
        }
    )


def _month_arg(errors: dict[str, Message]) -> Month:
    """``month`` from the query (default: the previous month, the one being reported)."""
    default = Month.of(runtime.utcnow(), runtime.tz()).previous()
    value = request.args.get("month", "").strip()
    if not value:
        return default
    try:
        return Month.parse(value)
    except ValueError:
        errors["month"] = Message(N_("Enter a month such as 2026-11."))
        return default


def _under(village: Unit, unit: Unit) -> bool:
    return unit.id in (village.id, village.township_id, village.county_id)


def _find_incident_or_404(incident_id: int) -> Incident:
    incident = access.find_incident(current_user, incident_id)  # <id:…> bounds it
    if incident is None:
        abort(404)
    return incident


def _notifier() -> Notifier:
    from flask import current_app

    return Notifier.from_config(current_app.config["NOTIFY_CHANNELS"])


def _version_conflict(message: Message, current_version: int | None):
    error = {
        "code": "version_conflict",
        "message": render_message(message),
        "current_version": current_version,
    }
    return jsonify({"error": error}), 409
