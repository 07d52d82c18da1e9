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
_LOCKED_IN = "mediation.advisory_lock"  # session.info: the transaction holding it


class SweepBusy(Exception):
    """Another sweep holds the lease."""


def lease_holder() -> str:
    """Who holds the lease: the machine, the process and the thread (the demo's scheduler
    runs the sweep and the freeze in threads of one process, which must not share it)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def acquire_lease(holder: str, seconds: int = LEASE_SECONDS) -> bool:
    """Take the sweep lease if it is free, expired, or already ours: one upsert that
    changes the row only on those terms. Commits."""
    now = _wall_clock()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    expires_at = now + dt.timedelta(seconds=seconds)
    taken = db.session.execute(
        insert(Lease)
        .values(name=LEASE_NAME, holder=holder, expires_at=expires_at)
        .on_conflict_do_update(
            index_elements=["name"],
            set_={"holder": holder, "expires_at": expires_at},
            where=or_(Lease.expires_at < now, Lease.holder == holder),
        )
        .returning(Lease.name)  # a row if inserted or changed
    ).first()
    db.session.commit()
    return taken is not None


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


def release_lease(holder: str, *, commit: bool = True) -> None:
    """Let the lease go. By itself (``commit``) in a transaction of its own, after dropping
    whatever the session left uncommitted (a failed sweep's work); with ``commit=False`` in
    the caller's transaction, which the caller commits."""
    if commit:
        db.session.rollback()
    db.session.execute(
        update(Lease)
        .where(Lease.name == LEASE_NAME, Lease.holder == holder)
        .values(expires_at=_wall_clock() - dt.timedelta(seconds=1))
    )
    if commit:
        db.session.commit()


def advisory_lock() -> bool:
    """On PostgreSQL, also hold a transaction-level advisory lock for each batch: taken once
    in a transaction (the server keeps it until the transaction ends)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    session = db.session()
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_LOCKED_IN) is transaction:
        return True
    taken = bool(
        session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY}
        ).scalar()
    )
    if taken:
        session.info[_LOCKED_IN] = session.get_transaction()
    return taken
