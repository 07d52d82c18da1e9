from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.enums import FlagKind, Level
from ..extensions import db
from .types import UTCDateTime, enum_column


class Flag(db.Model):
    """One fact of docs/rules.md#flags, once per ``key`` (see :mod:`mediation.domain.flags`):
    inserted when the fact is first found, its dates never changed afterwards; clearing only
    sets ``cleared_at``. ``occurred_at`` is when it happened by the rules (the month it counts
    in), ``raised_at`` when the system wrote it."""

    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(96), unique=True)  # the "once per" identity
    kind: Mapped[FlagKind] = mapped_column(enum_column(FlagKind))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the case's village, or the unit
    township_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    level: Mapped[Level] = mapped_column(enum_column(Level))
    period: Mapped[str | None] = mapped_column(String(7))  # "YYYY-MM" for monthly unit flags
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    case = relationship("Case", back_populates="flags")
    unit = relationship("Unit", foreign_keys=[unit_id])

    __table_args__ = (
        Index("ix_flags_case", "case_id", "cleared_at"),
        Index("ix_flags_unit_occurred", "unit_id", "occurred_at"),
        Index("ix_flags_township_occurred", "township_id", "occurred_at"),
        Index("ix_flags_county_occurred", "county_id", "occurred_at"),
    )

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class Notification(db.Model):
    """An inbox entry: a flag told to a user who can act on it, or news of a case (a big or
    major case registered, a major case reported) told to the officers above it. ``kind`` is
    the flag's kind or a :class:`~mediation.domain.enums.CaseNews` value."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    flag = relationship("Flag", lazy="joined")
    case = relationship("Case", lazy="joined")

    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)


class Lease(db.Model):
    """A named lease across processes and machines: one sweep at a time."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
