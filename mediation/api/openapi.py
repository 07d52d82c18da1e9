"""The OpenAPI 3.0 document of /api/v1, kept as plain data next to the views it describes.

The vocabularies (categories, states, roles…) come from the domain enums, so the document cannot
drift from what the API accepts. A test checks that every route of the blueprint appears here.
"""

from __future__ import annotations

from copy import deepcopy

from ..domain.clocks import ClockState
from ..domain.enums import (
    AgreementForm,
    AttachmentKind,
    CaseNews,
    CaseStatus,
    Category,
    Clock,
    IncidentKind,
    Level,
    PartyRole,
    PetitionLevel,
    ReferralTarget,
    Risk,
    Scale,
    Source,
)
from ..domain.flags import FlagKind
from ..domain.incidents import NOTE_MAX as SCREENING_NOTE_MAX
from ..domain.incidents import SUMMARY_MAX
from ..domain.intake import (
    ADDRESS_MAX,
    DESCRIPTION_MAX,
    MAX_PARTIES,
    MAX_PEOPLE,
    NAME_MAX,
    TITLE_MAX,
)
from ..domain.workflow import (
    NEEDS_REASON,
    NOTE_MAX,
    PARTICIPANTS_MAX,
    PLACE_MAX,
    SESSION_SUMMARY_MAX,
    TERMS_MAX,
    USER_ACTIONS,
)
from ..services.attachments import NOTE_MAX as ATTACHMENT_NOTE_MAX
from ..services.scorecard import METRIC_NAMES
from ..web import ID_MAX


