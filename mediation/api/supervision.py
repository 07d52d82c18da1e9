"""Supervision notices (督办) and merging duplicates (并单) in the API (docs/api.md#supervision)."""

from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user

from ..domain.workflow import Refused
from ..extensions import db
from ..models import Supervision
from ..platform import runtime
from ..platform.i18n import render_message
from ..platform.web import error_response
from ..services import merging
from ..services import supervision as service
from ..services.workflow import Context
from . import bp
from .bodies import invalid, json_object, read_body
from .serializers import case_json, instant
from .views import _find_case_or_404


def supervision_json(notice: Supervision) -> dict:
    return {
        "id": notice.id,
        "case_id": notice.case_id,
        "unit_code": notice.holder.code,
        "issued_by": notice.issued_by.username,
        "issued_at": instant(notice.issued_at),
        "instruction": notice.instruction,
        "due_at": instant(notice.due_at),
        "replied_at": instant(notice.replied_at),
        "stage": service.stage(notice).value,
        "issuing_unit_code": notice.issuing_unit.code,
        "due_working_days": notice.due_working_days,
        "remind_at": instant(notice.remind_at),
        "reminded_at": instant(notice.reminded_at),
        "circulated_at": instant(notice.circulated_at),
        "progress": notice.progress,
    }


@bp.post("/cases/<id:case_id>/supervisions")
def supervise_case(case_id: int):
    """Issue a supervision notice: 201; 403 for an officer not above the level holding it."""
    case = _find_case_or_404(case_id)
    raw = read_body("SupervisionInput", lambda body: body)
    try:
        notice = service.issue(current_user, case, raw, ctx=Context.current())
    except Refused as refused:
        db.session.rollback()
        return error_response(403, render_message(refused.message), "forbidden")
    db.session.commit()
    return jsonify(supervision_json(notice)), 201


@bp.post("/supervisions/<id:supervision_id>/reply")
def reply_supervision(supervision_id: int):
    """The holder's reply with progress: 200; 403 for anyone else."""
    notice = service.find_supervision(current_user, supervision_id) or abort(404)
    raw = read_body("SupervisionReply", lambda body: body)
    try:
        service.reply(current_user, notice, raw, now=runtime.utcnow())
    except Refused as refused:
        db.session.rollback()
        return error_response(403, render_message(refused.message), "forbidden")
    db.session.commit()
    return jsonify(supervision_json(notice))


@bp.get("/supervisions")
def list_supervisions():
    """The notices of the caller's area: ``open=1``, ``overdue=1``, ``unit=CODE``."""
    filters, errors = service.parse_list_filters(current_user, request.args)
    if errors:
        return invalid(errors)
    notices = service.list_supervisions(current_user, filters, runtime.utcnow())
    return jsonify([supervision_json(notice) for notice in notices])


@bp.post("/cases/<id:case_id>/merge")
def merge_case(case_id: int):
    """Merge this case as a duplicate into ``into_case_id``: 200 with the duplicate."""
    case = _find_case_or_404(case_id)
    raw = json_object()
    read_body("MergeInput", lambda body: body)
    try:
        merging.merge(current_user, case, raw, now=runtime.utcnow())
    except Refused as refused:
        db.session.rollback()
        return error_response(403, render_message(refused.message), "forbidden")
    db.session.commit()
    return jsonify(case_json(case, current_user))
