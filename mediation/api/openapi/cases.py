"""Units, cases, their actions and history: /units, /cases and below."""

from __future__ import annotations

from ...domain.clocks import ClockState
from ...domain.enums import (
    AgreementForm,
    CaseStatus,
    Category,
    Clock,
    FlagKind,
    Level,
    PartyRole,
    ReferralTarget,
    Risk,
    Scale,
    Source,
)
from ...domain.intake import (
    ADDRESS_MAX,
    DESCRIPTION_MAX,
    MAX_PARTIES,
    MAX_PEOPLE,
    NAME_MAX,
    TITLE_MAX,
)
from ...domain.workflow import (
    NEEDS_REASON,
    NOTE_MAX,
    PARTICIPANTS_MAX,
    PLACE_MAX,
    SESSION_SUMMARY_MAX,
    TERMS_MAX,
    USER_ACTIONS,
)
from ...services.scorecard import METRIC_NAMES
from .common import (
    CASE_ID,
    INSTANT,
    MONEY,
    MONEY_INPUT,
    MONTH,
    NULLABLE_INSTANT,
    UNIT_CODE,
    VILLAGE_CODE,
    answer,
    param,
    ref,
    response,
    values,
)

SCHEMAS = {
    "Unit": {
        "type": "object",
        "required": ["code", "name", "kind", "parent_code"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": values(Level)},
            "parent_code": {"type": "string", "nullable": True},
        },
    },
    "PartyInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "role"],
        "properties": {
            "name": {"type": "string", "maxLength": NAME_MAX},
            "role": {"type": "string", "enum": values(PartyRole)},
            "id_number": {
                "type": "string",
                "nullable": True,
                "description": "18-character resident ID (GB 11643 check digit, real birth date).",
            },
            "phone": {
                "type": "string",
                "nullable": True,
                "description": "Mainland mobile (11 digits) or landline with area code.",
            },
            "address": {"type": "string", "nullable": True, "maxLength": ADDRESS_MAX},
        },
    },
    "CaseInput": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "village_code",
            "category",
            "source",
            "title",
            "description",
            "people_involved",
            "parties",
        ],
        "properties": {
            "village_code": VILLAGE_CODE,
            "category": {"type": "string", "enum": values(Category)},
            "source": {"type": "string", "enum": values(Source)},
            "title": {"type": "string", "maxLength": TITLE_MAX},
            "description": {"type": "string", "maxLength": DESCRIPTION_MAX},
            "received_at": {
                "anyOf": [
                    {k: v for k, v in INSTANT.items() if k != "description"},
                    {"type": "string", "enum": [""]},
                ],
                "description": "ISO 8601 with its UTC offset; not in the future, at most 90 days "
                'back (policy intake.max_backdate_days). Default (also for null or ""): now.',
            },
            "people_involved": {"type": "integer", "minimum": 1, "maximum": MAX_PEOPLE},
            "amount_yuan": MONEY_INPUT,
            "risks": {"type": "array", "items": {"type": "string", "enum": values(Risk)}},
            "parties": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_PARTIES,
                "items": ref("PartyInput"),
            },
            "resolved_at": {
                **{k: v for k, v in INSTANT.items() if k != "description"},
                "nullable": True,
                "description": "A dispute already settled on the spot: when (not before "
                "received_at, not in the future). With `agreement`, the case is recorded as "
                "accepted when received and resolved then.",
            },
            "agreement": ref("AgreementInput"),
        },
    },
    "Party": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "role": {"type": "string", "enum": values(PartyRole)},
            "id_number": {
                "type": "string",
                "nullable": True,
                "description": "Masked: 4105**********1233.",
            },
            "phone": {"type": "string", "nullable": True},
            "address": {"type": "string", "nullable": True},
        },
    },
    "Deadline": {
        "type": "object",
        "description": "One clock of the case at one level. Clocks of a level the case left "
        "stay on record, stopped (met or breached).",
        "properties": {
            "clock": {"type": "string", "enum": values(Clock)},
            "level": {"type": "string", "enum": values(Level)},
            "started_at": INSTANT,
            "due_at": INSTANT,
            "warn_at": {**INSTANT, "description": "When the warning comes (80 % of the span)."},
            "met_at": NULLABLE_INSTANT,
            "breached_at": NULLABLE_INSTANT,
            "stopped_at": NULLABLE_INSTANT,
            "provisional": {
                "type": "boolean",
                "description": "Counted on a year the calendar does not know yet (Monday to "
                "Friday); recomputed once its holidays are entered.",
            },
            "running": {"type": "boolean"},
            "state": {
                "type": "string",
                "enum": values(ClockState),
                "description": "running, paused (with its case), met (stopped strictly before"
                " its deadline), breached, or stopped (withdrawal, reclassification, the end of"
                " the informational judicial-confirmation window).",
            },
            "working_days": {
                "type": "boolean",
                "description": "The span counts working days (Chinese calendar, local time); "
                "else calendar days.",
            },
            "days": {"type": "integer", "description": "The span, extension included."},
        },
    },
    "Agreement": {
        "type": "object",
        "properties": {
            "form": {"type": "string", "enum": values(AgreementForm)},
            "terms": {"type": "string"},
            "points_in_dispute": {"type": "string", "description": "Empty when not stated."},
            "responsibilities": {"type": "string", "description": "Empty when not stated."},
            "amount_yuan": MONEY,
            "agreed_at": INSTANT,
            "level": {"type": "string", "enum": values(Level)},
            "unit_code": {"type": "string", "description": "The unit that mediated it."},
        },
    },
    "AgreementInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["form", "terms"],
        "properties": {
            "form": {"type": "string", "enum": values(AgreementForm)},
            "terms": {"type": "string", "maxLength": TERMS_MAX},
            "points_in_dispute": {
                "type": "string",
                "maxLength": TERMS_MAX,
                "description": "争议事项, printed on the written agreement. Optional.",
            },
            "responsibilities": {
                "type": "string",
                "maxLength": TERMS_MAX,
                "description": "Each party's responsibilities (责任), printed on the written "
                "agreement. Optional.",
            },
            "amount_yuan": MONEY_INPUT,
        },
    },
    "ActionInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["action", "version"],
        "description": "One action. Besides `action` and `version`, each action takes its own "
        "fields: resolve `agreement`; assign_down `to_unit_code`; refer `to`; follow_up "
        "`performed`, `satisfied`, `relapse_risk`; extend `consent`; reclassify `scale`; "
        "session (调解记录, while the case is in mediation) `held_at`, `place`, "
        "`participants`, `summary`. "
        "A `note` (the reason) is required for " + ", ".join(sorted(NEEDS_REASON)) + ".",
        "properties": {
            "action": {"type": "string", "enum": values(USER_ACTIONS)},
            "version": {
                "type": "integer",
                "description": "The case's `version` as the caller last saw it; a stale one "
                "answers 409 version_conflict.",
            },
            "note": {"type": "string", "maxLength": NOTE_MAX},
            "agreement": ref("AgreementInput"),
            "to_unit_code": {
                "type": "string",
                "description": "assign_down: a unit below the holder, on the case's own "
                "township and village.",
            },
            "to": {"type": "string", "enum": values(ReferralTarget), "description": "refer"},
            "performed": {
                "type": "boolean",
                "description": "follow_up: agreement performed (closes the case).",
            },
            "satisfied": {"type": "boolean", "description": "follow_up"},
            "relapse_risk": {"type": "boolean", "description": "follow_up"},
            "consent": {
                "type": "boolean",
                "enum": [True],
                "description": "extend: both parties consent (once per case).",
            },
            "scale": {
                "type": "string",
                "enum": values(Scale),
                "description": "reclassify (officers).",
            },
            "held_at": {
                **INSTANT,
                "description": "session: when the meeting was held (with its UTC offset); not "
                "in the future, not before the case was received.",
            },
            "place": {"type": "string", "maxLength": PLACE_MAX, "description": "session"},
            "participants": {
                "type": "string",
                "maxLength": PARTICIPANTS_MAX,
                "description": "session: who was present.",
            },
            "summary": {
                "type": "string",
                "maxLength": SESSION_SUMMARY_MAX,
                "description": "session: what was said and agreed.",
            },
        },
    },
    "VersionConflict": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "current_version", "changes"],
                "properties": {
                    "code": {"type": "string", "enum": ["version_conflict"]},
                    "message": {"type": "string"},
                    "current_version": {
                        "type": "integer",
                        "description": "version_conflict: the case's version now.",
                    },
                    "changes": {
                        "type": "array",
                        "items": ref("Event"),
                        "description": "version_conflict: the events since the caller's "
                        "version, oldest first.",
                    },
                },
            }
        },
    },
    "Flag": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": values(FlagKind)},
            "case_id": {"type": "integer", "nullable": True},
            "unit_code": {
                "type": "string",
                "description": "The village of the case, or the unit flagged.",
            },
            "level": {"type": "string", "enum": values(Level)},
            "period": {
                "type": "string",
                "nullable": True,
                "description": "YYYY-MM for monthly unit flags.",
            },
            "occurred_at": {
                **INSTANT,
                "description": "When the fact happened by the rules (the month it counts in).",
            },
            "raised_at": {**INSTANT, "description": "When the system recorded it."},
            "cleared_at": NULLABLE_INSTANT,
        },
    },
    "Case": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string", "example": "410522-2026-000123"},
            "village_code": {"type": "string"},
            "village_name": {"type": "string"},
            "category": {"type": "string", "enum": values(Category)},
            "source": {"type": "string", "enum": values(Source)},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "received_at": INSTANT,
            "people_involved": {"type": "integer"},
            "amount_yuan": MONEY,
            "risks": {"type": "array", "items": {"type": "string", "enum": values(Risk)}},
            "parties": {"type": "array", "items": ref("Party")},
            "scale": {"type": "string", "enum": values(Scale)},
            "scale_reason": {
                "type": "string",
                "description": "Why the case has its scale, translated; empty for a small case.",
            },
            "is_scale_overridden": {"type": "boolean"},
            "home_level": {"type": "string", "enum": values(Level)},
            "level": {"type": "string", "enum": values(Level)},
            "holder_code": {"type": "string", "description": "The unit handling it now."},
            "status": {"type": "string", "enum": values(CaseStatus)},
            "merged_into_id": {
                "type": "integer",
                "nullable": True,
                "description": "For a duplicate (status merged, 并单): the case kept.",
            },
            "version": {"type": "integer"},
            "created_at": INSTANT,
            "updated_at": INSTANT,
            "is_extended": {
                "type": "boolean",
                "description": "The one-month limit was extended (once, with consent).",
            },
            "deadlines": {"type": "array", "items": ref("Deadline")},
            "agreements": {"type": "array", "items": ref("Agreement")},
            "allowed_actions": {
                "type": "array",
                "items": {"type": "string", "enum": values(USER_ACTIONS)},
                "description": "What the caller may do now.",
            },
            "flags": {"type": "array", "items": ref("Flag")},
        },
    },
    "CaseList": {
        "type": "object",
        "required": ["items", "total", "page", "per_page"],
        "properties": {
            "items": {"type": "array", "items": ref("Case")},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    },
    "Event": {
        "type": "object",
        "properties": {
            "at": {
                **INSTANT,
                "description": "When it took effect (an automatic escalation: at its instant E).",
            },
            "recorded_at": {**INSTANT, "description": "When it was written."},
            "actor": {"type": "string", "nullable": True, "description": "User name."},
            "action": {"type": "string", "example": "register"},
            "from_status": {"type": "string", "enum": values(CaseStatus), "nullable": True},
            "to_status": {"type": "string", "enum": values(CaseStatus), "nullable": True},
            "from_level": {"type": "string", "enum": values(Level), "nullable": True},
            "to_level": {"type": "string", "enum": values(Level), "nullable": True},
            "note": {"type": "string"},
            "version": {
                "type": "integer",
                "nullable": True,
                "description": "The case's version once this event was written.",
            },
            "data": {
                "type": "object",
                "description": "What the action recorded (agreement, target unit, scale…).",
            },
        },
    },
}

