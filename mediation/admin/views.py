"""Administration: units, users, the working calendar and the policy in force (admins, within
their county)."""

from __future__ import annotations

import csv
import io

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.views import channel_choices
from ..domain.calendar import bundled_years, parse_year_entry
from ..domain.enums import Level, Role
from ..domain.intake import InvalidInput
from ..extensions import db
from ..inbox.text import text as notice_text
from ..models import Unit
from ..platform import runtime
from ..platform.i18n import render_fields
from ..services import access, outbox
from ..services import calendar as calendar_service
from ..services.channels import channel_label
from ..services.units import UnitImportError, decode_units_file, import_units, read_units_csv
from ..services.users import create_user, set_reach, update_user
from . import bp
from .forms import (
    CalendarYearForm,
    ConfirmForm,
    EditUserForm,
    UnitForm,
    UnitImportForm,
    UserForm,
)
from .policy_view import policy_sections


@bp.before_request
@login_required
def require_admin():
    if not access.can_administer(current_user):
        abort(403)


def _tree(units):
    """Townships with their villages, in code order, for the page."""
    villages: dict[int, list[Unit]] = {}
    for unit in units:
        if unit.kind is Level.village:
            villages.setdefault(unit.parent_id, []).append(unit)
    townships = [unit for unit in units if unit.kind is Level.township]
    counties = [unit for unit in units if unit.kind is Level.county]
    return counties, sorted(townships, key=lambda u: u.code), villages


@bp.route("/units", methods=["GET", "POST"])
def units():
    units = access.units(current_user)
    import_form = UnitImportForm(prefix="import")
    unit_form = UnitForm(prefix="unit")
    unit_form.kind.choices = [
        (level.value, _(level.label)) for level in (Level.township, Level.village)
    ]
    unit_form.parent_code.choices = [
        (unit.code, unit.full_name) for unit in units if unit.kind is not Level.village
    ]
    status = 200
    if import_form.submit_ok():
        try:
            text, _encoding = decode_units_file(import_form.file.data.read())
        except UnitImportError as error:
            import_form.file.errors = list(import_form.file.errors) + error.problems
            status = 422
        else:
            status = _import(text, import_form.file)
        if status == 200:
            return redirect(url_for("admin.units"))
    elif unit_form.submit_ok():
        if access.find_unit(current_user, unit_form.parent_code.data or "") is None:
            unit_form.parent_code.errors.append(_("Choose a unit in your area."))
            status = 422
        else:
            status = _import(
                _csv_text(
                    unit_form.code.data,
                    unit_form.name.data,
                    unit_form.kind.data,
                    unit_form.parent_code.data,
                ),
                unit_form.code,
            )
            if status == 200:
                return redirect(url_for("admin.units"))
    if request.method == "POST":
        status = 422  # every success redirected: what was sent is shown again with its errors
    counties, townships, villages = _tree(units)
    return render_template(
        "admin/units.html",
        counties=counties,
        townships=townships,
        villages=villages,
        import_form=import_form,
        unit_form=unit_form,
    ), status


