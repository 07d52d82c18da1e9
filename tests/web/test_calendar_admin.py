"""The admin's calendar page: what the bundled calendar knows, entering a year, and the
provisional deadlines it makes exact."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from mediation.domain.enums import Clock
from mediation.extensions import db
from mediation.models import CalendarDay, CalendarYear, Deadline

from ..factories import TZ

POLICY = """
[calendar]
holidays = ["2027-05-06"]
workdays = ["2027-04-25"]
"""


@pytest.fixture
def app_config(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return {"MEDIATION_POLICY": str(path)}


@pytest.fixture
def admin(client, world, login):
    login(world.admin)
    client.post("/lang/en", data={"next": "/"})  # English messages whatever the catalog says
    return client


def days_in_db():
    return {
        (day.isoformat(), is_workday)
        for day, is_workday in db.session.execute(select(CalendarDay.day, CalendarDay.is_workday))
    }


def year_case(world, make):
    """A case received on Monday 2026-12-28: its 5-working-day settle clock ends in 2027."""
    case = make.case(world.mediator, now=dt.datetime(2026, 12, 28, 10, 0, tzinfo=TZ))
    return case


def settle(case) -> Deadline:
    db.session.expire_all()
    return db.session.scalar(
        select(Deadline).where(Deadline.case_id == case.id, Deadline.clock == Clock.settle)
    )


@pytest.mark.parametrize("role", ["county_officer", "township_officer", "mediator", "viewer"])
def test_only_admins_reach_the_calendar(client, world, login, role):
    login(getattr(world, role))
    assert client.get("/admin/calendar").status_code == 403
    assert client.post("/admin/calendar", data={"year": "2027"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/calendar")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_shows_the_bundled_years_the_policy_days_and_the_provisional_count(
    admin, world, make
):
    year_case(world, make)
    page = admin.get("/admin/calendar").get_data(as_text=True)
    assert '<td data-testid="bundled-years">2004–2026</td>' in page
    assert 'class="calendar-year-2027"' in page and "not known yet" in page
    assert "2027-05-06" in page and "2027-04-25" in page  # the policy file's extra days
    assert '<td data-testid="provisional-count">1</td>' in page
    assert 'name="year"' in page and 'value="2027"' in page  # the first year not known
    assert 'href="/admin/calendar"' in admin.get("/admin/units").get_data(as_text=True)


def test_entering_a_year_makes_its_provisional_deadlines_exact(admin, world, make):
    case = year_case(world, make)
    before = settle(case)
    # Dec 29, 30, 31, Fri Jan 1 (guessed a working day), Mon Jan 4: due Tue 2027-01-05 00:00.
    assert before.is_provisional
    assert before.due_at == dt.datetime(2027, 1, 5, tzinfo=TZ)

    response = admin.post(
        "/admin/calendar",
        data={
            "year": "2027",
            "holidays": "2027-01-01\n2027-02-10, 2027-02-11",
            "workdays": "2027-02-07",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Provisional deadlines recomputed: 1." in page
    assert "2027-02-10, 2027-02-11" in page  # listed among the entered years
    assert '<td data-testid="provisional-count">0</td>' in page
    assert "entered here" in page

    after = settle(case)
    assert not after.is_provisional
    assert after.due_at == dt.datetime(2027, 1, 6, tzinfo=TZ)  # Jan 1 is now a day off
    assert days_in_db() == {
        ("2027-01-01", False),
        ("2027-02-10", False),
        ("2027-02-11", False),
        ("2027-02-07", True),
    }
    assert db.session.scalar(select(CalendarYear.entered_by_id)) == world.admin.id


def test_re_entering_a_year_replaces_its_days(admin, world):
    admin.post(
        "/admin/calendar",
        data={"year": "2027", "holidays": "2027-01-01, 2027-01-02", "workdays": "2027-02-07"},
    )
    form = admin.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "2027-01-01\n2027-01-02</textarea>" in form  # the form opens on the year's days

    response = admin.post(
        "/admin/calendar", data={"year": "2027", "holidays": "2027-10-01", "workdays": ""}
    )
    assert response.status_code == 302
    assert days_in_db() == {("2027-10-01", False)}
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 1


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"year": "2027", "holidays": "2027-01-01\n2026-12-31"},
            "holidays",
            "2026-12-31 is not in 2027.",
        ),
        ({"year": "2027", "workdays": "2028-01-01"}, "workdays", "2028-01-01 is not in 2027."),
        (
            {"year": "2027", "holidays": "2027-01-01", "workdays": "2027-01-01"},
            "workdays",
            "A day cannot be both a holiday and a working day: 2027-01-01",
        ),
        ({"year": "2027", "holidays": "2027/01/01"}, "holidays", "Not a date: 2027/01/01."),
        ({"year": "2027", "holidays": "2027-02-30"}, "holidays", "Not a date: 2027-02-30."),
        ({"year": "next", "holidays": "2027-01-01"}, "year", "Enter a year from 2000 to 2100."),
        ({"year": "", "holidays": ""}, "year", "Enter a year from 2000 to 2100."),
    ],
    ids=[
        "holiday-outside",
        "workday-outside",
        "both",
        "slashes",
        "no-such-day",
        "bad-year",
        "empty",
    ],
)
def test_a_bad_entry_saves_nothing_and_says_why_next_to_the_field(
    admin, world, make, data, field, message
):
    case = year_case(world, make)
    response = admin.post("/admin/calendar", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<p class="error" data-field="{field}">{message}' in page
    assert days_in_db() == set()
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0
    assert settle(case).is_provisional


def test_error_messages_follow_the_language(client, world, login):
    """The messages go through the catalog: in Chinese they are whatever it holds, never a
    crash and never an untranslated placeholder."""
    login(world.admin)
    client.post("/lang/zh", data={"next": "/"})
    response = client.post("/admin/calendar", data={"year": "2027", "holidays": "2026-01-01"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-field="holidays"' in page and "%(" not in page
