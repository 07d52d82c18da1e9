"""Sign-in hardening through HTTP: the lock after repeated failures (counted in the database,
so every worker sees it), refusals that do not tell why, remember-me cookies, the password page
and the end of other sessions."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from mediation import create_app
from mediation.config import ConfigError
from mediation.extensions import db
from mediation.models import User
from mediation.models.users import LoginAttempt
from mediation.platform import runtime
from mediation.services import users as user_service
from mediation.services.users import issue_token

from ..conftest import PASSWORD, IsolatedClient

WRONG = "not-the-password"
NEW_PASSWORD = "a-brand-new-secret"
CSRF_VALUE = re.compile(r'(?<=name="csrf_token" )value="[^"]*"')


def sign_in(client, username, password=PASSWORD, **data):
    return client.post("/login", data={"username": username, "password": password, **data})


def fresh(user) -> User:
    """The user as the database has it now (the test's own session may hold an old read)."""
    db.session.rollback()
    return db.session.get(User, user.id)


@pytest.fixture
def second_app(database_url, tmp_path):
    """Another app on the same database, as a second gunicorn worker would be."""
    other = create_app(
        {
            "DATABASE_URL": database_url,
            "MEDIATION_DEMO": False,
            "AUTO_SETUP": False,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret",
        },
        instance_path=str(tmp_path / "instance-2"),
    )
    other.test_client_class = IsolatedClient
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


# -- the lock -------------------------------------------------------------------------------------


def test_failures_in_two_workers_add_up_to_one_lock(app, client, second_app, world):
    other = second_app.test_client()
    for attempt in range(5):
        response = sign_in(client if attempt % 2 else other, "xipei", WRONG)
        assert response.status_code == 200
    user = fresh(world.mediator)
    assert user.failed_logins == 5 and user.locked_until is None  # one address: not the account
    assert pair_lock("xipei") is not None
    # Locked: even the right password is refused, in either worker.
    assert sign_in(client, "xipei").status_code == 200
    assert sign_in(other, "xipei").status_code == 200
    assert client.get("/").status_code == 302
    # Another account is not touched.
    assert sign_in(client, "dongpei").status_code == 302


def test_two_workers_failing_at_the_same_moment_both_count(app, second_app, world, monkeypatch):
    """Both requests read the account before either writes: a count kept by read-modify-write
    would end at 1; UPDATE … SET n = n + 1 ends at 2."""
    both_checked = threading.Barrier(2, timeout=30)
    real = user_service.check_password_hash

    def check_then_wait(hashed, password):
        result = real(hashed, password)
        both_checked.wait()
        return result

    monkeypatch.setattr(user_service, "check_password_hash", check_then_wait)
    answers = []
    workers = [
        threading.Thread(
            target=lambda web=web: answers.append(
                sign_in(web.test_client(), "xipei", WRONG).status_code
            )
        )
        for web in (app, second_app)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert answers == [200, 200]
    assert fresh(world.mediator).failed_logins == 2


def test_four_failures_do_not_lock_and_a_success_resets_the_count(client, world):
    for _ in range(4):
        sign_in(client, "xipei", WRONG)
    assert fresh(world.mediator).failed_logins == 4
    assert sign_in(client, "xipei").status_code == 302
    user = fresh(world.mediator)
    assert user.failed_logins == 0 and user.locked_until is None
    client.post("/logout")
    for _ in range(4):
        sign_in(client, "xipei", WRONG)
    assert sign_in(client, "xipei").status_code == 302  # 4 + 4 failures never made 5 in a row


def test_the_lock_expires(client, world, monkeypatch):
    start = dt.datetime.now(dt.UTC)
    monkeypatch.setattr(runtime, "utcnow", lambda: start)
    for _ in range(5):
        sign_in(client, "xipei", WRONG)
    monkeypatch.setattr(runtime, "utcnow", lambda: start + dt.timedelta(minutes=14, seconds=59))
    assert sign_in(client, "xipei").status_code == 200
    monkeypatch.setattr(runtime, "utcnow", lambda: start + dt.timedelta(minutes=15, seconds=1))
    assert sign_in(client, "xipei").status_code == 302
    assert fresh(world.mediator).locked_until is None


@pytest.mark.parametrize("app_config", [{"LOGIN_MAX_FAILURES": 2, "LOGIN_LOCK_MINUTES": 60}])
def test_the_limits_are_configurable(client, world, monkeypatch):
    start = dt.datetime.now(dt.UTC)
    monkeypatch.setattr(runtime, "utcnow", lambda: start)
    sign_in(client, "xipei", WRONG)
    sign_in(client, "xipei", WRONG)
    assert pair_lock("xipei") == start + dt.timedelta(minutes=60)
    assert sign_in(client, "xipei").status_code == 200


def pair_lock(username: str, address: str = "127.0.0.1"):
    db.session.rollback()
    return db.session.scalar(
        select(LoginAttempt.locked_until).where(
            LoginAttempt.username == username, LoginAttempt.client_ip == address
        )
    )


def from_address(client, address: str, password: str = WRONG):
    return client.post(
        "/login",
        data={"username": "xipei", "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_one_machine_cannot_lock_the_mediator_out(client, world):
    for _ in range(20):
        assert from_address(client, "203.0.113.9").status_code == 200
    assert pair_lock("xipei", "203.0.113.9") is not None
    assert fresh(world.mediator).locked_until is None
    assert from_address(client, "10.0.0.2", PASSWORD).status_code == 302  # her own phone


def test_failures_from_several_addresses_lock_the_account(client, world):
    addresses = [f"203.0.113.{n}" for n in range(1, user_service.ACCOUNT_LOCK_ADDRESSES + 1)]
    for _ in range(2):
        for address in addresses:
            from_address(client, address)
    assert fresh(world.mediator).locked_until is not None
    assert from_address(client, "10.0.0.2", PASSWORD).status_code == 200  # locked everywhere


def test_two_addresses_are_not_yet_several(client, world):
    for _ in range(5):
        for address in ("203.0.113.1", "203.0.113.2"):
            from_address(client, address)
    assert fresh(world.mediator).locked_until is None
    assert from_address(client, "10.0.0.2", PASSWORD).status_code == 302


def test_unknown_names_are_throttled_per_name_and_address(client, world):
    for _ in range(5):
        sign_in(client, "nobody", WRONG)
    client.post(
        "/login",
        data={"username": "nobody", "password": WRONG},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    db.session.rollback()
    rows = {row.client_ip: row for row in db.session.scalars(select(LoginAttempt))}
    assert rows["127.0.0.1"].locked_until is not None
    assert rows["10.0.0.2"].failures == 1 and rows["10.0.0.2"].locked_until is None


def test_a_name_locked_from_one_address_is_locked_there_even_for_the_right_password(client, world):
    # The user name and address pair is locked even when the account lock is cleared.
    for _ in range(5):
        sign_in(client, "xipei", WRONG)
    user = fresh(world.mediator)
    user.locked_until = None
    db.session.commit()
    assert sign_in(client, "xipei").status_code == 200
    other_address = client.post(
        "/login",
        data={"username": "xipei", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert other_address.status_code == 302


# -- refusals that do not tell why ----------------------------------------------------------------


def test_every_refusal_looks_the_same_and_the_log_says_why(app, world, caplog):
    world.mediator_east.is_enabled = False
    world.county_officer.locked_until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    db.session.commit()
    attempts = {
        "unknown user name": ("nobody", WRONG),
        "wrong password": ("xipei", WRONG),
        "disabled user": ("dongpei", PASSWORD),
        "locked until": ("county", PASSWORD),
    }
    answers = {}
    with caplog.at_level(logging.WARNING, logger="mediation.auth"):
        for reason, (username, password) in attempts.items():
            caplog.clear()
            response = sign_in(app.test_client(), username, password)  # a new browser each
            body = response.get_data(as_text=True).replace(f'value="{username}"', 'value="?"')
            body = CSRF_VALUE.sub('value="csrf"', body)  # a new browser, a new token
            answers[reason] = (response.status_code, "Set-Cookie" in response.headers, body)
            assert reason in caplog.text and repr(username) in caplog.text
            assert password not in caplog.text
    assert len(set(answers.values())) == 1
    status, _, body = answers["wrong password"]
    assert status == 200 and "用户名或密码错误" in body


def test_every_refusal_costs_one_password_hash(client, world, monkeypatch):
    world.mediator_east.is_enabled = False
    db.session.commit()
    calls = []
    real = user_service.check_password_hash

    def counting(hashed, password):
        calls.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(user_service, "check_password_hash", counting)
    for username, password in (("nobody", WRONG), ("xipei", WRONG), ("dongpei", PASSWORD)):
        calls.clear()
        sign_in(client, username, password)
        assert len(calls) == 1, username


# -- cookies --------------------------------------------------------------------------------------


def cookie_header(response, name: str) -> str:
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert found, response.headers.getlist("Set-Cookie")
    return found[0]


def test_remember_me_lasts_14_days_at_most(client, world):
    response = sign_in(client, "xipei", remember="y")
    cookie = cookie_header(response, "remember_token")
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    in_14_days = dt.datetime.now(dt.UTC) + dt.timedelta(days=14)
    assert in_14_days - dt.timedelta(minutes=5) < expires <= in_14_days
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_without_remember_me_there_is_no_remember_cookie(client, world):
    response = sign_in(client, "xipei")
    assert not [c for c in response.headers.getlist("Set-Cookie") if "remember_token" in c]


def test_cookies_are_secure_over_https(client, world):
    response = client.post(
        "/login",
        data={"username": "xipei", "password": PASSWORD, "remember": "y"},
        base_url="https://localhost",
    )
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        cookie = cookie_header(response, name)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("duration", [dt.timedelta(days=15), 30 * 24 * 3600, 0, "forever"])
def test_a_longer_remember_duration_stops_start_up(tmp_path, duration):
    with pytest.raises(ConfigError, match="REMEMBER_COOKIE_DURATION"):
        create_app(
            {
                "REMEMBER_COOKIE_DURATION": duration,
                "AUTO_SETUP": False,
                "SECRET_KEY": "x",
                "DATABASE_URL": "sqlite://",
            },
            instance_path=str(tmp_path),
        )


# -- changing one's password ----------------------------------------------------------------------


def change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def test_the_header_links_to_the_password_page(client, world, login):
    login(world.mediator)
    assert 'href="/account/password"' in client.get("/").get_data(as_text=True)
    page = client.get("/account/password")
    assert page.status_code == 200 and "修改密码" in page.get_data(as_text=True)
    client.post("/lang/en", data={"next": "/"})
    assert "Change password" in client.get("/account/password").get_data(as_text=True)


def test_the_password_page_needs_a_signed_in_user(client, world):
    assert client.get("/account/password").status_code == 302
    assert change(client).status_code == 302
    assert fresh(world.mediator).check_password(PASSWORD)


@pytest.mark.parametrize(
    "current, new, confirm, field",
    [
        (WRONG, NEW_PASSWORD, None, "current_password"),
        (PASSWORD, "short-9", None, "new_password"),
        (PASSWORD, "XIPEI", None, "new_password"),
        (PASSWORD, PASSWORD, None, "new_password"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "confirm_password"),
        ("", NEW_PASSWORD, None, "current_password"),
    ],
)
def test_a_bad_password_change_names_the_field_and_changes_nothing(
    client, world, login, current, new, confirm, field
):
    login(world.mediator)
    response = change(client, current, new, confirm)
    assert response.status_code == 422
    assert f'data-field="{field}"' in response.get_data(as_text=True)
    user = fresh(world.mediator)
    assert user.check_password(PASSWORD) and user.auth_version == 0


def test_the_user_name_is_not_a_password(client, world, login, make):
    from mediation.domain.enums import Role

    long_name = make.user("xipei-mediator", Role.mediator, "410522100201")
    login(long_name)
    response = change(client, new="Xipei-Mediator")
    assert response.status_code == 422 and 'data-field="new_password"' in response.get_data(
        as_text=True
    )


def test_wrong_current_passwords_count_toward_the_lock(client, world, login):
    login(world.mediator)
    for _ in range(5):
        assert change(client, current=WRONG).status_code == 422
    assert fresh(world.mediator).locked_until is not None
    response = change(client)  # the right one, but locked now
    assert response.status_code == 422
    assert fresh(world.mediator).check_password(PASSWORD)
    assert client.get("/").status_code == 200  # this session goes on


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(app, client, world, login):
    phone = app.test_client()
    sign_in(phone, "xipei", remember="y")
    tablet = app.test_client()
    sign_in(tablet, "xipei", remember="y")
    tablet.delete_cookie("session")  # the next visit comes back through the remember cookie
    assert phone.get("/").status_code == 200 and tablet.get("/").status_code == 200

    sign_in(client, "xipei", remember="y")
    response = change(client)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.delete_cookie("session")  # its remember cookie was renewed too
    assert client.get("/").status_code == 200

    assert phone.get("/").status_code == 302
    tablet.delete_cookie("session")
    assert tablet.get("/").status_code == 302
    user = fresh(world.mediator)
    assert user.check_password(NEW_PASSWORD) and user.auth_version == 1
    assert sign_in(phone, "xipei").status_code == 200
    assert sign_in(phone, "xipei", NEW_PASSWORD).status_code == 302


def test_a_new_password_ends_the_users_api_tokens(app, client, world, login):
    token = issue_token(world.mediator)
    other = issue_token(world.mediator_east)
    db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    api = app.test_client()
    assert api.get("/api/v1/cases", headers=bearer).status_code == 200
    login(world.mediator)
    assert change(client).status_code == 302
    assert api.get("/api/v1/cases", headers=bearer).status_code == 401
    assert api.get("/api/v1/cases", headers={"Authorization": f"Bearer {other}"}).status_code == 200


# -- disabling ------------------------------------------------------------------------------------


def test_disabling_a_user_stops_their_session_and_token_at_once(app, client, world, login):
    """Through the admin's page (test_pages and api/test_auth set the flag directly)."""
    token = issue_token(world.mediator)
    db.session.commit()
    mediator = app.test_client()
    sign_in(mediator, "xipei")
    bearer = {"Authorization": f"Bearer {token}"}
    assert mediator.get("/").status_code == 200
    assert mediator.get("/api/v1/cases", headers=bearer).status_code == 200

    login(world.admin)
    assert client.post(f"/admin/users/{world.mediator.id}/toggle").status_code == 302
    assert mediator.get("/").status_code == 302
    assert mediator.get("/api/v1/cases", headers=bearer).status_code == 401
    assert app.test_client().get("/api/v1/cases", headers=bearer).status_code == 401


def test_enabling_a_user_again_does_not_revive_their_old_session(app, client, world, login):
    mediator = app.test_client()
    sign_in(mediator, "xipei", remember="y")
    login(world.admin)
    client.post(f"/admin/users/{world.mediator.id}/toggle")
    client.post(f"/admin/users/{world.mediator.id}/toggle")
    assert fresh(world.mediator).is_enabled
    assert mediator.get("/").status_code == 302
    mediator.delete_cookie("session")
    assert mediator.get("/").status_code == 302  # nor its remember cookie
    assert sign_in(mediator, "xipei").status_code == 302