def _csv_text(*row: str) -> str:
    """One unit as an import file: quoted as CSV, so that a comma or a quote in a name stays
    part of the name."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([("code", "name", "kind", "parent_code"), row])
    return out.getvalue()


def _import(text: str, field) -> int:
    """Import CSV text; problems go next to ``field``. Units outside the admin's county are
    refused: every row's parent must be in scope."""
    try:
        rows = read_units_csv(text)
        outside = access.unit_rows_outside_scope(current_user, rows)
        if outside:
            raise UnitImportError(
                [f"line {row.line}: {row.code} is not under a unit of your area" for row in outside]
            )
        result = import_units(rows)
    except UnitImportError as error:
        db.session.rollback()
        field.errors = list(field.errors) + error.problems
        return 422
    db.session.commit()
    flash(
        _(
            "Units imported: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        ),
        "success",
    )
    return 200


@bp.route("/users", methods=["GET", "POST"])
def users():
    units = access.units(current_user)
    form = UserForm()
    form.role.choices = [(role.value, _(role.label)) for role in Role]
    form.unit_code.choices = [(unit.code, unit.full_name) for unit in units]
    if not form.is_submitted():  # a valid pair to start from: a village's mediator
        form.role.data = Role.mediator.value
        form.unit_code.data = next(
            (unit.code for unit in units if unit.kind in Role.mediator.unit_levels), None
        )
    status = 200
    if form.validate_on_submit():
        if access.find_unit(current_user, form.unit_code.data or "") is None:
            form.unit_code.errors.append(_("Choose a unit in your area."))
            status = 422
        else:
            try:
                role = Role(form.role.data)
                user = create_user(
                    form.username.data,
                    role=role,
                    unit_code=form.unit_code.data,
                    password=form.password.data,
                    display_name=form.display_name.data or "",
                )
            except (InvalidInput, ValueError) as error:
                db.session.rollback()
                fields = (
                    render_fields(error.fields)
                    if isinstance(error, InvalidInput)
                    else {"role": _("Not a valid choice.")}
                )
                for name, message in fields.items():
                    target = form.unit_code if name == "unit" else form[name]
                    target.errors.append(message)
                status = 422
            else:
                db.session.commit()
                flash(_("User %(name)s created.", name=user.username), "success")
                return redirect(url_for("admin.users"))
    elif form.errors:
        status = 422
    people = access.users(current_user)
    return render_template(
        "admin/users.html", form=form, people=people, toggle=ConfirmForm()
    ), status


@bp.route("/users/<id:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    """Change a user's role, unit, full name, or set a new password."""
    user = access.find_user(current_user, user_id) or abort(404)
    units = access.units(current_user)
    form = EditUserForm(obj=None if request.method == "POST" else user)
    form.role.choices = [(role.value, _(role.label)) for role in Role]
    form.unit_code.choices = [(unit.code, unit.full_name) for unit in units]
    form.channels.choices = channel_choices()
    if request.method == "GET":
        form.role.data, form.unit_code.data = user.role.value, user.unit.code
        form.email.data, form.phone.data = user.email or "", user.phone or ""
        form.channels.data = user.chosen_channels
        form.digest.data = user.notify_digest
    status = 200
    if form.validate_on_submit():
        role = Role.parse(form.role.data or "")
        if role is None:
            form.role.errors.append(_("Not a valid choice."))
            status = 422
        else:
            try:
                update_user(
                    user,
                    role=role,
                    unit=access.find_unit(current_user, form.unit_code.data or ""),
                    display_name=form.display_name.data or "",
                    new_password=form.new_password.data or "",
                    is_self=user.id == current_user.id,
                )
                set_reach(
                    user,
                    email=form.email.data or "",
                    phone=form.phone.data or "",
                    channels=form.channels.data or [],
                    available=[name for name, _label in form.channels.choices],
                    digest=bool(form.digest.data),
                )
            except InvalidInput as error:
                db.session.rollback()
                targets = {
                    "unit": form.unit_code,
                    "new_password": form.new_password,
                    "email": form.email,
                    "phone": form.phone,
                    "channels": form.channels,
                }
                for name, message in render_fields(error.fields).items():
                    targets.get(name, form.role).errors.append(message)
                status = 422
            else:
                db.session.commit()
                flash(_("User %(name)s updated.", name=user.username), "success")
                return redirect(url_for("admin.users"))
    elif form.errors:
        status = 422
    return render_template("admin/user_edit.html", form=form, person=user), status


@bp.route("/users/<id:user_id>/toggle", methods=["POST"])
def toggle_user(user_id: int):
    """Disable or re-enable a user of the admin's area (never oneself)."""
    form = ConfirmForm()
    user = access.find_user(current_user, user_id) or abort(404)
    if not form.validate_on_submit() or user.id == current_user.id:
        abort(400)
    user.is_enabled = not user.is_enabled
    db.session.commit()
    flash(_("User %(name)s updated.", name=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.route("/deliveries")
def deliveries():
    """The outbox of the admin's area: deliveries that failed for good and those still
    waiting, with their last error and attempts; a failed one can be sent again."""
    query = access.deliveries(current_user)
    return render_template(
        "admin/deliveries.html",
        rows=outbox.pending_and_failed(query),
        counts=outbox.counts(query),
        form=ConfirmForm(),
        channel_label=channel_label,
        notice_text=notice_text,
    )


@bp.route("/deliveries/<id:delivery_id>/retry", methods=["POST"])
def retry_delivery(delivery_id: int):
    """Send a delivery again at the next run (same id); one already sent is left alone."""
    form = ConfirmForm()
    delivery = access.find_delivery(current_user, delivery_id) or abort(404)
    if not form.validate_on_submit():
        abort(400)
    if delivery.status != "sent":
        outbox.retry(delivery, runtime.utcnow())
        db.session.commit()
        flash(_("The notice will be sent again within a minute."), "success")
    return redirect(url_for("admin.deliveries"))


@bp.route("/policy")
def policy():
    return render_template(
        "admin/policy.html", sections=policy_sections(runtime.policy().as_dict())
    )


FIRST_PROBED_YEAR = 2000
UNKNOWN_YEARS_SHOWN = 3


@bp.route("/calendar", methods=["GET", "POST"])
def calendar():
    """The working calendar: what the bundled Chinese calendar knows, the years entered here,
    the policy file's extra days, and the form to enter (or re-enter) a year."""
    entered = calendar_service.entered_years()
    form = CalendarYearForm()
    status = 200
    if form.validate_on_submit():
        try:
            entry = parse_year_entry(form.year.data, form.holidays.data, form.workdays.data)
            recomputed = calendar_service.enter_year(
                current_user,
                entry.year,
                holidays=list(entry.holidays),
                workdays=list(entry.workdays),
                now=runtime.utcnow(),
                policy=runtime.policy(),
                tz=runtime.tz(),
            )
        except InvalidInput as error:
            db.session.rollback()
            for name, message in render_fields(error.fields).items():
                form[name].errors.append(message)
            status = 422
        else:
            db.session.commit()
            flash(
                _(
                    "The calendar of %(year)s is saved."
                    " Provisional deadlines recomputed: %(count)s.",
                    year=entry.year,
                    count=recomputed,
                ),
                "success",
            )
            return redirect(url_for("admin.calendar"))
    elif form.errors:
        status = 422
    elif request.method == "GET":
        _prefill(form, entered, request.args.get("year", ""))

    this_year = runtime.utcnow().astimezone(runtime.tz()).year
    known = bundled_years(FIRST_PROBED_YEAR, this_year + UNKNOWN_YEARS_SHOWN + 1)
    entered_by_year = {row[0].year: row for row in entered}
    after_known = (max(known) + 1) if known else this_year
    unknown = [after_known + i for i in range(UNKNOWN_YEARS_SHOWN)]
    policy = runtime.policy()
    return render_template(
        "admin/calendar.html",
        form=form,
        known=known,
        unknown=[(year, year in entered_by_year) for year in unknown],
        entered=entered,
        policy_holidays=sorted(policy.calendar.holidays),
        policy_workdays=sorted(policy.calendar.workdays),
        provisional=calendar_service.provisional_count(),
    ), status


def _prefill(form: CalendarYearForm, entered, year_text: str) -> None:
    """Open the form on a year: its current entries (to re-enter), or the first year that is
    neither bundled nor entered."""
    rows = {row[0].year: row for row in entered}
    year = int(year_text) if year_text.isdigit() else None
    if year in rows:
        _, holidays, workdays = rows[year]
        form.year.data = str(year)
        form.holidays.data = "\n".join(day.isoformat() for day in holidays)
        form.workdays.data = "\n".join(day.isoformat() for day in workdays)
        return
    this_year = runtime.utcnow().astimezone(runtime.tz()).year
    known = set(bundled_years(this_year, this_year + UNKNOWN_YEARS_SHOWN))
    candidates = [
        y
        for y in range(this_year, this_year + UNKNOWN_YEARS_SHOWN + 1)
        if y not in known and y not in rows
    ]
    form.year.data = str(year or (candidates[0] if candidates else this_year + 1))
