from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.ext.associationproxy import association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.enums import CaseStatus, Category, Level, PartyRole, Risk, Scale, Source
from ..domain.i18n import Message
from ..extensions import db
from .types import UTCDateTime, enum_column, utcnow
from .units import Unit
from .users import User


class Case(db.Model):
    """A dispute (矛盾纠纷). ``village_id``/``township_id``/``county_id`` place it in the unit
    tree for scoping; ``holder_id``/``level`` say who handles it now."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    holder_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    level: Mapped[Level] = mapped_column(enum_column(Level))
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus))

    category: Mapped[Category] = mapped_column(enum_column(Category))
    source: Mapped[Source] = mapped_column(enum_column(Source))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    people_involved: Mapped[int]
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    risk_values: Mapped[list[str]] = mapped_column("risks", JSON, default=list)

    scale: Mapped[Scale] = mapped_column(enum_column(Scale))
    scale_reason_data: Mapped[list] = mapped_column("scale_reasons", JSON, default=list)
    is_scale_overridden: Mapped[bool] = mapped_column(default=False)
    home_level: Mapped[Level] = mapped_column(enum_column(Level))

    is_extended: Mapped[bool] = mapped_column(default=False)
    # Kept up to date by every action, for the monthly scorecard's aggregate queries.
    highest_level: Mapped[Level | None] = mapped_column(enum_column(Level))
    concluded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    concluded_level: Mapped[Level | None] = mapped_column(enum_column(Level))
    concluded_action: Mapped[str | None] = mapped_column(String(16))
    is_violence_risk: Mapped[bool] = mapped_column(default=False)
    is_group_risk: Mapped[bool] = mapped_column(default=False)
    # When the newest event of its history took effect (an automatic escalation waits for it).
    last_event_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)
    # A duplicate merged into another case (并单, status ``merged``): read-only, counted nowhere.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # A case imported from a village ledger (台账): the ledger's own number (the re-import key,
    # with the village) and a digest of the row, so the same row again changes nothing.
    ledger_no: Mapped[str | None] = mapped_column(String(40))
    ledger_digest: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # When the sweep must next look at this case, kept in a table of its own (CaseCheck).
    check: Mapped[CaseCheck | None] = relationship(cascade="all, delete-orphan")
    next_check_at = association_proxy(
        "check", "next_check_at", creator=lambda at: CaseCheck(next_check_at=at)
    )

    village: Mapped[Unit] = relationship(foreign_keys=[village_id], lazy="joined")
    holder: Mapped[Unit] = relationship(foreign_keys=[holder_id], lazy="joined")
    created_by: Mapped[User | None] = relationship()
    parties: Mapped[list[Party]] = relationship(
        back_populates="case", order_by="Party.position", cascade="all, delete-orphan"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="(CaseEvent.at, CaseEvent.id)"
    )
    deadlines = relationship(
        "Deadline", back_populates="case", order_by="Deadline.id", cascade="all, delete-orphan"
    )
    agreements = relationship("Agreement", order_by="Agreement.id")
    follow_ups = relationship("FollowUp", order_by="FollowUp.id")
    flags = relationship("Flag", back_populates="case", order_by="Flag.id")
    supervisions = relationship(
        "Supervision", back_populates="case", order_by="Supervision.id", lazy="select"
    )
    merged_into: Mapped[Case | None] = relationship(
        remote_side=[id], foreign_keys=[merged_into_id], lazy="select"
    )

    # The version moves once per action (services.workflow.perform sets it), not per flush, and
    # never for the sweep's bookkeeping: the UPDATE still checks the version it was loaded at.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (
        Index("ix_cases_village_received", "village_id", "received_at"),
        Index("ix_cases_township_received", "township_id", "received_at"),
        Index("ix_cases_county_received", "county_id", "received_at"),
        Index("ix_cases_county_status", "county_id", "status"),
        # The county's list filtered by category, newest first, and its count.
        Index("ix_cases_county_category_received", "county_id", "category", "received_at"),
        Index("ix_cases_county_concluded", "county_id", "concluded_at"),
        Index("ix_cases_township_concluded", "township_id", "concluded_at"),
        Index("ix_cases_village_ledger_no", "village_id", "ledger_no", unique=True),
        # The duplicates merged into a case. Partial: "not merged" (every case but a few) must
        # never be read through an index, which SQLite's planner would otherwise choose.
        Index(
            "ix_cases_merged_into_id",
            "merged_into_id",
            sqlite_where=text("merged_into_id IS NOT NULL"),
            postgresql_where=text("merged_into_id IS NOT NULL"),
        ),
    )

    def __repr__(self) -> str:
        return f"<Case {self.number}>"

    @property
    def amount_yuan(self) -> Decimal:
        return (Decimal(self.amount_fen) / 100).quantize(Decimal("0.01"))

    @amount_yuan.setter
    def amount_yuan(self, value: Decimal) -> None:
        self.amount_fen = int((value * 100).to_integral_value())

    @property
    def risks(self) -> list[Risk]:
        return [Risk(value) for value in self.risk_values or []]

    @risks.setter
    def risks(self, members) -> None:
        self.risk_values = [Risk(member).value for member in members]
        self.is_violence_risk = Risk.violence.value in self.risk_values
        self.is_group_risk = Risk.group_incident.value in self.risk_values

    @property
    def scale_reasons(self) -> list[Message]:
        return [Message(msgid, params) for msgid, params in self.scale_reason_data or []]

    @scale_reasons.setter
    def scale_reasons(self, messages) -> None:
        self.scale_reason_data = [[message.msgid, message.params] for message in messages]


class CaseCheck(db.Model):
    """When the sweep must next look at a case: the nearest warning or deadline of a running
    clock, or "now" after any change; None (or no row): nothing left to watch (concluded, or
    paused). A table of its own, not a column of ``cases``: the sweep moves thousands of these
    instants at a time, and a row of ``cases`` changed means an entry in each of its many
    indexes (on PostgreSQL), where this narrow row has two."""

    __tablename__ = "case_checks"
    # in the sweep's order, so that a batch reads its thousand rows and stops
    __table_args__ = (Index("ix_case_checks_next_check_at", "next_check_at", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    next_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Party(db.Model):
    """A party to a case. The ID number is kept encrypted (``id_number_enc``), with a keyed
    hash for exact-match lookup and the masked form for display, so that lists never decrypt;
    ``id_number`` reads and writes the plain number through the app's key."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[PartyRole] = mapped_column(enum_column(PartyRole))
    id_number_enc: Mapped[str | None] = mapped_column(String(100))
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))

    case: Mapped[Case] = relationship(back_populates="parties")

    @property
    def has_id_number(self) -> bool:
        return self.id_number_enc is not None

    @property
    def masked_id_number(self) -> str:
        return self.id_number_masked or ""


