"""Home pages, the case register (list and detail) and intake."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm.exc import StaleDataError

from ..domain.enums import (
    Action,
    AgreementForm,
    AttachmentKind,
    CaseStatus,
    Category,
    FlagKind,
    Level,
    Role,
    Scale,
)
from ..domain.i18n import N_, Message
from ..domain.identity import id_number_problem, normalize_id_number
from ..domain.intake import InvalidInput, parse_case
from ..domain.months import Month
from ..domain.scorecard import TARGET_LEVEL_MIX
from ..domain.workflow import USER_ACTIONS, Refused
from ..extensions import db
from ..models import Case, Unit, User
from ..platform import runtime
from ..platform.i18n import label, render_message
from ..platform.web import (
    accepts_uploads,
    error_response,
    page_number,
    storage_failed_message,
    too_large_message,
)
from ..scorecards.charts import score_chart, volume_chart
from ..services import access, identity
from ..services import home as lists
from ..services.attachments import (
    StorageFailed,
    TooLarge,
    Upload,
    attach_file,
    case_attachments,
    max_bytes,
)
from ..services.calendar import work_calendar
from ..services.cases import (
    SORTS,
    CaseFileSize,
    NotAllowed,
    case_file_size,
    case_history,
    find_case_for_page,
    nearest_deadlines,
    page_of_cases,
    parse_filters,
    person_key,
    register_case,
    search_cases,
)
from ..services.scorecard import history as score_history
from ..services.workflow import Conflict, Context, allowed_actions, paused_since, perform
from . import bp
from .agreements import confirmation_deadline, date_parts, document_number, split_terms
from .clocks import brief_view, clock_views, local_deadline, needs_calendar
from .forms import ActionForm, CaseForm, action_form
from .supervision import case_page_context

OPEN_STATES = [status for status in CaseStatus if status.is_open]


@bp.route("/")
@login_required
def home():
    """Each role's starting page."""
    user = current_user
    if user.role is Role.admin:
        return render_template("home/admin.html", **lists.admin_summary(user))
    ctx = Context.current()
    tz, now = ctx.tz, ctx.now
    if user.role is Role.mediator:
        due_day = ctx.policy.scorecard.screening_due_day
        screening = lists.screening_due(user.unit_id, now, due_day, tz)
        return render_template(
            "home/mediator.html",
            at_my_level=_with_clocks(lists.cases_at_my_level(user), ctx),
            follow_ups=_with_clocks(lists.follow_ups_due(user), ctx),
            screening=screening,
            screening_due_local=local_deadline(screening.due_at, tz),
            open_flags=lists.open_flags(user),
        )
    return render_template(
        "home/overview.html",
        **lists.overview(user),
        big_cases=_with_clocks(lists.big_cases_open(user), ctx),
        held_here=_with_clocks(lists.cases_at_my_level(user), ctx),
        trend=_trend(user, ctx) if user.unit.kind is Level.county else None,
        open_flags=lists.open_flags(user),
    )


TREND_MONTHS = 6


def _trend(user: User, ctx: Context) -> dict:
    """The county at a glance: the last months' score, three-zero rate and cases, and this
    month's level mix against the Fengqiao shape."""
    points = score_history(
        user.unit, Month.of(ctx.now, ctx.tz), count=TREND_MONTHS, policy=ctx.policy, tz=ctx.tz
    )
    this_month = points[-1]
    mix = [
        (Level(level), this_month.level_mix.get(level), TARGET_LEVEL_MIX[level])
        for level in ("village", "township", "county")
    ]
    return {
        "month": this_month.month,
        "score": score_chart(points),
        "volume": volume_chart(points),
        "mix": mix,
        "has_mix": any(share is not None for _, share, _ in mix),
    }


def _with_clocks(rows: list[lists.CaseDue], ctx: Context) -> list[tuple]:
    """Each case with the view of its nearest clock (days left, frozen while the case is
    paused), for a home page's list."""
    clock_args = (ctx.now, ctx.calendar, ctx.tz)
    return [
        (row.case, clock_views([row.deadline], *clock_args, paused_since(row.case))[0])
        if row.deadline is not None
        else (row.case, None)
        for row in rows
    ]


