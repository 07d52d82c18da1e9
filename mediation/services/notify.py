"""Telling people about new flags. Channels are chosen by configuration (NOTIFY_CHANNELS):
``inbox`` (the in-app inbox), ``log``, or ``package.module:Class`` for one added later (SMS,
DingTalk, WeChat Work) with the same ``send`` method — no code change needed here."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from typing import Iterable, Protocol

from sqlalchemy import select

from ..domain.enums import Level, Role
from ..domain.flags import FlagKind
from ..domain.workflow import HANDLER
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


def notify_flags(flags: list[Flag], notifier: Notifier, now: dt.datetime) -> None:
    """Tell each new flag to who can act on it: the mediators of its village; for a case, the
    officers of the unit holding it; for a unit's flag above the village level, or a petition
    pushed up (矛盾上交), also the officers of the flag's level over the village (its township or
    county). One query for all the recipients."""
    if not flags:
        return
    wanted = {flag.id: _handlers(flag) for flag in flags}
    unit_ids = {flag.unit_id for flag in flags} | {
        unit_id for handlers in wanted.values() for unit_id, _ in handlers
    }
    users = db.session.scalars(
        select(User).where(User.unit_id.in_(unit_ids), User.is_enabled.is_(True),
                           User.role.in_(list(HANDLER.values())))
    ).all()
    by_unit: dict[int, list[User]] = {}
    for user in users:
        by_unit.setdefault(user.unit_id, []).append(user)
    for flag in flags:
        recipients = {u.id: u for u in by_unit.get(flag.unit_id, []) if u.role is Role.mediator}
        for unit_id, role in wanted[flag.id]:
            recipients.update({u.id: u for u in by_unit.get(unit_id, []) if u.role is role})
        notifier.notify(list(recipients.values()), flag, now)


def _handlers(flag: Flag) -> list[tuple[int, Role]]:
    """(unit, role) of the officers told about ``flag`` besides the village's mediators."""
    handlers = []
    if flag.case is not None:
        handlers.append((flag.case.holder_id, HANDLER[flag.case.level]))
    if flag.level is not Level.village and (flag.case is None or flag.kind is FlagKind.pushed_up):
        above = flag.township_id if flag.level is Level.township else flag.county_id
        if above is not None:
            handlers.append((above, HANDLER[flag.level]))
    return handlers


def _channel(name: str) -> Channel:
    if name in BUILT_IN:
        return BUILT_IN[name]()
    module, _, attribute = name.partition(":")
    if not attribute:
        raise ValueError(f"NOTIFY_CHANNELS: unknown channel {name!r}")
    return getattr(importlib.import_module(module), attribute)()
