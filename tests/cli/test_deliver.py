"""`flask deliver` against real receivers on 127.0.0.1: a webhook receiver (generic, WeCom,
DingTalk with its signature checked by the receiver's own code) and an SMTP server. Every
notice arrives once per distinct id; a receiver down for a while gets everything once it is
back and the backoff has passed; a deliverer killed between sending and recording loses
nothing and repeats only ids already received; quiet hours hold what is not urgent."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mediation.domain.enums import Role
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Delivery, DeliveryAttempt, Notification, User
from mediation.services import supervision
from mediation.services.outbox import MAX_ATTEMPTS
from mediation.services.workflow import Context
from tests.factories import TZ
from tests.receivers import SmtpReceiver, WebhookReceiver, dingtalk_signature_ok

ROOT = Path(__file__).resolve().parents[2]
SECRET = "SECabc123+/="
# Monday 7 December 2026, 10:00 local: a working morning.
MONDAY_10 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=TZ)


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp():
    receiver = SmtpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def app_config(webhook, smtp):
    return {
        "NOTIFY_CHANNELS": "inbox,email,webhook",
        "WEBHOOK_URL": webhook.url,
        "WEBHOOK_KIND": "generic",
        "WEBHOOK_SECRET": SECRET,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp.port,
        "MAIL_FROM": "fengqiao@county.example",
    }


def choose(user: User, channels: str, email: str | None = None, locale: str | None = None):
    user = db.session.get(User, user.id)
    user.notify_channels, user.email, user.locale = channels, email, locale
    db.session.commit()


def deliver(runner, at: dt.datetime) -> dict:
    result = runner.invoke(args=["deliver", "--now", at.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def uids() -> set[str]:
    return set(db.session.scalars(select(Delivery.uid)))


def major_case(make, world, at: dt.datetime, **fields):
    """A major case (30 people) registered by the village mediator: its township's and
    county's officers are told at once (urgent)."""
    return make.case(world.mediator, now=at, people_involved=30, **fields)


def big_case(make, world, at: dt.datetime):
    """A big case (6 people): its township's officers are told; not urgent."""
    return make.case(world.mediator, now=at, people_involved=6)


def test_generic_webhook_each_notice_once_with_the_contract_body(runner, make, world, webhook):
    choose(world.township_officer, "webhook")
    choose(world.county_officer, "webhook")
    case = major_case(make, world, MONDAY_10)
    queued = db.session.scalars(select(Delivery)).all()
    # Queued in the registration's own transaction: one per officer told, by the webhook.
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.case_id == case.id)
    ).all()
    assert sorted(d.user_id for d in queued) == sorted(told)
    assert {d.channel for d in queued} == {"webhook"} and len(queued) == 2

    assert deliver(runner, MONDAY_10 + dt.timedelta(minutes=1)) == {
        "sent": 2,
        "failed": 0,
        "waiting": 0,
    }
    assert deliver(runner, MONDAY_10 + dt.timedelta(hours=1))["sent"] == 0
    assert len(webhook.received) == 2 and set(webhook.ids()) == uids()
    for item in webhook.received:
        assert set(item.body) == {
            "id",
            "kind",
            "case_id",
            "case_number",
            "unit_code",
            "occurred_at",
            "text",
        }
        assert item.body["kind"] == "major_case_registered"
        assert item.body["case_id"] == case.id and item.body["case_number"] == case.number
        assert item.body["unit_code"] == "410522100201"
        assert dt.datetime.fromisoformat(item.body["occurred_at"]) == MONDAY_10
        assert case.number in item.body["text"]
        assert item.headers["X-Fengqiao-Delivery"] == item.body["id"]
        assert "sign" not in item.query  # only DingTalk is signed
    attempts = db.session.scalars(select(DeliveryAttempt)).all()
    assert len(attempts) == 2 and all(a.is_ok and a.error is None for a in attempts)


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
def test_robot_text_message_names_case_and_id(app, runner, make, world, webhook, kind):
    app.config["WEBHOOK_KIND"] = kind
    choose(world.county_officer, "webhook", locale="en")
    choose(world.township_officer, "webhook")
    case = major_case(make, world, MONDAY_10)
    before = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    assert deliver(runner, MONDAY_10)["sent"] == 2
    after = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    assert set(webhook.ids()) == uids()
    contents = []
    for item in webhook.received:
        assert set(item.body) == {"msgtype", "text"} and item.body["msgtype"] == "text"
        assert set(item.body["text"]) == {"content"}
        contents.append(item.body["text"]["content"])
        assert case.number in item.body["text"]["content"]
        if kind == "dingtalk":
            assert item.query["access_token"] == "t0k"
            assert before <= int(item.query["timestamp"]) <= after
            assert dingtalk_signature_ok(SECRET, item.query)
            assert not dingtalk_signature_ok(SECRET + "x", item.query)
        else:
            assert set(item.query) == {"access_token"}
    # Each in its recipient's language.
    assert any("Major case registered" in text for text in contents)
    assert any("重大纠纷登记" in text for text in contents)


