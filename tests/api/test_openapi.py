"""The OpenAPI document describes every route of the API blueprint."""

from __future__ import annotations

import re

import openapi_spec_validator
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
    described = {(path, method) for path, item in document["paths"].items() for method in item}
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
    openapi_spec_validator.validate(document)


def test_enums_match_the_domain(document):
    from mediation.domain.enums import Category

    schema = document["components"]["schemas"]["CaseInput"]["properties"]["category"]
    assert schema["enum"] == [member.value for member in Category]


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_error_an_operation_can_answer_is_described(document):
    """401 for every call but the document; 400 with a query or a body; 404 with an id in the
    path; 413 and 422 with a body; all in the one error shape."""
    error_refs = {"#/components/schemas/Error", "#/components/schemas/VersionConflict"}
    responses = document["components"]["responses"]
    for path, method, operation in _operations(document):
        if path == "/openapi.json":
            continue
        expected = {"401"}
        if operation.get("parameters") or "requestBody" in operation:
            expected.add("400")
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation:
            expected |= {"413", "422"}
        assert expected <= set(operation["responses"]), (method, path)
        for status, answer in operation["responses"].items():
            if status.startswith("4"):
                answer = (
                    responses[answer["$ref"].rsplit("/", 1)[-1]] if "$ref" in answer else answer
                )
                schema = answer["content"]["application/json"]["schema"]
                refs = {ref["$ref"] for ref in schema.get("anyOf", [schema])}
                assert refs <= error_refs, (method, path, status)


def test_a_body_field_the_document_does_not_list_is_refused(document):
    """The shape the API checks bodies against is this document's: no input takes others."""
    schemas = document["components"]["schemas"]
    for path, _method, operation in _operations(document):
        if "requestBody" in operation:
            # JSON bodies, and the multipart body of an attachment upload
            for content in operation["requestBody"]["content"].values():
                ref = content["schema"]["$ref"]
                assert schemas[ref.rsplit("/", 1)[-1]]["additionalProperties"] is False, path
