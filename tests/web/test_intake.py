"""Case intake through the HTML form: one set of rules with the API, errors next to the field."""

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from mediation.extensions import db
from mediation.models import Case

from ..factories import TZ

VALID_ID = "410522198503121233"


def form(**overrides):
    local_now = dt.datetime.now(TZ).replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    data = {
        "village_code": "410522100201",
        "title": "宅基地滴水纠纷",
        "category": "neighbor",
        "source": "party_application",
        "received_at": local_now.strftime("%Y-%m-%dT%H:%M"),
        "people_involved": "2",
        "amount_yuan": "1200.50",
        "description": "两户因房檐滴水发生争执。",
        "parties-0-name": "张三",
        "parties-0-role": "applicant",
        "parties-0-id_number": VALID_ID,
        "parties-0-phone": "13800138000",
        "parties-0-address": "西裴村三组",
        "parties-1-name": "李四",
        "parties-1-role": "respondent",
        "save": "1",
    }
    data.update(overrides)
    return data


def case_count():
    return db.session.scalar(select(func.count()).select_from(Case))


def test_a_mediator_registers_a_case_with_two_parties(client, world, login):
    login(world.mediator)
    page = client.get("/cases/new").get_data(as_text=True)
    assert 'name="parties-0-name"' in page
    response = client.post("/cases/new", data=form(risks=["vulnerable_party"]))
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert [p.name for p in case.parties] == ["张三", "李四"]
    assert str(case.amount_yuan) == "1200.50"
    assert [r.value for r in case.risks] == ["vulnerable_party"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "宅基地滴水纠纷" in page and "4105**********1233" in page


def test_without_javascript_a_party_row_is_added_by_the_server(client, world, login):
    login(world.mediator)
    response = client.post("/cases/new", data=form(add_party="1"))
    page = response.get_data(as_text=True)
    assert 'name="parties-2-name"' in page
    assert case_count() == 0


def _bad_id(birth: str) -> str:
    from mediation.domain.identity import id_check_char

    first17 = "410522" + birth + "123"
    return first17 + id_check_char(first17)


BAD_FIELDS = [
    ({"parties-0-id_number": VALID_ID[:-1] + "0"}, "parties-0-id_number"),  # checksum
    ({"parties-0-id_number": _bad_id("19850231")}, "parties-0-id_number"),  # 31 February
    ({"parties-0-id_number": VALID_ID[:17]}, "parties-0-id_number"),  # 17 digits
    ({"parties-0-id_number": VALID_ID + "1"}, "parties-0-id_number"),  # 19 digits
    ({"parties-1-phone": "12345"}, "parties-1-phone"),
    ({"amount_yuan": "-5"}, "amount_yuan"),
    ({"amount_yuan": "12.345"}, "amount_yuan"),
    ({"amount_yuan": "abc"}, "amount_yuan"),
    ({"people_involved": "0"}, "people_involved"),
    ({"people_involved": "two"}, "people_involved"),
    ({"received_at": "2999-01-01T09:00"}, "received_at"),
    ({"received_at": "2020-01-01T09:00"}, "received_at"),
    ({"received_at": "yesterday"}, "received_at"),
    ({"village_code": "410522100202"}, "village_code"),  # another village
    ({"village_code": "410522101201"}, "village_code"),  # another township
    ({"title": ""}, "title"),
    ({"category": "gossip"}, "category"),
    ({"source": ""}, "source"),
    ({"parties-0-name": "", "parties-0-id_number": VALID_ID}, "parties-0-name"),
    ({"parties-0-role": ""}, "parties-0-role"),
]


@pytest.mark.parametrize("overrides, field", BAD_FIELDS)
def test_each_bad_field_is_named_and_nothing_is_saved(client, world, login, overrides, field):
    login(world.mediator)
    response = client.post("/cases/new", data=form(**overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    fields = set(re.findall(r'class="error" data-field="([^"]+)"', page))
    assert fields == {field}
    assert case_count() == 0


def test_no_parties_at_all_is_refused(client, world, login):
    login(world.mediator)
    data = {k: v for k, v in form().items() if not k.startswith("parties-")}
    response = client.post("/cases/new", data=data)
    assert response.status_code == 422
    assert 'data-field="parties"' in response.get_data(as_text=True)
    assert case_count() == 0


def test_errors_are_in_chinese_by_default(client, world, login):
    login(world.mediator)
    page = client.post("/cases/new", data=form(title="")).get_data(as_text=True)
    assert "此项必填" in page


def test_what_was_typed_is_kept_after_an_error(client, world, login):
    login(world.mediator)
    page = client.post("/cases/new", data=form(people_involved="0")).get_data(as_text=True)
    assert "宅基地滴水纠纷" in page and "李四" in page


def test_an_officer_registers_for_a_village_of_his_township(client, world, login):
    login(world.township_officer)
    response = client.post(
        "/cases/new", data=form(village_code="410522100202", people_involved="6")
    )
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert case.level.value == "township" and case.scale.value == "big"


def test_a_viewer_cannot_register(client, world, login):
    login(world.viewer)
    assert client.get("/cases/new").status_code == 403
    assert client.post("/cases/new", data=form()).status_code == 403
    assert case_count() == 0
