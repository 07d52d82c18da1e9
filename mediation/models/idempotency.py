from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class IdempotencyKey(db.Model):
    """One ``Idempotency-Key`` a user sent with a creating call (docs/api.md#idempotency).

    The row is inserted, pending (``status`` NULL), in its own transaction before the call
    runs: the unique constraint lets exactly one request of several racing ones (two workers,
    two machines) own the key; the others wait for it. A 2xx answer is then stored (status and
    JSON body) and binds the key; any other answer deletes the row, so the key stays free."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("user_id", "method", "path", "key", name="uq_idempotency_keys_request"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the body, hex
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[int | None] = mapped_column(Integer)  # None while the first is in flight
    body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
