"""What every page and API answer shares: error pages and JSON errors, template globals."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import IntegerConverter

from .domain.enums import Role
from .extensions import db

log = logging.getLogger(__name__)

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    503: "unavailable",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str, code: str | None = None, fields=None):
    """The one shape of an error: JSON under /api/, a page elsewhere."""
    if wants_json():
        body = {"error": {"code": code or ERROR_CODES.get(status, "error"), "message": message}}
        if fields:
            body["error"]["fields"] = fields
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


ID_MAX = 2**31 - 1


def _not_above(limit: int) -> str:
    """A regex of the whole numbers from 1 to ``limit`` (no leading zero)."""
    digits = str(limit)
    options = [rf"[1-9]\d{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        low = "1" if i == 0 else "0"
        if int(digit) > int(low):
            options.append(f"{digits[:i]}[{low}-{int(digit) - 1}]\\d{{{len(digits) - i - 1}}}")
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


class IdConverter(IntegerConverter):
    """``<id:case_id>``: a row id, 1 up to PostgreSQL's integer. Any other number matches no
    route, so it is simply not found (404), never a database error."""

    regex = _not_above(ID_MAX)


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter  # before any blueprint's routes are added
    messages = {
        400: lambda: _("The request could not be understood."),
        401: lambda: _("Please sign in."),
        403: lambda: _("Your role may not do this."),
        404: lambda: _("Not found."),
        405: lambda: _("This method is not allowed here."),
        413: lambda: _("The request is too large."),
    }

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        message = messages[status]() if status in messages else (error.description or "")
        response = make_response(error_response(status, message))
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            # RFC 9110: a 405 says which methods the resource does take.
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return error_response(
            400, _("The form has expired or was sent from elsewhere. Please try again."), "csrf"
        )

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        log.exception("database unavailable")
        db.session.rollback()
        return error_response(503, _("The database is busy. Please try again in a moment."))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error")
        db.session.rollback()
        return error_response(500, _("Something went wrong on our side. Nothing was saved."))

    @app.before_request
    def refuse_control_characters():
        """A query or form value with NUL and the like is refused before any query sees it."""
        from .domain.intake import has_control_characters

        values = list(request.args.values()) + list(request.form.values()) + [request.path]
        if any(has_control_characters(value) for value in values):
            return error_response(400, _("The request contains invisible control characters."))
        return None

    @app.context_processor
    def template_globals():
        return {"Role": Role, "locale": str(get_locale() or "zh")}
