"""Column types: instants stored as naive UTC and returned aware; enums stored by value."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """An aware datetime, stored as UTC without an offset (portable across SQLite and
    PostgreSQL)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def enum_column(enum_type: type[enum.Enum]) -> Enum:
    """A VARCHAR holding the member's value (no native enum type, no CHECK to migrate)."""
    return Enum(
        enum_type,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
