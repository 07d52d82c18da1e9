"""Text that is not text, and money in any form but the contract's decimal string: a 422 that
names the field, with nothing saved, on every body of the API (issue: lone surrogates gave a
500 UnicodeEncodeError on both databases; a JSON number, "1e10" and full-width digits were
taken as amounts)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from mediation.extensions import db
from mediation.models import CaseEvent, Incident, Screening

from ..factories import case_fields
from .test_incidents_api import petition, report

SURROGATE = "\ud800"


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _fields(response) -> set[str]:
    assert response.status_code == 422, response.get_data(as_text=True)
    return set(response.get_json()["error"]["fields"])


@pytest.mark.parametrize(
    "body, field",
    [
        (case_fields(title=f"宅基地{SURROGATE}纠纷"), "title"),
        (case_fields(description=SURROGATE), "description"),
        (case_fields(parties=[{"name": SURROGATE, "role": "applicant"}]), "parties.0.name"),
        ({**case_fields(), SURROGATE: 1}, "\ufffd"),
    ],
)
def test_a_lone_surrogate_in_a_case_is_named(api, world, case_count, body, field):
    response = api.post(world.mediator, "/cases", body)
    assert field in _fields(response)
    assert response.get_json()["error"]["message"] == "部分内容无效，请查看各字段提示。"
    assert case_count() == 0


def test_a_lone_surrogate_in_an_action_note(api, world, make):
    case = make.case(world.mediator)
    before = _count(CaseEvent)
    body = {"action": "pause", "version": case.version, "note": f"等待鉴定{SURROGATE}"}
    assert _fields(api.post(world.mediator, f"/cases/{case.id}/actions", body)) == {"note"}
    assert _count(CaseEvent) == before


def test_a_lone_surrogate_in_an_incident_and_a_screening(api, world, now):
    response = api.post(world.township_officer, "/incidents", petition(now, summary=SURROGATE))
    assert _fields(response) == {"summary"}
    response = api.post(world.mediator, "/screenings", report(now, note=f"走访{SURROGATE}"))
    assert _fields(response) == {"note"}
    assert _count(Incident) == 0 and _count(Screening) == 0


def test_a_lone_surrogate_in_an_incident_note(api, world, now):
    created = api.post(world.township_officer, "/incidents", petition(now))
    assert created.status_code == 201, created.get_data(as_text=True)
    incident = created.get_json()
    body = {**petition(now), "version": incident["version"], "note": f"更正{SURROGATE}"}
    response = api.client.put(
        f"/api/v1/incidents/{incident['id']}",
        json=body,
        headers=api.headers(world.township_officer),
    )
    assert _fields(response) == {"note"}


def test_characters_that_are_text_are_kept(api, world):
    title = "\u202e右到左\U0001f600𠀀"  # an RTL mark, an emoji, a 4-byte CJK character
    response = api.post(world.mediator, "/cases", case_fields(title=title))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["title"] == title


@pytest.mark.parametrize(
    "amount", [1200, 1200.5, "1e10", "１２００", "1,200.00", "+5", " 5", "5.", ".5", "1.234", ""]
)
def test_an_amount_not_in_the_contracts_form_is_422(api, world, case_count, amount):
    response = api.post(world.mediator, "/cases", case_fields(amount_yuan=amount))
    assert _fields(response) == {"amount_yuan"}
    assert "1200.50" in response.get_json()["error"]["fields"]["amount_yuan"]
    assert case_count() == 0


def test_the_agreements_amount_too(api, world, make):
    case = make.case(world.mediator)
    api.post(world.mediator, f"/cases/{case.id}/actions", {"action": "accept", "version": 1})
    body = {
        "action": "resolve",
        "version": 2,
        "agreement": {"form": "oral", "terms": "赔偿", "amount_yuan": 500},
    }
    response = api.post(world.mediator, f"/cases/{case.id}/actions", body)
    assert _fields(response) == {"agreement.amount_yuan"}


@pytest.mark.parametrize("amount", ["0", "1200", "1200.5", "1200.50", "9999999999999"])
def test_amounts_in_the_contracts_form(api, world, amount):
    response = api.post(world.mediator, "/cases", case_fields(amount_yuan=amount))
    if amount == "9999999999999":  # the form is right; the domain's upper bound speaks
        assert _fields(response) == {"amount_yuan"}
        return
    assert response.status_code == 201, response.get_data(as_text=True)


def test_the_intake_form_keeps_its_thousands_separator_but_not_exponents(client, world, login, now):
    login(world.mediator)
    base = {
        "village_code": "410522100201",
        "title": "宅基地纠纷",
        "category": "housing_homestead",
        "source": "party_application",
        "people_involved": "2",
        "description": "两户因宅基地边界发生争执。",
        "parties-0-name": "张三",
        "parties-0-role": "applicant",
    }
    refused = client.post("/cases/new", data={**base, "amount_yuan": "1e10"})
    assert refused.status_code == 422 and "请输入以元为单位的金额" in refused.get_data(as_text=True)
    accepted = client.post("/cases/new", data={**base, "amount_yuan": "1,200.50"})
    assert accepted.status_code == 302
