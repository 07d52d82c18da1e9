"""The channels that carry a notice off the site: e-mail over SMTP and a webhook (a generic
JSON POST, or the WeCom or DingTalk group robot), and any class named by its dotted path.

A channel is built once per ``deliver`` run with the app's configuration and is handed one
:class:`Outgoing` at a time; ``send`` returns when the notice has gone and raises on failure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

BUILT_IN_OUTBOX = ("email", "webhook")
TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A notice as a channel sends it, already in the recipient's language. ``id`` is the
    delivery's stable id: the same on every attempt."""

    id: str
    kind: str
    case_id: int | None
    case_number: str | None
    unit_code: str
    occurred_at: str  # ISO 8601 with offset
    text: str  # one line: what happened, to which case (number) or village
    subject: str
    body: str
    recipient_name: str
    email: str | None
    phone: str | None


class Channel(Protocol):
    def send(self, delivery: Outgoing) -> None: ...


class ChannelError(Exception):
    """A send that did not go (the receiver refused it, or it cannot be sent as addressed)."""


def is_outbox_channel(name: str) -> bool:
    """``email``, ``webhook`` or a dotted class path (not the ``module:Class`` of a batch
    channel, nor ``inbox``/``log``)."""
    return name in BUILT_IN_OUTBOX or ("." in name and ":" not in name)


def outbox_channels(config: Mapping[str, Any]) -> list[str]:
    names = [name.strip() for name in str(config["NOTIFY_CHANNELS"]).split(",")]
    return [name for name in names if name and is_outbox_channel(name)]


def channel_label(name: str) -> str:
    """The message id naming a channel on the settings pages (a custom one: its path)."""
    from ..domain.i18n import N_

    return {"email": N_("E-mail"), "webhook": N_("Work group robot (webhook)")}.get(name, name)


def load_channel(name: str, config: Mapping[str, Any]) -> Channel:
    if name == "email":
        return EmailChannel(config)
    if name == "webhook":
        return WebhookChannel(config)
    module, _, attribute = name.rpartition(".")
    return getattr(importlib.import_module(module), attribute)(config)


class EmailChannel:
    """One e-mail to the recipient's address; the delivery id is its Message-ID and the
    ``X-Fengqiao-Delivery`` header."""

    def __init__(self, config: Mapping[str, Any]):
        self.server = config["MAIL_SERVER"]
        self.port = int(config["MAIL_PORT"])
        self.use_tls = bool(config["MAIL_USE_TLS"])
        self.username = config["MAIL_USERNAME"]
        self.password = config["MAIL_PASSWORD"]
        self.sender = config["MAIL_FROM"]

    def send(self, delivery: Outgoing) -> None:
        if not delivery.email:
            raise ChannelError("the recipient has no e-mail address")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = delivery.email
        message["Subject"] = delivery.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{delivery.id}@fengqiao>"
        message["X-Fengqiao-Delivery"] = delivery.id
        message.set_content(delivery.body)
        with smtplib.SMTP(self.server, self.port, timeout=TIMEOUT_SECONDS) as smtp:
            if self.use_tls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature: URL-encoded base64 of HMAC-SHA256 with the secret as key
    over ``"<timestamp>\\n<secret>"``."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def webhook_body(kind: str, delivery: Outgoing) -> dict:
    if kind == "generic":
        return {
            "id": delivery.id,
            "kind": delivery.kind,
            "case_id": delivery.case_id,
            "case_number": delivery.case_number,
            "unit_code": delivery.unit_code,
            "occurred_at": delivery.occurred_at,
            "text": delivery.text,
        }
    return {"msgtype": "text", "text": {"content": delivery.body}}


class WebhookChannel:
    """A POST of JSON to WEBHOOK_URL in the WEBHOOK_KIND form; a status other than 2xx, or a
    robot's non-zero ``errcode``, is a failure."""

    def __init__(self, config: Mapping[str, Any]):
        self.url = config["WEBHOOK_URL"]
        self.kind = config["WEBHOOK_KIND"]
        self.secret = config["WEBHOOK_SECRET"]

    def url_for_now(self) -> str:
        if self.kind != "dingtalk" or not self.secret:
            return self.url
        timestamp = int(time.time() * 1000)  # DingTalk refuses a timestamp an hour off
        joiner = "&" if "?" in self.url else "?"
        sign = dingtalk_sign(self.secret, timestamp)
        return f"{self.url}{joiner}timestamp={timestamp}&sign={sign}"

    def send(self, delivery: Outgoing) -> None:
        data = json.dumps(webhook_body(self.kind, delivery), ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.url_for_now(),
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Fengqiao-Delivery": delivery.id,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                answer = response.read()
        except urllib.error.HTTPError as error:
            raise ChannelError(f"HTTP {error.code} from the webhook") from None
        if self.kind in ("wecom", "dingtalk") and answer:
            try:
                errcode = json.loads(answer).get("errcode", 0)
            except (ValueError, AttributeError):
                return
            if errcode:
                raise ChannelError(f"the robot answered errcode {errcode}")
