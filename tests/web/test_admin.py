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


def test_the_new_user_form_starts_from_a_valid_role_and_unit(client, world, login):
    import re

    login(world.admin)
    page = client.get("/admin/users").get_data(as_text=True)
    role = re.search(r'<option selected value="(\w+)">', page.split('name="role"')[1])
    unit = re.search(r'<option selected value="(\d+)">', page.split('name="unit_code"')[1])
    response = client.post(
        "/admin/users",
        data={
            "username": "fresh",
            "role": role.group(1),
            "unit_code": unit.group(1),
            "password": "long-enough-1",
        },
    )
    assert response.status_code == 302  # the defaults as shown are accepted


def test_the_unit_error_names_the_kind_of_unit_the_role_needs(client, world, login):
    login(world.admin)
    body = {"username": "wrong", "role": "mediator", "unit_code": "410522100000"}
    page = client.post("/admin/users", data=body | {"password": "long-enough-1"})
    assert "调解员须隶属于村级单位。" in page.get_data(as_text=True)
    body = {"username": "wrong", "role": "township_officer", "unit_code": "410522100201"}
    page = client.post("/admin/users", data=body | {"password": "long-enough-1"})
    assert "须隶属于乡镇级单位。" in page.get_data(as_text=True)


def test_the_unit_form_names_the_unit_s_name_not_a_person_s(client, world, login):
    login(world.admin)
    page = client.get("/admin/units").get_data(as_text=True)
    assert '<label for="unit-name">单位名称</label>' in page and ">姓名<" not in page


def test_an_admin_edits_role_unit_and_password(client, world, login):
    mediator = world.mediator
    login(world.admin)
    page = client.get(f"/admin/users/{mediator.id}/edit").get_data(as_text=True)
    assert 'value="410522100201" selected' in page or 'selected value="410522100201"' in page
    response = client.post(
        f"/admin/users/{mediator.id}/edit",
        data={
            "display_name": "白壁镇干部",
            "role": "township_officer",
            "unit_code": "410522100000",
            "new_password": "brand-new-pass-7",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, mediator.id)
    assert (user.role.value, user.unit.code, user.display_name) == (
        "township_officer",
        "410522100000",
        "白壁镇干部",
    )
    assert user.check_password("brand-new-pass-7")


def test_a_bad_edit_names_the_field_and_changes_nothing(client, world, login):
    mediator = world.mediator
    login(world.admin)
    response = client.post(
        f"/admin/users/{mediator.id}/edit",
        data={"role": "mediator", "unit_code": "410522000000", "new_password": "short"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-field="unit_code"' in page and "调解员须隶属于村级单位。" in page
    assert 'data-field="new_password"' in page
    db.session.expire_all()
    user = db.session.get(User, mediator.id)
    assert user.unit.code == "410522100201" and user.check_password("correct-horse-9")
    response = client.post(
        f"/admin/users/{mediator.id}/edit", data={"role": "chief", "unit_code": "410522100201"}
    )
    assert response.status_code == 422 and 'data-field="role"' in response.get_data(as_text=True)
    assert client.get("/admin/users/99999/edit").status_code == 404


def test_the_policy_page_reads_in_chinese(client, world, login):
    login(world.admin)
    page = client.get("/admin/policy").get_data(as_text=True)
    assert "各级化解时限" in page and "村级5个工作日" in page
    assert "征地拆迁" in page and "land_acquisition" not in page
    assert '{"village"' not in page and "&#34;" not in page  # no JSON
