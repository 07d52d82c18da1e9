"""The monthly 三零 scorecard: /scorecards/{month}."""

from __future__ import annotations

from ...domain.enums import (
    Level,
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
        "level": {"type": "string", "enum": values(Level)},
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
        "villages": {"type": "array", "items": ref("ScorecardVillage")},
        "townships": {"type": "array", "items": ref("ScorecardRollup")},
        "rollup": ref("ScorecardRollup"),
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
            param(
                "unit",
                "Code of a unit in the caller's area (default: the caller's own).",
                UNIT_CODE,
            ),
        ],
        "responses": {
            "200": answer(ref("Scorecard"), "The figures in force."),
            "401": response("Unauthorized"),
            "404": answer(ref("Error"), "No such unit in the caller's area."),
            "422": response("Invalid"),
        },
    }
}
