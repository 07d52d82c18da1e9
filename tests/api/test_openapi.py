"""The OpenAPI document describes every route of the API blueprint."""

from __future__ import annotations

import re

import pytest

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_basic_structure(document):
    assert document["openapi"].startswith("3.0.")
    assert document["info"]["title"] and document["info"]["version"]
    assert document["servers"] == [{"url": "/api/v1"}]
    components = document["components"]
    assert components["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert {"bearerAuth": []} in document["security"]
    error = components["schemas"]["Error"]["properties"]["error"]
    assert set(error["required"]) == {"code", "message"}
    assert "fields" in error["properties"]
    assert document["paths"]["/openapi.json"]["get"]["security"] == []


def test_every_route_of_the_blueprint_is_described(app, document):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(path, method.lower()) for method in rule.methods & METHODS}
    described = {
        (path, method) for path, item in document["paths"].items() for method in item
    }
    assert routes and routes <= described, routes - described
    assert described <= routes, described - routes


def test_every_reference_resolves(document):
    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(document):
        target = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]


def test_the_document_is_valid_openapi(document):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)


def test_enums_match_the_domain(document):
    from mediation.domain.enums import Category

    schema = document["components"]["schemas"]["CaseInput"]["properties"]["category"]
    assert schema["enum"] == [member.value for member in Category]
