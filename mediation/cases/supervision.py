"""Pages of supervision (督办) and merging duplicates (并单): the forms on the case page, the
list of notices, and the issuing unit's printable monthly circular (通报)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..domain.intake import InvalidInput
from ..domain.months import Month
from ..domain.supervision import MAX_WORKING_DAYS, Stage
from ..domain.workflow import Refused
from ..extensions import db
from ..models import Case, User
from ..platform import runtime
from ..platform.i18n import render_fields, render_message
from ..services import access, identity, merging
from ..services import supervision as service
from ..services.attachments import case_attachments
from ..services.cases import CaseFileSize
from ..services.incidents import find_case_by_number
from ..services.workflow import Context
from . import bp


def case_page_context(user: User, case: Case, size: CaseFileSize) -> dict:
    """What the case page shows of supervision and merging for this user."""
    notices = (
        sorted(case.supervisions, key=lambda notice: notice.id, reverse=True)
        if size.supervisions
        else []
    )
    can_merge = merging.can_merge(user) and case.status.is_open
    duplicates = merging.duplicates_of(case) if size.merged else []
    return {
        "supervisions": [(notice, service.stage(notice)) for notice in notices],
        "awaiting_reply": sum(notice.replied_at is None for notice in notices),
        "may_reply": {notice.id for notice in notices if service.may_reply(user, notice)},
        "can_supervise": service.can_supervise(user, case),
        "max_working_days": MAX_WORKING_DAYS,
        "can_merge": can_merge,
        "duplicates": duplicates,
        "duplicate_files": {duplicate.id: case_attachments(duplicate) for duplicate in duplicates},
        "possible_duplicates": identity.open_duplicates(user, case) if case.status.is_open else [],
    }


def _back_to(case_id: int):
    return redirect(url_for("cases.show_case", case_id=case_id))


def _refused_page(case: Case, message: str, status: int):
    from .views import _case_page  # the case page, with the message shown on top

    return _case_page(case, refusal=message, status=status)


def _settle(case: Case, change, done: str):
    """Make ``change`` and commit, back to the case page with ``done``; a refusal (403) or bad
    input (422) shows on the case page and changes nothing."""
    try:
        change()
    except Refused as refused:
        db.session.rollback()
        return _refused_page(case, render_message(refused.message), 403)
    except InvalidInput as error:
        db.session.rollback()
        return _refused_page(case, _named(error), 422)
    db.session.commit()
    flash(done, "success")
    return _back_to(case.id)


@bp.route("/cases/<id:case_id>/supervisions", methods=["POST"])
@login_required
def supervise(case_id: int):
    case = access.find_case(current_user, case_id) or abort(404)
    return _settle(
        case,
        lambda: service.issue(current_user, case, request.form, ctx=Context.current()),
        _("Supervision notice issued."),
    )


@bp.route("/supervisions/<id:supervision_id>/reply", methods=["POST"])
@login_required
def reply(supervision_id: int):
    notice = service.find_supervision(current_user, supervision_id) or abort(404)
    return _settle(
        notice.case,
        lambda: service.reply(current_user, notice, request.form, now=runtime.utcnow()),
        _("Reply sent."),
    )


@bp.route("/cases/<id:case_id>/merge", methods=["POST"])
@login_required
def merge(case_id: int):
    """Merge this case into the one whose number is typed (or chosen among the possible
    duplicates)."""
    case = access.find_case(current_user, case_id) or abort(404)
    number = request.form.get("into_number", "").strip()
    into = find_case_by_number(current_user, number) if number else None
    raw = {"into_case_id": into.id if into else 0, "note": request.form.get("note", "")}
    try:
        kept = merging.merge(current_user, case, raw, now=runtime.utcnow())
    except Refused as refused:
        db.session.rollback()
        return _refused_page(case, render_message(refused.message), 403)
    except InvalidInput as error:
        db.session.rollback()
        return _refused_page(case, _named(error), 422)
    db.session.commit()
    flash(
        _("Case %(number)s merged into %(kept)s.", number=case.number, kept=kept.number),
        "success",
    )
    return _back_to(kept.id)


FIELD_NAMES = {
    "instruction": lambda: _("Instruction"),
    "due_working_days": lambda: _("Working days given"),
    "progress": lambda: _("Progress"),
    "into_case_id": lambda: _("Case to keep"),
    "note": lambda: _("Why they are the same dispute"),
    "case": lambda: _("Case"),
}


def _named(error: InvalidInput) -> str:
    """Each bad field's name and message, on one line."""
    return " ".join(
        f"{FIELD_NAMES.get(name, lambda n=name: n)()}: {text}"
        for name, text in render_fields(error.fields).items()
    )


@bp.route("/supervisions")
@login_required
def supervisions():
    """The notices of the officer's area; ``open=1``, ``overdue=1``."""
    if not service.can_issue_anywhere(current_user):
        abort(403)
    filters, errors = service.parse_list_filters(current_user, request.args)
    notices = service.list_supervisions(current_user, filters, runtime.utcnow())
    month = Month.of(runtime.utcnow(), runtime.tz())
    return render_template(
        "supervisions/list.html",
        rows=[(notice, service.stage(notice)) for notice in notices],
        filters=filters,
        errors=errors,
        month=month,
        Stage=Stage,
    ), (422 if errors else 200)


@bp.route("/supervisions/circular")
@login_required
def circular():
    """The issuing unit's circular (通报) of a month, laid out for print."""
    if not service.can_issue_anywhere(current_user):
        abort(403)
    tz = runtime.tz()
    raw = request.args.get("month", "").strip()
    try:
        month = Month.parse(raw) if raw else Month.of(runtime.utcnow(), tz)
    except ValueError:
        abort(404)
    notices = service.circular(current_user.unit, month, tz)
    return render_template(
        "supervisions/circular.html",
        unit=current_user.unit,
        month=month,
        notices=notices,
        previous=month.previous(),
        generated_at=runtime.utcnow(),
    )