CASE_FILTERS = [
    param("status", "Current state.", {"type": "string", "enum": values(CaseStatus)}),
    param("level", "Level handling it now.", {"type": "string", "enum": values(Level)}),
    param("scale", "Scale.", {"type": "string", "enum": values(Scale)}),
    param("unit", "Code of a unit in the caller's area: its subtree's cases.", UNIT_CODE),
    param("category", "Category.", {"type": "string", "enum": values(Category)}),
    param("q", "Text in the title, the number or a party's name."),
    param("received_from", "First local day received.", {"type": "string", "format": "date"}),
    param("received_to", "Last local day received.", {"type": "string", "format": "date"}),
    param(
        "sort",
        "Order.",
        {
            "type": "string",
            "enum": ["-received_at", "received_at", "-number", "number", "-people", "-amount"],
            "default": "-received_at",
        },
    ),
    param("page", "Page, from 1.", {"type": "integer", "minimum": 1, "default": 1}),
    param(
        "per_page",
        "Cases per page.",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    ),
    param(
        "metric",
        "A figure of the monthly scorecard (with month): exactly the cases it "
        "counts, e.g. concluded, agreements, escalations, rule_violations.",
        {"type": "string", "enum": list(METRIC_NAMES)},
    ),
    param("month", "The scorecard month of metric, YYYY-MM.", MONTH),
    param("flag", "Cases with an open flag of this kind, or rule_broken for any rule violation."),
    param(
        "overdue",
        "1: only cases with an open overdue flag (a clock ran out).",
        {"type": "string", "enum": ["0", "1"]},
    ),
]

