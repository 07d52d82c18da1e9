"""Home pages, the case register (list and detail) and intake."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import runtime
from ..domain.enums import CaseStatus, Category, Level, Role, Scale
from ..domain.intake import InvalidInput, parse_case
from ..extensions import db
from ..models import Case, Unit, User
from ..services import access
from ..services.cases import NotAllowed, SORTS, case_history, parse_filters, register_case, search_cases
from . import bp
from .forms import CaseForm

OPEN_STATES = [status for status in CaseStatus if status.is_open]


@bp.route("/")
@login_required
def home():
    """Each role's starting page."""
    user = current_user
    if user.role is Role.admin:
        return render_template("home/admin.html", **_admin_summary(user))
    if user.role is Role.mediator:
        open_cases = db.session.scalars(
            access.visible_cases(user)
            .where(Case.status.in_(OPEN_STATES))
            .order_by(Case.received_at.asc())
            .limit(50)
        ).all()
        waiting = [case for case in open_cases if case.status is CaseStatus.registered]
        return render_template("home/mediator.html", open_cases=open_cases, waiting=waiting)
    return render_template("home/overview.html", **_overview(user))


def _overview(user: User) -> dict:
    """Counts by level × state, by scale, and by unit below the user's, all in SQL."""
    scope = access.case_scope(user)
    by_level_state = {
        (level, status): count
        for level, status, count in db.session.execute(
            select(Case.level, Case.status, func.count()).where(scope).group_by(Case.level, Case.status)
        )
    }
    by_scale = dict(
        db.session.execute(select(Case.scale, func.count()).where(scope).group_by(Case.scale)).all()
    )
    child_column = Case.township_id if user.unit.kind is Level.county else Case.village_id
    per_unit_rows = db.session.execute(
        select(child_column, Case.status, func.count()).where(scope).group_by(child_column, Case.status)
    ).all()
    children = db.session.scalars(
        select(Unit).where(Unit.parent_id == user.unit_id).order_by(Unit.code)
    ).all()
    per_unit = {unit.id: {} for unit in children}
    for unit_id, status, count in per_unit_rows:
        per_unit.setdefault(unit_id, {})[status] = count
    held_here = db.session.scalars(
        access.visible_cases(user)
        .where(Case.holder_id == user.unit_id, Case.status.in_(OPEN_STATES))
        .order_by(Case.received_at.asc())
        .limit(20)
    ).all()
    return {
        "levels": list(Level),
        "statuses": list(CaseStatus),
        "scales": list(Scale),
        "by_level_state": by_level_state,
        "by_scale": by_scale,
        "children": children,
        "per_unit": per_unit,
        "held_here": held_here,
    }


def _admin_summary(user: User) -> dict:
    units = dict(
        db.session.execute(
            select(Unit.kind, func.count()).where(access.unit_scope(user)).group_by(Unit.kind)
        ).all()
    )
    users = db.session.scalar(
        select(func.count()).select_from(User).join(Unit, User.unit_id == Unit.id).where(access.unit_scope(user))
    )
    return {"unit_counts": units, "user_count": users, "levels": list(Level)}


@bp.route("/cases")
@login_required
def list_cases():
    filters = parse_filters(current_user, request.args, runtime.tz())
    page = db.paginate(
        search_cases(current_user, filters, runtime.tz()),
        per_page=current_app.config["CASES_PER_PAGE"],
        error_out=False,
        count=True,
    )
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template(
        "cases/list.html",
        page=page,
        filters=filters,
        args=args,
        villages=access.villages(current_user),
        statuses=list(CaseStatus),
        levels=list(Level),
        scales=list(Scale),
        categories=list(Category),
        sorts=SORTS,
    )


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new_case():
    if not access.can_register_case(current_user):
        abort(403)
    villages = access.villages(current_user)
    form = CaseForm()
    if request.method == "POST" and "add_party" in request.form:
        form.add_party()
        form.fill_choices(villages)
        return render_template("cases/new.html", form=form)
    form.fill_choices(villages)
    if not request.form and len(villages) == 1:
        form.village_code.data = villages[0].code
    if form.validate_on_submit():
        try:
            draft = parse_case(
                form.raw(),
                now=runtime.utcnow(),
                tz=runtime.tz(),
                policy=runtime.policy().intake,
                naive_is_local=True,
            )
            case = register_case(
                current_user, draft, now=runtime.utcnow(), policy=runtime.policy(), tz=runtime.tz()
            )
        except InvalidInput as error:
            db.session.rollback()
            form.show_errors(error.fields)
        except NotAllowed:
            abort(403)
        else:
            db.session.commit()
            flash(_("Case %(number)s registered.", number=case.number), "success")
            return redirect(url_for("cases.show_case", case_id=case.id))
        return render_template("cases/new.html", form=form), 422
    return render_template("cases/new.html", form=form), (422 if form.errors else 200)


@bp.route("/cases/<int:case_id>")
@login_required
def show_case(case_id: int):
    case = access.find_case(current_user, case_id) or abort(404)
    return render_template("cases/detail.html", case=case, history=case_history(case))