def test_robot_errcode_is_a_failure(app, runner, make, world, webhook):
    app.config["WEBHOOK_KIND"] = "wecom"
    webhook.answer = b'{"errcode": 93000, "errmsg": "invalid webhook url"}'
    choose(world.county_officer, "webhook")
    major_case(make, world, MONDAY_10)
    assert deliver(runner, MONDAY_10) == {"sent": 0, "failed": 1, "waiting": 1}
    delivery = db.session.scalars(select(Delivery)).one()
    assert "93000" in delivery.last_error and delivery.attempts == 1


def test_email_in_the_recipients_language_with_the_id(runner, make, world, smtp):
    choose(world.county_officer, "email", email="county@example.cn", locale="en")
    choose(world.township_officer, "email,webhook", email="baibi@example.cn")
    choose(world.viewer, "email")  # chose e-mail but has no address: nothing queued
    case = major_case(make, world, MONDAY_10)
    assert deliver(runner, MONDAY_10)["sent"] == 3  # two e-mails, one webhook POST
    assert deliver(runner, MONDAY_10)["sent"] == 0
    by_to = {message["To"]: message for message in smtp.messages}
    assert set(by_to) == {"county@example.cn", "baibi@example.cn"}
    email_ids = {
        d.uid: d.user.email for d in db.session.scalars(select(Delivery)) if d.channel == "email"
    }
    for uid, address in email_ids.items():
        message = by_to[address]
        assert message["Message-ID"] == f"<{uid}@fengqiao>"
        assert message["X-Fengqiao-Delivery"] == uid
        assert message["From"] == "fengqiao@county.example"
        body = message.get_payload(decode=True).decode("utf-8")
        assert case.number in body and uid in body
    assert "Major case registered" in by_to["county@example.cn"]["Subject"]
    assert case.number in by_to["county@example.cn"]["Subject"]
    from email.header import decode_header, make_header

    subject_zh = str(make_header(decode_header(by_to["baibi@example.cn"]["Subject"])))
    assert "重大纠纷登记" in subject_zh


def test_receiver_down_then_back_gets_everything_after_the_backoff(runner, make, world, webhook):
    choose(world.township_officer, "webhook")
    choose(world.county_officer, "webhook")
    major_case(make, world, MONDAY_10)
    major_case(make, world, MONDAY_10 + dt.timedelta(minutes=5), title="第二起")
    webhook.status = 500
    t = MONDAY_10 + dt.timedelta(minutes=6)
    assert deliver(runner, t) == {"sent": 0, "failed": 4, "waiting": 4}
    # Within the backoff nothing is tried again, even with the receiver back.
    webhook.status = 200
    assert deliver(runner, t + dt.timedelta(seconds=59)) == {"sent": 0, "failed": 0, "waiting": 4}
    assert deliver(runner, t + dt.timedelta(minutes=1)) == {"sent": 4, "failed": 0, "waiting": 0}
    assert sorted(webhook.ids()) == sorted(uids())  # each once
    attempts = db.session.execute(
        select(DeliveryAttempt.is_ok, DeliveryAttempt.error, DeliveryAttempt.attempted_at)
    ).all()
    assert sorted(ok for ok, _, _ in attempts) == [False] * 4 + [True] * 4
    assert all("500" in error for ok, error, _ in attempts if not ok)


