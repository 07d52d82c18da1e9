"""Reading the JSON body of a call that changes data: the one place that decides between 400
(not a JSON object), 413 (larger than MAX_CONTENT_LENGTH), 422 (unknown or bad fields) and 403
(the service refuses the caller's role). Every error rolls the session back: nothing is saved.

The body's shape is the OpenAPI document's: a field it does not list is unknown, and a field it
types as integer or boolean must be a JSON number or true/false, never text ("2", "yes") that
the domain, which also reads HTML forms, would take. The domain then checks the values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import TypeVar

from flask import request
from flask_babel import gettext as _

from ..domain.i18n import N_, Message
from ..domain.intake import InvalidInput
from ..extensions import db
from ..platform.i18n import render_fields
from ..platform.web import error_response
from ..services.cases import NotAllowed
from . import bp
from .openapi import MONEY_INPUT_PATTERN, SCHEMAS

T = TypeVar("T")
UNKNOWN_FIELD = Message(N_("Unknown field."))
NOT_WHOLE = Message(N_("Send a whole number (a JSON number, not text)."))
NOT_BOOLEAN = Message(N_("Send true or false."))
NOT_MONEY = Message(
    N_('Send the amount in yuan as text of digits with at most two decimals, such as "1200.50".')
)
NOT_TEXT = Message(
    N_("Contains a character that is not text (a lone surrogate); please retype it.")
)
# A string field's pattern the shape check enforces, with what it says when it is not matched.
PATTERNS = {MONEY_INPUT_PATTERN: NOT_MONEY}


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
    broken = dict.fromkeys(_lone_surrogates(raw), NOT_TEXT)
    if broken:
        raise InvalidInput(broken)
    return raw


def _lone_surrogates(value, path: str = "") -> list[str]:
    """The dotted paths of the strings (values or keys) holding a lone surrogate ("\\ud800"):
    JSON may escape one, but it is no character, and no database can store it."""
    if isinstance(value, str):
        return [path] if _SURROGATE.search(value) else []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = [(str(index), item) for index, item in enumerate(value)]
    else:
        return []
    found: list[str] = []
    for key, item in children:
        name = f"{path}.{key}" if path else key
        if _SURROGATE.search(key):
            found.append(_SURROGATE.sub("\ufffd", name))
        else:
            found.extend(_lone_surrogates(item, name))
    return found


_SURROGATE = re.compile("[\ud800-\udfff]")


def shape_errors(raw: Mapping, schema: str | dict, prefix: str = "") -> dict[str, Message]:
    """What in ``raw`` does not have the shape of the document's ``schema``: unknown fields
    (where the schema takes no others) and integers or booleans sent as something else, by
    dotted path (``parties.0.nickname``, ``agreement.form``). Values are the domain's affair."""
    schema = _resolve(schema)
    properties = schema.get("properties", {})
    errors: dict[str, Message] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if key not in properties:
            if schema.get("additionalProperties") is False:
                errors[name] = UNKNOWN_FIELD
            continue
        field = _resolve(properties[key])
        kind = field.get("type")
        if value is None:
            continue
        if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            errors[name] = NOT_WHOLE
        elif kind == "boolean" and not isinstance(value, bool):
            errors[name] = NOT_BOOLEAN
        elif kind == "string" and field.get("pattern") in PATTERNS:
            if not (isinstance(value, str) and re.fullmatch(field["pattern"], value, re.ASCII)):
                errors[name] = PATTERNS[field["pattern"]]
        elif kind == "object" and isinstance(value, dict):
            errors.update(shape_errors(value, field, f"{name}."))
        elif kind == "array" and isinstance(value, list):
            item = _resolve(field.get("items", {}))
            for index, element in enumerate(value):
                if item.get("type") == "object" and isinstance(element, dict):
                    errors.update(shape_errors(element, item, f"{name}.{index}."))
    return errors


def read_body(schema: str, parse: Callable[[dict], T]) -> T:
    """The body parsed by ``parse`` after the shape check against the document's ``schema``
    (CaseInput…); every bad field is reported at once (one 422), the shape's word first."""
    raw = json_object()
    wrong = shape_errors(raw, schema)
    try:
        draft = parse(raw)
    except InvalidInput as error:
        raise InvalidInput({**error.fields, **wrong}) from None
    if wrong:
        raise InvalidInput(wrong)
    return draft


def _resolve(schema: str | dict) -> dict:
    """A schema by name or ``$ref``, else the schema itself."""
    if isinstance(schema, str):
        return SCHEMAS[schema]
    if "$ref" in schema:
        return SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


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