@bp.route("/cases")
@login_required
def list_cases():
    filters = parse_filters(current_user, request.args, runtime.tz())
    page = page_of_cases(
        search_cases(current_user, filters, runtime.tz()),
        page=page_number(),
        per_page=current_app.config["CASES_PER_PAGE"],
    )
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    now, tz = runtime.utcnow(), runtime.tz()
    paused = {case.id for case in page.items if case.status is CaseStatus.paused}
    nearest = {
        case_id: brief_view(deadline, now, tz, is_case_paused=case_id in paused)
        for case_id, deadline in nearest_deadlines([case.id for case in page.items]).items()
    }
    return render_template(
        "cases/list.html",
        page=page,
        nearest=nearest,
        filters=filters,
        args=args,
        villages=access.village_choices(current_user),
        statuses=list(CaseStatus),
        levels=list(Level),
        scales=list(Scale),
        categories=list(Category),
        flag_kinds=list(FlagKind),
        sorts=SORTS,
    )


INTAKE_FILES = 5  # photos uploaded with a new case


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
@accepts_uploads(INTAKE_FILES)
def new_case():
    if not access.can_register_case(current_user):
        abort(403)
    villages = access.village_choices(current_user)
    form = CaseForm()
    if request.method == "POST" and "add_party" in request.form:
        form.add_party()
        form.fill_choices(villages)
        return _intake_page(form)
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
            _attach_intake_files(case)
        except InvalidInput as error:
            db.session.rollback()
            form.show_errors(error.fields)
        except (TooLarge, StorageFailed) as error:
            db.session.rollback()
            form.photos.errors = [
                too_large_message()
                if isinstance(error, TooLarge)
                else storage_failed_message(error)
            ]
        except NotAllowed:
            abort(403)
        else:
            db.session.commit()
            flash(_("Case %(number)s registered.", number=case.number), "success")
            for party, count in identity.earlier_disputes_of_parties(current_user, case):
                flash(
                    ngettext(
                        "%(name)s already appears in %(num)d other dispute in your area.",
                        "%(name)s already appears in %(num)d other disputes in your area.",
                        count,
                        name=party.name,
                    ),
                    "info",
                )
            _warn_of_open_duplicates(case)
            return redirect(url_for("cases.show_case", case_id=case.id))
        return _intake_page(form, 422)
    return _intake_page(form, 422 if form.errors else 200)


def _attach_intake_files(case: Case) -> None:
    """The photos sent with a new case, each checked and stored like an upload on its page;
    raises InvalidInput (field ``photos``), TooLarge or StorageFailed: then nothing is kept."""
    uploads = [item for item in request.files.getlist("photos") if item.filename]
    if len(uploads) > INTAKE_FILES:
        raise InvalidInput(
            {"photos": Message(N_("At most %(n)s files at once."), {"n": INTAKE_FILES})}
        )
    for item in uploads:
        attach_file(
            current_user,
            case,
            Upload(item.filename, item.read(max_bytes() + 1)),
            kind=None,
            now=runtime.utcnow(),
            field="photos",
        )


@bp.route("/cases/<id:case_id>")
@login_required
def show_case(case_id: int):
    found = find_case_for_page(current_user, case_id) or abort(404)
    return _case_page(*found)


@bp.route("/cases/<id:case_id>/actions/<action_name>", methods=["POST"])
@login_required
def act(case_id: int, action_name: str):
    """One workflow action from the case page: the same service as the API, then commit."""
    case = access.find_case(current_user, case_id) or abort(404)
    action = Action.parse(action_name)
    if action not in USER_ACTIONS:
        abort(404)
    version = request.form.get("version", type=int)
    if version is None:
        abort(400)
    form = action_form(
        action, version=version, units=_units_below(case, action), formdata=request.form
    )
    ctx = Context.current()
    try:
        perform(current_user, case, action, form.raw(), version=version, ctx=ctx)
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        form.show_errors(error.fields)
        return _case_page(case, failed=form, status=422)
    except Refused as refusal:
        db.session.rollback()
        if refusal.forbidden:
            return error_response(403, render_message(refusal.message))
        return _case_page(case, refusal=render_message(refusal.message), status=409)
    except (Conflict, StaleDataError):
        # Someone else acted first: nothing of this request is kept; show what they did.
        db.session.rollback()
        case = access.find_case(current_user, case_id) or abort(404)
        return _case_page(case, failed=form, changes=Conflict(case, version).changes, status=409)
    flash(
        _(
            "Saved. The case is now %(status)s at the %(level)s level.",
            status=label(case.status),
            level=label(case.level),
        ),
        "success",
    )
    return redirect(url_for("cases.show_case", case_id=case.id))


