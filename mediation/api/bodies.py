"""Reading the JSON body of a call that changes data: the one place that decides between 400
(not a JSON object), 413 (larger than MAX_CONTENT_LENGTH), 422 (unknown or bad fields) and 403
(the service refuses the caller's role). Every error rolls the session back: nothing is saved.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from typing import TypeVar

from flask import request
from flask_babel import gettext as _

from ..domain.i18n import N_, Message
from ..domain.intake import InvalidInput
from ..extensions import db
from ..i18n import render_fields
from ..services.cases import NotAllowed
from ..web import error_response
from . import bp

T = TypeVar("T")
UNKNOWN_FIELD = Message(N_("Unknown field."))


class NotAJsonObject(Exception):
    """The body is not JSON, is malformed, or is JSON but not an object (400)."""


def json_object() -> dict:
    """The body as a JSON object. A body over MAX_CONTENT_LENGTH is refused (413) before
    anything else, whatever its type; NaN and Infinity are not JSON."""
    data = request.get_data(cache=True)  # raises RequestEntityTooLarge past the limit
    if not request.is_json:
        raise NotAJsonObject
    try:
        raw = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise NotAJsonObject from None
    if not isinstance(raw, dict):
        raise NotAJsonObject
    return raw


def unknown_fields(
    raw: Mapping, allowed: Collection[str], nested: Mapping[str, Collection[str]] | None = None
) -> dict[str, Message]:
    """``Unknown field.`` for each key the call does not take: at the top, and in each object
    of the lists named in ``nested`` (``parties.0.nickname``)."""
    errors = {str(key): UNKNOWN_FIELD for key in raw if key not in allowed}
    for name, keys in (nested or {}).items():
        items = raw.get(name)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                for key in item:
                    if key not in keys:
                        errors[f"{name}.{index}.{key}"] = UNKNOWN_FIELD
    return errors


def read_body(
    allowed: Collection[str],
    parse: Callable[[dict], T],
    *,
    nested: Mapping[str, Collection[str]] | None = None,
) -> T:
    """The body parsed by ``parse``; unknown fields are reported together with the bad ones
    (one 422 naming every field)."""
    raw = json_object()
    unknown = unknown_fields(raw, allowed, nested)
    try:
        draft = parse(raw)
    except InvalidInput as error:
        raise InvalidInput({**error.fields, **unknown}) from None
    if unknown:
        raise InvalidInput(unknown)
    return draft


def invalid(fields: Mapping[str, Message]):
    """422 naming each bad field, in the request's language."""
    return error_response(
        422, _("Some values are not valid; see the fields."), fields=render_fields(dict(fields))
    )


@bp.errorhandler(NotAJsonObject)
def not_a_json_object(error: NotAJsonObject):
    db.session.rollback()
    return error_response(400, _("The body must be a JSON object sent as application/json."))


@bp.errorhandler(InvalidInput)
def invalid_input(error: InvalidInput):
    db.session.rollback()
    return invalid(error.fields)


@bp.errorhandler(NotAllowed)
def not_allowed(error: NotAllowed):
    db.session.rollback()
    return error_response(403, _("Your role may not do this."))


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python accepts them, JSON not
