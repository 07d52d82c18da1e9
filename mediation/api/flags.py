"""GET /api/v1/flags: what the sweep found in the caller's area (docs/api.md#flags)."""

from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user

from .. import runtime
from ..domain.flags import FlagKind
from ..domain.i18n import N_, Message
from ..domain.months import Month
from ..extensions import db
from ..models import Flag
from ..services import access
from ..services.scorecard import in_month
from . import bp
from .bodies import invalid
from .serializers import flag_json

MAX_FLAGS = 1000


@bp.get("/flags")
def list_flags():
    """Flags of the caller's area, the latest to happen first: ``open=1`` only open ones,
    ``kind``, ``unit`` (a unit code in the area), ``month`` (YYYY-MM: those that happened in
    it, the month they count in), at most 1,000."""
    errors: dict[str, Message] = {}
    query = access.visible_flags(current_user)
    if request.args.get("open", "") not in ("", "0", "1"):
        errors["open"] = Message(N_("Not a valid choice."))
    elif request.args.get("open") == "1":
        query = query.where(Flag.cleared_at.is_(None))
    kind = request.args.get("kind", "")
    if kind:
        member = FlagKind.parse(kind)
        if member is None:
            errors["kind"] = Message(N_("Not a valid choice."))
        else:
            query = query.where(Flag.kind == member)
    month = request.args.get("month", "")
    if month:
        try:
            query = query.where(in_month(Flag.occurred_at, Month.parse(month), runtime.tz()))
        except ValueError:
            errors["month"] = Message(N_("Enter a month such as 2026-11."))
    code = request.args.get("unit", "")
    if code:
        unit = access.find_unit(current_user, code)
        if unit is None:
            abort(404)
        query = query.where(access.flags_within(unit))
    if errors:
        return invalid(errors)
    flags = db.session.scalars(
        query.order_by(Flag.occurred_at.desc(), Flag.id.desc()).limit(MAX_FLAGS)
    ).all()
    return jsonify([flag_json(flag) for flag in flags])
