"""Users and API tokens."""

from __future__ import annotations

from sqlalchemy import select

from ..domain.enums import Role
from ..domain.i18n import Message, N_
from ..domain.intake import InvalidInput
from ..extensions import db
from ..models import ApiToken, Unit, User

MIN_PASSWORD_LENGTH = 8


def create_user(
    username: str, *, role: Role, unit_code: str, password: str, display_name: str = ""
) -> User:
    """A new user bound to a unit of the kind the role requires; raises InvalidInput."""
    errors: dict[str, Message] = {}
    username = username.strip()
    if not username or len(username) > 64 or any(char.isspace() for char in username):
        errors["username"] = Message(N_("A user name is 1 to 64 characters without spaces."))
    elif db.session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = Message(N_("This user name is taken."))
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code.strip()))
    if unit is None:
        errors["unit"] = Message(N_("No unit has this code."))
    elif unit.kind not in role.unit_levels:
        errors["unit"] = Message(
            N_("A %(role_label)s belongs to a unit of another kind."), {"role_label": role.label}
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = Message(
            N_("A password has at least %(n)s characters."), {"n": MIN_PASSWORD_LENGTH}
        )
    if errors:
        raise InvalidInput(errors)
    user = User(username=username, role=role, unit=unit, display_name=display_name.strip()[:100])
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def issue_token(user: User) -> str:
    """A new bearer token for ``user``; only its hash is kept, so it is shown once."""
    token, secret = ApiToken.issue(user)
    db.session.add(token)
    db.session.flush()
    return secret


def user_for_token(secret: str) -> User | None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(secret)))
    if token is None or not token.user.is_enabled:
        return None
    return token.user
