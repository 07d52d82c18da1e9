"""Administration pages: units, users and the policy, within the admin's county."""

import io

from sqlalchemy import func, select

from mediation.extensions import db
from mediation.models import Unit, User

NEW_UNITS = (
    "code,name,kind,parent_code\n"
    "410522102000,吕村镇,township,410522000000\n"
    "410522102201,吕村,village,410522102000\n"
)


def unit_count():
    return db.session.scalar(select(func.count()).select_from(Unit))


def upload(client, text):
    return client.post(
        "/admin/units",
        data={"import-file": (io.BytesIO(text.encode()), "units.csv"), "import-submit": "1"},
        content_type="multipart/form-data",
    )


def test_only_admins_reach_the_admin_pages(client, world, login):
    login(world.county_officer)
    for path in ("/admin/units", "/admin/users", "/admin/policy"):
        assert client.get(path).status_code == 403


def test_an_admin_imports_units_idempotently(client, world, login):
    login(world.admin)
    before = unit_count()
    assert upload(client, NEW_UNITS).status_code == 302
    assert unit_count() == before + 2
    assert upload(client, NEW_UNITS).status_code == 302
    assert unit_count() == before + 2
    village = db.session.scalar(select(Unit).where(Unit.code == "410522102201"))
    assert village.parent.name == "吕村镇" and village.county_id is not None
    assert "吕村镇" in client.get("/admin/units").get_data(as_text=True)


def test_a_bad_unit_file_changes_nothing_and_names_the_line(client, world, login):
    login(world.admin)
    before = unit_count()
    response = upload(client, NEW_UNITS + "410522103201,某村,village,999\n")
    assert response.status_code == 422
    assert "line 4" in response.get_data(as_text=True)
    assert unit_count() == before


def test_an_admin_adds_one_unit(client, world, login):
    login(world.admin)
    response = client.post(
        "/admin/units",
        data={
            "unit-code": "410522100203",
            "unit-name": "南裴村",
            "unit-kind": "village",
            "unit-parent_code": "410522100000",
            "unit-submit": "1",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Unit).where(Unit.code == "410522100203")).name == "南裴村"


def test_an_admin_creates_and_disables_a_user(client, world, login):
    login(world.admin)
    response = client.post(
        "/admin/users",
        data={
            "username": "nanpei",
            "display_name": "王调解",
            "role": "mediator",
            "unit_code": "410522100202",
            "password": "long-enough-1",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "nanpei"))
    assert user.unit.code == "410522100202" and user.check_password("long-enough-1")

    response = client.post(f"/admin/users/{user.id}/toggle")
    assert response.status_code == 302
    db.session.refresh(user)
    assert not user.is_enabled


def test_a_user_needs_a_unit_of_the_right_kind(client, world, login):
    login(world.admin)
    response = client.post(
        "/admin/users",
        data={
            "username": "wrong",
            "role": "mediator",
            "unit_code": "410522100000",
            "password": "long-enough-1",
        },
    )
    assert response.status_code == 422
    assert 'data-field="unit_code"' in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "wrong")) is None


def test_the_policy_in_force_is_shown(client, world, login):
    login(world.admin)
    page = client.get("/admin/policy").get_data(as_text=True)
    assert "settle_working_days" in page and "max_backdate_days" in page
