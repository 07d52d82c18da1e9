"""Incidents (list, detail, new, edit) and the monthly screening reports (file one, see a
month's). Each view checks access, validates, calls one service, then commits and redirects."""

from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from ..domain.enums import IncidentKind, Level, PetitionLevel
from ..domain.i18n import N_, Message
from ..domain.incidents import parse_incident, parse_screening, screening_due_at
from ..domain.intake import InvalidInput
from ..domain.months import Month
from ..extensions import db
from ..platform import runtime
from ..platform.i18n import label, local_time, render_message
from ..platform.web import page_number
from ..services import access
from ..services.incidents import (
    Conflict,
    NotAllowed,
    edit_incident,
    file_screening,
    find_case_by_number,
    flagged_missing,
    incident_values,
    parse_incident_filters,
    record_incident,
    screening_status,
    search_incidents,
)
from ..services.notify import Notifier
from . import bp
from .forms import IncidentForm, ScreeningForm

MONTHS_SHOWN = 12

# How each value a revision keeps is named on the page.
REVISION_LABELS = {
    "village_code": _l("Village"),
    "kind": _l("Kind"),
    "occurred_at": _l("Happened at"),
    "summary": _l("What happened"),
    "petition_level": _l("Petition lodged at"),
    "collective": _l("Collective petition"),
    "people": _l("Petitioners"),
    "injured": _l("Injured"),
    "dead": _l("Dead"),
    "case_id": _l("Linked case"),
}


def _notifier() -> Notifier:
    return Notifier.from_config(current_app.config["NOTIFY_CHANNELS"])


def _recent_months() -> list[Month]:
    """The current local month and the eleven before it, newest first."""
    return list(reversed(Month.of(runtime.utcnow(), runtime.tz()).last_months(MONTHS_SHOWN)))


# --- incidents ------------------------------------------------------------------------------


@bp.route("/incidents")
@login_required
def list_incidents():
    filters = parse_incident_filters(current_user, request.args)
    page = db.paginate(
        search_incidents(current_user, filters, runtime.tz()),
        page=page_number(),
        per_page=current_app.config["CASES_PER_PAGE"],
        error_out=False,
    )
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    units = access.units(current_user, Level.township, Level.village)
    return render_template(
        "incidents/list.html",
        page=page,
        filters=filters,
        args=args,
        units=units,
        months=_recent_months(),
        kinds=list(IncidentKind),
        may_record=access.can_record_incidents(current_user),
    )


@bp.route("/incidents/new", methods=["GET", "POST"])
@login_required
def new_incident():
    if not access.can_record_incidents(current_user):
        abort(403)
    villages = access.villages(current_user)
    form = IncidentForm()
    form.fill_choices(villages)
    if request.method == "GET" and len(villages) == 1:
        form.village_code.data = villages[0].code
    if form.validate_on_submit():
        now = runtime.utcnow()
        try:
            draft = _parse_form(form, now)
            incident = record_incident(current_user, draft, now, notifier=_notifier())
        except InvalidInput as error:
            db.session.rollback()
            form.show_errors(error.fields)
        except NotAllowed:
            abort(403)
        else:
            db.session.commit()
            flash(_("Incident recorded."), "success")
            return redirect(url_for("incidents.show_incident", incident_id=incident.id))
        return render_template("incidents/form.html", form=form, incident=None), 422
    return render_template("incidents/form.html", form=form, incident=None), (
        422 if form.errors else 200
    )


@bp.route("/incidents/<id:incident_id>")
@login_required
def show_incident(incident_id: int):
    incident = access.find_incident(current_user, incident_id) or abort(404)
    return render_template(
        "incidents/detail.html",
        incident=incident,
        revisions=revision_changes(incident),
        may_edit=access.can_record_incidents(current_user),
        case_visible=incident.case_id is not None
        and access.find_case(current_user, incident.case_id) is not None,
    )


@bp.route("/incidents/<id:incident_id>/edit", methods=["GET", "POST"])
@login_required
def edit(incident_id: int):
    incident = access.find_incident(current_user, incident_id) or abort(404)
    if not access.can_record_incidents(current_user):
        abort(403)
    form = IncidentForm()
    form.fill_choices(access.villages(current_user))
    if request.method == "GET":
        form.fill_from(incident, runtime.tz())
        return _edit_page(form, incident)
    if not form.validate_on_submit():
        return _edit_page(form, incident, 422)
    version = request.form.get("version", type=int)
    now = runtime.utcnow()
    try:
        draft = _parse_form(form, now)
        edit_incident(
            current_user, incident, draft, version, now, form.note.data or "", notifier=_notifier()
        )
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        form.show_errors(error.fields)
        return _edit_page(form, incident, 422)
    except (Conflict, StaleDataError):
        # Someone else changed it first: nothing of this request is kept; show the new values.
        db.session.rollback()
        incident = access.find_incident(current_user, incident_id) or abort(404)
        form.version.data = str(incident.version)
        form.form_errors = [
            _("The incident was changed meanwhile. Look at the changes and try again.")
        ]
        return _edit_page(form, incident, 409)
    flash(_("Saved."), "success")
    return redirect(url_for("incidents.show_incident", incident_id=incident.id))


