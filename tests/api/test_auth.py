"""Who may call the API: bearer tokens, 401 without one, the public OpenAPI document."""

from __future__ import annotations

import pytest

from mediation.extensions import db

from ..factories import case_fields


@pytest.mark.parametrize("path", ["/units", "/cases", "/cases/1", "/cases/1/events"])
def test_no_token_is_401(api, world, path):
    response = api.get(None, path)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer fq_not-a-token", "Bearer ", "Basic eGlwZWk6cGFzcw==", "fq_token"]
)
def test_a_wrong_token_is_401(client, world, case_count, header):
    assert client.get("/api/v1/cases", headers={"Authorization": header}).status_code == 401
    response = client.post("/api/v1/cases", json=case_fields(), headers={"Authorization": header})
    assert response.status_code == 401
    assert case_count() == 0


def test_a_disabled_users_token_is_401(api, world):
    api.token(world.mediator)
    world.mediator.is_enabled = False
    db.session.commit()
    assert api.get(world.mediator, "/cases").status_code == 401


def test_a_token_works_alone_and_needs_no_csrf(api, world):
    assert api.get(world.mediator, "/cases").status_code == 200
    assert api.post(world.mediator, "/cases", case_fields()).status_code == 201


def test_the_openapi_document_is_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.0")


def test_unknown_paths_and_methods_answer_json(api, world):
    missing = api.get(world.mediator, "/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong_method = api.client.delete("/api/v1/cases", headers=api.headers(world.mediator))
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]["code"] == "method_not_allowed"


def test_answers_are_not_cached(api, world):
    assert api.get(world.mediator, "/cases").headers["Cache-Control"] == "no-store"


def test_a_signed_in_user_does_not_outlive_the_request(api, world):
    assert api.get(world.mediator, "/cases").status_code == 200
    assert api.get(None, "/cases").status_code == 401
