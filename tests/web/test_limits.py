"""Numbers and sizes past a page's limits: a clear 4xx naming what is wrong, never a 500
(issue: page=99999999999999999999 overflowed, "Add party" at 50 parties tripped WTForms'
assertion, a chunked body over 1 MiB was cut and read as malformed)."""

from __future__ import annotations

import io
import json

import pytest

from mediation.domain.intake import MAX_PARTIES
from mediation.platform.web import MAX_PAGE

from ..api.conftest import ApiClient


@pytest.fixture
def api(client):
    return ApiClient(client)


PAGES = ["/cases", "/incidents", "/inbox", "/cases/id-access-log"]
BAD_PAGES = ["99999999999999999999", "9223372036854775807", str(MAX_PAGE + 1), "0", "-1", "x"]


@pytest.mark.parametrize("path", PAGES)
def test_an_out_of_range_page_is_400_naming_it(client, world, login, path):
    login(world.county_officer)
    for page in BAD_PAGES:
        response = client.get(path, query_string={"page": page})
        assert response.status_code == 400, (page, response.status_code)
        assert "page" in response.get_data(as_text=True)
    assert client.get(path, query_string={"page": str(MAX_PAGE)}).status_code == 200


def test_the_api_has_the_same_limit(api, world):
    assert api_get(api, world, MAX_PAGE).status_code == 200
    assert api_get(api, world, MAX_PAGE + 1).status_code == 422


def api_get(api, world, page):
    return api.get(world.county_officer, f"/cases?page={page}")


def _intake(parties: int) -> dict:
    data = {"title": "宅基地纠纷", "add_party": "1"}
    for index in range(parties):
        data[f"parties-{index}-name"] = f"当事人{index}"
        data[f"parties-{index}-role"] = "applicant"
    return data


def test_add_party_stops_at_the_most_a_case_may_have(client, world, login):
    login(world.mediator)
    response = client.post("/cases/new", data=_intake(MAX_PARTIES - 1))
    assert response.status_code == 200
    assert f'name="parties-{MAX_PARTIES - 1}-name"' in response.get_data(as_text=True)
    response = client.post("/cases/new", data=_intake(MAX_PARTIES))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'name="parties-{MAX_PARTIES}-name"' not in page
    assert f"最多 {MAX_PARTIES} 人" in page


def _chunked(client, path, body: bytes, content_type: str, headers=None):
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        content_type=content_type,
        headers=headers or {},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn and the dev server
    )


def test_a_chunked_body_over_the_limit_is_413(app, client, api, world):
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = json.dumps({"title": "x" * limit}).encode()
    response = _chunked(
        client, "/api/v1/cases", big, "application/json", api.headers(world.mediator)
    )
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    form = b"username=x&password=" + b"y" * limit
    assert _chunked(client, "/login", form, "application/x-www-form-urlencoded").status_code == 413


def test_a_chunked_body_within_the_limit_is_read_whole(client, api, world):
    from ..factories import case_fields

    body = json.dumps(case_fields()).encode()
    response = _chunked(
        client, "/api/v1/cases", body, "application/json", api.headers(world.mediator)
    )
    assert response.status_code == 201, response.get_data(as_text=True)