@bp.route("/cases/<id:case_id>/agreements/<id:agreement_id>/print")
@login_required
def print_agreement(case_id: int, agreement_id: int):
    """The written agreement (人民调解协议书) laid out for A4, to be signed and sealed."""
    case = access.find_case(current_user, case_id) or abort(404)
    agreement = next((a for a in case.agreements if a.id == agreement_id), None)
    if agreement is None or agreement.form is not AgreementForm.written:
        abort(404)
    tz = runtime.tz()
    written = [a.id for a in case.agreements if a.form is AgreementForm.written]
    full_numbers = identity.reveal_for_print(
        current_user, case, now=runtime.utcnow(), ip=request.remote_addr
    )
    db.session.commit()  # the views are logged before the numbers are sent
    return render_template(
        "cases/agreement_print.html",
        case=case,
        agreement=agreement,
        full_numbers=full_numbers,
        number=document_number(case.number, agreement.id, written),
        sections=split_terms(agreement.terms),
        agreed_on=date_parts(agreement.agreed_at.astimezone(tz).date()),
        confirm_by=date_parts(confirmation_deadline(agreement.agreed_at, tz)),
        copies=len(case.parties) + 1,
    )


def _case_page(
    case: Case,
    size: CaseFileSize | None = None,
    *,
    failed: ActionForm | None = None,
    refusal: str | None = None,
    changes=None,
    status: int = 200,
):
    """The case page: facts, clocks, the actions this user may take now (each with a fresh
    version), agreements, follow-ups and the history. ``failed`` is the form just sent back
    with its errors (its section opens); ``changes`` the events another user made meanwhile."""
    now, tz = runtime.utcnow(), runtime.tz()
    needed = needs_calendar(case.deadlines, now)
    calendar = work_calendar(runtime.policy()) if needed else None
    if size is None:
        size = case_file_size(case)
    forms = {}
    for action in allowed_actions(current_user, case):
        if failed is not None and failed.action is action:
            failed.version.data = str(case.version)
            forms[action] = failed
        else:
            forms[action] = action_form(
                action, version=case.version, units=_units_below(case, action)
            )
    return render_template(
        "cases/detail.html",
        case=case,
        history=case_history(case),
        clocks=clock_views(case.deadlines, now, calendar, tz, paused_since(case)),
        forms=forms,
        open_action=failed.action if failed is not None else None,
        refusal=refusal,
        changes=changes,
        other_disputes=identity.other_disputes(current_user, case),
        can_reveal_id_numbers=access.can_reveal_id_numbers(current_user),
        can_read_id_access_log=access.can_read_id_access_log(current_user),
        **case_page_context(current_user, case, size),
        attachments=case_attachments(case) if size.attachments else [],
        can_attach=access.can_attach_files(current_user),
        attachment_kinds=list(AttachmentKind),
    ), status


