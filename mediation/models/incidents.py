from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.enums import IncidentKind, PetitionLevel
from ..extensions import db
from .types import UTCDateTime, enum_column, utcnow


class Incident(db.Model):
    """A 三零 input recorded by an officer for a village: petition, accident, criminal or
    public-order case. Edits keep the earlier versions (IncidentRevision)."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[IncidentKind] = mapped_column(enum_column(IncidentKind))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text)
    petition_level: Mapped[PetitionLevel | None] = mapped_column(enum_column(PetitionLevel))
    is_collective: Mapped[bool] = mapped_column(default=False)
    people: Mapped[int] = mapped_column(default=0)
    injured: Mapped[int] = mapped_column(default=0)
    dead: Mapped[int] = mapped_column(default=0)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    village = relationship("Unit", foreign_keys=[village_id], lazy="joined")
    case = relationship("Case")
    created_by = relationship("User")
    revisions = relationship("IncidentRevision", order_by="IncidentRevision.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_incidents_village_occurred", "village_id", "occurred_at"),
        Index("ix_incidents_township_occurred", "township_id", "occurred_at"),
        Index("ix_incidents_county_occurred", "county_id", "occurred_at"),
    )


class IncidentRevision(db.Model):
    """An incident as it was before an edit, with who changed it and why."""

    __tablename__ = "incident_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    before: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")

    actor = relationship("User")


class Screening(db.Model):
    """A village's monthly screening report (排查), or its explicit zero report."""

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    visited_on: Mapped[dt.date] = mapped_column(Date)
    households: Mapped[int] = mapped_column(default=0)
    risks_found: Mapped[int] = mapped_column(default=0)
    disputes_found: Mapped[int] = mapped_column(default=0)
    is_zero_report: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    village = relationship("Unit", foreign_keys=[village_id], lazy="joined")

    __table_args__ = (
        UniqueConstraint("village_id", "month"),
        Index("ix_screenings_month", "month"),
    )


class ScorecardSnapshot(db.Model):
    """A frozen month of a county (revision 1), and each published revision after it."""

    __tablename__ = "scorecard_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    month: Mapped[str] = mapped_column(String(7))
    revision: Mapped[int]
    frozen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON)

    published_by = relationship("User")

    __table_args__ = (UniqueConstraint("county_id", "month", "revision"),)


class Mark(db.Model):
    """A small named value the jobs keep between runs (e.g. the last month checked for
    missing screenings), so a sweep does that work once, not every five minutes."""

    __tablename__ = "marks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))
