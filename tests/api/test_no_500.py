"""Never a 500 for bad input: odd JSON values in every field are refused with 400 or 422."""

from __future__ import annotations

import pytest

from ..factories import case_fields

ODD_VALUES = [
    None,
    True,
    0,
    -1,
    1.5,
    1e308,
    10**30,
    "",
    " ",
    "x" * 6000,
    [],
    {},
    [1],
    {"a": 1},
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-23:59",
    "NaN",
    "Infinity",
    "1e999999999",
    "1e-999999999",
    "-0",
    "２０",
    "\u0000",
]
CASE_FIELDS = [
    "village_code",
    "category",
    "source",
    "title",
    "description",
    "received_at",
    "people_involved",
    "amount_yuan",
    "risks",
    "parties",
]
PARTY_FIELDS = ["name", "role", "id_number", "phone", "address"]


@pytest.mark.parametrize("field", CASE_FIELDS)
def test_odd_values_in_a_case_field(api, world, field):
    for value in ODD_VALUES:
        response = api.post(world.mediator, "/cases", case_fields(**{field: value}))
        assert response.status_code in (201, 400, 422), (field, value)
        assert response.is_json


@pytest.mark.parametrize("field", PARTY_FIELDS)
def test_odd_values_in_a_party_field(api, world, field):
    for value in ODD_VALUES:
        party = {"name": "张三", "role": "applicant", field: value}
        response = api.post(world.mediator, "/cases", case_fields(parties=[party]))
        assert response.status_code in (201, 422), (field, value)


def test_a_nul_character_is_named_not_stored(api, world):
    """No database keeps NUL in text (PostgreSQL refuses it): the field is named, nothing saved."""
    from ..factories import case_fields

    body = case_fields(title="宅基地\x00纠纷")
    response = api.post(world.mediator, "/cases", body)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"title"}


def test_a_nul_in_a_query_is_refused(api, world):
    assert api.get(world.county_officer, "/cases?q=%00").status_code == 400
