"""The inbox: what each user was told (flags and news of big and major cases), read and
unread. Scoped by :func:`access.inbox`: an entry about something that left the user's area is
gone for him."""

from __future__ import annotations

import datetime as dt
import functools

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import ColumnElement, Select, and_, exists, func, not_, or_, update
from sqlalchemy.orm import aliased

from ..domain.enums import CaseNews, FlagKind
from ..extensions import db
from ..models import Flag, Notification, User
from . import access


def inbox_query(user: User, *, unread_only: bool = False) -> Select[tuple[Notification]]:
    """The user's entries, newest first, without the settle warnings that ask nothing more
    (:func:`_settled_warning`)."""
    query = access.inbox(user).where(not_(_settled_warning()))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


@functools.cache
def _settled_warning() -> ColumnElement[bool]:
    """An entry about a settle warning already cleared, or followed by the breach of the same
    level's clock: the case concluded or left that level, or its breach is told in its own
    entry, so it asks nothing more of anyone (a warning raised and cleared within a minute
    would otherwise fill the inbox). The same for every user, so built once: every page's
    header counts with it."""
    breach = aliased(Flag)
    superseded = exists().where(
        breach.case_id == Flag.case_id,
        breach.level == Flag.level,
        breach.kind == FlagKind.settle_breached,
        breach.occurred_at >= Flag.occurred_at,
    )
    return and_(
        Notification.flag_id.is_not(None),  # case news has no flag: never left out
        Flag.kind == FlagKind.settle_warning,
        or_(Flag.cleared_at.is_not(None), superseded),
    )


def inbox_page(user: User, *, unread_only: bool, page: int, per_page: int) -> SelectPagination:
    return db.paginate(
        inbox_query(user, unread_only=unread_only), page=page, per_page=per_page, error_out=False
    )


def unread_count(user: User) -> int:
    """The number in the header: one indexed COUNT."""
    query = inbox_query(user, unread_only=True).order_by(None)
    return db.session.scalar(query.with_only_columns(func.count(Notification.id))) or 0


def find_notification(user: User, notification_id: int) -> Notification | None:
    """The user's own entry with this id, else None (the caller answers 404)."""
    return db.session.scalar(access.inbox(user).where(Notification.id == notification_id))


def mark_read(notification: Notification, now: dt.datetime) -> None:
    """Read stays read: the first reading's instant is kept."""
    notification.read_at = notification.read_at or now


def mark_all_read(user: User, now: dt.datetime) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
    )


def kind_of(notification: Notification) -> FlagKind | CaseNews:
    """What the entry is about: a flag's kind or a case's news."""
    return FlagKind.parse(notification.kind) or CaseNews(notification.kind)
