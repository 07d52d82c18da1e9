"""The pages as a user meets them: sign-in, home pages, list, detail, language."""

from sqlalchemy import select

from mediation.extensions import db
from mediation.models import User


def test_signing_in_and_out(client, world):
    page = client.get("/", follow_redirects=True)
    assert "登录" in page.get_data(as_text=True)
    response = client.post("/login", data={"username": "xipei", "password": "wrong-password"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    response = client.post("/login", data={"username": "nobody", "password": "wrong-password"})
    assert "用户名或密码错误" in response.get_data(as_text=True)
    response = client.post("/login", data={"username": "xipei", "password": "correct-horse-9"})
    assert response.status_code == 302
    assert "西裴村" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_a_disabled_user_cannot_sign_in(client, world):
    world.mediator.is_enabled = False
    db.session.commit()
    response = client.post("/login", data={"username": "xipei", "password": "correct-horse-9"})
    assert response.status_code == 200


def test_the_session_cookie_is_httponly_and_lax(client, world):
    response = client.post("/login", data={"username": "xipei", "password": "correct-horse-9"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_redirects_only_to_this_site(client, world):
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "xipei", "password": "correct-horse-9"},
    )
    assert response.headers["Location"] == "/"


def test_each_role_has_its_home_page(client, world, login, make):
    make.case(world.mediator, title="鸡鸭啄食菜地纠纷")
    login(world.mediator)
    page = client.get("/").get_data(as_text=True)
    assert "鸡鸭啄食菜地纠纷" in page and "新建案件" in page
    client.post("/logout")

    login(world.township_officer)
    page = client.get("/").get_data(as_text=True)
    assert "白壁镇" in page and "西裴村" in page
    client.post("/logout")

    login(world.viewer)
    page = client.get("/").get_data(as_text=True)
    assert "白壁镇" in page and "水冶镇" in page and "新建案件" not in page
    client.post("/logout")

    login(world.admin)
    page = client.get("/").get_data(as_text=True)
    assert "/admin/units" in page and "/admin/users" in page


def test_the_list_filters_and_searches(client, world, login, make):
    make.case(world.mediator, title="宅基地边界纠纷", category="housing_homestead")
    make.case(
        world.mediator,
        title="婚姻家庭矛盾",
        category="marriage_family",
        parties=[{"name": "王五", "role": "applicant"}],
    )
    make.case(world.mediator, title="工钱拖欠", people_involved=8, category="labor")
    login(world.mediator)
    page = client.get("/cases").get_data(as_text=True)
    assert all(title in page for title in ("宅基地边界纠纷", "婚姻家庭矛盾", "工钱拖欠"))
    page = client.get("/cases?category=housing_homestead").get_data(as_text=True)
    assert "宅基地边界纠纷" in page and "婚姻家庭矛盾" not in page
    page = client.get("/cases?q=王五").get_data(as_text=True)
    assert "婚姻家庭矛盾" in page and "宅基地边界纠纷" not in page
    page = client.get("/cases?scale=big").get_data(as_text=True)
    assert "工钱拖欠" in page and "婚姻家庭矛盾" not in page
    page = client.get("/cases?status=bogus").get_data(as_text=True)
    assert 'data-field="status"' in page


def test_the_list_paginates(app, client, world, login, make):
    app.config["CASES_PER_PAGE"] = 2
    for n in range(5):
        make.case(world.mediator, title=f"纠纷{n}")
    login(world.mediator)
    first = client.get("/cases?sort=number").get_data(as_text=True)
    third = client.get("/cases?sort=number&page=3").get_data(as_text=True)
    assert "纠纷0" in first and "纠纷1" in first and "纠纷2" not in first
    assert "纠纷4" in third and "纠纷0" not in third


def test_the_case_page_shows_parties_masked_scale_reason_and_history(client, world, login, make):
    case = make.case(world.mediator, people_involved=7)
    login(world.mediator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert case.number in page
    assert "4105**********1233" in page and "410522198503121233" not in page
    assert "≥5人" in page
    assert "登记" in page  # the history's first event


def test_scope_hides_other_villages_and_townships(client, world, login, make):
    case = make.case(world.mediator)
    for outsider in (
        world.mediator_east,
        world.mediator_other_township,
        world.other_township_officer,
    ):
        login(outsider)
        assert client.get(f"/cases/{case.id}").status_code == 404
        assert case.number not in client.get("/cases").get_data(as_text=True)
        client.post("/logout")
    for insider in (world.township_officer, world.county_officer, world.viewer):
        login(insider)
        assert client.get(f"/cases/{case.id}").status_code == 200
        client.post("/logout")


def test_the_language_switch_is_remembered(client, world, login):
    login(world.mediator)
    assert "新建案件" in client.get("/").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/"})
    assert "New case" in client.get("/").get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "xipei"))
    db.session.refresh(user)
    assert user.locale == "en"
    client.post("/lang/zh", data={"next": "/"})
    assert "新建案件" in client.get("/").get_data(as_text=True)


def test_an_unknown_page_is_a_friendly_404(client, world, login):
    login(world.mediator)
    response = client.get("/cases/999999")
    assert response.status_code == 404
    assert "未找到" in response.get_data(as_text=True)


def test_a_user_disabled_meanwhile_is_signed_out(client, world, login):
    login(world.mediator)
    assert client.get("/").status_code == 200
    world.mediator.is_enabled = False
    db.session.commit()
    assert client.get("/").status_code == 302
