"""Telling people about new flags. Channels are chosen by configuration (NOTIFY_CHANNELS):
``inbox`` (the in-app inbox), ``log``, or ``package.module:Class`` handed each batch with the
same ``send`` method. The channels that reach people off the site (``email``, ``webhook``, a
``package.module.Class`` outbox channel) go through the outbox: every inbox entry is queued
for them in the same transaction (services/outbox.py), and ``deliver`` sends it.

A channel is handed a whole batch at once: each new flag as a :class:`Notice` with the users
to tell (:class:`Recipient`), plain values rather than database objects, so that the sweep can
tell ten thousand flags without loading them."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import and_, select
from sqlalchemy import or_ as sa_or

from ..domain.enums import CaseNews, FlagKind, Level, Role, Scale
from ..domain.workflow import HANDLER
from ..extensions import db
from ..models import Case, Flag, Notification, User
from ..platform.database import insert_rows
from .channels import is_outbox_channel
from .outbox import enqueue

log = logging.getLogger("mediation.notify")


@dataclass(frozen=True, slots=True)
class Notice:
    """A new flag as the channels see it; for a case's flag, the unit and level holding it."""

    flag_id: int
    kind: FlagKind
    level: Level
    unit_id: int
    township_id: int | None
    county_id: int | None
    case_id: int | None = None
    holder_id: int | None = None
    case_level: Level | None = None

    @classmethod
    def of(cls, flag: Flag) -> Notice:
        case = flag.case
        return cls(
            flag.id,
            flag.kind,
            flag.level,
            flag.unit_id,
            flag.township_id,
            flag.county_id,
            flag.case_id,
            case.holder_id if case else None,
            case.level if case else None,
        )


@dataclass(frozen=True, slots=True)
class Recipient:
    id: int
    username: str
    role: Role
    unit_id: int


Batch = list[tuple[Notice, list[Recipient]]]


class Channel(Protocol):
    def send(self, batch: Batch, now: dt.datetime) -> None: ...


class InboxChannel:
    """One unread inbox entry per user: one statement for the batch."""

    def send(self, batch: Batch, now: dt.datetime) -> None:
        rows = [
            {
                "user_id": user.id,
                "kind": notice.kind.value,
                "flag_id": notice.flag_id,
                "case_id": notice.case_id,
                "created_at": now,
            }
            for notice, users in batch
            for user in users
        ]
        insert_rows(Notification.__table__, rows)
        enqueue(rows, now)


