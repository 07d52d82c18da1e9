"""The ``Idempotency-Key`` records (docs/api.md#idempotency): claim, wait, bind, release, expire.

A key is claimed by inserting its row, pending, in a transaction of its own: the unique
constraint on (user, method, path, key) lets exactly one of several racing requests win, on
SQLite (one writer at a time) as on PostgreSQL (the second insert waits for the first
transaction and then fails). The winner runs the call and stores its 2xx answer, or deletes the
row after any other answer; the others poll the row until it is answered or gone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import IdempotencyKey

# Days a bound key is kept (and answered again); a daily job deletes older ones.
KEEP_DAYS = 7
# A pending row this old belongs to a request that died (a killed worker): the key is freed.
STALE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class Request:
    user_id: int
    method: str
    path: str
    key: str

    def where(self):
        return (
            IdempotencyKey.user_id == self.user_id,
            IdempotencyKey.method == self.method,
            IdempotencyKey.path == self.path,
            IdempotencyKey.key == self.key,
        )


def claim(request: Request, fingerprint: str, now: dt.datetime) -> int | None:
    """Insert the pending row and commit: its id, or None when the key is taken already."""
    row = IdempotencyKey(
        user_id=request.user_id,
        method=request.method,
        path=request.path,
        key=request.key,
        fingerprint=fingerprint,
        created_at=now,
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return row.id


def find(request: Request) -> IdempotencyKey | None:
    """The key's row as committed now (a fresh transaction each call), detached."""
    db.session.rollback()
    row = db.session.scalars(select(IdempotencyKey).where(*request.where())).one_or_none()
    if row is not None:
        db.session.expunge(row)
    db.session.rollback()
    return row


def free_if_expired(row: IdempotencyKey, now: dt.datetime) -> bool:
    """Delete a row whose time is up; True if the key is free now. An answer is kept
    ``KEEP_DAYS`` (a key reused after that is a new request, whether or not the daily purge
    has come); a pending row ``STALE_SECONDS`` old belongs to a request that died."""
    if row.status is None:
        if row.created_at > now - dt.timedelta(seconds=STALE_SECONDS):
            return False
        still = IdempotencyKey.status.is_(None)  # unless it was answered meanwhile
    else:
        if row.created_at >= now - dt.timedelta(days=KEEP_DAYS):
            return False
        still = IdempotencyKey.status.is_not(None)
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row.id, still))
    db.session.commit()
    return True


def bind(row_id: int, status: int, body: str, location: str | None) -> None:
    """Store the 2xx answer: the key now answers every repeat with it."""
    db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == row_id)
        .values(status=status, body=body, location=location)
    )
    db.session.commit()


def release(row_id: int) -> None:
    """The call was refused or failed: nothing is bound, the key may be used again."""
    db.session.rollback()
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
    db.session.commit()


def purge(now: dt.datetime, days: int = KEEP_DAYS) -> int:
    """Delete the keys older than ``days`` (a daily job of the scheduler); how many. No
    commit."""
    result = db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < now - dt.timedelta(days=days))
    )
    return result.rowcount or 0
