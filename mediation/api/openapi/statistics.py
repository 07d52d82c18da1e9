"""The people's-mediation statistical report (人民调解统计报表)."""

from __future__ import annotations

from ...domain.enums import (
    Category,
    Source,
)
from .common import (
    INSTANT,
    MONEY,
    MONTH,
    UNIT_CODE,
    answer,
    param,
    ref,
    response,
    values,
)

SCHEMAS: dict = {}
PATHS: dict = {}

_OUTCOME_COUNTS = {
    key: {"type": "integer", "minimum": 0}
    for key in ("received", "resolved", "referred", "withdrawn", "open")
}
_PREVENTED_COUNTS = {
    "type": "object",
    "required": ["cases", "people"],
    "properties": {
        "cases": {"type": "integer", "minimum": 0},
        "people": {"type": "integer", "minimum": 0},
    },
}
SCHEMAS["Statistics"] = {
    "type": "object",
    "description": "Cases received in the period (merged duplicates not counted), with their "
    "outcomes as they stood at the period's end: resolved (resolved or closed), referred, "
    "withdrawn, open (not concluded). Levels, agreements, amount and prevented count the cases "
    "resolved.",
    "required": [
        "unit_code",
        "from",
        "to",
        "received",
        "by_category",
        "by_source",
        "by_level_settled",
        "agreements",
        "amount_settled_yuan",
        "prevented",
    ],
    "properties": {
        "unit_code": {"type": "string"},
        "unit_name": {"type": "string"},
        "from": MONTH,
        "to": MONTH,
        "generated_at": INSTANT,
        "received": {"type": "integer", "minimum": 0},
        "by_category": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["category", *_OUTCOME_COUNTS],
                "properties": {
                    "category": {"type": "string", "enum": values(Category)},
                    **_OUTCOME_COUNTS,
                },
            },
        },
        "by_source": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["source", "received"],
                "properties": {
                    "source": {"type": "string", "enum": values(Source)},
                    **_OUTCOME_COUNTS,
                },
            },
        },
        "by_level_settled": {
            "type": "object",
            "required": ["village", "township", "county"],
            "properties": {
                level: {"type": "integer", "minimum": 0}
                for level in ("village", "township", "county")
            },
        },
        "agreements": {
            "type": "object",
            "required": ["oral", "written"],
            "properties": {
                "oral": {"type": "integer", "minimum": 0},
                "written": {"type": "integer", "minimum": 0},
            },
        },
        "amount_settled_yuan": MONEY,
        "prevented": {
            "type": "object",
            "required": ["violence", "group", "petition"],
            "properties": {
                "violence": _PREVENTED_COUNTS,
                "group": _PREVENTED_COUNTS,
                "petition": _PREVENTED_COUNTS,
            },
        },
    },
}
PATHS["/statistics"] = {
    "get": {
        "operationId": "getStatistics",
        "summary": "The people's-mediation statistical report of a unit for a period of months.",
        "parameters": [
            param(
                "unit",
                "Code of a unit in the caller's area (default: the caller's own).",
                UNIT_CODE,
            ),
            {"name": "from", "in": "query", "required": True, "schema": MONTH},
            param("to", "The last month (default: `from`).", MONTH),
            param(
                "format",
                "json (default), csv or xlsx (the page's downloads).",
                {"type": "string", "enum": ["json", "csv", "xlsx"]},
            ),
        ],
        "responses": {
            "200": {
                "description": "The report.",
                "content": {
                    "application/json": {"schema": ref("Statistics")},
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                },
            },
            "401": response("Unauthorized"),
            "403": response("Forbidden"),
            "404": answer(ref("Error"), "No such unit in the caller's area."),
            "422": response("Invalid"),
        },
    }
}
