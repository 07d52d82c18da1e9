from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.enums import AttachmentKind
from ..extensions import db
from .types import UTCDateTime, enum_column


class Attachment(db.Model):
    """A file of a case's file (卷宗): a photo, a scan, a PDF. The bytes live under
    ATTACHMENT_DIR by their SHA-256 (services/attachments.py); ``size`` and ``sha256`` are of
    the stored file (an image downscaled and without EXIF), ``thumb_sha256`` of its thumbnail."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[AttachmentKind] = mapped_column(enum_column(AttachmentKind))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    thumb_sha256: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case = relationship("Case")
    uploaded_by = relationship("User", lazy="joined")

    __table_args__ = (Index("ix_attachments_case", "case_id", "uploaded_at"),)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
