"""What reaches a user: the flags of the area and the inbox."""

from __future__ import annotations

from ...domain.enums import (
    CaseNews,
    FlagKind,
)
from .common import (
    INSTANT,
    MONTH,
    NULLABLE_INSTANT,
    UNIT_CODE,
    answer,
    param,
    path_id,
    ref,
    response,
    values,
)

SCHEMAS: dict = {}
PATHS: dict = {}

PATHS["/flags"] = {
    "get": {
        "operationId": "listFlags",
        "summary": "The facts flagged in the caller's area, latest first (at most 1,000).",
        "parameters": [
            param("open", "1: only flags not cleared.", {"type": "string", "enum": ["0", "1"]}),
            param("kind", "A flag kind.", {"type": "string", "enum": values(FlagKind)}),
            param("unit", "Code of a unit in the caller's area.", UNIT_CODE),
            param("month", "YYYY-MM: the flags that happened in that month.", MONTH),
        ],
        "responses": {
            "200": answer({"type": "array", "items": ref("Flag")}, "The flags."),
            "401": response("Unauthorized"),
            "404": answer(ref("Error"), "No such unit in the caller's area."),
            "422": response("Invalid"),
        },
    }
}


SCHEMAS["Notification"] = {
    "type": "object",
    "required": ["id", "kind", "case_id", "unit_code", "created_at", "read_at", "text"],
    "properties": {
        "id": {"type": "integer"},
        "kind": {
            "type": "string",
            "enum": values(FlagKind) + values(CaseNews),
            "description": "A flag's kind, or news of a case: a big or major case registered, "
            "a major case reported to the county.",
        },
        "case_id": {"type": "integer", "nullable": True},
        "unit_code": {
            "type": "string",
            "description": "The village of the case, or the unit flagged.",
        },
        "created_at": {**INSTANT, "description": "When the user was told."},
        "read_at": NULLABLE_INSTANT,
        "text": {
            "type": "string",
            "description": "One line in the caller's language: what happened, to which case "
            "or to which village and month.",
        },
    },
}
SCHEMAS["NotificationList"] = {
    "type": "object",
    "required": ["items", "total", "unread"],
    "properties": {
        "items": {"type": "array", "items": ref("Notification")},
        "total": {"type": "integer", "description": "Entries the filter keeps."},
        "unread": {"type": "integer", "description": "The caller's unread entries."},
    },
}
PATHS["/notifications"] = {
    "get": {
        "operationId": "listNotifications",
        "summary": "The caller's inbox, newest first, 20 a page.",
        "parameters": [
            param("unread", "1: only unread entries.", {"type": "string", "enum": ["0", "1"]}),
            param("page", "Page, from 1.", {"type": "integer", "minimum": 1, "default": 1}),
        ],
        "responses": {
            "200": answer(ref("NotificationList"), "The entries."),
            "401": response("Unauthorized"),
            "422": response("Invalid"),
        },
    }
}
PATHS["/notifications/{notification_id}/read"] = {
    "post": {
        "operationId": "readNotification",
        "summary": "Mark one of the caller's entries as read (read stays read).",
        "parameters": [path_id("notification_id")],
        "responses": {
            "200": answer(ref("Notification"), "The entry, read."),
            "400": response("BadRequest"),
            "401": response("Unauthorized"),
            "404": answer(ref("Error"), "No such entry in the caller's inbox."),
        },
    }
}