def test_closed_port_then_failed_after_max_attempts_then_retried_by_the_admin(
    app, runner, make, world, webhook, client, login
):
    choose(world.county_officer, "webhook")
    major_case(make, world, MONDAY_10)
    app.config["WEBHOOK_URL"] = "http://127.0.0.1:9/closed"  # discard port: nobody listens
    t = MONDAY_10
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = deliver(runner, t)
        assert result["failed"] == 1, attempt
        delivery = db.session.scalars(select(Delivery)).one()
        db.session.refresh(delivery)
        assert delivery.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert delivery.status == "pending"
            assert delivery.next_attempt_at == t + dt.timedelta(minutes=2 ** (attempt - 1))
            t = delivery.next_attempt_at
    assert delivery.status == "failed" and "Connection refused" in delivery.last_error
    assert deliver(runner, t + dt.timedelta(days=1)) == {"sent": 0, "failed": 0, "waiting": 0}

    # The admin sees it with its last error and sends it again once the address is fixed.
    login(world.admin)
    page = client.get("/admin/deliveries")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert delivery.uid in html and "Connection refused" in html
    app.config["WEBHOOK_URL"] = webhook.url
    answer = client.post(f"/admin/deliveries/{delivery.id}/retry")
    assert answer.status_code == 302
    assert deliver(runner, dt.datetime.now(dt.UTC))["sent"] == 1
    assert webhook.ids() == [delivery.uid]


def test_quiet_hours_hold_a_big_case_until_the_next_working_morning(runner, make, world, webhook):
    choose(world.township_officer, "webhook")
    choose(world.county_officer, "webhook")
    friday_21 = dt.datetime(2026, 12, 4, 21, 0, tzinfo=TZ)
    big_case(make, world, friday_21)  # township officer told, not urgent
    major = major_case(make, world, friday_21)  # township and county officers, urgent
    assert deliver(runner, friday_21 + dt.timedelta(minutes=1)) == {
        "sent": 2,
        "failed": 0,
        "waiting": 1,
    }
    assert all(item.body["case_id"] == major.id for item in webhook.received)
    # The inbox is never delayed.
    assert db.session.scalar(select(func.count(Notification.id))) == 3
    monday_8 = dt.datetime(2026, 12, 7, 8, 0, tzinfo=TZ)
    assert deliver(runner, monday_8 - dt.timedelta(seconds=1))["sent"] == 0
    assert deliver(runner, monday_8) == {"sent": 1, "failed": 0, "waiting": 0}
    assert len(set(webhook.ids())) == 3


def test_a_holiday_waits_for_the_next_working_day(runner, make, world, webhook):
    choose(world.township_officer, "webhook")
    national_day = dt.datetime(2026, 10, 2, 14, 0, tzinfo=TZ)  # 国庆 holiday afternoon
    big_case(make, world, national_day)
    delivery = db.session.scalars(select(Delivery)).one()
    assert delivery.send_after == dt.datetime(2026, 10, 8, 8, 0, tzinfo=TZ)
    assert deliver(runner, dt.datetime(2026, 10, 7, 12, 0, tzinfo=TZ))["sent"] == 0
    assert deliver(runner, dt.datetime(2026, 10, 8, 8, 0, tzinfo=TZ))["sent"] == 1


def test_violence_risk_goes_at_once(runner, make, world, webhook):
    choose(world.township_officer, "webhook")
    night = dt.datetime(2026, 12, 5, 23, 30, tzinfo=TZ)  # a Saturday night
    make.case(world.mediator, now=night, people_involved=6, risks=["violence"])
    assert deliver(runner, night)["sent"] == 1


def test_nobody_chose_a_channel_queues_nothing(runner, make, world, webhook):
    major_case(make, world, MONDAY_10)
    assert db.session.scalar(select(func.count(Delivery.id))) == 0
    assert deliver(runner, MONDAY_10) == {"sent": 0, "failed": 0, "waiting": 0}


def test_bad_now_is_a_clear_error(runner):
    result = runner.invoke(args=["deliver", "--now", "tomorrow"])
    assert result.exit_code != 0 and "--now" in result.output


