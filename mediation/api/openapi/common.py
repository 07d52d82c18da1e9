"""Shared pieces of the OpenAPI document: the enums' values, instants, money, ids, the error
answers every operation may give."""

from __future__ import annotations

from ...platform.web import ID_MAX


def values(enum_type) -> list[str]:
    return [member.value for member in enum_type]


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def response(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


def answer(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


INSTANT = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 with the UTC offset, e.g. 2026-11-26T09:30:00+08:00 (local time).",
}
NULLABLE_INSTANT = {**INSTANT, "nullable": True}
MONEY = {
    "type": "string",
    "pattern": r"^\d+\.\d{2}$",
    "description": "Yuan as a decimal string with two places, e.g. 1200.00; never a float.",
    "example": "1200.00",
}
# What a caller sends: a decimal string in yuan (docs/api.md), never a JSON number, an exponent
# or other digits than 0-9 (the pattern is ECMA-262's, where \d is ASCII only).
MONEY_INPUT_PATTERN = r"^\d{1,13}(\.\d{1,2})?$"
MONEY_INPUT = {
    "type": "string",
    "pattern": MONEY_INPUT_PATTERN,
    "description": "Yuan as a decimal string, at most two decimals, not negative; never a JSON "
    "number. Default 0.",
    "example": "1200.50",
}


MONTH = {"type": "string", "pattern": r"^2\d{3}-(0[1-9]|1[0-2])$", "example": "2026-11"}
# Row ids are 32-bit integers: a larger one in a path is simply not found (404).
# The examples name units of the demo county (安阳县).
VILLAGE_CODE = {
    "type": "string",
    "description": "A village in the caller's area.",
    "example": "410522100201",
}
UNIT_CODE = {"type": "string", "example": "410522100000"}


def param(name: str, description: str, schema: dict | None = None) -> dict:
    """A query parameter; sent empty (``?unit=``) it counts as not sent, as from an HTML form."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "allowEmptyValue": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def path_id(name: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": ID_MAX},
    }


SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "bad_request, csrf, unauthorized, forbidden, not_found, "
                        "conflict, not_allowed, version_conflict, invalid, too_large…",
                    },
                    "message": {
                        "type": "string",
                        "description": "In the request's language (zh by default).",
                    },
                    "fields": {
                        "type": "object",
                        "description": "On 422: one message per bad field; nested fields by "
                        "dotted path (parties.0.id_number).",
                        "additionalProperties": {"type": "string"},
                    },
                },
            }
        },
    },
}

RESPONSES = {
    "BadRequest": answer(ref("Error"), "Malformed: not a JSON object, or a missing CSRF token."),
    "Unauthorized": answer(ref("Error"), "No valid bearer token or session."),
    "Forbidden": answer(ref("Error"), "The caller's role may not do this."),
    "NotFound": answer(ref("Error"), "No such case in the caller's area."),
    "Invalid": answer(ref("Error"), "Validation failed; error.fields names each bad field."),
    "TooLarge": answer(ref("Error"), "The body is larger than 1 MiB (MAX_CONTENT_LENGTH)."),
    "Conflict": answer(
        {"anyOf": [ref("VersionConflict"), ref("Error")]},
        "version_conflict: the case changed since the caller's version (current_version and "
        "the changes are given); not_allowed: the action is not possible in the case's state.",
    ),
}

CASE_ID = path_id("case_id")