@bp.route("/cases/<id:case_id>/parties/<id:party_id>/id-number", methods=["POST"])
@login_required
def reveal_id_number(case_id: int, party_id: int):
    """A party's full ID number, for an officer whose area holds the case; the view is logged."""
    try:
        party, number = identity.reveal_id_number(
            current_user, case_id, party_id, now=runtime.utcnow(), ip=request.remote_addr
        )
    except identity.NotFound:
        abort(404)
    except identity.NotAllowed:
        abort(403)
    db.session.commit()
    response = current_app.make_response(
        render_template("cases/id_number.html", case=party.case, party=party, id_number=number)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cases/find-person", methods=["POST"])
@login_required
def find_person():
    """The case list narrowed to a person's cases in the user's area, by ID number. A POST, so
    that the number stays out of URLs and access logs: the list is filtered by its keyed hash.
    Each search counts as an ID number lookup (the same hourly limit as on intake)."""
    number = _valid_id_number(request.form.get("id_number"))
    if number is None:
        flash(_("ID number: enter a valid 18-digit ID number."), "error")
        return redirect(url_for("cases.list_cases"))
    try:
        identity.look_up_person(current_user, number, now=runtime.utcnow())
    except identity.TooManyLookups:
        db.session.rollback()
        flash(_too_many_lookups(), "error")
        return redirect(url_for("cases.list_cases"))
    db.session.commit()
    return redirect(url_for("cases.list_cases", person_key=person_key(number)))


@bp.route("/cases/earlier-disputes", methods=["POST"])
@login_required
def earlier_disputes():
    """For intake (JSON): how many cases in the user's area already have a party with this ID
    number. A POST, so that the number stays out of URLs and access logs."""
    if not access.can_register_case(current_user):
        message = _("Your role may not do this.")
        return jsonify(error={"code": "forbidden", "message": message}), 403
    number = _valid_id_number(request.form.get("id_number"))
    if number is None:
        message = _("Enter a valid 18-digit ID number.")
        fields = {"id_number": message}
        return jsonify(error={"code": "invalid", "message": message, "fields": fields}), 422
    try:
        count = identity.look_up_person(current_user, number, now=runtime.utcnow())
    except identity.TooManyLookups:
        db.session.rollback()
        return jsonify(error={"code": "too_many_requests", "message": _too_many_lookups()}), 429
    db.session.commit()
    url = url_for("cases.list_cases", person_key=person_key(number)) if count else None
    return jsonify(count=count, message=_earlier_disputes_notice(count), url=url)


def _warn_of_open_duplicates(case: Case) -> None:
    """After intake: open cases of the user's area with a party of the same ID number, or of
    the same name in the same village, may be the same dispute (并单 on the case page)."""
    same = identity.open_duplicates(current_user, case)
    if not same:
        return
    links = Markup(", ").join(
        Markup('<a href="{}">{}</a>').format(url_for("cases.show_case", case_id=c.id), c.number)
        for c in same
    )
    message = ngettext(
        "Possible duplicate: %(num)d open case in your area has a party with the same ID "
        "number or the same name in this village:",
        "Possible duplicates: %(num)d open cases in your area have a party with the same ID "
        "number or the same name in this village:",
        len(same),
    )
    flash(Markup("{} {}").format(message, links), "warning")


def _intake_page(form: CaseForm, status: int = 200):
    """The intake form, with each party's earlier disputes in the user's area worked out here
    (not while the page renders) and the lookups committed once: they count like the intake
    script's. A form sent back after a failed save was rolled back first, so only they stay."""
    notices = [_earlier_disputes_of(entry.form.id_number.data) for entry in form.parties]
    db.session.commit()
    # The offline queue sends a typed "received at" with the site's offset (docs/offline.md).
    utc_offset = runtime.utcnow().astimezone(runtime.tz()).isoformat()[-6:]
    return render_template(
        "cases/new.html",
        form=form,
        earlier_disputes=notices,
        intake_files=INTAKE_FILES,
        utc_offset=utc_offset,
    ), status


def _earlier_disputes_of(raw_id_number: str | None) -> str:
    """The notice of the earlier disputes of the person with this ID number in the user's
    area, or "" when the number is not valid yet or there are none."""
    number = _valid_id_number(raw_id_number)
    if number is None:
        return ""
    try:
        count = identity.look_up_person(current_user, number, now=runtime.utcnow())
    except identity.TooManyLookups:
        return _too_many_lookups()
    if not count:
        return _earlier_disputes_notice(count)
    url = url_for("cases.list_cases", person_key=person_key(number))
    return Markup('<a href="{}" target="_blank" rel="noopener">{}</a>').format(
        url, _earlier_disputes_notice(count)
    )


def _too_many_lookups() -> str:
    return _("Too many ID number lookups in the last hour. Please try again later.")


def _valid_id_number(raw: str | None) -> str | None:
    """The typed ID number, normalised, when it is a valid one (today in local time), else None."""
    number = normalize_id_number(raw or "")
    today = runtime.utcnow().astimezone(runtime.tz()).date()
    return number if number and id_number_problem(number, today=today) is None else None


def _earlier_disputes_notice(count: int) -> str:
    if not count:
        return _("No earlier disputes of this person in your area.")
    return ngettext(
        "This person has %(num)d earlier dispute in your area.",
        "This person has %(num)d earlier disputes in your area.",
        count,
    )


@bp.route("/cases/id-access-log")
@login_required
def id_access_log():
    """Who saw which full ID number, for the cases of the reader's area, newest first."""
    if not access.can_read_id_access_log(current_user):
        abort(403)
    page = db.paginate(
        identity.id_access_log(current_user),
        page=page_number(),
        per_page=current_app.config["CASES_PER_PAGE"],
        error_out=False,
        count=True,
    )
    return render_template("cases/id_access_log.html", page=page)


def _units_below(case: Case, action: Action) -> list[Unit]:
    """For assign_down: the case's own township and village below its level, in the user's
    area: the only units the workflow accepts (not every unit of a county, which made a
    county case's page list and render hundreds of options nobody could choose)."""
    if action is not Action.assign_down:
        return []
    lower = [level for level in Level if level.rank < case.level.rank]
    return access.units(current_user, *lower, ids=(case.township_id, case.village_id))