def _values(enum_type) -> list[str]:
    return [member.value for member in enum_type]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _response(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


def _json(schema: dict, description: str) -> dict:
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


def _filter(name: str, description: str, schema: dict | None = None) -> dict:
    """A query parameter; sent empty (``?unit=``) it counts as not sent, as from an HTML form."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "allowEmptyValue": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _path_id(name: str) -> dict:
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
    "Unit": {
        "type": "object",
        "required": ["code", "name", "kind", "parent_code"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": _values(Level)},
            "parent_code": {"type": "string", "nullable": True},
        },
    },
    "PartyInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "role"],
        "properties": {
            "name": {"type": "string", "maxLength": NAME_MAX},
            "role": {"type": "string", "enum": _values(PartyRole)},
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
            "category": {"type": "string", "enum": _values(Category)},
            "source": {"type": "string", "enum": _values(Source)},
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
            "risks": {"type": "array", "items": {"type": "string", "enum": _values(Risk)}},
            "parties": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_PARTIES,
                "items": _ref("PartyInput"),
            },
            "resolved_at": {
                **{k: v for k, v in INSTANT.items() if k != "description"},
                "nullable": True,
                "description": "A dispute already settled on the spot: when (not before "
                "received_at, not in the future). With `agreement`, the case is recorded as "
                "accepted when received and resolved then.",
            },
            "agreement": _ref("AgreementInput"),
        },
    },
    "Party": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "role": {"type": "string", "enum": _values(PartyRole)},
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
            "clock": {"type": "string", "enum": _values(Clock)},
            "level": {"type": "string", "enum": _values(Level)},
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
                "enum": _values(ClockState),
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
            "form": {"type": "string", "enum": _values(AgreementForm)},
            "terms": {"type": "string"},
            "points_in_dispute": {"type": "string", "description": "Empty when not stated."},
            "responsibilities": {"type": "string", "description": "Empty when not stated."},
            "amount_yuan": MONEY,
            "agreed_at": INSTANT,
            "level": {"type": "string", "enum": _values(Level)},
            "unit_code": {"type": "string", "description": "The unit that mediated it."},
        },
    },
    "AgreementInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["form", "terms"],
        "properties": {
            "form": {"type": "string", "enum": _values(AgreementForm)},
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
            "action": {"type": "string", "enum": _values(USER_ACTIONS)},
            "version": {
                "type": "integer",
                "description": "The case's `version` as the caller last saw it; a stale one "
                "answers 409 version_conflict.",
            },
            "note": {"type": "string", "maxLength": NOTE_MAX},
            "agreement": _ref("AgreementInput"),
            "to_unit_code": {
                "type": "string",
                "description": "assign_down: a unit below the holder, on the case's own "
                "township and village.",
            },
            "to": {"type": "string", "enum": _values(ReferralTarget), "description": "refer"},
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
                "enum": _values(Scale),
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
                        "items": _ref("Event"),
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
            "kind": {"type": "string", "enum": _values(FlagKind)},
            "case_id": {"type": "integer", "nullable": True},
            "unit_code": {
                "type": "string",
                "description": "The village of the case, or the unit flagged.",
            },
            "level": {"type": "string", "enum": _values(Level)},
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
            "category": {"type": "string", "enum": _values(Category)},
            "source": {"type": "string", "enum": _values(Source)},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "received_at": INSTANT,
            "people_involved": {"type": "integer"},
            "amount_yuan": MONEY,
            "risks": {"type": "array", "items": {"type": "string", "enum": _values(Risk)}},
            "parties": {"type": "array", "items": _ref("Party")},
            "scale": {"type": "string", "enum": _values(Scale)},
            "scale_reason": {
                "type": "string",
                "description": "Why the case has its scale, translated; empty for a small case.",
            },
            "is_scale_overridden": {"type": "boolean"},
            "home_level": {"type": "string", "enum": _values(Level)},
            "level": {"type": "string", "enum": _values(Level)},
            "holder_code": {"type": "string", "description": "The unit handling it now."},
            "status": {"type": "string", "enum": _values(CaseStatus)},
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
            "deadlines": {"type": "array", "items": _ref("Deadline")},
            "agreements": {"type": "array", "items": _ref("Agreement")},
            "allowed_actions": {
                "type": "array",
                "items": {"type": "string", "enum": _values(USER_ACTIONS)},
                "description": "What the caller may do now.",
            },
            "flags": {"type": "array", "items": _ref("Flag")},
        },
    },
    "CaseList": {
        "type": "object",
        "required": ["items", "total", "page", "per_page"],
        "properties": {
            "items": {"type": "array", "items": _ref("Case")},
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
            "from_status": {"type": "string", "enum": _values(CaseStatus), "nullable": True},
            "to_status": {"type": "string", "enum": _values(CaseStatus), "nullable": True},
            "from_level": {"type": "string", "enum": _values(Level), "nullable": True},
            "to_level": {"type": "string", "enum": _values(Level), "nullable": True},
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

RESPONSES = {
    "BadRequest": _json(_ref("Error"), "Malformed: not a JSON object, or a missing CSRF token."),
    "Unauthorized": _json(_ref("Error"), "No valid bearer token or session."),
    "Forbidden": _json(_ref("Error"), "The caller's role may not do this."),
    "NotFound": _json(_ref("Error"), "No such case in the caller's area."),
    "Invalid": _json(_ref("Error"), "Validation failed; error.fields names each bad field."),
    "TooLarge": _json(_ref("Error"), "The body is larger than 1 MiB (MAX_CONTENT_LENGTH)."),
    "Conflict": _json(
        {"anyOf": [_ref("VersionConflict"), _ref("Error")]},
        "version_conflict: the case changed since the caller's version (current_version and "
        "the changes are given); not_allowed: the action is not possible in the case's state.",
    ),
}

CASE_ID = _path_id("case_id")

CASE_FILTERS = [
    _filter("status", "Current state.", {"type": "string", "enum": _values(CaseStatus)}),
    _filter("level", "Level handling it now.", {"type": "string", "enum": _values(Level)}),
    _filter("scale", "Scale.", {"type": "string", "enum": _values(Scale)}),
    _filter("unit", "Code of a unit in the caller's area: its subtree's cases.", UNIT_CODE),
    _filter("category", "Category.", {"type": "string", "enum": _values(Category)}),
    _filter("q", "Text in the title, the number or a party's name."),
    _filter("received_from", "First local day received.", {"type": "string", "format": "date"}),
    _filter("received_to", "Last local day received.", {"type": "string", "format": "date"}),
    _filter(
        "sort",
        "Order.",
        {
            "type": "string",
            "enum": ["-received_at", "received_at", "-number", "number", "-people", "-amount"],
            "default": "-received_at",
        },
    ),
    _filter("page", "Page, from 1.", {"type": "integer", "minimum": 1, "default": 1}),
    _filter(
        "per_page",
        "Cases per page.",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    ),
    _filter(
        "metric",
        "A figure of the monthly scorecard (with month): exactly the cases it "
        "counts, e.g. concluded, agreements, escalations, rule_violations.",
        {"type": "string", "enum": list(METRIC_NAMES)},
    ),
    _filter("month", "The scorecard month of metric, YYYY-MM.", MONTH),
    _filter("flag", "Cases with an open flag of this kind, or rule_broken for any rule violation."),
    _filter(
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
                "200": _json({"type": "array", "items": _ref("Unit")}, "The units."),
                "401": _response("Unauthorized"),
            },
        }
    },
    "/cases": {
        "get": {
            "operationId": "listCases",
            "summary": "The caller's cases, filtered, one page at a time.",
            "parameters": CASE_FILTERS,
            "responses": {
                "200": _json(_ref("CaseList"), "One page of cases."),
                "401": _response("Unauthorized"),
                "422": _response("Invalid"),
            },
        },
        "post": {
            "operationId": "createCase",
            "summary": "Register a case at the caller's level.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CaseInput")}},
            },
            "responses": {
                "201": {
                    **_json(_ref("Case"), "The new case."),
                    "headers": {
                        "Location": {
                            "description": "The case's URL.",
                            "schema": {"type": "string"},
                        }
                    },
                },
                "400": _response("BadRequest"),
                "401": _response("Unauthorized"),
                "403": _response("Forbidden"),
                "422": _response("Invalid"),
            },
        },
    },
    "/cases/{case_id}": {
        "get": {
            "operationId": "getCase",
            "summary": "One case (ID numbers masked).",
            "parameters": [CASE_ID],
            "responses": {
                "200": _json(_ref("Case"), "The case."),
                "401": _response("Unauthorized"),
                "404": _response("NotFound"),
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
                "content": {"application/json": {"schema": _ref("ActionInput")}},
            },
            "responses": {
                "200": _json(_ref("Case"), "The case after the action."),
                "400": _response("BadRequest"),
                "401": _response("Unauthorized"),
                "403": _json(
                    _ref("Error"),
                    "Not the caller's to do: the case is held by "
                    "another unit or level, or the role may not act (forbidden).",
                ),
                "404": _response("NotFound"),
                "409": _response("Conflict"),
                "422": _response("Invalid"),
            },
        }
    },
    "/cases/{case_id}/events": {
        "get": {
            "operationId": "listCaseEvents",
            "summary": "The case's history, oldest first.",
            "parameters": [CASE_ID],
            "responses": {
                "200": _json({"type": "array", "items": _ref("Event")}, "The events."),
                "401": _response("Unauthorized"),
                "404": _response("NotFound"),
            },
        }
    },
}

# --- the monthly scorecard ------------------------------------------------------------------

RATE = {
    "type": "string",
    "nullable": True,
    "pattern": r"^\d\.\d{4}$",
    "description": "A share from 0 to 1 as a decimal string (0.7500); null when there is "
    "nothing to divide.",
}
_SCORECARD_COUNTS = {
    name: {"type": "integer"}
    for name in (
        "received",
        "concluded",
        "agreements",
        "concluded_on_time",
        "small_concluded",
        "small_kept_in_village",
        "small_big_concluded",
        "small_big_kept_below_county",
        "concluded_village",
        "concluded_township",
        "concluded_county",
        "escalations",
        "breaches",
        "rule_violations",
        "follow_up_overdue",
        "supervision_overdue",
        "petitions",
        "petitions_township",
        "petitions_county",
        "petitions_above_county",
        "collective_petitions",
        "accidents",
        "injured",
        "dead",
        "criminal",
        "public_order",
        "screening_filed",
        "prevented_cases",
        "prevented_people",
    )
}
_SCORECARD_FIGURES = {
    **_SCORECARD_COUNTS,
    "amount_settled_yuan": MONEY,
    "success_rate": RATE,
    "on_time_rate": RATE,
    "small_in_village_rate": RATE,
    "big_in_township_rate": RATE,
}
_LEVEL_SHARES = {
    "type": "object",
    "properties": {level: RATE for level in ("village", "township", "county")},
}
SCHEMAS["ScorecardVillage"] = {
    "type": "object",
    "required": ["code", "name", "three_zero", "score", "rank"],
    "properties": {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "township_code": {"type": "string"},
        **_SCORECARD_FIGURES,
        "three_zero": {
            "type": "boolean",
            "description": "三零: no petition, accident, criminal "
            "or major public-order case in the month.",
        },
        "score": {
            "type": "integer",
            "minimum": 0,
            "maximum": 100,
            "description": "100 minus the weighted deductions (weights: the policy).",
        },
        "rank": {"type": "integer", "description": "Rank by score in its township (ties share)."},
        "light": {"type": "string", "enum": ["green", "amber", "red"]},
        "deductions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "example": "petition_above_county"},
                    "count": {"type": "integer"},
                    "weight": {"type": "integer"},
                    "points": {"type": "integer"},
                },
            },
        },
    },
}
SCHEMAS["ScorecardRollup"] = {
    "type": "object",
    "required": ["code", "name", "level", "three_zero_rate", "level_mix"],
    "properties": {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "level": {"type": "string", "enum": _values(Level)},
        **_SCORECARD_FIGURES,
        "villages": {"type": "integer"},
        "three_zero_villages": {"type": "integer"},
        "three_zero_rate": {**RATE, "description": "三零达标率: share of villages meeting 三零."},
        "level_mix": {
            **_LEVEL_SHARES,
            "description": "Share of concluded cases settled at each level.",
        },
        "level_mix_target": {
            "type": "object",
            "description": "The Fengqiao shape, ~70/20/10.",
            "properties": {
                level: {"type": "string", "pattern": r"^\d\.\d+$", "example": "0.70"}
                for level in ("village", "township", "county")
            },
        },
    },
}
SCHEMAS["Scorecard"] = {
    "type": "object",
    "required": [
        "month",
        "unit_code",
        "frozen",
        "revision",
        "villages",
        "rollup",
        "pending_revision",
    ],
    "properties": {
        "month": {"type": "string", "example": "2026-11"},
        "unit_code": {"type": "string"},
        "unit_name": {"type": "string"},
        "frozen": {
            "type": "boolean",
            "description": "The month is frozen: these are the figures of its newest snapshot.",
        },
        "revision": {
            "type": "integer",
            "nullable": True,
            "description": "The snapshot shown "
            "(1: the freeze; later: published revisions); null when live.",
        },
        "frozen_at": {**INSTANT, "description": "When the revision shown was frozen."},
        "pending_revision": {
            "type": "boolean",
            "description": "The case records changed after "
            "the freeze: a county officer may publish a revision.",
        },
        "villages": {"type": "array", "items": _ref("ScorecardVillage")},
        "townships": {"type": "array", "items": _ref("ScorecardRollup")},
        "rollup": _ref("ScorecardRollup"),
        "revisions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "revision": {"type": "integer"},
                    "frozen_at": INSTANT,
                    "reason": {"type": "string"},
                    "published_by": {
                        "type": "string",
                        "nullable": True,
                        "description": "User name; null for the scheduled freeze.",
                    },
                },
            },
        },
        "weights": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}
PATHS["/scorecards/{month}"] = {
    "get": {
        "operationId": "getScorecard",
        "summary": "A unit's monthly scorecard: each village's figures, 三零, score and rank, and "
        "the rollups (三零达标率, level mix).",
        "parameters": [
            {
                "name": "month",
                "in": "path",
                "required": True,
                "schema": MONTH,
                "example": "2026-11",
            },
            _filter(
                "unit",
                "Code of a unit in the caller's area (default: the caller's own).",
                UNIT_CODE,
            ),
        ],
        "responses": {
            "200": _json(_ref("Scorecard"), "The figures in force."),
            "401": _response("Unauthorized"),
            "404": _json(_ref("Error"), "No such unit in the caller's area."),
            "422": _response("Invalid"),
        },
    }
}

# --- the 三零 inputs: incidents and monthly screening reports --------------------------------

_INCIDENT_PROPERTIES = {
    "village_code": VILLAGE_CODE,
    "kind": {"type": "string", "enum": _values(IncidentKind)},
    "occurred_at": {**INSTANT, "description": "With its UTC offset; not in the future."},
    "summary": {"type": "string", "maxLength": SUMMARY_MAX},
    "petition_level": {
        "type": "string",
        "enum": _values(PetitionLevel),
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
                "filed": {"type": "array", "items": _ref("Screening")},
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
_INCIDENT_ID = _path_id("incident_id")
_WRITE_ERRORS = {
    "400": _response("BadRequest"),
    "401": _response("Unauthorized"),
    "403": _response("Forbidden"),
    "422": _response("Invalid"),
}
PATHS.update(
    {
        "/incidents": {
            "get": {
                "operationId": "listIncidents",
                "summary": "The caller's incidents, latest first.",
                "parameters": [
                    _filter(
                        "unit",
                        "Code of a unit in the caller's area: its subtree's incidents.",
                        UNIT_CODE,
                    ),
                    _filter("month", "Local month of occurrence, YYYY-MM.", MONTH),
                    _filter("kind", "Kind.", {"type": "string", "enum": _values(IncidentKind)}),
                ],
                "responses": {
                    "200": _json({"type": "array", "items": _ref("Incident")}, "The incidents."),
                    "401": _response("Unauthorized"),
                    "422": _response("Invalid"),
                },
            },
            "post": {
                "operationId": "createIncident",
                "summary": "Record a petition, accident, criminal or public-order case (officers).",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("IncidentInput")}},
                },
                "responses": {"201": _json(_ref("Incident"), "The incident."), **_WRITE_ERRORS},
            },
        },
        "/incidents/{incident_id}": {
            "get": {
                "operationId": "getIncident",
                "summary": "One incident, with its revisions.",
                "parameters": [_INCIDENT_ID],
                "responses": {
                    "200": _json(_ref("Incident"), "The incident."),
                    "401": _response("Unauthorized"),
                    "404": _response("NotFound"),
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
                    "content": {"application/json": {"schema": _ref("IncidentUpdate")}},
                },
                "responses": {
                    "200": _json(_ref("Incident"), "The incident."),
                    **_WRITE_ERRORS,
                    "404": _response("NotFound"),
                    "409": _json(_ref("Error"), "version_conflict: a stale version."),
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
                    _filter("month", "YYYY-MM; default the previous month.", MONTH),
                    _filter("unit", "Code of a unit in the caller's area.", UNIT_CODE),
                ],
                "responses": {
                    "200": _json(_ref("ScreeningMonth"), "The month's reports."),
                    "401": _response("Unauthorized"),
                    "422": _response("Invalid"),
                },
            },
            "post": {
                "operationId": "createScreening",
                "summary": "File a village's monthly screening report, or a zero report.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("ScreeningInput")}},
                },
                "responses": {
                    "201": _json(_ref("Screening"), "The report."),
                    **_WRITE_ERRORS,
                    "409": _json(_ref("Error"), "The village already filed for that month."),
                },
            },
        },
    }
)

PATHS["/flags"] = {
    "get": {
        "operationId": "listFlags",
        "summary": "The facts flagged in the caller's area, latest first (at most 1,000).",
        "parameters": [
            _filter("open", "1: only flags not cleared.", {"type": "string", "enum": ["0", "1"]}),
            _filter("kind", "A flag kind.", {"type": "string", "enum": _values(FlagKind)}),
            _filter("unit", "Code of a unit in the caller's area.", UNIT_CODE),
            _filter("month", "YYYY-MM: the flags that happened in that month.", MONTH),
        ],
        "responses": {
            "200": _json({"type": "array", "items": _ref("Flag")}, "The flags."),
            "401": _response("Unauthorized"),
            "404": _json(_ref("Error"), "No such unit in the caller's area."),
            "422": _response("Invalid"),
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
            "enum": _values(FlagKind) + _values(CaseNews),
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
        "items": {"type": "array", "items": _ref("Notification")},
        "total": {"type": "integer", "description": "Entries the filter keeps."},
        "unread": {"type": "integer", "description": "The caller's unread entries."},
    },
}
PATHS["/notifications"] = {
    "get": {
        "operationId": "listNotifications",
        "summary": "The caller's inbox, newest first, 20 a page.",
        "parameters": [
            _filter("unread", "1: only unread entries.", {"type": "string", "enum": ["0", "1"]}),
            _filter("page", "Page, from 1.", {"type": "integer", "minimum": 1, "default": 1}),
        ],
        "responses": {
            "200": _json(_ref("NotificationList"), "The entries."),
            "401": _response("Unauthorized"),
            "422": _response("Invalid"),
        },
    }
}
PATHS["/notifications/{notification_id}/read"] = {
    "post": {
        "operationId": "readNotification",
        "summary": "Mark one of the caller's entries as read (read stays read).",
        "parameters": [_path_id("notification_id")],
        "responses": {
            "200": _json(_ref("Notification"), "The entry, read."),
            "400": _response("BadRequest"),
            "401": _response("Unauthorized"),
            "404": _json(_ref("Error"), "No such entry in the caller's inbox."),
        },
    }
}


# --- supervision (督办) and merging duplicates (并单) ----------------------------------------

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
        "parameters": [_path_id("case_id")],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("SupervisionInput")}},
        },
        "responses": {
            "201": _json(_ref("Supervision"), "The notice."),
            "403": _json(_ref("Error"), "The caller is not above the level holding the case."),
        },
    }
}
PATHS["/supervisions/{supervision_id}/reply"] = {
    "post": {
        "operationId": "replySupervision",
        "summary": "The holding unit's reply with its progress (stops the ladder from now on).",
        "parameters": [_path_id("supervision_id")],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("SupervisionReply")}},
        },
        "responses": {
            "200": _json(_ref("Supervision"), "The notice, answered."),
            "403": _json(_ref("Error"), "The caller is not of the unit holding the case."),
        },
    }
}
PATHS["/supervisions"] = {
    "get": {
        "operationId": "listSupervisions",
        "summary": "Supervision notices on cases of the caller's area, newest first.",
        "parameters": [
            _filter("open", "1: only unanswered ones.", {"type": "string", "enum": ["0", "1"]}),
            _filter(
                "overdue",
                "1: only those past due with no reply before.",
                {"type": "string", "enum": ["0", "1"]},
            ),
            _filter("unit", "Code of a unit in the caller's area.", UNIT_CODE),
        ],
        "responses": {
            "200": _json({"type": "array", "items": _ref("Supervision")}, "The notices."),
            "401": _response("Unauthorized"),
            "422": _response("Invalid"),
        },
    }
}
PATHS["/cases/{case_id}/merge"] = {
    "post": {
        "operationId": "mergeCase",
        "summary": "Merge this case as a duplicate into another case of the caller's area "
        "(并单): it becomes read-only and counts nowhere.",
        "parameters": [_path_id("case_id")],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("MergeInput")}},
        },
        "responses": {
            "200": _json(_ref("Case"), "The duplicate, merged."),
            "403": _json(_ref("Error"), "Only township and county officers merge cases."),
        },
    }
}


# Whole example bodies (the demo county's 西裴村) that a client can send as they are.

# --- the case file: attachments -------------------------------------------------------------

ATTACHMENT_FILE_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
SCHEMAS["Attachment"] = {
    "type": "object",
    "required": [
        "id",
        "case_id",
        "name",
        "kind",
        "content_type",
        "size",
        "sha256",
        "has_thumbnail",
        "note",
        "uploaded_at",
        "uploaded_by",
        "url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "case_id": {"type": "integer"},
        "name": {"type": "string", "description": "The file name, with the extension of its type."},
        "kind": {"type": "string", "enum": _values(AttachmentKind)},
        "content_type": {"type": "string", "enum": list(ATTACHMENT_FILE_TYPES)},
        "size": {"type": "integer", "description": "Bytes of the stored file."},
        "sha256": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "Of the stored file: an image is stored downscaled (at most 2560 "
            "pixels) and without EXIF (no location); a PDF as sent.",
        },
        "has_thumbnail": {"type": "boolean", "description": "Images: `?thumb=1` serves one."},
        "note": {"type": "string"},
        "uploaded_at": INSTANT,
        "uploaded_by": {"type": "string", "nullable": True, "description": "User name."},
        "url": {"type": "string", "description": "Where the file is served."},
    },
}
SCHEMAS["AttachmentInput"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["file", "kind"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "JPEG, PNG, WebP or PDF, recognised by content (not by name or "
            "declared type), up to ATTACHMENT_MAX_MB (default 20) MiB.",
        },
        "kind": {"type": "string", "enum": _values(AttachmentKind)},
        "note": {"type": "string", "maxLength": ATTACHMENT_NOTE_MAX},
    },
}
PATHS["/cases/{case_id}/attachments"] = {
    "get": {
        "operationId": "listCaseAttachments",
        "summary": "The files attached to the case, oldest first.",
        "parameters": [CASE_ID],
        "responses": {
            "200": _json({"type": "array", "items": _ref("Attachment")}, "The files."),
        },
    },
    "post": {
        "operationId": "uploadCaseAttachment",
        "summary": "Attach a photo, scan or PDF to the case (multipart/form-data).",
        "parameters": [CASE_ID],
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": _ref("AttachmentInput")}},
        },
        "responses": {
            "201": {
                **_json(_ref("Attachment"), "The stored file."),
                "headers": {
                    "Location": {"description": "The file's URL.", "schema": {"type": "string"}}
                },
            },
            "403": _response("Forbidden"),
            "413": _json(_ref("Error"), "The file is over ATTACHMENT_MAX_MB."),
            "422": _json(
                _ref("Error"), "No file, a type not allowed (error.fields.file), a bad kind."
            ),
            "507": _json(_ref("Error"), "The file could not be stored (the disk is full)."),
        },
    },
}
PATHS["/attachments/{attachment_id}"] = {
    "get": {
        "operationId": "getAttachment",
        "summary": "The file (scoped like its case: 404 outside the caller's area).",
        "parameters": [
            _path_id("attachment_id"),
            _filter(
                "thumb",
                "1: the image's thumbnail (JPEG, at most 320 pixels); 404 for a PDF.",
                {"type": "string", "enum": ["0", "1"]},
            ),
        ],
        "responses": {
            "200": {
                "description": "The file's bytes.",
                "content": {
                    kind: {"schema": {"type": "string", "format": "binary"}}
                    for kind in ATTACHMENT_FILE_TYPES
                },
            },
        },
    }
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
SCHEMAS["ActionInput"]["example"] = {"action": "accept", "version": 1}

# --- the statistical report (人民调解统计报表) -------------------------------------------------

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
                    "category": {"type": "string", "enum": _values(Category)},
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
                    "source": {"type": "string", "enum": _values(Source)},
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
            _filter(
                "unit",
                "Code of a unit in the caller's area (default: the caller's own).",
                UNIT_CODE,
            ),
            {"name": "from", "in": "query", "required": True, "schema": MONTH},
            _filter("to", "The last month (default: `from`).", MONTH),
            _filter(
                "format",
                "json (default), csv or xlsx (the page's downloads).",
                {"type": "string", "enum": ["json", "csv", "xlsx"]},
            ),
        ],
        "responses": {
            "200": {
                "description": "The report.",
                "content": {
                    "application/json": {"schema": _ref("Statistics")},
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                },
            },
            "401": _response("Unauthorized"),
            "403": _response("Forbidden"),
            "404": _json(_ref("Error"), "No such unit in the caller's area."),
            "422": _response("Invalid"),
        },
    }
}

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
            responses.setdefault("401", _response("Unauthorized"))
            if parameters or "requestBody" in operation:
                responses.setdefault("400", _response("BadRequest"))
            if any(parameter["in"] == "path" for parameter in parameters):
                responses.setdefault("404", _response("NotFound"))
            if "requestBody" in operation:
                responses.setdefault("413", _response("TooLarge"))
                responses.setdefault("422", _response("Invalid"))


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
