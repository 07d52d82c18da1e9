"""The ``Idempotency-Key`` header of the creating calls (docs/api.md#idempotency).

``@idempotent`` under a view's route makes it honour the header: keys are per user, method and
path; only a 2xx answer binds a key, and a repeat then gets that first answer (status, JSON
body, Location) while nothing changes; a repeat with another body is a 422; a repeat while the
first is still running waits for it. Any other answer binds nothing, so a corrected request may
use the key again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time

from flask import Response, make_response, request
from flask_babel import gettext as _
from flask_login import current_user

from ..domain.i18n import N_, Message
from ..platform import runtime
from ..platform.web import error_response
from ..services import idempotency
from .bodies import invalid

HEADER = "Idempotency-Key"
MAX_LENGTH = 128
# How long a repeat waits for the first request with its key before answering 409.
WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05


def idempotent(view):
    """Honour ``Idempotency-Key`` on this view (put it under the route decorator)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not 0 < len(key) <= MAX_LENGTH or not key.isprintable():
            return invalid(
                {
                    HEADER: Message(
                        N_("Send a key of 1 to %(max)s printable characters."), {"max": MAX_LENGTH}
                    )
                }
            )
        wanted = idempotency.Request(current_user.id, request.method, request.path, key)
        fingerprint = _fingerprint()
        deadline = time.monotonic() + WAIT_SECONDS
        while (row_id := idempotency.claim(wanted, fingerprint, runtime.utcnow())) is None:
            row = idempotency.find(wanted)
            if row is None or idempotency.free_if_expired(row, runtime.utcnow()):
                continue  # released or expired meanwhile: claim it
            if row.status is not None:
                if row.fingerprint != fingerprint:
                    return invalid(
                        {HEADER: Message(N_("This key was used for another request already."))}
                    )
                return _replay(row)
            if time.monotonic() > deadline:
                return error_response(
                    409, _("A request with this key is still being handled. Try again later.")
                )
            time.sleep(POLL_SECONDS)
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            idempotency.release(row_id)
            raise
        if 200 <= response.status_code < 300:
            idempotency.bind(
                row_id,
                response.status_code,
                response.get_data(as_text=True),
                response.headers.get("Location"),
            )
        else:
            idempotency.release(row_id)
        return response

    return wrapper


def _fingerprint() -> str:
    """The request body's digest. JSON is read first, so spacing and key order do not matter;
    a multipart form (an upload) by its fields and each file's name, type and bytes, so that a
    retry with another boundary is the same request."""
    digest = hashlib.sha256()
    if request.mimetype == "multipart/form-data":
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(json.dumps(["field", name, value]).encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            digest.update(json.dumps(["file", name, upload.filename, upload.mimetype]).encode())
            stream = upload.stream
            position = stream.tell()
            while chunk := stream.read(1 << 16):
                digest.update(chunk)
            stream.seek(position)
        return digest.hexdigest()
    body = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        pass
    digest.update(body)
    return digest.hexdigest()


def _replay(row) -> Response:
    response = Response(row.body, status=row.status, mimetype="application/json")
    if row.location:
        response.headers["Location"] = row.location
    response.headers["Idempotent-Replayed"] = "true"
    return response
