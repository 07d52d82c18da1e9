"""The JSON API under /api/v1: thin views over the same services as the web UI.

Every call but the OpenAPI document needs a user: a bearer token (no CSRF), or the browser
session plus the ``X-CSRFToken`` header for calls that change data. A case outside the caller's
subtree is not found (404). Errors have the one shape of
:func:`mediation.platform.web.error_response`.
"""

from __future__ import annotations

from flask import abort, current_app, jsonify, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..domain.enums import Action
from ..domain.i18n import N_, Message
from ..domain.intake import InvalidInput, parse_case
from ..domain.workflow import USER_ACTIONS, Refused
from ..extensions import csrf, db
from ..models import Agreement, Case, Flag
from ..platform import runtime
from ..platform.i18n import render_message
from ..platform.web import MAX_PAGE, error_response
from ..services import access
from ..services.cases import case_history, parse_filters, register_case, search_cases
from ..services.users import user_for_token
from ..services.workflow import Conflict, Context, perform
from . import bp
from .bodies import invalid, json_object, read_body, shape_errors
from .idempotency import idempotent
from .openapi import openapi_document
from .serializers import case_json, event_json, unit_json

# Token calls carry no CSRF token; session calls are checked in authenticate() instead.
csrf.exempt(bp)

PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


@bp.before_request
def authenticate():
    """401 without a user; CSRF for session calls that change data."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = _bearer_token()
    if not current_user.is_authenticated or not current_user.is_active:
        return _unauthorized()
    if token is not None and "_user_id" in session:
        # The user came from a browser session riding along: it must not stand in for a bad
        # or someone else's token.
        owner = user_for_token(token)
        if owner is None or owner.id != current_user.id:
            return _unauthorized()
    if (
        token is None
        and request.method not in SAFE_METHODS
        and current_app.config["WTF_CSRF_ENABLED"]
    ):
        csrf.protect()
    return None


@bp.after_request
def no_store(response):
    """Answers hold personal data (parties' names, phones): no cache may keep them."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API (public)."""
    return jsonify(openapi_document())


@bp.get("/units")
def list_units():
    """The caller's subtree of units, tree order (by code)."""
    return jsonify([unit_json(unit) for unit in access.units(current_user)])


@bp.post("/cases")
@idempotent
def create_case():
    """Register a case: 201 with the case and its Location; nothing is saved on any error."""
    if not access.can_register_case(current_user):
        return error_response(403, _("Your role may not do this."))
    now, tz, policy = runtime.utcnow(), runtime.tz(), runtime.policy()
    draft = read_body(
        "CaseInput",
        lambda raw: parse_case(raw, naive_is_local=False, now=now, tz=tz, policy=policy.intake),
    )
    case = register_case(current_user, draft, now=now, policy=policy, tz=tz)
    _commit_keeping_loaded()
    response = jsonify(case_json(case, current_user))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_case", case_id=case.id)
    return response


@bp.get("/cases")
def list_cases():
    """One page of the caller's cases, filtered: ``{items, total, page, per_page}``."""
    tz = runtime.tz()
    filters = parse_filters(current_user, request.args, tz)
    errors = dict(filters.errors)
    page = _whole_arg("page", 1, MAX_PAGE, default=1, errors=errors)
    per_page = _whole_arg("per_page", 1, MAX_PER_PAGE, default=DEFAULT_PER_PAGE, errors=errors)
    if errors:
        return invalid(errors)
    query = search_cases(current_user, filters, tz).options(
        selectinload(Case.parties),
        selectinload(Case.deadlines),
        selectinload(Case.flags).joinedload(Flag.unit),
        selectinload(Case.agreements).joinedload(Agreement.unit),
    )
    cases = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return jsonify(
        {
            "items": [case_json(case, current_user) for case in cases.items],
            "total": cases.total,
            "page": page,
            "per_page": per_page,
        }
    )


@bp.get("/cases/<id:case_id>")
def get_case(case_id: int):
    """The case, if it lies in the caller's subtree."""
    return jsonify(case_json(_find_case_or_404(case_id), current_user))


@bp.post("/cases/<id:case_id>/actions")
@idempotent
def case_action(case_id: int):
    """One action on the case (accept, escalate, resolve…) at the ``version`` the caller saw:
    200 with the case; 409 on a stale version or an action not allowed now, 403 when the
    caller's role or unit may not act. Nothing is saved on any error."""
    case = _find_case_or_404(case_id)
    raw = json_object()
    action, version, errors = _action_and_version(raw)
    if errors:
        raise InvalidInput(errors)
    ctx = Context.current()
    try:
        perform(current_user, case, action, raw, version=version, ctx=ctx)
        db.session.commit()
    except Conflict as conflict:
        answer = _version_conflict(conflict)
        db.session.rollback()
        return answer
    except StaleDataError:
        # Another request changed the case between our read and our write.
        db.session.rollback()
        return _version_conflict(Conflict(_find_case_or_404(case_id), version))
    except Refused as refused:
        db.session.rollback()
        status, code = (403, "forbidden") if refused.forbidden else (409, "not_allowed")
        return error_response(status, render_message(refused.message), code)
    return jsonify(case_json(case, current_user))


@bp.get("/cases/<id:case_id>/events")
def case_events(case_id: int):
    """The case's history, oldest first."""
    case = _find_case_or_404(case_id)
    return jsonify([event_json(event) for event in case_history(case)])


def _action_and_version(raw: dict) -> tuple[Action | None, int | None, dict[str, Message]]:
    """The action's name and the case version the caller saw, checked before anything else."""
    errors = shape_errors(raw, "ActionInput")
    value = raw.get("action")
    action = Action.parse(value) if isinstance(value, str) else None
    if action not in USER_ACTIONS:
        errors["action"] = Message(
            N_("Choose one of: %(choices)s."), {"choices": ", ".join(USER_ACTIONS)}
        )
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        errors["version"] = Message(N_("Send the case's version as a whole number."))
        version = None
    return action, version, errors


def _version_conflict(conflict: Conflict):
    """409 with the case's current version and what happened since the caller's."""
    error = {
        "code": "version_conflict",
        "message": _("The case was changed meanwhile. Look at the changes and try again."),
        "current_version": conflict.case.version,
        "changes": [event_json(event) for event in conflict.changes],
    }
    return jsonify({"error": error}), 409


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds. For a case just registered, every row
    of it was written by this request, so the answer is built from the objects in memory
    instead of reading the case, its parties, clocks, village and the user again (six SELECTs)
    after the commit."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _find_case_or_404(case_id: int) -> Case:
    case = access.find_case(current_user, case_id)  # the route's <id:…> bounds it
    if case is None:
        abort(404)
    return case


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None


def _unauthorized():
    response, status = error_response(401, _("Please sign in."))
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response, status


def _whole_arg(
    name: str, minimum: int, maximum: int, *, default: int, errors: dict[str, Message]
) -> int:
    """A whole-number query parameter within bounds; a bad one is recorded in ``errors``."""
    value = request.args.get(name, "").strip()
    if not value:
        return default
    if value.isascii() and value.isdigit() and len(value) <= 9 and minimum <= int(value) <= maximum:
        return int(value)
    errors[name] = Message(
        N_("Enter a whole number from %(min)s to %(max)s."), {"min": minimum, "max": maximum}
    )
    return default
