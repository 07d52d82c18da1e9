from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint, event, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.enums import Role
from ..extensions import db
from .types import UTCDateTime, enum_column, utcnow
from .units import Unit


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Failed sign-ins since the last good one; reaching the limit locks the account until
    # ``locked_until`` (counted by UPDATE in the database, so every worker sees the same count).
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Part of the id kept in sessions and remember cookies: raising it (a new password) ends
    # every session signed in before.
    auth_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Reaching the person off the site: contact details and the channels chosen besides the
    # inbox (comma-separated names among NOTIFY_CHANNELS: "email", "webhook", a custom one).
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    notify_channels: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The notices that are not urgent in one message each working morning instead of one each.
    notify_digest: Mapped[bool] = mapped_column(default=False, server_default=false())

    unit: Mapped[Unit] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie: ``id:auth_version``."""
        return f"{self.id}:{self.auth_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled users
        return self.is_enabled

    @property
    def chosen_channels(self) -> list[str]:
        return [name for name in (self.notify_channels or "").split(",") if name]

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)  # scrypt, salted

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


@event.listens_for(User.is_enabled, "set")
def _end_sessions_on_disable(user: User, value, oldvalue, initiator) -> None:
    """Disabling a user ends their sessions for good: enabling them again later does not bring
    back a session (or remember cookie) from before."""
    if value is False and oldvalue is True:
        user.auth_version = (user.auth_version or 0) + 1


class LoginAttempt(db.Model):
    """Failed sign-ins by the user name typed and the client address, existing or not: names
    nobody has are throttled like real ones, so the answers do not tell them apart."""

    __tablename__ = "login_attempts"
    __table_args__ = (UniqueConstraint("username", "client_ip"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User) -> tuple[ApiToken, str]:
        token = "fq_" + secrets.token_urlsafe(32)
        return cls(user=user, token_hash=cls.hash(token)), token
