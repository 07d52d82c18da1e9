"""The 三零 inputs: incidents and the villages' monthly screening reports."""

from __future__ import annotations

from ...domain.enums import (
    IncidentKind,
    PetitionLevel,
)
from ...domain.incidents import NOTE_MAX as SCREENING_NOTE_MAX
from ...domain.incidents import SUMMARY_MAX
from .common import (
    INSTANT,
    MONTH,
    UNIT_CODE,
    VILLAGE_CODE,
    answer,
    param,
    path_id,
    ref,
    response,
    values,
)

SCHEMAS: dict = {}
PATHS: dict = {}

_INCIDENT_PROPERTIES = {
    "village_code": VILLAGE_CODE,
    "kind": {"type": "string", "enum": values(IncidentKind)},
    "occurred_at": {**INSTANT, "description": "With its UTC offset; not in the future."},
    "summary": {"type": "string", "maxLength": SUMMARY_MAX},
    "petition_level": {
        "type": "string",
        "enum": values(PetitionLevel),
        "nullable": True,
        "description": "Petitions only (required); above county raises pushed_up.",
    },
    "collective": {"type": "boolean", "description": "Petitions only."},
    "people": {
        "type": "integer",
        "minimum": 0,
        "description": "Petitioners: at least 1 in a "
        "petition, 2 if collective; 0 for the other kinds.",
    },
    "injured": {"type": "integer", "minimum": 0, "description": "Accidents only."},
    "dead": {"type": "integer", "minimum": 0, "description": "Accidents only."},
    "case_id": {"type": "integer", "nullable": True, "description": "A case of the village."},
}
_SCREENING_PROPERTIES = {
    "village_code": VILLAGE_CODE,
    "month": MONTH,
    "visited_at": {
        "type": "string",
        "format": "date",
        "description": "Local day of the visits: in or after the month, not later than today.",
    },
    "households": {"type": "integer", "minimum": 0},
    "risks_found": {"type": "integer", "minimum": 0},
    "disputes_found": {"type": "integer", "minimum": 0, "description": "0 in a zero report."},
    "zero_report": {"type": "boolean"},
    "note": {"type": "string", "maxLength": SCREENING_NOTE_MAX},
}
SCHEMAS.update(
    {
        "IncidentInput": {
            "type": "object",
            "additionalProperties": False,
            "required": ["village_code", "kind", "occurred_at", "summary"],
            "properties": _INCIDENT_PROPERTIES,
        },
        "IncidentUpdate": {
            "type": "object",
            "additionalProperties": False,
            "required": ["village_code", "kind", "occurred_at", "summary", "version", "note"],
            "properties": {
                **_INCIDENT_PROPERTIES,
                "version": {"type": "integer"},
                "note": {"type": "string", "description": "The reason for the change."},
            },
        },
        "Incident": {
            "type": "object",
            "properties": {
                **_INCIDENT_PROPERTIES,
                "id": {"type": "integer"},
                "village_name": {"type": "string"},
                "case_number": {"type": "string", "nullable": True},
                "version": {"type": "integer"},
                "created_by": {"type": "string", "nullable": True},
                "created_at": INSTANT,
                "updated_at": INSTANT,
                "revisions": {
                    "type": "array",
                    "description": "GET and PUT of one incident only.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "at": INSTANT,
                            "actor": {"type": "string", "nullable": True},
                            "note": {"type": "string"},
                            "before": {"type": "object"},
                        },
                    },
                },
            },
        },
        "ScreeningInput": {
            "type": "object",
            "additionalProperties": False,
            "required": ["village_code", "month", "visited_at", "households"],
            "properties": _SCREENING_PROPERTIES,
        },
        "Screening": {
            "type": "object",
            "properties": {
                **_SCREENING_PROPERTIES,
                "id": {"type": "integer"},
                "village_name": {"type": "string"},
                "filed_at": INSTANT,
            },
        },
        "ScreeningMonth": {
            "type": "object",
            "properties": {
                "month": {"type": "string"},
                "unit_code": {"type": "string"},
                "filed": {"type": "array", "items": ref("Screening")},
                "missing": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "village_code": {"type": "string"},
                            "village_name": {"type": "string"},
                        },
                    },
                },
            },
        },
    }
)
_INCIDENT_ID = path_id("incident_id")
_WRITE_ERRORS = {
    "400": response("BadRequest"),
    "401": response("Unauthorized"),
    "403": response("Forbidden"),
    "422": response("Invalid"),
}
PATHS.update(
    {
        "/incidents": {
            "get": {
                "operationId": "listIncidents",
                "summary": "The caller's incidents, latest first.",
                "parameters": [
                    param(
                        "unit",
                        "Code of a unit in the caller's area: its subtree's incidents.",
                        UNIT_CODE,
                    ),
                    param("month", "Local month of occurrence, YYYY-MM.", MONTH),
                    param("kind", "Kind.", {"type": "string", "enum": values(IncidentKind)}),
                ],
                "responses": {
                    "200": answer({"type": "array", "items": ref("Incident")}, "The incidents."),
                    "401": response("Unauthorized"),
                    "422": response("Invalid"),
                },
            },
            "post": {
                "operationId": "createIncident",
                "summary": "Record a petition, accident, criminal or public-order case (officers).",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("IncidentInput")}},
                },
                "responses": {
                    "201": answer(ref("Incident"), "The incident."),
                    **_WRITE_ERRORS,
                },
            },
        },
        "/incidents/{incident_id}": {
            "get": {
                "operationId": "getIncident",
                "summary": "One incident, with its revisions.",
                "parameters": [_INCIDENT_ID],
                "responses": {
                    "200": answer(ref("Incident"), "The incident."),
                    "401": response("Unauthorized"),
                    "404": response("NotFound"),
                },
            },
            "put": {
                "operationId": "updateIncident",
                "summary": (
                    "Change an incident (officers), keeping the earlier values as a revision."
                ),
                "parameters": [_INCIDENT_ID],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("IncidentUpdate")}},
                },
                "responses": {
                    "200": answer(ref("Incident"), "The incident."),
                    **_WRITE_ERRORS,
                    "404": response("NotFound"),
                    "409": answer(ref("Error"), "version_conflict: a stale version."),
                },
            },
        },
        "/screenings": {
            "get": {
                "operationId": "listScreenings",
                "summary": (
                    "Which villages filed their screening report for a month, and which not."
                ),
                "parameters": [
                    param("month", "YYYY-MM; default the previous month.", MONTH),
                    param("unit", "Code of a unit in the caller's area.", UNIT_CODE),
                ],
                "responses": {
                    "200": answer(ref("ScreeningMonth"), "The month's reports."),
                    "401": response("Unauthorized"),
                    "422": response("Invalid"),
                },
            },
            "post": {
                "operationId": "createScreening",
                "summary": "File a village's monthly screening report, or a zero report.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("ScreeningInput")}},
                },
                "responses": {
                    "201": answer(ref("Screening"), "The report."),
                    **_WRITE_ERRORS,
                    "409": answer(ref("Error"), "The village already filed for that month."),
                },
            },
        },
    }
)

SCHEMAS["IncidentInput"]["example"] = {
    "village_code": "410522100201",
    "kind": "accident",
    "occurred_at": "2026-11-02T09:30:00+08:00",
    "summary": "农机侧翻，一人受伤。",
    "injured": 1,
    "dead": 0,
}
SCHEMAS["ScreeningInput"]["example"] = {
    "village_code": "410522100201",
    "month": "2026-10",
    "visited_at": "2026-11-02",
    "households": 40,
    "risks_found": 1,
    "disputes_found": 1,
    "zero_report": False,
    "note": "",
}
