from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.enums import AgreementForm, Clock, Level
from ..extensions import db
from .types import UTCDateTime, enum_column, utcnow


class Deadline(db.Model):
    """One clock of a case at one level. The start, span and paused time are kept so the due
    and warning instants can be recomputed (a provisional year entered later, a pause)."""

    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    clock: Mapped[Clock] = mapped_column(enum_column(Clock))
    level: Mapped[Level] = mapped_column(enum_column(Level))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    days: Mapped[int]
    is_working_days: Mapped[bool]
    shift_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    warn_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    is_provisional: Mapped[bool] = mapped_column(default=False)
    met_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    case = relationship("Case", back_populates="deadlines")

    __table_args__ = (
        Index("ix_deadlines_case", "case_id", "clock", "level"),
        Index("ix_deadlines_breached", "breached_at"),  # a month's breaches, for the scorecard
        Index("ix_deadlines_provisional", "is_provisional"),
    )

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None


class Agreement(db.Model):
    """The mediation agreement (调解协议) recorded when a case is resolved."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    form: Mapped[AgreementForm] = mapped_column(enum_column(AgreementForm))
    terms: Mapped[str] = mapped_column(Text)
    # 争议事项 and 责任 of the written agreement (People's Mediation Law art. 29); empty for
    # agreements recorded before they were asked for.
    points_in_dispute: Mapped[str | None] = mapped_column(Text)
    responsibilities: Mapped[str | None] = mapped_column(Text)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    level: Mapped[Level] = mapped_column(enum_column(Level))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agreed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    unit = relationship("Unit")
    mediator = relationship("User")

    __table_args__ = (Index("ix_agreements_agreed_at", "agreed_at"),)  # a month's amounts settled

    @property
    def amount_yuan(self) -> Decimal:
        return (Decimal(self.amount_fen) / 100).quantize(Decimal("0.01"))


class FollowUp(db.Model):
    """A follow-up visit (回访) after an agreement."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_performed: Mapped[bool]
    is_satisfied: Mapped[bool]
    has_relapse_risk: Mapped[bool]
    note: Mapped[str] = mapped_column(Text, default="")


class CalendarDay(db.Model):
    """A holiday or make-up working day entered by an admin (adds to the bundled calendar)."""

    __tablename__ = "calendar_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(100), default="")


class CalendarYear(db.Model):
    """A year whose holidays an admin has entered in full: its deadlines are no longer
    provisional."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
