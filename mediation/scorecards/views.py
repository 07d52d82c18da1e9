"""The monthly scorecard pages: a unit's month (live, frozen, or one revision of it), the pending
revision a county officer may publish, the exports and the print page.

Every page reads the month through :func:`mediation.services.scorecard.view` and lays it out
with :mod:`.layout`; a unit outside the user's area, a malformed month or an unknown revision is
not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..domain.enums import Level
from ..domain.months import Month
from ..domain.scorecard import TARGET_LEVEL_MIX
from ..extensions import db
from ..models import ScorecardSnapshot, Unit
from ..platform import runtime
from ..platform.web import attachment, error_response
from ..services import access
from ..services import scorecard as service
from . import bp, exports, layout
from .charts import score_chart, volume_chart
from .forms import PublishForm


@dataclass
class Shown:
    """A unit's month as the request asks for it."""

    month: Month
    unit: Unit
    data: dict  # what is shown: the newest snapshot, the one asked for, or the live figures
    pending: dict | None  # the live figures when they differ from the newest snapshot
    snapshots: list[ScorecardSnapshot]
    is_newest: bool  # not an older revision asked for with ?revision=

    @property
    def snapshot(self) -> ScorecardSnapshot | None:
        """The snapshot shown (None for live figures)."""
        return next((s for s in self.snapshots if s.revision == self.data.get("revision")), None)


@bp.app_template_global()
def scorecard_figure_label(key: str) -> str:
    """The name of a figure (for the case list's "figure of the scorecard" filter)."""
    return layout.figure_label(key)


@bp.route("/scorecards")
@login_required
def current():
    """This month's scorecard of the user's unit (or of ``?unit=``)."""
    month = Month.of(runtime.utcnow(), runtime.tz())
    return redirect(url_for(".month", month=str(month), **_unit_arg()))


@bp.route("/scorecards/<month>")
@login_required
def month(month: str):
    return render_template("scorecards/month.html", **_page(_load(month), PublishForm()))


@bp.post("/scorecards/<month>/publish")
@login_required
def publish(month: str):
    """Freeze the county's month, or publish the pending revision of it, with a reason."""
    shown = _load(month)
    if not access.can_publish_scorecard(current_user):
        abort(403)
    if not _may_publish(shown):
        return error_response(409, _("There is nothing to publish for this month."))
    form = PublishForm()
    if not form.validate_on_submit():
        return render_template("scorecards/month.html", **_page(shown, form)), 422
    county = service.county_of(shown.unit)
    snapshot = service.freeze(
        county,
        shown.month,
        now=runtime.utcnow(),
        policy=runtime.policy(),
        tz=runtime.tz(),
        user=current_user,
        reason=form.reason.data.strip(),
    )
    if snapshot is None:
        db.session.rollback()
        flash(_("Nothing changed since the last revision; nothing was published."), "info")
    else:
        db.session.commit()
        flash(
            _(
                "Published revision %(revision)s of %(month)s.",
                revision=snapshot.revision,
                month=str(shown.month),
            )
        )
    return redirect(url_for(".month", month=str(shown.month), unit=shown.unit.code))


@bp.route("/scorecards/<month>/export.csv")
@login_required
def export_csv(month: str):
    shown = _load(month)
    return _download(exports.csv_bytes(shown.data), shown, "csv", "text/csv; charset=utf-8")