def _subprocess_env(app, database_url: str, tmp_path, webhook) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("ID_NUMBER_KEY",)}
    env.update(
        DATABASE_URL=database_url,
        MEDIATION_INSTANCE=app.instance_path,
        MEDIATION_DEMO="0",
        SECRET_KEY="test-secret",
        NOTIFY_CHANNELS="inbox,webhook",
        WEBHOOK_URL=webhook.url,
        WEBHOOK_KIND="generic",
    )
    return env


def test_a_deliverer_killed_mid_delivery_loses_nothing(
    app, runner, make, world, webhook, database_url, tmp_path
):
    for user in (world.township_officer, world.county_officer):
        choose(user, "webhook")
    for n in range(3):
        major_case(make, world, MONDAY_10 + dt.timedelta(minutes=n), title=f"第{n}起")
    assert len(uids()) == 6
    webhook.hold_on = 3  # the third POST is received, then its answer never comes
    at = MONDAY_10 + dt.timedelta(minutes=10)
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "deliver", "--now", at.isoformat()],
        cwd=ROOT,
        env=_subprocess_env(app, database_url, tmp_path, webhook),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert webhook.got_held.wait(60), process.communicate(timeout=5)
        process.kill()
        process.wait(10)
    finally:
        webhook.release.set()
    received_before = webhook.ids()
    assert len(received_before) == 3
    db.session.expire_all()
    sent = db.session.scalar(select(func.count(Delivery.id)).where(Delivery.status == "sent"))
    assert sent == 2  # the third was sent but not recorded

    # Its claim holds for a while (another deliverer would not take it), then expires.
    assert deliver(runner, at + dt.timedelta(minutes=1)) == {"sent": 3, "failed": 0, "waiting": 1}
    assert deliver(runner, at + dt.timedelta(minutes=6)) == {"sent": 1, "failed": 0, "waiting": 0}
    ids = webhook.ids()
    assert set(ids) == uids()  # nothing lost
    repeats = [uid for n, uid in enumerate(ids) if uid in ids[:n]]
    assert repeats == [received_before[2]]  # the one repeat carries an id already received


def test_two_deliverers_at_once_never_send_a_row_twice(
    app, runner, make, world, webhook, database_url, tmp_path
):
    for user in (world.township_officer, world.county_officer):
        choose(user, "webhook")
    for n in range(10):
        major_case(make, world, MONDAY_10 + dt.timedelta(minutes=n), title=f"第{n}起")
    at = MONDAY_10 + dt.timedelta(minutes=30)
    env = _subprocess_env(app, database_url, tmp_path, webhook)
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "app",
        "deliver",
        "--now",
        at.isoformat(),
        "--json",
    ]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [json.loads(p.communicate(timeout=120)[0]) for p in processes]
    assert sum(r["sent"] for r in results) == 20
    assert sorted(webhook.ids()) == sorted(uids())  # 20 distinct, none twice


def test_enqueue_follows_the_config_not_only_the_choice(app, make, world):
    """A user who chose the webhook on a server that has none gets only the inbox."""
    app.config["NOTIFY_CHANNELS"] = "inbox,email"
    choose(world.county_officer, "webhook")
    major_case(make, world, MONDAY_10)
    assert db.session.scalar(select(func.count(Delivery.id))) == 0
    assert db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == world.county_officer.id)
    )
    assert Role.county_officer is world.county_officer.role


