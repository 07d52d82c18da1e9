"""Telling people about new flags. Channels are chosen by configuration (NOTIFY_CHANNELS):
``inbox`` (the in-app inbox), ``log``, or ``package.module:Class`` for one added later (SMS,
DingTalk, WeChat Work) with the same ``send`` method — no code change needed here."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from typing import Iterable, Protocol

from ..extensions import db
from ..models import Flag, Notification, User

log = logging.getLogger("mediation.notify")


class Channel(Protocol):
    def send(self, users: list[User], flag: Flag, now: dt.datetime) -> None: ...


class InboxChannel:
    """One unread inbox entry per user."""

    def send(self, users: list[User], flag: Flag, now: dt.datetime) -> None:
        for user in users:
            db.session.add(Notification(user_id=user.id, flag_id=flag.id, created_at=now))


class LogChannel:
    def send(self, users: list[User], flag: Flag, now: dt.datetime) -> None:
        log.info(
            "flag %s %s case=%s unit=%s → %s",
            flag.kind.value, flag.level.value, flag.case_id, flag.unit_id,
            ", ".join(user.username for user in users) or "nobody",
        )


BUILT_IN = {"inbox": InboxChannel, "log": LogChannel}


class Notifier:
    def __init__(self, channels: Iterable[Channel]):
        self.channels = list(channels)

    @classmethod
    def from_config(cls, names: str | Iterable[str]) -> Notifier:
        if isinstance(names, str):
            names = [name.strip() for name in names.split(",") if name.strip()]
        return cls(_channel(name) for name in names)

    def notify(self, users: list[User], flag: Flag, now: dt.datetime) -> None:
        for channel in self.channels:
            channel.send(users, flag, now)


def _channel(name: str) -> Channel:
    if name in BUILT_IN:
        return BUILT_IN[name]()
    module, _, attribute = name.partition(":")
    if not attribute:
        raise ValueError(f"NOTIFY_CHANNELS: unknown channel {name!r}")
    return getattr(importlib.import_module(module), attribute)()
