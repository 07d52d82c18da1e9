"""A person's e-mail, phone and channels: on their own settings page and on the admin's user
edit page; bad input names the field in Chinese and changes nothing. The admin's outbox page
is scoped to the admin's area."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mediation.extensions import db
from mediation.models import Delivery, User
from mediation.services.outbox import enqueue


@pytest.fixture
def app_config():
    return {
        "NOTIFY_CHANNELS": "inbox,log,email,webhook",
        "WEBHOOK_URL": "http://127.0.0.1:9/robot",
    }


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_a_user_chooses_channels_on_the_settings_page(client, world, login):
    login(world.township_officer)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "通知设置" in page and "电子邮箱" in page and "工作群机器人（Webhook）" in page
    assert 'value="log"' not in page  # only channels that reach a person are offered
    response = client.post(
        "/account/notifications",
        data={"email": " baibi@example.cn ", "phone": "138 0013 8000", "channels": ["email"]},
    )
    assert response.status_code == 302
    user = fresh(world.township_officer)
    assert (user.email, user.phone, user.notify_channels) == (
        "baibi@example.cn",
        "138 0013 8000",
        "email",
    )
    page = client.get("/account/notifications").get_data(as_text=True)
    assert 'value="baibi@example.cn"' in page
    assert '<input checked id="channels-0" name="channels" type="checkbox" value="email">' in page
    assert '<input id="channels-1" name="channels" type="checkbox" value="webhook">' in page
    assert not user.notify_digest and "每个工作日早上" in page

    client.post(
        "/account/notifications",
        data={"email": "baibi@example.cn", "channels": ["email"], "digest": "y"},
    )
    assert fresh(world.township_officer).notify_digest
    page = client.get("/account/notifications").get_data(as_text=True)
    assert '<input checked id="digest" name="digest" type="checkbox" value="y">' in page


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"email": "baibi-at-example", "channels": []}, "email", "电子邮箱格式不正确。"),
        ({"phone": "call me", "channels": []}, "phone", "手机号码格式不正确。"),
        ({"email": "", "channels": ["email"]}, "email", "选择邮件通知须填写电子邮箱。"),
        ({"channels": ["sms"]}, "channels", "不是有效的选项。"),
    ],
)
def test_bad_settings_name_the_field_and_change_nothing(client, world, login, data, field, message):
    login(world.township_officer)
    response = client.post("/account/notifications", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'data-field="{field}"' in page and message in page
    user = fresh(world.township_officer)
    assert (user.email, user.phone, user.notify_channels) == (None, None, "")


def test_the_admin_sets_contact_and_channels_on_the_user_edit_page(client, world, login):
    login(world.admin)
    officer = world.township_officer
    page = client.get(f"/admin/users/{officer.id}/edit").get_data(as_text=True)
    assert 'name="email"' in page and 'name="channels"' in page
    response = client.post(
        f"/admin/users/{officer.id}/edit",
        data={
            "role": "township_officer",
            "unit_code": "410522100000",
            "email": "baibi@example.cn",
            "phone": "+8613800138000",
            "channels": ["email", "webhook"],
        },
    )
    assert response.status_code == 302
    user = fresh(officer)
    assert (user.email, user.phone, user.chosen_channels) == (
        "baibi@example.cn",
        "+8613800138000",
        ["email", "webhook"],
    )
    bad = client.post(
        f"/admin/users/{officer.id}/edit",
        data={
            "role": "township_officer",
            "unit_code": "410522100000",
            "display_name": "改了",
            "email": "nope",
            "channels": ["email"],
        },
    )
    assert bad.status_code == 422
    assert 'data-field="email"' in bad.get_data(as_text=True)
    user = fresh(officer)
    assert user.email == "baibi@example.cn" and user.display_name == ""


def test_the_outbox_page_is_for_admins_and_their_area(client, world, login, make):
    officer = fresh(world.township_officer)
    officer.notify_channels = "webhook"
    db.session.commit()
    make.case(world.mediator, people_involved=30)
    delivery = db.session.scalars(select(Delivery)).one()
    login(world.county_officer)
    assert client.get("/admin/deliveries").status_code == 403
    assert client.post(f"/admin/deliveries/{delivery.id}/retry").status_code == 403
    client.post("/logout")
    login(world.admin)
    page = client.get("/admin/deliveries").get_data(as_text=True)
    assert "通知发送" in page and delivery.uid in page and "待发送" in page
    assert client.post("/admin/deliveries/99999/retry").status_code == 404


def test_enqueue_without_rows_or_channels_does_nothing(app, world):
    assert enqueue([], dt.datetime.now(dt.UTC)) == 0
