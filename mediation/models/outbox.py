"""The notification outbox: a notice to send by a channel other than the inbox, written in
the same transaction as the inbox entry, and every attempt to send it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime

PENDING, SENT, FAILED = "pending", "sent", "failed"


class Delivery(db.Model):
    """One inbox entry to send by one channel. ``uid`` is the delivery's stable id, the same on
    every attempt, so that a receiver can drop the repeat a crash between sending and
    recording may cause. ``claimed_by``/``claimed_until``: the deliverer sending it now (a
    claim that expires is a crashed deliverer's; the row is sent again)."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(200))
    is_urgent: Mapped[bool] = mapped_column(default=False)
    # Part of its recipient's daily digest: sent in one message with the other deliveries of
    # the same person, channel and ``send_after`` (the digest's morning).
    is_digest: Mapped[bool] = mapped_column(default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    send_after: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    notification = relationship("Notification", lazy="joined")
    user = relationship("User", lazy="joined")
    attempt_log = relationship(
        "DeliveryAttempt", order_by="DeliveryAttempt.id", lazy="select", viewonly=True
    )

    __table_args__ = (Index("ix_deliveries_status_next", "status", "next_attempt_at"),)


class DeliveryAttempt(db.Model):
    """One attempt to send a delivery: when, whether it went, and the error if not."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    is_ok: Mapped[bool] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
