"""What every page and API answer shares: error pages and JSON errors, template globals."""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from pathlib import Path
from urllib.parse import quote

from flask import Flask, abort, current_app, g, jsonify, make_response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from ..domain.enums import Role
from ..extensions import db, login_manager

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
    507: "insufficient_storage",
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
# The highest page number of any list, page or API: beyond it no list has rows, and a larger
# number would overflow the database's OFFSET.
MAX_PAGE = 1_000_000
# Seconds a client is asked to wait after a 503 (the database is unreachable or busy).
RETRY_AFTER_SECONDS = 10


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
        view = current_app.view_functions.get(request.endpoint or "")
        if status == 413 and getattr(view, "upload_files", 0):
            message = too_large_message()
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
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error: Exception):
        return _unavailable()

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return _unavailable()  # the connection broke in the middle of a statement
        log.exception("unexpected error")
        db.session.rollback()
        return error_response(500, _("Something went wrong on our side. Nothing was saved."))

    def refuse_oversized_streams():
        """A body sent in chunks (no Content-Length) is cut at MAX_CONTENT_LENGTH by Werkzeug
        without a word, which then reads as malformed (400): read it here, and when more
        follows the limit, refuse it as too large (413) like any other oversized body."""
        if request.content_length is not None or "wsgi.input_terminated" not in request.environ:
            return None
        data = request.get_data(cache=True)  # later reads (form, JSON) use this copy
        limit = request.max_content_length
        if limit is not None and len(data) >= limit and request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge()
        return None

    def allow_uploads():
        """A view marked with :func:`accepts_uploads` takes a multipart body of files up to
        its limit; every other request keeps MAX_CONTENT_LENGTH (1 MiB)."""
        view = current_app.view_functions.get(request.endpoint or "")
        files = getattr(view, "upload_files", 0)
        if files and request.mimetype == "multipart/form-data":
            per_file = current_app.config["ATTACHMENT_MAX_MB"] * 1024 * 1024
            request.max_content_length = files * per_file + current_app.config["MAX_CONTENT_LENGTH"]
        return None

    # First of all hooks: CSRF and the control-character check below read the form.
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(0, refuse_oversized_streams)
    hooks.insert(0, allow_uploads)

    @app.before_request
    def refuse_control_characters():
        """A query or form value with NUL and the like is refused before any query sees it."""
        from ..domain.intake import has_control_characters

        values = list(request.args.values()) + list(request.form.values()) + [request.path]
        if any(has_control_characters(value) for value in values):
            return error_response(400, _("The request contains invisible control characters."))
        return None

    @app.context_processor
    def template_globals():
        return {"Role": Role, "locale": str(get_locale() or "zh")}

    _serve_static_for_a_year(app)


# A year: a static file's URL names its content, so the browser keeps it without asking again.
STATIC_MAX_AGE = 365 * 24 * 3600


def _serve_static_for_a_year(app: Flask) -> None:
    """Every ``url_for('static', …)`` carries ``v``, a digest of the file's bytes, and a
    request with the current ``v`` is answered as immutable for a year. On a link with 400 ms
    of latency no page waits on revalidating its CSS and scripts; offline, the browser's own
    cache serves them even where no service worker answers; an upgrade changes the URLs.
    Each digest is read once per process, so in debug mode (files edited while the server
    runs) nothing is marked immutable."""

    @app.url_defaults
    def add_static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = static_digest(app.static_folder, values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def cache_versioned_static(response):
        version = request.args.get("v")
        if (
            not app.debug
            and request.endpoint == "static"
            and response.status_code == 200
            and version
            and version == static_digest(app.static_folder, request.view_args["filename"])
        ):
            response.cache_control.public = True
            response.cache_control.no_cache = None
            response.cache_control.max_age = STATIC_MAX_AGE
            response.cache_control.immutable = True
        return response


@cache
def static_digest(folder: str, filename: str) -> str | None:
    """10 hex digits of the file's SHA-256 (read once per process), or None when it is not
    a file of the folder."""
    root = Path(folder).resolve()
    path = (root / filename).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def accepts_uploads(files: int = 1):
    """Mark a view that takes files: its multipart body may hold ``files`` files of up to
    ATTACHMENT_MAX_MB each (plus the 1 MiB of the other fields)."""

    def mark(view):
        view.upload_files = files
        return view

    return mark


def too_large_message() -> str:
    return _(
        "The file is too large: at most %(mb)s MB can be attached.",
        mb=current_app.config["ATTACHMENT_MAX_MB"],
    )


def storage_failed_message(error) -> str:
    """A file could not be written (``error``: services.attachments.StorageFailed)."""
    if error.is_disk_full:
        return _("The file could not be saved: the server's disk is full. Nothing was saved.")
    return _("The file could not be saved on the server. Nothing was saved.")


def _unavailable():
    """503 with Retry-After, in the request's language, without touching the database again:
    the signed-in user (whom the page header and the language would read) is not loaded, so
    the page is shown as to a visitor."""
    log.warning("database unavailable", exc_info=True)
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool replaces it
        log.debug("rollback after a lost connection failed", exc_info=True)
    g._login_user = login_manager.anonymous_user()
    response = make_response(
        error_response(503, _("The database is busy. Please try again in a moment."))
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def attachment(filename: str) -> str:
    """A Content-Disposition for a download named ``filename`` (RFC 6266): an ASCII
    ``filename=`` for old clients (other characters, quotes and backslashes as "_"), and the
    exact name as ``filename*=UTF-8''…`` (RFC 8187). A header is Latin-1 on the wire: a Chinese
    unit code put there as it is broke the response."""
    fallback = "".join(
        char if " " <= char <= "~" and char not in '"\\' else "_" for char in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def page_number() -> int:
    """The ``page`` query parameter of a list page: 1 to MAX_PAGE, else 400 naming it."""
    value = request.args.get("page", "").strip()
    if not value:
        return 1
    if value.isascii() and value.isdigit() and len(value) <= 9 and 1 <= int(value) <= MAX_PAGE:
        return int(value)
    abort(
        make_response(
            error_response(
                400,
                _("page: enter a whole number from %(min)s to %(max)s.", min=1, max=MAX_PAGE),
            )
        )
    )
