"""The statistical report page: a unit and a period, the tables, and CSV/XLSX downloads.

For township and county officers (and viewers) over units of their area: a unit outside it is
not found (404); a bad month or a period ending before it starts is shown next to its field.
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required

from ..domain.enums import Level
from ..domain.intake import InvalidInput
from ..domain.months import Month
from ..domain.statistics import Period, parse_period
from ..platform import runtime
from ..services import access
from ..services import statistics as service
from . import bp, exports


@bp.route("/statistics")
@login_required
def report():
    """The report of ``?unit=`` (default: the user's own) for ``?from=`` to ``?to=`` (default:
    this year up to the current month)."""
    if not access.can_read_statistics(current_user):
        abort(403)
    now, tz = runtime.utcnow(), runtime.tz()
    this_month = Month.of(now, tz)
    args = {key: request.args.get(key, "").strip() for key in ("unit", "from", "to")}
    errors = {}
    try:
        period = parse_period(
            args["from"] or f"{this_month.year:04d}-01", args["to"] or str(this_month)
        )
    except InvalidInput as error:
        errors.update(error.fields)
        period = Period(Month(this_month.year, 1), this_month)
    try:
        unit = service.report_unit(current_user, args["unit"])
    except InvalidInput as error:
        errors.update(error.fields)
        unit = current_user.unit
    except service.OutsideArea:
        abort(404)
    document = service.report_document(
        unit, period, service.statistics(unit, period, tz=tz), generated_at=now
    )
    output_format = request.args.get("format", "")
    if output_format in ("csv", "xlsx") and not errors:
        return exports.download(document, output_format)
    units = [
        u
        for u in access.report_units(current_user)
        if u.kind is not Level.village or u.id == unit.id
    ]
    return render_template(
        "statistics/report.html",
        document=document,
        tables=exports.tables(document),
        header=exports.header_lines(document, tz),
        unit=unit,
        units=units,
        period=period,
        errors=errors,
        query={"unit": unit.code, "from": str(period.first), "to": str(period.last)},
    )
