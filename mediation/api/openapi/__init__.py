"""The OpenAPI 3.0 document of /api/v1, kept as plain data next to the views it describes, one
module a resource: cases (and units), scorecards, incidents (and screenings), inbox (flags and
notifications), supervision (and merging), attachments, statistics; common holds what they share.

The vocabularies (categories, states, roles…) and the limits come from the domain, so the
document cannot drift from what the API accepts; request bodies are validated against it
(api/bodies.py). A test checks that every route of the blueprint appears here.
"""

from __future__ import annotations

from copy import deepcopy

from . import attachments, cases, common, inbox, incidents, scorecards, statistics, supervision
from .common import MONEY_INPUT_PATTERN, RESPONSES, response

__all__ = ["MONEY_INPUT_PATTERN", "PATHS", "SCHEMAS", "openapi_document"]

_RESOURCES = (cases, scorecards, incidents, inbox, supervision, attachments, statistics)
SCHEMAS: dict = {**common.SCHEMAS}
PATHS: dict = {}
for _resource in _RESOURCES:
    SCHEMAS.update(_resource.SCHEMAS)
    PATHS.update(_resource.PATHS)

# In a body, null counts as not sent: an optional field may be null.
for _name in (
    "CaseInput",
    "PartyInput",
    "AgreementInput",
    "ActionInput",
    "IncidentInput",
    "IncidentUpdate",
    "ScreeningInput",
):
    _schema = SCHEMAS[_name]
    _schema["properties"] = {
        key: field if key in _schema["required"] or "$ref" in field else {**field, "nullable": True}
        for key, field in _schema["properties"].items()
    }

# Every key of these answers is always there (null when empty), so clients may rely on it.
for _name in ("Party", "Deadline", "Agreement", "Flag", "Case", "Event", "Screening"):
    SCHEMAS[_name]["required"] = list(SCHEMAS[_name]["properties"])
SCHEMAS["Incident"]["required"] = [
    key for key in SCHEMAS["Incident"]["properties"] if key != "revisions"
]


def _add_standard_errors(paths: dict) -> None:
    """The errors every operation shares, where an operation does not describe its own: 401
    without a user; 400 for a malformed body or a query with control characters; 404 for an id
    outside the caller's area; 413 and 422 for a body."""
    for item in paths.values():
        for operation in item.values():
            if operation.get("security") == []:
                continue
            responses = operation["responses"]
            parameters = operation.get("parameters", [])
            responses.setdefault("401", response("Unauthorized"))
            if parameters or "requestBody" in operation:
                responses.setdefault("400", response("BadRequest"))
            if any(parameter["in"] == "path" for parameter in parameters):
                responses.setdefault("404", response("NotFound"))
            if "requestBody" in operation:
                responses.setdefault("413", response("TooLarge"))
                responses.setdefault("422", response("Invalid"))


_add_standard_errors(PATHS)

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any text up to 128 characters, per user, method and path: a repeat after "
    "a 2xx answer gets that first answer again (header Idempotent-Replayed: true) and changes "
    "nothing; a repeat with another body is a 422; a repeat while the first is still handled "
    "waits for it. Any other answer binds nothing, so a corrected request may reuse the key.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
}


def add_idempotency_key(paths: dict, path: str) -> None:
    """Document the Idempotency-Key header on ``path``'s POST (the view has @idempotent)."""
    operation = paths[path]["post"]
    operation["parameters"] = [*operation.get("parameters", []), IDEMPOTENCY_KEY]


for _path in (
    "/cases",
    "/cases/{case_id}/actions",
    "/cases/{case_id}/attachments",
    "/incidents",
    "/screenings",
):
    add_idempotency_key(PATHS, _path)

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {
        "title": "Fengqiao mediation API",
        "version": "1",
        "description": "Dispute-mediation cases (矛盾纠纷) of the caller's area. Authenticate "
        "with `Authorization: Bearer <token>` (`flask --app app create-token NAME`), or with "
        "the browser session plus the `X-CSRFToken` header for calls that change data. Cases "
        "outside the caller's area answer 404. Messages follow Accept-Language (zh default).",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}, {"sessionCookie": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "sessionCookie": {
                "type": "apiKey",
                "in": "cookie",
                "name": "session",
                "description": "The web UI's session; changing calls also need X-CSRFToken.",
            },
        },
        "schemas": SCHEMAS,
        "responses": RESPONSES,
    },
}


def openapi_document() -> dict:
    """The OpenAPI 3.0 document (a copy: callers may change it)."""
    return deepcopy(DOCUMENT)