class IdAccessLog(db.Model):
    """One view of a party's full ID number: who, which case and party, when (UTC), from where."""

    __tablename__ = "id_access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ip: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User] = relationship()
    case: Mapped[Case] = relationship()
    party: Mapped[Party] = relationship()


class IdLookup(db.Model):
    """One lookup of a typed ID number on intake, kept an hour: the lookups answer whether a
    number is known, so their rate is limited (a mask must not be undone by trying birth dates)."""

    __tablename__ = "id_lookups"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_id_lookups_user_at", "user_id", "at"),)


class CaseEvent(db.Model):
    """One immutable step of a case's history: who, when, from/to state and level, note."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # when it took effect, by the rules
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # when it was written
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[CaseStatus | None] = mapped_column(enum_column(CaseStatus))
    to_status: Mapped[CaseStatus | None] = mapped_column(enum_column(CaseStatus))
    from_level: Mapped[Level | None] = mapped_column(enum_column(Level))
    to_level: Mapped[Level | None] = mapped_column(enum_column(Level))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int | None]  # the case's version once this event was written

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_case_events_case_at", "case_id", "at"),
        Index("ix_case_events_action_at", "action", "at"),
    )


class CaseCounter(db.Model):
    """The last case number given in a county and year (410523-2026-000123)."""

    __tablename__ = "case_counters"

    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
