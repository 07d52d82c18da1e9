"""GET /api/v1/scorecards/{YYYY-MM}: a unit's monthly scorecard (docs/api.md#scorecards).

The figures in force: the newest snapshot of a frozen month, else the live figures; with
``pending_revision`` true when the case records changed after the freeze. A unit outside the
caller's area is not found (404); a malformed month is 422.
"""

from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user

from ..domain.i18n import N_, Message
from ..domain.months import Month
from ..platform import runtime
from ..services import access
from ..services import scorecard as service
from . import bp
from .bodies import invalid
from .serializers import instant


@bp.get("/scorecards/<month>")
def get_scorecard(month: str):
    try:
        parsed = Month.parse(month)
    except ValueError:
        return invalid({"month": Message(N_("Enter a month such as 2026-11."))})
    code = request.args.get("unit", "").strip() or current_user.unit.code
    unit = access.find_unit(current_user, code)
    if unit is None:
        abort(404)
    policy = runtime.policy()
    shown, pending, kept = service.view(unit, parsed, policy=policy, tz=runtime.tz())
    if kept:
        shown["frozen_at"] = instant(kept[-1].frozen_at)
    return jsonify(
        {
            **shown,
            "pending_revision": pending is not None,
            "revisions": [
                {
                    "revision": snapshot.revision,
                    "frozen_at": instant(snapshot.frozen_at),
                    "reason": snapshot.reason,
                    "published_by": snapshot.published_by.username
                    if snapshot.published_by
                    else None,
                }
                for snapshot in kept
            ],
            "weights": dict(policy.scorecard.weights),
        }
    )
