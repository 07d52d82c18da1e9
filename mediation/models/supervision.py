from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime


class Supervision(db.Model):
    """A supervision notice (督办单) on a case, from an officer above the level holding it.

    ``remind_at`` and ``due_at`` are worked out when it is issued (working days);
    ``reminded_at`` (催办) and ``circulated_at`` (通报) are recorded by the sweep, dated at those
    instants. ``next_check_at`` is when the sweep must next look at it (indexed: the sweep
    reads what is due, not the table). The case's village, township and county are copied for
    scoping and the scorecard, ``holder_id`` is the unit holding the case when it was issued.
    """

    __tablename__ = "supervisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    holder_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    issuing_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    instruction: Mapped[str] = mapped_column(Text)
    due_working_days: Mapped[int]
    remind_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    progress: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    circulated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)

    case = relationship("Case", lazy="joined", back_populates="supervisions")
    holder = relationship("Unit", foreign_keys=[holder_id], lazy="joined")
    issuing_unit = relationship("Unit", foreign_keys=[issuing_unit_id], lazy="joined")
    issued_by = relationship("User", foreign_keys=[issued_by_id], lazy="joined")
    replied_by = relationship("User", foreign_keys=[replied_by_id])

    __table_args__ = (
        Index("ix_supervisions_issuing_circulated", "issuing_unit_id", "circulated_at"),
        Index("ix_supervisions_village_circulated", "village_id", "circulated_at"),
        Index("ix_supervisions_county_issued", "county_id", "issued_at"),
    )
