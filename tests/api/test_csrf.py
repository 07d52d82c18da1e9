"""Browser-session calls to the API: allowed, but changing data needs the X-CSRFToken header."""

from __future__ import annotations

import flask
import pytest
from flask_wtf.csrf import generate_csrf

from ..factories import case_fields


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def session_of(app, client):
    """Sign ``user`` in through the session cookie (as the web UI does); return a CSRF token."""

    def sign_in(user) -> str:
        with app.test_request_context():
            token = generate_csrf()
            raw = flask.session["csrf_token"]
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            session["csrf_token"] = raw
        return token

    return sign_in


def test_a_session_reads_without_csrf(client, world, session_of):
    session_of(world.mediator)
    assert client.get("/api/v1/cases").status_code == 200


def test_a_session_post_needs_the_csrf_header(client, world, session_of, case_count):
    token = session_of(world.mediator)

    refused = client.post("/api/v1/cases", json=case_fields())
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf"
    wrong = client.post("/api/v1/cases", json=case_fields(), headers={"X-CSRFToken": "nope"})
    assert wrong.status_code == 400
    assert case_count() == 0

    accepted = client.post("/api/v1/cases", json=case_fields(), headers={"X-CSRFToken": token})
    assert accepted.status_code == 201
    assert case_count() == 1


def test_a_token_call_needs_no_csrf_even_when_csrf_is_on(api, world):
    assert api.post(world.mediator, "/cases", case_fields()).status_code == 201


def test_a_session_does_not_stand_in_for_a_bad_token(client, world, session_of, case_count):
    session_of(world.mediator)
    headers = {"Authorization": "Bearer fq_not-a-token"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 401
    assert client.post("/api/v1/cases", json=case_fields(), headers=headers).status_code == 401
    assert case_count() == 0


def test_a_session_does_not_stand_in_for_someone_elses_token(api, client, world, session_of):
    session_of(world.mediator)
    other = api.headers(world.mediator_east)
    assert client.get("/api/v1/cases", headers=other).status_code == 401


def test_unauthenticated_comes_before_csrf(client, world):
    response = client.post("/api/v1/cases", json=case_fields())
    assert response.status_code == 401


def test_a_session_action_needs_the_csrf_header(client, make, world, session_of):
    case = make.case(world.mediator)
    token = session_of(world.mediator)
    body = {"action": "accept", "version": case.version}

    refused = client.post(f"/api/v1/cases/{case.id}/actions", json=body)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf"

    accepted = client.post(
        f"/api/v1/cases/{case.id}/actions", json=body, headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 200
    assert accepted.get_json()["status"] == "in_mediation"