def _edit_page(form: IncidentForm, incident, status: int = 200):
    return render_template(
        "incidents/form.html", form=form, incident=incident, revisions=revision_changes(incident)
    ), status


def revision_changes(incident) -> list[tuple]:
    """Each revision, newest first, with what it changed: (label, before, after) shown as on
    the page. A revision keeps the values before the edit; after is the next one's before."""
    revisions = list(incident.revisions)
    afters = [revision.before for revision in revisions[1:]] + [incident_values(incident)]
    rows = []
    for revision, after in zip(revisions, afters):
        changes = [
            (
                REVISION_LABELS[key],
                _shown(key, revision.before.get(key)),
                _shown(key, after.get(key)),
            )
            for key in REVISION_LABELS
            if revision.before.get(key) != after.get(key)
        ]
        rows.append((revision, changes))
    return list(reversed(rows))


def _shown(key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if key == "kind":
        return label(IncidentKind.parse(value)) or str(value)
    if key == "petition_level":
        return label(PetitionLevel.parse(value)) or str(value)
    if key == "occurred_at":
        try:
            return local_time(dt.datetime.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    if key == "collective":
        return _("yes") if value else _("no")
    return str(value)


def _parse_form(form: IncidentForm, now):
    """The draft from the form; a linked case is typed by its number (an unknown number is an
    error of that field, reported with the others)."""
    errors: dict[str, Message] = {}
    case_id = None
    number = (form.case_number.data or "").strip()
    if number:
        case = find_case_by_number(current_user, number)
        if case is None:
            errors["case_id"] = Message(N_("No such case in your area."))
        else:
            case_id = case.id
    try:
        draft = parse_incident(form.raw(case_id), now=now, tz=runtime.tz(), naive_is_local=True)
    except InvalidInput as error:
        raise InvalidInput({**error.fields, **errors}) from None
    if errors:
        raise InvalidInput(errors)
    return draft


# --- monthly screening reports ----------------------------------------------------------------


@bp.route("/screenings/new", methods=["GET", "POST"])
@login_required
def new_screening():
    """A village's monthly screening report (排查), or its zero report."""
    if not access.can_file_screenings(current_user):
        abort(403)
    villages = access.villages(current_user)
    months = _recent_months()
    form = ScreeningForm()
    form.fill_choices(villages, months)
    if request.method == "GET":
        # This month's report, due on the policy's day of this month; last month's only if
        # this one is in and that one is still owed (filed late, it still counts as filed).
        form.month.data = str(months[0])
        if len(villages) == 1:
            form.village_code.data = villages[0].code
            if screening_status(villages, months[0]) and not screening_status(villages, months[1]):
                form.month.data = str(months[1])
    if form.validate_on_submit():
        now = runtime.utcnow()
        try:
            draft = parse_screening(form.raw(), now=now, tz=runtime.tz())
            due_at = screening_due_at(
                draft.month, runtime.policy().scorecard.screening_due_day, runtime.tz()
            )
            report = file_screening(current_user, draft, now, due_at=due_at)
        except InvalidInput as error:
            db.session.rollback()
            form.show_errors(error.fields)
            status = 422
        except NotAllowed:
            abort(403)
        except Conflict as conflict:
            db.session.rollback()
            form.form_errors = [render_message(conflict.message)]
            status = 409
        else:
            db.session.commit()
            flash(_("Screening report for %(month)s filed.", month=report.month), "success")
            return redirect(url_for("incidents.screenings", month=report.month))
        return _screening_page(form, status)
    return _screening_page(form, 422 if form.errors else 200)


def _screening_page(form: ScreeningForm, status: int):
    due_day = runtime.policy().scorecard.screening_due_day
    return render_template("screenings/new.html", form=form, due_day=due_day), status


@bp.route("/screenings")
@login_required
def screenings():
    """Which villages filed their screening report for a month (this month's by default: it
    is due this month) and which have not."""
    tz, now = runtime.tz(), runtime.utcnow()
    month = Month.of(now, tz)
    error = None
    value = request.args.get("month", "").strip()
    if value:
        try:
            month = Month.parse(value)
        except ValueError:
            error = Message(N_("Enter a month such as 2026-11."))
    unit = current_user.unit
    code = request.args.get("unit", "").strip()
    if code:
        unit = access.find_unit(current_user, code) or abort(404)
    villages = [
        village
        for village in access.villages(current_user)
        if unit.id in (village.id, village.township_id, village.county_id)
    ]
    reports = screening_status(villages, month)
    flagged = flagged_missing(villages, month)
    due_at = screening_due_at(month, runtime.policy().scorecard.screening_due_day, tz)
    townships = access.units(current_user, Level.township)
    return render_template(
        "screenings/month.html",
        month=month,
        months=_recent_months(),
        error=error,
        unit=unit,
        townships=townships,
        villages=villages,
        reports=reports,
        flagged=flagged,
        due_at=due_at,
        due_on=(due_at - dt.timedelta(seconds=1)).astimezone(tz).date(),
        is_overdue=now >= due_at,
        may_file=access.can_file_screenings(current_user),
        filed_count=len(reports),
    )