class LogChannel:
    """A line per batch (how many flags of each kind, how many people told); a line per flag
    at DEBUG: a day's backlog of ten thousand flags should not flood the log."""

    def send(self, batch: Batch, now: dt.datetime) -> None:
        if not batch:
            return
        kinds = Counter(notice.kind.value for notice, _ in batch)
        log.info(
            "%d new flags (%s), %d people told",
            len(batch),
            ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())),
            len({user.id for _, users in batch for user in users}),
        )
        if log.isEnabledFor(logging.DEBUG):
            for notice, users in batch:
                log.debug(
                    "flag %s %s case=%s unit=%s → %s",
                    notice.kind.value,
                    notice.level.value,
                    notice.case_id,
                    notice.unit_id,
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
        # Channels sending off the site go through the outbox (queued by the inbox channel).
        return cls(_channel(name) for name in names if not is_outbox_channel(name))

    def notify(self, batch: Batch, now: dt.datetime) -> None:
        for channel in self.channels:
            channel.send(batch, now)


def notify_flags(flags: list[Flag], notifier: Notifier, now: dt.datetime) -> None:
    """Tell each new flag (flushed, so it has its id) to who can act on it."""
    notify([Notice.of(flag) for flag in flags], notifier, now)


def notify(notices: list[Notice], notifier: Notifier, now: dt.datetime) -> None:
    """Tell each new flag to who can act on it: the mediators of its village; for a case, the
    officers of the unit holding it; for a unit's flag above the village level, or a petition
    pushed up (矛盾上交), also the officers of the flag's level over the village (its township or
    county). One query for all the recipients."""
    if not notices:
        return
    wanted = [_handlers(notice) for notice in notices]
    unit_ids = {notice.unit_id for notice in notices} | {
        unit_id for handlers in wanted for unit_id, _ in handlers
    }
    rows = db.session.execute(
        select(User.id, User.username, User.role, User.unit_id)
        .where(
            User.unit_id.in_(unit_ids),
            User.is_enabled.is_(True),
            User.role.in_(list(HANDLER.values())),
        )
        .order_by(User.id)
    ).all()
    people: dict[tuple[int, Role], list[Recipient]] = {}
    for row in rows:
        people.setdefault((row.unit_id, row.role), []).append(Recipient(*row))
    batch = []
    for notice, handlers in zip(notices, wanted):
        groups = [people.get(key, ()) for key in [(notice.unit_id, Role.mediator), *handlers]]
        told = {user.id: user for group in groups for user in group}  # a village case's
        batch.append((notice, list(told.values())))  # handlers are its mediators
    notifier.notify(batch, now)


def _handlers(notice: Notice) -> list[tuple[int, Role]]:
    """(unit, role) of the officers told about a flag besides the village's mediators."""
    handlers = []
    if notice.case_id is not None:
        handlers.append((notice.holder_id, HANDLER[notice.case_level]))
    if notice.level is not Level.village and (
        notice.case_id is None or notice.kind is FlagKind.pushed_up
    ):
        above = notice.township_id if notice.level is Level.township else notice.county_id
        if above is not None:
            handlers.append((above, HANDLER[notice.level]))
    return handlers


def tell_case_news(case: Case, news: CaseNews, now: dt.datetime, actor: User | None = None) -> int:
    """Tell the officers above a case what they must know of it at once, in their inbox:
    a big case registered tells its township's officers, a major case also its county's; a
    major case reported tells the county's. The actor is not told his own deed. Returns how
    many were told."""
    if news is CaseNews.major_case_reported:
        units = [(case.county_id, Role.county_officer)]
    else:
        units = [(case.township_id, Role.township_officer)]
        if news is CaseNews.major_case_registered:
            units.append((case.county_id, Role.county_officer))
    people = db.session.scalars(
        select(User.id)
        .where(
            sa_or(*(and_(User.unit_id == unit_id, User.role == role) for unit_id, role in units)),
            User.is_enabled.is_(True),
        )
        .order_by(User.id)
    ).all()
    rows = [
        {
            "user_id": user_id,
            "kind": news.value,
            "flag_id": None,
            "case_id": case.id,
            "created_at": now,
        }
        for user_id in people
        if actor is None or user_id != actor.id
    ]
    insert_rows(Notification.__table__, rows)
    enqueue(rows, now)
    log.info("%s %s: %d people told", news.value, case.number, len(rows))
    return len(rows)


def registration_news(case: Case) -> CaseNews | None:
    """What registering this case tells the levels above: nothing for a small case."""
    if case.scale is Scale.major:
        return CaseNews.major_case_registered
    if case.scale is Scale.big:
        return CaseNews.big_case_registered
    return None


def _channel(name: str) -> Channel:
    if name in BUILT_IN:
        return BUILT_IN[name]()
    module, _, attribute = name.partition(":")
    if not attribute:
        raise ValueError(f"NOTIFY_CHANNELS: unknown channel {name!r}")
    return getattr(importlib.import_module(module), attribute)()


def holders_of(case_level: Level, holder_id: int) -> tuple[int, Role]:
    """The (unit, role) of the people handling a case held by ``holder_id`` at ``case_level``:
    the village's mediators, or the holding township's or county's officers."""
    return holder_id, HANDLER[case_level]


def tell_units(
    news: CaseNews,
    items: Iterable[tuple[int, list[tuple[int, Role]]]],
    now: dt.datetime,
    actor_id: int | None = None,
) -> int:
    """Case news for the users of each (unit, role), an inbox entry each: ``items`` pairs a
    case id with those units. Supervision notices, their reminders and circulations and merged
    duplicates go this way. The actor is not told his own deed. One query for all recipients,
    one insert. Returns how many entries were written."""
    items = list(items)
    units = {unit for _, wanted in items for unit in wanted}
    if not units:
        return 0
    people: dict[tuple[int, Role], list[int]] = {}
    for user_id, unit_id, role in db.session.execute(
        select(User.id, User.unit_id, User.role)
        .where(
            sa_or(*(and_(User.unit_id == unit_id, User.role == role) for unit_id, role in units)),
            User.is_enabled.is_(True),
        )
        .order_by(User.id)
    ):
        people.setdefault((unit_id, role), []).append(user_id)
    rows = []
    for case_id, wanted in items:
        told = dict.fromkeys(user for unit in wanted for user in people.get(unit, ()))
        rows += [
            {
                "user_id": user_id,
                "kind": news.value,
                "flag_id": None,
                "case_id": case_id,
                "created_at": now,
            }
            for user_id in told
            if user_id != actor_id
        ]
    insert_rows(Notification.__table__, rows)
    enqueue(rows, now)
    log.info("%s: %d people told", news.value, len(rows))
    return len(rows)
