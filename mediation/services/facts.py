"""Recording the facts of docs/rules.md#flags: one flag record per fact, by its key.

A fact found again (by a later sweep, or by an action that brings its case up to date first)
is the same record: it is inserted if absent and its dates are never updated afterwards.
Clearing only sets ``cleared_at``. The action or sweep that finds a fact and the one that
clears it both go through here, in their own transaction; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from werkzeug.exceptions import NotFound

from ..domain.enums import FlagKind, Level
from ..domain.flags import Fact, screening_key
from ..domain.i18n import N_, Message
from ..domain.months import Month
from ..extensions import db
from ..models import Flag, User
from ..platform.database import chunks, insert_new, update_rows
from . import access
from .notify import Notice
from .scorecard import in_month

_flags = Flag.__table__


class CaseLike(Protocol):
    id: int
    village_id: int
    township_id: int
    county_id: int
    holder_id: int
    level: object


@dataclass(slots=True)
class Found:
    """A fact of a case, and when it was cleared if that happened in the same change."""

    case: CaseLike
    fact: Fact
    cleared_at: dt.datetime | None = None


def missing_screening(
    village_id: int,
    township_id: int | None,
    county_id: int | None,
    period: str,
    *,
    due_at: dt.datetime,
    now: dt.datetime,
) -> Flag:
    """The record of a village's screening report for ``period`` missing at its deadline:
    dated at ``due_at``, found ``now``."""
    return Flag(
        key=screening_key(village_id, period),
        kind=FlagKind.screening_missing,
        unit_id=village_id,
        township_id=township_id,
        county_id=county_id,
        level=Level.village,
        period=period,
        occurred_at=due_at,
        raised_at=now,
        cleared_at=None,
    )


def record(found: Iterable[Found], now: dt.datetime) -> tuple[list[Found], list[Notice]]:
    """Insert the facts not on record yet (raised ``now``). Returns those, and a notice for
    each new one still open, for the people who can act on it (a warning cleared by the same
    change tells nobody)."""
    unique: dict[str, Found] = {}
    for item in found:
        unique.setdefault(item.fact.key, item)
    ids = insert_new(
        _flags,
        [
            {
                "key": key,
                "kind": item.fact.kind,
                "case_id": item.case.id,
                "unit_id": item.case.village_id,
                "township_id": item.case.township_id,
                "county_id": item.case.county_id,
                "level": item.fact.level,
                "occurred_at": item.fact.occurred_at,
                "raised_at": now,
                "cleared_at": item.cleared_at,
            }
            for key, item in unique.items()
        ],
        key="key",  # a fact on record already (or found by a concurrent change) stands
    )
    new = [item for key, item in unique.items() if key in ids]
    return new, [
        Notice(
            ids[item.fact.key],
            item.fact.kind,
            item.fact.level,
            item.case.village_id,
            item.case.township_id,
            item.case.county_id,
            item.case.id,
            item.case.holder_id,
            item.case.level,
        )
        for item in new
        if item.cleared_at is None
    ]


def clear(keys: Iterable[tuple[str, dt.datetime]]) -> list[str]:
    """Clear the open flags of these keys, each at its instant (when its clock stopped).
    Returns the keys of the flags cleared."""
    at = dict(keys)
    open_keys = [
        key
        for chunk in chunks(list(at))
        for key in db.session.scalars(
            select(_flags.c.key).where(_flags.c.key.in_(chunk), _flags.c.cleared_at.is_(None))
        )
    ]
    update_rows(
        _flags,
        [({"key": key}, {"cleared_at": at[key]}) for key in open_keys],
        where="cleared_at IS NULL",
    )
    return open_keys


def search_flags(
    user: User, args: Mapping[str, str], tz: ZoneInfo, *, limit: int
) -> tuple[list[Flag], dict[str, Message]]:
    """The user's flags narrowed by query parameters, the latest to happen first: ``open=1``,
    ``kind``, ``unit`` (a unit of the user's area: 404 outside it), ``month`` (they happened
    in it). A bad parameter is named in the errors and nothing is read."""
    errors: dict[str, Message] = {}
    query = access.visible_flags(user)
    if args.get("open", "") not in ("", "0", "1"):
        errors["open"] = Message(N_("Not a valid choice."))
    elif args.get("open") == "1":
        query = query.where(Flag.cleared_at.is_(None))
    if kind := args.get("kind", ""):
        member = FlagKind.parse(kind)
        if member is None:
            errors["kind"] = Message(N_("Not a valid choice."))
        else:
            query = query.where(Flag.kind == member)
    if month := args.get("month", ""):
        try:
            query = query.where(in_month(Flag.occurred_at, Month.parse(month), tz))
        except ValueError:
            errors["month"] = Message(N_("Enter a month such as 2026-11."))
    if code := args.get("unit", ""):
        unit = access.find_unit(user, code)
        if unit is None:
            raise NotFound()
        query = query.where(access.flags_within(unit))
    if errors:
        return [], errors
    flags = db.session.scalars(query.order_by(Flag.occurred_at.desc(), Flag.id.desc()).limit(limit))
    return list(flags), errors
