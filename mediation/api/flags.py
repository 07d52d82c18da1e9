"""GET /api/v1/flags: what the sweep found in the caller's area (docs/api.md#flags)."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from ..platform import runtime
from ..services.facts import search_flags
from . import bp
from .bodies import invalid
from .serializers import flag_json

MAX_FLAGS = 1000


@bp.get("/flags")
def list_flags():
    """Flags of the caller's area, the latest to happen first: ``open=1`` only open ones,
    ``kind``, ``unit`` (a unit code in the area), ``month`` (YYYY-MM: those that happened in
    it, the month they count in), at most 1,000."""
    flags, errors = search_flags(current_user, request.args, runtime.tz(), limit=MAX_FLAGS)
    if errors:
        return invalid(errors)
    return jsonify([flag_json(flag) for flag in flags])
