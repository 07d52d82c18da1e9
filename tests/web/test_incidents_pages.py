"""The incident pages (list with filters, new, detail, edit with its history) and the monthly
screening pages (a mediator's report, a township's month), through the HTML forms."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from mediation.domain.incidents import parse_incident
from mediation.domain.months import Month
from mediation.extensions import db
from mediation.models import Incident, IncidentRevision, Screening
from mediation.services.incidents import record_incident

from ..factories import TZ

XIPEI, DONGPEI, BEIGUAN = "410522100201", "410522100202", "410522101201"


def local_input(instant: dt.datetime) -> str:
    """As a datetime-local input sends it: naive local time."""
    return instant.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def incident_form(now, **overrides):
    data = {
        "village_code": XIPEI,
        "kind": "petition",
        "occurred_at": local_input(now - dt.timedelta(hours=3)),
        "summary": "村民到市信访局反映宅基地纠纷。",
        "petition_level": "city",
        "people": "",
        "injured": "",
        "dead": "",
        "case_number": "",
    }
    data.update(overrides)
    return data


def recorded(user, now, **raw):
    body = {
        "village_code": XIPEI,
        "kind": "accident",
        "occurred_at": (now - dt.timedelta(days=1)).isoformat(),
        "summary": "农用车侧翻。",
        "injured": 2,
    }
    body.update(raw)
    incident = record_incident(user, parse_incident(body, now=now, tz=TZ), now)
    db.session.commit()
    return incident


@pytest.fixture
def sign_in(client, login):
    """Sign in as another user (signing out whoever is signed in)."""

    def switch(user):
        client.post("/logout")
        return login(user)

    return switch


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_officer_records_a_petition_linked_to_a_case(client, world, make, login, now):
    case = make.case(world.mediator)
    login(world.township_officer)
    page = client.get("/incidents/new")
    assert page.status_code == 200 and 'name="petition_level"' in page.get_data(as_text=True)
    response = client.post(
        "/incidents/new",
        data=incident_form(now, case_number=case.number, collective="y", people="6"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    incident = db.session.scalar(select(Incident))
    assert response.headers["Location"] == f"/incidents/{incident.id}"
    assert (incident.case_id, incident.people, incident.is_collective) == (case.id, 6, True)
    assert incident.occurred_at.astimezone(TZ).strftime("%Y-%m-%dT%H:%M") == local_input(
        now - dt.timedelta(hours=3)
    )
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "村民到市信访局反映宅基地纠纷。" in detail and case.number in detail


def test_bad_fields_come_back_next_to_the_field(client, world, login, now):
    login(world.township_officer)
    response = client.post(
        "/incidents/new",
        data=incident_form(now, petition_level="", summary="", case_number="410522-2026-999999"),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field in ("petition_level", "summary", "case_number"):
        assert f'data-field="{field}"' in page, field
    response = client.post("/incidents/new", data=incident_form(now, village_code=BEIGUAN))
    assert response.status_code == 422 and 'data-field="village_code"' in response.get_data(
        as_text=True
    )
    assert count(Incident) == 0


@pytest.mark.parametrize("who", ["mediator", "viewer"])
def test_roles_that_may_not_record_get_403(client, world, login, now, who):
    login(getattr(world, who))
    assert client.get("/incidents/new").status_code == 403
    assert client.post("/incidents/new", data=incident_form(now)).status_code == 403
    incident = recorded(world.township_officer, now)
    assert client.get(f"/incidents/{incident.id}/edit").status_code == 403
    assert client.get(f"/incidents/{incident.id}").status_code == 200  # reading is fine


def test_the_list_filters_by_unit_month_and_kind(client, world, login, now):
    recorded(world.county_officer, now)
    recorded(
        world.county_officer,
        now,
        village_code=BEIGUAN,
        kind="criminal",
        injured=None,
        summary="盗窃案",
    )
    login(world.viewer)
    page = client.get("/incidents").get_data(as_text=True)
    assert "农用车侧翻。" in page and "盗窃案" in page
    page = client.get(f"/incidents?unit={BEIGUAN}").get_data(as_text=True)
    assert "盗窃案" in page and "农用车侧翻。" not in page
    page = client.get("/incidents?kind=accident").get_data(as_text=True)
    assert "农用车侧翻。" in page and "盗窃案" not in page
    month = Month.of(now - dt.timedelta(days=1), TZ)
    assert "盗窃案" in client.get(f"/incidents?month={month}").get_data(as_text=True)
    assert "盗窃案" not in client.get("/incidents?month=2001-01").get_data(as_text=True)
    page = client.get("/incidents?month=13&kind=fire").get_data(as_text=True)
    assert 'data-field="month"' in page and 'data-field="kind"' in page


def test_out_of_scope_incidents_are_not_found(client, world, login, now):
    incident = recorded(world.county_officer, now, village_code=BEIGUAN)
    login(world.township_officer)
    assert client.get(f"/incidents/{incident.id}").status_code == 404
    assert client.get(f"/incidents/{incident.id}/edit").status_code == 404
    assert "农用车侧翻。" not in client.get("/incidents").get_data(as_text=True)


def test_an_edit_shows_and_keeps_the_history(client, world, login, now):
    incident = recorded(world.township_officer, now)
    login(world.township_officer)
    page = client.get(f"/incidents/{incident.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page and 'name="note"' in page
    data = incident_form(
        now,
        kind="accident",
        petition_level="",
        injured="3",
        occurred_at=local_input(incident.occurred_at),
        summary="农用车侧翻。",
        version="1",
        note="伤者增至三人",
    )
    no_reason = client.post(f"/incidents/{incident.id}/edit", data={**data, "note": ""})
    assert no_reason.status_code == 422 and 'data-field="note"' in no_reason.get_data(as_text=True)
    response = client.post(f"/incidents/{incident.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).injured == 3
    assert count(IncidentRevision) == 1
    detail = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "伤者增至三人" in detail and "<del>2</del>" in detail and "<ins>3</ins>" in detail
    # the same form again: its version is stale now
    stale = client.post(f"/incidents/{incident.id}/edit", data={**data, "injured": "4"})
    assert stale.status_code == 409
    assert 'name="version" type="hidden" value="2"' in stale.get_data(as_text=True)
    assert db.session.get(Incident, incident.id).injured == 3


# --- screening reports ------------------------------------------------------------------------


def screening_form(now, **overrides):
    month = Month.of(now, TZ).previous()
    data = {
        "village_code": XIPEI,
        "month": str(month),
        "visited_at": f"{month}-18",
        "households": "64",
        "risks_found": "1",
        "disputes_found": "0",
        "note": "",
    }
    data.update(overrides)
    return data


def test_a_mediator_files_the_monthly_report_from_the_menu(client, world, login, now):
    login(world.mediator)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/screenings/new"' in home
    # this month's report first: it is due on the 25th of this month
    page = client.get("/screenings/new").get_data(as_text=True)
    current = str(Month.of(now, TZ))
    assert f'<option selected value="{current}">' in page or f'value="{current}" selected' in page
    today = str(now.astimezone(TZ).date())
    response = client.post(
        "/screenings/new", data=screening_form(now, month=current, visited_at=today)
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/screenings?month={current}"
    report = db.session.scalar(select(Screening))
    assert (report.households, report.filed_by_id) == (64, world.mediator.id)
    # this month's in: the form offers last month's, still owed (filed late, it counts)
    page = client.get("/screenings/new").get_data(as_text=True)
    month = str(Month.of(now, TZ).previous())
    assert f'<option selected value="{month}">' in page or f'value="{month}" selected' in page
    assert client.post("/screenings/new", data=screening_form(now)).status_code == 302
    again = client.post("/screenings/new", data=screening_form(now, households="5"))
    assert again.status_code == 409 and 'role="alert"' in again.get_data(as_text=True)
    assert count(Screening) == 2


def test_a_zero_report_and_bad_fields(client, world, login, now):
    login(world.mediator)
    bad = client.post(
        "/screenings/new",
        data=screening_form(now, zero_report="y", disputes_found="2", households="-1"),
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'data-field="disputes_found"' in page and 'data-field="households"' in page
    ok = client.post(
        "/screenings/new",
        data=screening_form(now, zero_report="y", risks_found="", disputes_found=""),
    )
    assert ok.status_code == 302
    assert db.session.scalar(select(Screening.is_zero_report)) is True


def test_who_may_file(client, world, login, sign_in, now):
    login(world.viewer)
    assert client.get("/screenings/new").status_code == 403
    sign_in(world.township_officer)
    assert client.get("/screenings/new").status_code == 200
    assert (
        client.post("/screenings/new", data=screening_form(now, village_code=BEIGUAN)).status_code
        == 422
    )
    assert (
        client.post("/screenings/new", data=screening_form(now, village_code=DONGPEI)).status_code
        == 302
    )


def test_the_township_sees_who_filed_and_who_has_not(client, world, login, sign_in, now):
    login(world.mediator)
    client.post("/screenings/new", data=screening_form(now))
    month = str(Month.of(now, TZ).previous())
    for user in (world.township_officer, world.viewer):
        sign_in(user)
        page = client.get(f"/screenings?month={month}").get_data(as_text=True)
        assert f'class="filed" data-village="{XIPEI}"' in page
        assert f'class="missing" data-village="{DONGPEI}"' in page
    sign_in(world.township_officer)
    page = client.get(f"/screenings?month={month}").get_data(as_text=True)
    assert BEIGUAN not in page  # another township's village
    assert client.get(f"/screenings?month={month}&unit=410522101000").status_code == 404
    sign_in(world.county_officer)
    page = client.get(f"/screenings?month={month}&unit=410522101000").get_data(as_text=True)
    assert f'data-village="{BEIGUAN}"' in page and f'data-village="{XIPEI}"' not in page
    assert 'data-field="month"' in client.get("/screenings?month=soon").get_data(as_text=True)


def test_nav_links(client, world, login, sign_in):
    login(world.township_officer)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/incidents"' in page and 'href="/screenings"' in page
    sign_in(world.admin)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/incidents"' not in page