PATHS = {
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document."}},
        }
    },
    "/units": {
        "get": {
            "operationId": "listUnits",
            "summary": "The caller's subtree of units.",
            "responses": {
                "200": answer({"type": "array", "items": ref("Unit")}, "The units."),
                "401": response("Unauthorized"),
            },
        }
    },
    "/cases": {
        "get": {
            "operationId": "listCases",
            "summary": "The caller's cases, filtered, one page at a time.",
            "parameters": CASE_FILTERS,
            "responses": {
                "200": answer(ref("CaseList"), "One page of cases."),
                "401": response("Unauthorized"),
                "422": response("Invalid"),
            },
        },
        "post": {
            "operationId": "createCase",
            "summary": "Register a case at the caller's level.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("CaseInput")}},
            },
            "responses": {
                "201": {
                    **answer(ref("Case"), "The new case."),
                    "headers": {
                        "Location": {
                            "description": "The case's URL.",
                            "schema": {"type": "string"},
                        }
                    },
                },
                "400": response("BadRequest"),
                "401": response("Unauthorized"),
                "403": response("Forbidden"),
                "422": response("Invalid"),
            },
        },
    },
    "/cases/{case_id}": {
        "get": {
            "operationId": "getCase",
            "summary": "One case (ID numbers masked).",
            "parameters": [CASE_ID],
            "responses": {
                "200": answer(ref("Case"), "The case."),
                "401": response("Unauthorized"),
                "404": response("NotFound"),
            },
        }
    },
    "/cases/{case_id}/actions": {
        "post": {
            "operationId": "performCaseAction",
            "summary": "Act on the case: accept, pause, resume, resolve, escalate, assign_down, "
            "refer, withdraw, follow_up, reopen, extend, reclassify, report, take_over, "
            "session.",
            "parameters": [CASE_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("ActionInput")}},
            },
            "responses": {
                "200": answer(ref("Case"), "The case after the action."),
                "400": response("BadRequest"),
                "401": response("Unauthorized"),
                "403": answer(
                    ref("Error"),
                    "Not the caller's to do: the case is held by "
                    "another unit or level, or the role may not act (forbidden).",
                ),
                "404": response("NotFound"),
                "409": response("Conflict"),
                "422": response("Invalid"),
            },
        }
    },
    "/cases/{case_id}/events": {
        "get": {
            "operationId": "listCaseEvents",
            "summary": "The case's history, oldest first.",
            "parameters": [CASE_ID],
            "responses": {
                "200": answer({"type": "array", "items": ref("Event")}, "The events."),
                "401": response("Unauthorized"),
                "404": response("NotFound"),
            },
        }
    },
}

SCHEMAS["CaseInput"]["example"] = {
    "village_code": "410522100201",
    "category": "neighbor",
    "source": "party_application",
    "title": "宅基地滴水纠纷",
    "description": "两户因房檐滴水发生争执。",
    "people_involved": 2,
    "amount_yuan": "1200.00",
    "risks": [],
    "parties": [
        {"name": "张三", "role": "applicant", "phone": "13800138000"},
        {"name": "李四", "role": "respondent"},
    ],
}
SCHEMAS["ActionInput"]["example"] = {"action": "accept", "version": 1}
