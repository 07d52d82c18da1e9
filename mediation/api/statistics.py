"""GET /api/v1/statistics: the statistical report of a unit for a period (docs/api.md).

JSON by default, or ``format=csv|xlsx`` for the same files as the page's downloads. A unit
outside the caller's area is not found (404); a bad month, a period ending before it starts or
a code no unit has is 422 naming the field.
"""

from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user

from ..domain.i18n import N_, Message
from ..domain.statistics import parse_period
from ..platform import runtime
from ..services import access
from ..services import statistics as service
from ..statistics import exports
from . import bp
from .bodies import invalid

FORMATS = ("json", "csv", "xlsx")


@bp.get("/statistics")
def get_statistics():
    if not access.can_read_statistics(current_user):
        abort(403)
    output_format = request.args.get("format", "").strip() or "json"
    if output_format not in FORMATS:
        return invalid({"format": Message(N_("Not a valid choice."))})
    period = parse_period(request.args.get("from"), request.args.get("to"))
    try:
        unit = service.report_unit(current_user, request.args.get("unit"))
    except service.OutsideArea:
        abort(404)
    tz = runtime.tz()
    report = service.statistics(unit, period, tz=tz)
    document = service.report_document(unit, period, report, generated_at=runtime.utcnow())
    if output_format == "json":
        return jsonify(document)
    return exports.download(document, output_format)