def test_a_flag_the_sweep_raises_is_delivered_with_its_date(runner, make, world, webhook, smtp):
    """The sweep's notices go through the outbox too: the village mediator, told of a case not
    accepted in time, gets it by webhook and e-mail, dated when the fact happened."""
    choose(world.mediator, "webhook,email", email="xipei@example.cn")
    received = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
    case = make.case(world.mediator, now=received)  # small case: nobody above is told
    assert db.session.scalar(select(func.count(Delivery.id))) == 0
    swept = runner.invoke(args=["sweep", "--now", "2026-11-04T08:00:00+08:00", "--json"])
    assert json.loads(swept.output)["raised"] == {"accept_overdue": 1}
    queued = db.session.scalars(select(Delivery)).all()
    assert sorted(d.channel for d in queued) == ["email", "webhook"]
    assert all(d.notification.kind == "accept_overdue" for d in queued)
    # 08:00 on a Wednesday is working time: both go at once.
    result = deliver(runner, dt.datetime(2026, 11, 4, 8, 1, tzinfo=TZ))
    assert result == {"sent": 2, "failed": 0, "waiting": 0}
    (item,) = webhook.received
    assert item.body["kind"] == "accept_overdue" and item.body["case_number"] == case.number
    flag_at = queued[0].notification.flag.occurred_at
    assert dt.datetime.fromisoformat(item.body["occurred_at"]) == flag_at
    (message,) = smtp.messages
    assert message["To"] == "xipei@example.cn"
    assert case.number in message.get_payload(decode=True).decode("utf-8")


def test_the_scheduler_delivers_every_minute(app):
    from mediation import jobs

    scheduler = jobs.build_scheduler(app, background=True)
    job = scheduler.get_job("deliver")
    assert job is not None and job.trigger.interval == dt.timedelta(minutes=1)
    jobs_run = {job.id for job in scheduler.get_jobs()}
    assert jobs_run == {"sweep", "deliver", "freeze_month", "purge_keys"}


@pytest.mark.parametrize(
    "setting, named",
    [
        ({"NOTIFY_QUIET_HOURS": "8pm-8am"}, "NOTIFY_QUIET_HOURS"),
        ({"NOTIFY_QUIET_HOURS": "20:00-20:00"}, "NOTIFY_QUIET_HOURS"),
        ({"WEBHOOK_KIND": "slack"}, "WEBHOOK_KIND"),
        ({"NOTIFY_CHANNELS": "inbox,webhook", "WEBHOOK_URL": None}, "WEBHOOK_URL"),
        ({"NOTIFY_CHANNELS": "inbox,webhook", "WEBHOOK_URL": "ftp://x"}, "WEBHOOK_URL"),
        ({"MAIL_PORT": "0"}, "MAIL_PORT"),
        ({"MAIL_USE_TLS": "maybe"}, "MAIL_USE_TLS"),
    ],
)
def test_a_bad_notification_setting_stops_start_up_naming_it(tmp_path, setting, named):
    from mediation import create_app
    from mediation.config import ConfigError

    config = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "MEDIATION_DEMO": False}
    with pytest.raises(ConfigError) as raised:
        create_app({**config, **setting}, instance_path=str(tmp_path / "instance"))
    assert str(raised.value).startswith(named)


def test_settings_from_the_environment(tmp_path, monkeypatch):
    from mediation import config

    monkeypatch.setenv("NOTIFY_CHANNELS", "inbox,webhook")
    monkeypatch.setenv("WEBHOOK_URL", "https://oapi.dingtalk.com/robot/send?access_token=x")
    monkeypatch.setenv("WEBHOOK_KIND", "dingtalk")
    monkeypatch.setenv("MAIL_PORT", "587")
    monkeypatch.setenv("MAIL_USE_TLS", "1")
    monkeypatch.setenv("NOTIFY_QUIET_HOURS", "")
    loaded = config.load(str(tmp_path))
    assert loaded["NOTIFY_CHANNELS"] == "inbox,webhook" and loaded["WEBHOOK_KIND"] == "dingtalk"
    assert loaded["MAIL_PORT"] == 587 and loaded["MAIL_USE_TLS"] is True
    assert loaded["NOTIFY_QUIET_HOURS"] == "20:00-08:00"  # empty in the environment: not set


def test_a_supervision_notice_reaches_the_holder_by_webhook(runner, make, world, webhook):
    """督办 goes to the mediator of the village holding the case by the channel she chose,
    like any other notice."""
    choose(world.mediator, "webhook")
    case = make.case(world.mediator, now=MONDAY_10)
    issued_at = MONDAY_10 + dt.timedelta(hours=1)
    supervision.issue(
        world.township_officer,
        case,
        {"instruction": "三日内化解，报告进展。", "due_working_days": 3},
        ctx=Context.build(issued_at, Policy(), TZ),
    )
    db.session.commit()
    assert deliver(runner, issued_at + dt.timedelta(minutes=1))["sent"] == 1
    (item,) = webhook.received
    assert item.body["kind"] == "supervision" and item.body["case_number"] == case.number
    assert item.body["text"]


