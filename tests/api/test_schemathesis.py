"""The whole API against its own OpenAPI document, property-based (schemathesis).

Every operation gets the document's examples and about 20 generated requests, valid and
invalid, as a county officer: no answer may be a 5xx; each must match the document (status
code, content type, headers, body schema); a request the document calls invalid must be
refused; an undeclared method must be a 405 with Allow. Derandomized, without Hypothesis'
example database, so CI sees the same requests on every run (well under two minutes).

The schema is loaded from the document the app serves (``openapi_document()``, the same
object ``GET /api/v1/openapi.json`` answers with) rather than through a pytest fixture:
schemathesis' fixture loading relies on pytest internals that pytest 9 removed.
"""

from __future__ import annotations

import contextvars
import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from mediation.api.openapi import openapi_document
from mediation.domain.incidents import parse_incident
from mediation.extensions import db
from mediation.services.incidents import record_incident

from ..factories import TZ

# The document's "valid data" is only valid in shape: a village code or a version it cannot
# know answers 422 or 409, which is right. Everything else schemathesis checks stays on.
EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture
def live_app(app, world, make, now):
    """The app with a case and an incident to act on (both id 1), each request isolated."""
    make.case(world.mediator)
    draft = parse_incident(
        {
            "village_code": "410522100201",
            "kind": "accident",
            "summary": "农机侧翻",
            "occurred_at": (now - dt.timedelta(days=1)).astimezone(TZ).isoformat(),
            "injured": 1,
            "dead": 0,
        },
        now=now,
        tz=TZ,
    )
    record_incident(world.county_officer, draft, now)
    db.session.commit()

    served = app.test_client().get("/api/v1/openapi.json").get_json()
    assert served == openapi_document()
    _current_app.append(app)
    yield app
    _current_app.pop()


_current_app: list = []


def _the_test_app(environ, start_response):
    """The WSGI app schemathesis talks to: this test's app, each request in its own context
    as in production (see tests/conftest.py)."""
    return contextvars.Context().run(_current_app[-1], environ, start_response)


schema = schemathesis.openapi.from_dict(openapi_document())
schema.app = _the_test_app


@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_keeps_the_document(case, live_app, api, world):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api.token(world.county_officer)}"},
        excluded_checks=EXCLUDED_CHECKS,
    )