@bp.route("/scorecards/<month>/export.xlsx")
@login_required
def export_xlsx(month: str):
    shown = _load(month)
    body = exports.xlsx_bytes(shown.data, runtime.policy().scorecard.weights, runtime.tz())
    return _download(
        body, shown, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


@bp.route("/scorecards/<month>/print")
@login_required
def print_page(month: str):
    shown = _load(month)
    return render_template(
        "scorecards/print.html", **_tables(shown), weights=_weights(), generated_at=runtime.utcnow()
    )


# --- helpers --------------------------------------------------------------------------------------


def _unit_arg() -> dict:
    code = request.args.get("unit", "").strip()
    return {"unit": code} if code else {}


def _load(month_text: str) -> Shown:
    try:
        month = Month.parse(month_text)
    except ValueError:
        abort(404)
    code = request.args.get("unit", "").strip() or current_user.unit.code
    unit = access.find_unit(current_user, code)
    if unit is None:
        abort(404)
    revision_text = request.args.get("revision", "").strip()
    revision = None
    if revision_text:
        if not (revision_text.isascii() and revision_text.isdigit() and len(revision_text) <= 6):
            abort(404)
        revision = int(revision_text)
    try:
        data, pending, kept = service.view(
            unit, month, policy=runtime.policy(), tz=runtime.tz(), revision=revision
        )
    except LookupError:
        abort(404)
    is_newest = not kept or data.get("revision") == kept[-1].revision
    return Shown(month, unit, data, pending, kept, is_newest)


def _may_publish(shown: Shown) -> bool:
    """A revision when the live figures differ from the newest snapshot; a first freeze by hand
    once the month is over (the scheduler does it on the freeze day)."""
    if shown.snapshots:
        return shown.pending is not None
    return shown.month.has_ended(runtime.utcnow(), runtime.tz())


def _tables(shown: Shown) -> dict:
    """What the page and the print page both lay out."""
    data = shown.data
    townships = {row["code"]: row for row in data.get("townships") or []}
    groups: list[tuple[dict | None, list[dict]]] = []
    for village in data.get("villages") or []:
        township = townships.get(village.get("township_code"))
        if not groups or groups[-1][0] is not township:
            groups.append((township, []))
        groups[-1][1].append(village)
    return {
        "shown": shown,
        "data": data,
        "month": shown.month,
        "unit": shown.unit,
        "village_groups": groups,
        "rollups": exports.rollup_rows(data),
        "village_columns": layout.result_first(layout.VILLAGE_COLUMNS),
        "rollup_columns": layout.result_first(layout.ROLLUP_COLUMNS),
        "village_results": layout.result_columns(layout.VILLAGE_COLUMNS),
        "rollup_results": layout.result_columns(layout.ROLLUP_COLUMNS),
        "groups": layout.GROUPS,
        "layout": layout,
        "target_mix": TARGET_LEVEL_MIX,
    }


def _weights() -> list[tuple[str, int]]:
    return [
        (str(layout.WEIGHT_LABELS.get(kind, kind)), weight)
        for kind, weight in runtime.policy().scorecard.weights.items()
    ]


def _page(shown: Shown, form: PublishForm) -> dict:
    now, tz, policy = runtime.utcnow(), runtime.tz(), runtime.policy()
    following = shown.month.next()
    units = access.units(current_user)
    charts = None
    if shown.unit.kind in (Level.village, Level.township):
        points = service.history(shown.unit, shown.month, count=12, policy=policy, tz=tz)
        charts = {
            "score": score_chart(points, is_village=shown.unit.kind is Level.village),
            "volume": volume_chart(points),
            "points": points,
        }
    changes = []
    if shown.pending is not None and shown.is_newest:
        changes = [
            {
                "name": change.name,
                "code": change.code,
                "figure": layout.figure_label(change.key),
                "before": layout.format_figure(
                    change.key, change.before, rollup=change.section != "villages"
                ),
                "after": layout.format_figure(
                    change.key, change.after, rollup=change.section != "villages"
                ),
            }
            for change in service.changes(shown.data, shown.pending)
        ]
    return {
        **_tables(shown),
        "previous": shown.month.previous(),
        "following": following if not following.bounds(tz)[0] > now else None,
        "units": units if len(units) > 1 else [],
        "charts": charts,
        "changes": changes,
        "weights": _weights(),
        "freezes_on": shown.month.freezes_on(policy.scorecard.freeze_day),
        "can_publish": access.can_publish_scorecard(current_user)
        and shown.is_newest
        and _may_publish(shown),
        "form": form,
        "publishers": _publishers(shown.snapshots),
    }


def _publishers(kept: list[ScorecardSnapshot]) -> dict[int, str]:
    return {snapshot.id: snapshot.published_by.name for snapshot in kept if snapshot.published_by}


def _download(body: bytes, shown: Shown, extension: str, mimetype: str) -> Response:
    revision = f"-r{shown.data['revision']}" if shown.data.get("frozen") else ""
    name = f"scorecard-{shown.month}-{shown.unit.code}{revision}.{extension}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": attachment(name)})
