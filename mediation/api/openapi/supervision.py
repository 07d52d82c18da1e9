"""Supervision notices (督办) and merging duplicates (并单)."""

from __future__ import annotations

from .common import (
    INSTANT,
    NULLABLE_INSTANT,
    UNIT_CODE,
    answer,
    param,
    path_id,
    ref,
    response,
)

SCHEMAS: dict = {}
PATHS: dict = {}

SCHEMAS["SupervisionInput"] = {
    "type": "object",
    "required": ["instruction", "due_working_days"],
    "additionalProperties": False,
    "properties": {
        "instruction": {"type": "string", "maxLength": 2000},
        "due_working_days": {"type": "integer", "minimum": 1, "maximum": 60},
    },
    "example": {"instruction": "请于期限内上报调处进展。", "due_working_days": 5},
}
SCHEMAS["SupervisionReply"] = {
    "type": "object",
    "required": ["progress"],
    "additionalProperties": False,
    "properties": {"progress": {"type": "string", "maxLength": 2000}},
    "example": {"progress": "已组织双方面对面调解，约定下周签订协议。"},
}
SCHEMAS["Supervision"] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "case_id": {"type": "integer"},
        "unit_code": {"type": "string", "description": "The unit holding the case when issued."},
        "issued_by": {"type": "string", "description": "The issuing officer's user name."},
        "issued_at": INSTANT,
        "instruction": {"type": "string"},
        "due_at": {**INSTANT, "description": "24:00 of the last working day given."},
        "replied_at": NULLABLE_INSTANT,
        "stage": {
            "type": "string",
            "enum": ["issued", "reminded", "circulated"],
            "description": "reminded (催办): unanswered at 80 % of the time; circulated (通报): "
            "unanswered when due.",
        },
        "issuing_unit_code": {"type": "string"},
        "due_working_days": {"type": "integer"},
        "remind_at": INSTANT,
        "reminded_at": NULLABLE_INSTANT,
        "circulated_at": NULLABLE_INSTANT,
        "progress": {"type": "string", "nullable": True},
    },
}
SCHEMAS["Supervision"]["required"] = list(SCHEMAS["Supervision"]["properties"])
SCHEMAS["MergeInput"] = {
    "type": "object",
    "required": ["into_case_id", "note"],
    "additionalProperties": False,
    "properties": {
        "into_case_id": {"type": "integer", "description": "The case kept."},
        "note": {"type": "string", "maxLength": 2000},
    },
    "example": {"into_case_id": 1, "note": "同一纠纷，热线与村里各登记一次。"},
}
PATHS["/cases/{case_id}/supervisions"] = {
    "post": {
        "operationId": "superviseCase",
        "summary": "Issue a supervision notice (督办单) on the case: officers above the level "
        "holding it.",
        "parameters": [path_id("case_id")],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("SupervisionInput")}},
        },
        "responses": {
            "201": answer(ref("Supervision"), "The notice."),
            "403": answer(ref("Error"), "The caller is not above the level holding the case."),
        },
    }
}
PATHS["/supervisions/{supervision_id}/reply"] = {
    "post": {
        "operationId": "replySupervision",
        "summary": "The holding unit's reply with its progress (stops the ladder from now on).",
        "parameters": [path_id("supervision_id")],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("SupervisionReply")}},
        },
        "responses": {
            "200": answer(ref("Supervision"), "The notice, answered."),
            "403": answer(ref("Error"), "The caller is not of the unit holding the case."),
        },
    }
}
PATHS["/supervisions"] = {
    "get": {
        "operationId": "listSupervisions",
        "summary": "Supervision notices on cases of the caller's area, newest first.",
        "parameters": [
            param("open", "1: only unanswered ones.", {"type": "string", "enum": ["0", "1"]}),
            param(
                "overdue",
                "1: only those past due with no reply before.",
                {"type": "string", "enum": ["0", "1"]},
            ),
            param("unit", "Code of a unit in the caller's area.", UNIT_CODE),
        ],
        "responses": {
            "200": answer({"type": "array", "items": ref("Supervision")}, "The notices."),
            "401": response("Unauthorized"),
            "422": response("Invalid"),
        },
    }
}
PATHS["/cases/{case_id}/merge"] = {
    "post": {
        "operationId": "mergeCase",
        "summary": "Merge this case as a duplicate into another case of the caller's area "
        "(并单): it becomes read-only and counts nowhere.",
        "parameters": [path_id("case_id")],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("MergeInput")}},
        },
        "responses": {
            "200": answer(ref("Case"), "The duplicate, merged."),
            "403": answer(ref("Error"), "Only township and county officers merge cases."),
        },
    }
}
