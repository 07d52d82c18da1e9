"""One sweep at a time (docs/rules.md#flags): a lease row in the database that a sweep or the
month freeze takes, renews while it works and lets go; on PostgreSQL also a transaction-level
advisory lock for each batch, so two machines' sweeps never write the same batch."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Iterator

from sqlalchemy import or_, text, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Lease

LEASE_NAME = "sweep"
LEASE_SECONDS = 300
ADVISORY_KEY = 4242002


class SweepBusy(Exception):
    """Another sweep holds the lease."""


def lease_holder() -> str:
    """Who holds the lease: the machine, the process and the thread (the demo's scheduler
    runs the sweep and the freeze in threads of one process, which must not share it)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def acquire_lease(holder: str, seconds: int = LEASE_SECONDS) -> bool:
    """Take the sweep lease if it is free, expired, or already ours. Commits."""
    now = _wall_clock()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(Lease)
        .values(name=LEASE_NAME, holder="", expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .on_conflict_do_nothing(index_elements=["name"])
    )
    taken = db.session.execute(
        update(Lease)
        .where(Lease.name == LEASE_NAME, or_(Lease.expires_at < now, Lease.holder == holder))
        .values(holder=holder, expires_at=now + dt.timedelta(seconds=seconds))
    ).rowcount
    db.session.commit()
    return taken == 1


def renew_lease(holder: str, seconds: int = LEASE_SECONDS, *, commit: bool = True) -> None:
    db.session.execute(
        update(Lease)
        .where(Lease.name == LEASE_NAME, Lease.holder == holder)
        .values(expires_at=_wall_clock() + dt.timedelta(seconds=seconds))
    )
    if commit:
        db.session.commit()


@contextlib.contextmanager
def holding_lease(*, wait_seconds: float = 0.0) -> Iterator[str]:
    """Hold the sweep's lease for work that must not run beside a sweep or a second copy of
    itself (the month freeze), waiting up to ``wait_seconds`` for it; raises SweepBusy if it
    stays taken. Yields the holder's name."""
    holder = lease_holder()
    deadline = time.monotonic() + wait_seconds
    while not acquire_lease(holder):
        if time.monotonic() >= deadline:
            raise SweepBusy
        time.sleep(1)
    try:
        yield holder
    finally:
        release_lease(holder)


def release_lease(holder: str) -> None:
    db.session.rollback()
    db.session.execute(
        update(Lease)
        .where(Lease.name == LEASE_NAME, Lease.holder == holder)
        .values(expires_at=_wall_clock() - dt.timedelta(seconds=1))
    )
    db.session.commit()


def advisory_lock() -> bool:
    """On PostgreSQL, also hold a transaction-level advisory lock for each batch."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        db.session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY}
        ).scalar()
    )
