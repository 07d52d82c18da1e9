"""Full ID numbers: shown only to officers whose area holds the case, each view logged; the
earlier disputes of the same person, counted within the user's area, on intake and on the case."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from mediation.extensions import db
from mediation.models.cases import IdAccessLog, IdLookup
from mediation.services import identity

from .test_intake import form

ID = "410522198503121233"  # the factory's applicant 张三
OTHER_ID = "410522197001014564"


def log_rows() -> list[IdAccessLog]:
    return db.session.scalars(select(IdAccessLog).order_by(IdAccessLog.id)).all()


@pytest.fixture
def as_user(client, login):
    """Sign out whoever is signed in, then sign in as ``user``."""

    def switch(user):
        client.post("/logout")
        return login(user)

    return switch


def english(client):
    client.post("/lang/en", data={"next": "/"})
    return client


def reveal_url(case, party=None) -> str:
    party = party or case.parties[0]
    return f"/cases/{case.id}/parties/{party.id}/id-number"


@pytest.fixture
def case(world, make):
    """A case of 西裴村 (白壁镇), its applicant with an ID number, its respondent without."""
    return make.case(world.mediator)


@pytest.mark.parametrize("officer", ["township_officer", "county_officer"])
def test_an_officer_in_scope_sees_the_full_number_and_the_view_is_logged(
    client, world, login, case, officer
):
    user = getattr(world, officer)
    login(user)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "4105**********1233" in page and ID not in page
    assert f'action="{reveal_url(case)}"' in page
    assert f"/parties/{case.parties[1].id}/id-number" not in page  # nothing to show for 李四

    response = client.post(reveal_url(case), environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 200
    assert ID in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    [entry] = log_rows()
    assert (entry.user_id, entry.case_id, entry.party_id, entry.ip) == (
        user.id,
        case.id,
        case.parties[0].id,
        "10.1.2.3",
    )
    assert entry.at.tzinfo is not None

    client.post(reveal_url(case))
    assert len(log_rows()) == 2  # every view, not only the first


def test_the_access_log_page_lists_the_views_of_the_readers_area(
    client, world, as_user, case, make
):
    as_user(world.township_officer)
    client.post(reveal_url(case))
    other = make.case(
        world.mediator_other_township,
        parties=[{"name": "王五", "role": "applicant", "id_number": OTHER_ID}],
    )
    as_user(world.other_township_officer)
    client.post(reveal_url(other))
    assert len(log_rows()) == 2

    as_user(world.township_officer)
    page = client.get("/cases/id-access-log").get_data(as_text=True)
    assert case.number in page and "4105**********1233" in page and other.number not in page
    assert ID not in page
    as_user(world.admin)
    page = client.get("/cases/id-access-log").get_data(as_text=True)
    assert case.number in page and other.number in page and ID not in page
    for role in ("mediator", "viewer"):
        as_user(getattr(world, role))
        assert client.get("/cases/id-access-log").status_code == 403


def test_out_of_scope_is_not_found_and_nothing_is_logged(client, world, as_user, case, make):
    as_user(world.other_township_officer)
    assert client.post(reveal_url(case)).status_code == 404
    # A party of another case, even one the officer may see, is not found under this case.
    own = make.case(
        world.mediator_other_township,
        parties=[{"name": "王五", "role": "applicant", "id_number": OTHER_ID}],
    )
    assert client.post(f"/cases/{own.id}/parties/{case.parties[0].id}/id-number").status_code == 404
    assert client.post(f"/cases/{case.id}/parties/{own.parties[0].id}/id-number").status_code == 404
    as_user(world.township_officer)
    assert client.post(reveal_url(case, case.parties[1])).status_code == 404  # no ID number
    assert client.post(f"/cases/{case.id}/parties/999999/id-number").status_code == 404
    assert log_rows() == []


@pytest.mark.parametrize("role", ["mediator", "viewer", "admin"])
def test_mediators_viewers_and_admins_see_the_mask_only(client, world, login, case, role):
    login(getattr(world, role))
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "4105**********1233" in page and ID not in page
    assert "/id-number" not in page
    response = client.post(reveal_url(case))
    assert response.status_code == 403 and ID not in response.get_data(as_text=True)
    assert log_rows() == []


def test_revealing_needs_a_post(client, world, login, case):
    login(world.township_officer)
    assert client.get(reveal_url(case)).status_code == 405
    assert log_rows() == []


@pytest.fixture
def spread(world, make):
    """The same person (ID) in a case of 西裴村, one of 东裴村 (same township) and one of 北关村
    (the other township); someone else (OTHER_ID) in 西裴村."""
    person = [{"name": "张三", "role": "applicant", "id_number": ID}]
    return {
        "west": make.case(
            world.mediator,
            parties=person + [{"name": "王五", "role": "respondent", "id_number": OTHER_ID}],
        ),
        "east": make.case(world.mediator_east, parties=person),
        "north": make.case(world.mediator_other_township, parties=person),
    }


@pytest.mark.parametrize(
    "role, expected",
    [
        ("mediator", 1),
        ("mediator_east", 1),
        ("township_officer", 2),
        ("other_township_officer", 1),
        ("county_officer", 3),
    ],
)
def test_the_intake_lookup_counts_within_the_users_area(
    client, world, login, spread, role, expected
):
    english(login(getattr(world, role)))
    response = client.post(
        "/cases/earlier-disputes", data={"id_number": " 4105 2219 8503 1212 33 "}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["count"] == expected
    assert str(expected) in body["message"] and "earlier dispute" in body["message"]


def test_the_intake_lookup_refuses_bad_input_and_roles_that_do_not_register(
    client, world, as_user, spread
):
    english(as_user(world.mediator))
    for bad in ("", "41052219850312123", "410522198503121234", "abc"):
        response = client.post("/cases/earlier-disputes", data={"id_number": bad})
        assert response.status_code == 422
        assert "id_number" in response.get_json()["error"]["fields"]
    unknown = client.post("/cases/earlier-disputes", data={"id_number": "110101199003070011"})
    assert unknown.status_code == 200 and unknown.get_json()["count"] == 0
    assert client.get("/cases/earlier-disputes").status_code == 405
    for role in ("viewer", "admin"):
        as_user(getattr(world, role))
        assert client.post("/cases/earlier-disputes", data={"id_number": ID}).status_code == 403


def test_the_lookup_needs_a_sign_in(client, world):
    response = client.post("/cases/earlier-disputes", data={"id_number": ID})
    assert response.status_code in (302, 401)


def test_the_case_page_counts_other_disputes_within_the_area(client, world, as_user, spread):
    west = spread["west"]
    english(as_user(world.mediator))
    page = client.get(f"/cases/{west.id}").get_data(as_text=True)
    assert "other dispute" not in page  # the mediator sees only 西裴村, this case alone
    english(as_user(world.township_officer))
    page = client.get(f"/cases/{west.id}").get_data(as_text=True)
    assert "1 other dispute in your area" in page
    english(as_user(world.county_officer))
    page = client.get(f"/cases/{west.id}").get_data(as_text=True)
    assert "2 other disputes in your area" in page
    assert page.count("other dispute") == 1  # 王五 has no other case


def test_registering_tells_of_the_persons_earlier_disputes(client, world, login, spread):
    english(login(world.township_officer))
    response = client.post("/cases/new", data=form(), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "张三 already appears in 2 other disputes in your area." in page
    assert "李四 already appears" not in page


def test_the_form_sent_back_shows_the_earlier_disputes(client, world, login, spread):
    english(login(world.mediator))
    response = client.post("/cases/new", data=form(title=""))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This person has 1 earlier dispute in your area." in page
    assert re.search(r'class="hint earlier-disputes"[^>]*>\s*</p>', page)  # 李四: no ID number
    fresh = client.get("/cases/new").get_data(as_text=True)
    assert (
        "earlier dispute" not in fresh
        and 'data-earlier-disputes="/cases/earlier-disputes"' in fresh
    )


def test_the_api_shows_the_mask_only(client, world, login, case):
    login(world.county_officer)
    body = client.get(f"/api/v1/cases/{case.id}").get_json()
    assert body["parties"][0]["id_number"] == "4105**********1233"
    assert db.session.scalar(select(func.count()).select_from(IdAccessLog)) == 0


def test_with_csrf_on_the_page_token_is_needed_and_enough(app, client, world, login, case):
    """As in production: the reveal form and the intake script send the page's CSRF token."""
    login(world.township_officer)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/cases/new").get_data(as_text=True)
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
            page,
        )
        token = token.group(1) or token.group(2)
        assert client.post("/cases/earlier-disputes", data={"id_number": ID}).status_code == 400
        answer = client.post(
            "/cases/earlier-disputes", data={"id_number": ID}, headers={"X-CSRFToken": token}
        )
        assert answer.status_code == 200 and answer.get_json()["count"] == 1
        assert client.post(reveal_url(case)).status_code == 400
        assert log_rows() == []
        detail = client.get(f"/cases/{case.id}").get_data(as_text=True)
        form_token = re.search(
            r'class="reveal-id".*?name="csrf_token" value="([^"]+)"', detail, re.S
        ).group(1)
        assert client.post(reveal_url(case), data={"csrf_token": form_token}).status_code == 200
        assert len(log_rows()) == 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_lookups_are_limited_per_hour_on_the_script_and_the_form(
    client, world, as_user, spread, monkeypatch
):
    """A mediator must not undo a mask by trying birth dates until a number is known."""
    monkeypatch.setattr(identity, "LOOKUPS_PER_HOUR", 3)
    english(as_user(world.mediator))
    for _ in range(2):
        assert client.post("/cases/earlier-disputes", data={"id_number": ID}).status_code == 200
    response = client.post("/cases/new", data=form(title=""))  # one lookup: the third
    assert "This person has 1 earlier dispute in your area." in response.get_data(as_text=True)
    refused = client.post("/cases/earlier-disputes", data={"id_number": ID})
    assert refused.status_code == 429
    assert "Too many ID number lookups" in refused.get_json()["error"]["message"]
    assert "count" not in refused.get_json()
    page = client.post("/cases/new", data=form(title="")).get_data(as_text=True)
    assert "Too many ID number lookups" in page and "earlier dispute in your area" not in page
    english(as_user(world.township_officer))  # a limit per user
    assert client.post("/cases/earlier-disputes", data={"id_number": ID}).status_code == 200


def test_the_lookup_limit_is_a_sliding_hour(world, spread, monkeypatch):
    monkeypatch.setattr(identity, "LOOKUPS_PER_HOUR", 2)
    start = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)
    assert identity.look_up_person(world.mediator, ID, now=start) == 1
    identity.look_up_person(world.mediator, OTHER_ID, now=start + dt.timedelta(minutes=30))
    with pytest.raises(identity.TooManyLookups):
        identity.look_up_person(world.mediator, ID, now=start + dt.timedelta(minutes=59))
    assert identity.look_up_person(world.mediator, ID, now=start + dt.timedelta(minutes=61)) == 1
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(IdLookup)) == 2  # older ones dropped