def digest_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- ")]


def test_a_daily_digest_sends_a_days_notices_in_one_message_the_next_morning(
    runner, make, world, webhook, smtp
):
    """The township officer takes the notices that are not urgent once a day, by e-mail and
    webhook: Monday's big cases come in one message each on Tuesday at 08:00; a major case
    still goes at once."""
    choose(world.township_officer, "email,webhook", email="baibi@example.cn")
    officer = db.session.get(User, world.township_officer.id)
    officer.notify_digest = True
    db.session.commit()
    first = big_case(make, world, MONDAY_10)
    major = major_case(make, world, MONDAY_10 + dt.timedelta(hours=1))
    second = big_case(make, world, MONDAY_10 + dt.timedelta(hours=5))
    assert deliver(runner, MONDAY_10 + dt.timedelta(hours=6)) == {
        "sent": 2,  # the major case, by e-mail and webhook
        "failed": 0,
        "waiting": 4,
    }
    assert [item.body["case_id"] for item in webhook.received] == [major.id]
    tuesday_8 = dt.datetime(2026, 12, 8, 8, 0, tzinfo=TZ)
    assert deliver(runner, tuesday_8 - dt.timedelta(seconds=1))["sent"] == 0
    assert deliver(runner, tuesday_8) == {"sent": 4, "failed": 0, "waiting": 0}
    assert deliver(runner, tuesday_8 + dt.timedelta(days=1))["sent"] == 0

    digests = {
        channel: sorted(
            db.session.scalars(
                select(Delivery).where(Delivery.is_digest.is_(True), Delivery.channel == channel)
            ),
            key=lambda d: d.id,
        )
        for channel in ("email", "webhook")
    }
    assert all(
        len(group) == 2 and {d.status for d in group} == {"sent"} for group in digests.values()
    )
    (posted,) = webhook.received[1:]
    assert posted.body["kind"] == "digest" and posted.body["id"] == digests["webhook"][0].uid
    lines = digest_lines(posted.body["text"])
    assert len(lines) == 2
    assert first.number in lines[0] and second.number in lines[1]  # oldest first
    assert lines[0].startswith("- 2026-12-07 10:00") and lines[1].startswith("- 2026-12-07 15:00")
    assert "2026-12-08" in posted.body["text"].splitlines()[0]
    digest_mail = smtp.messages[-1]
    assert len(smtp.messages) == 2  # the major case's e-mail, then the digest
    assert digest_mail["Message-ID"] == f"<{digests['email'][0].uid}@fengqiao>"
    body = digest_mail.get_payload(decode=True).decode("utf-8")
    assert first.number in body and second.number in body and major.number not in body


def test_a_digest_that_failed_goes_again_whole_with_the_same_id(runner, make, world, webhook):
    choose(world.township_officer, "webhook")
    officer = db.session.get(User, world.township_officer.id)
    officer.notify_digest = True
    db.session.commit()
    for hours in (0, 1, 2):
        big_case(make, world, MONDAY_10 + dt.timedelta(hours=hours))
    tuesday_8 = dt.datetime(2026, 12, 8, 8, 0, tzinfo=TZ)
    webhook.status = 500
    assert deliver(runner, tuesday_8) == {"sent": 0, "failed": 3, "waiting": 3}
    webhook.status = 200
    assert deliver(runner, tuesday_8 + dt.timedelta(minutes=1)) == {
        "sent": 3,
        "failed": 0,
        "waiting": 0,
    }
    (posted,) = webhook.received
    assert len(digest_lines(posted.body["text"])) == 3
    first = db.session.scalars(select(Delivery).order_by(Delivery.id)).first()
    assert posted.body["id"] == first.uid
    attempts = db.session.scalars(select(DeliveryAttempt)).all()
    assert sorted(a.is_ok for a in attempts) == [False] * 3 + [True] * 3
