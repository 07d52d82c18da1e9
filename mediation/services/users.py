"""Users, signing in (with the lock after repeated failures), passwords and API tokens."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass

from sqlalchemy import case, delete, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.enums import Role
from ..domain.i18n import N_, Message
from ..domain.intake import InvalidInput
from ..extensions import db
from ..models import ApiToken, Unit, User
from ..models.types import UTCDateTime
from ..models.users import LoginAttempt

MIN_PASSWORD_LENGTH = 10
# A user name and address nobody tried for this long is forgotten (unless still locked).
ATTEMPT_MEMORY = dt.timedelta(days=1)
# Failures lock the user name from one address first; the account itself locks only once they
# come from this many addresses, so that nobody can lock a mediator out from one machine.
ACCOUNT_LOCK_ADDRESSES = 3

log = logging.getLogger("mediation.auth")


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
    problem = unit_problem(role, unit)
    if problem is not None:
        errors["unit"] = problem
    problem = password_problem(username, password)
    if problem is not None:
        errors["password"] = problem
    if errors:
        raise InvalidInput(errors)
    user = User(username=username, role=role, unit=unit, display_name=display_name.strip()[:100])
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def unit_problem(role: Role, unit: Unit | None) -> Message | None:
    """Why ``unit`` cannot hold a user of ``role`` (naming the kinds it needs), or None."""
    if unit is None:
        return Message(N_("No unit has this code."))
    if unit.kind in role.unit_levels:
        return None
    levels = role.unit_levels
    if len(levels) == 1:
        return Message(
            N_("A %(role_label)s belongs to a unit of the %(level_label)s level."),
            {"role_label": role.label, "level_label": levels[0].label},
        )
    return Message(
        N_("A %(role_label)s belongs to a unit of the %(level_label)s or %(other_label)s level."),
        {"role_label": role.label, "level_label": levels[0].label, "other_label": levels[1].label},
    )


def update_user(
    user: User,
    *,
    role: Role,
    unit: Unit | None,
    display_name: str,
    new_password: str = "",
    is_self: bool = False,
) -> None:
    """An admin's change to a user: role, unit, full name and, when given, a new password.
    Raises InvalidInput naming the field (role, unit, new_password) and changes nothing then.
    A new password ends the user's other sessions and API tokens, as the user's own change
    does. An admin cannot change his own role or unit (he would lock himself out). Flushes."""
    errors: dict[str, Message] = {}
    if is_self and (role is not user.role or unit is not user.unit):
        errors["role"] = Message(N_("You cannot change your own role or unit."))
    problem = unit_problem(role, unit)
    if problem is not None:
        errors["unit"] = problem
    if new_password:
        problem = password_problem(user.username, new_password)
        if problem is not None:
            errors["new_password"] = problem
    if errors:
        raise InvalidInput(errors)
    user.role, user.unit, user.display_name = role, unit, display_name.strip()[:100]
    if new_password:
        _set_new_password(user, new_password)
        log.info("password set by an admin: %r", user.username)
    db.session.flush()
    if new_password:
        db.session.refresh(user, ["auth_version"])


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


def password_problem(username: str, password: str) -> Message | None:
    """Why ``password`` will not do for ``username``: at least MIN_PASSWORD_LENGTH characters
    and not the user name itself (in any case); None when it will."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return Message(N_("A password has at least %(n)s characters."), {"n": MIN_PASSWORD_LENGTH})
    if password.strip().casefold() == username.strip().casefold():
        return Message(N_("A password must not be the user name."))
    return None


@dataclass(frozen=True)
class LoginLimits:
    """How many failed sign-ins lock an account (or a user name from one address), and for how
    long."""

    max_failures: int
    lock_for: dt.timedelta


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("not a password of anyone")


def authenticate(
    username: str, password: str, *, client_ip: str, now: dt.datetime, limits: LoginLimits
) -> User | None:
    """The enabled, unlocked user whose password this is, or None.

    Every refusal (unknown name, wrong password, disabled, locked) looks the same to the caller
    and costs one password hash like a real check; the reason goes to the log. A failure is
    counted on the account and on the (user name, client address) pair, in the database by
    ``UPDATE … SET n = n + 1`` so concurrent workers never lose a count; ``limits.max_failures``
    of them lock the pair for ``limits.lock_for``, during which even the right password is
    refused from that address. The account itself locks the same way, but only once the name's
    failures come from ACCOUNT_LOCK_ADDRESSES addresses or more (one machine cannot lock a
    mediator out). A success clears both counts. Flushes; the caller commits (the failure too).
    """
    username = username.strip()[:64]
    client_ip = (client_ip or "")[:64]
    user = db.session.scalar(select(User).where(User.username == username))
    attempt = db.session.scalar(
        select(LoginAttempt).where(
            LoginAttempt.username == username, LoginAttempt.client_ip == client_ip
        )
    )
    is_right = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    locked_until = max(
        (at for at in (user and user.locked_until, attempt and attempt.locked_until) if at),
        default=None,
    )
    if locked_until is not None and locked_until > now:
        reason = f"locked until {locked_until.isoformat()}"
    elif user is None:
        reason = "unknown user name"
    elif not user.is_enabled:
        reason = "disabled user"
    elif not is_right:
        reason = "wrong password"
    else:
        _clear_failures(user, username, client_ip)
        log.info("sign-in: %r from %s", username, client_ip)
        return user
    if not reason.startswith("locked"):
        if _count_failure(user, username, client_ip, now, limits):
            reason += f"; now locked for {limits.lock_for}"
    log.warning("sign-in refused: %r from %s: %s", username, client_ip, reason)
    return None


def record_failed_password(user: User, *, now: dt.datetime, limits: LoginLimits) -> bool:
    """Count a wrong current password typed by a signed-in user (on the password page) toward
    the account lock; True when this failure locks the account."""
    return _lock_user_step(user.id, now, limits)


def is_locked(user: User, now: dt.datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _count_failure(
    user: User | None, username: str, client_ip: str, now: dt.datetime, limits: LoginLimits
) -> bool:
    """One more failure on the pair and the account; True when it locks either."""
    # Rows of names and addresses nobody tried for a day go, so guessed names do not pile up.
    db.session.execute(
        delete(LoginAttempt)
        .where(
            LoginAttempt.last_failed_at < now - ATTEMPT_MEMORY,
            (LoginAttempt.locked_until.is_(None)) | (LoginAttempt.locked_until < now),
        )
        .execution_options(synchronize_session=False)
    )
    step = _step(LoginAttempt.failures, LoginAttempt.locked_until, now, limits)
    pair = (LoginAttempt.username == username) & (LoginAttempt.client_ip == client_ip)
    for _ in range(2):
        counted = db.session.execute(
            update(LoginAttempt)
            .where(pair)
            .values(last_failed_at=now, **step)
            .returning(LoginAttempt.failures)
            .execution_options(synchronize_session=False)
        ).first()
        if counted is not None:
            return _count_on_account(user, username, now, limits) or counted.failures == 0
        try:
            with db.session.begin_nested():  # another worker may insert the same pair first
                db.session.add(
                    LoginAttempt(
                        username=username, client_ip=client_ip, failures=0, last_failed_at=now
                    )
                )
        except IntegrityError:
            pass
    return _count_on_account(user, username, now, limits)


def _count_on_account(
    user: User | None, username: str, now: dt.datetime, limits: LoginLimits
) -> bool:
    """The failure on the account too, which may lock only when the name's recent failures
    come from ACCOUNT_LOCK_ADDRESSES addresses or more."""
    if user is None:
        return False
    addresses = db.session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.username == username, LoginAttempt.last_failed_at >= now - ATTEMPT_MEMORY
        )
    )
    return _lock_user_step(user.id, now, limits, may_lock=addresses >= ACCOUNT_LOCK_ADDRESSES)


def _lock_user_step(
    user_id: int, now: dt.datetime, limits: LoginLimits, *, may_lock: bool = True
) -> bool:
    step = (
        _step(User.failed_logins, User.locked_until, now, limits)
        if may_lock
        else {"failed_logins": User.failed_logins + 1}
    )
    row = db.session.execute(
        update(User)
        .where(User.id == user_id)
        .values(**step)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).first()
    return row is not None and row.failed_logins == 0  # the count restarts when the lock starts


def _step(count, locked_until, now: dt.datetime, limits: LoginLimits) -> dict:
    """SET values for one more failure, evaluated by the database on the row as it is: the
    count goes up by one, and on reaching the limit the lock starts and the count restarts."""
    reaches = count + 1 >= limits.max_failures
    return {
        count.key: case((reaches, 0), else_=count + 1),
        locked_until.key: case(
            (reaches, literal(now + limits.lock_for, UTCDateTime)), else_=locked_until
        ),
    }


def _clear_failures(user: User, username: str, client_ip: str) -> None:
    user.failed_logins = 0
    user.locked_until = None
    db.session.execute(
        delete(LoginAttempt)
        .where(LoginAttempt.username == username, LoginAttempt.client_ip == client_ip)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def _set_new_password(user: User, password: str) -> None:
    """A new password: the lock count starts again, and every other session, remember cookie
    and API token of the user ends (one of them might be what leaked)."""
    user.set_password(password)
    user.failed_logins = 0
    user.auth_version = User.auth_version + 1
    db.session.execute(
        delete(ApiToken)
        .where(ApiToken.user_id == user.id)
        .execution_options(synchronize_session=False)
    )


def change_password(
    user: User, *, current: str, new: str, confirm: str, now: dt.datetime, limits: LoginLimits
) -> None:
    """Set ``user``'s password after checking the current one; raises InvalidInput naming the
    field (current_password, new_password, confirm_password) and changes nothing then, except
    that a wrong current password counts toward the account lock (a stolen session must not
    guess the password freely).

    The new password raises ``auth_version``, which ends every other session and remember
    cookie of the user; the caller signs the current session in again. Flushes.
    """
    if is_locked(user, now):
        raise InvalidInput(
            {"current_password": Message(N_("Too many failed attempts. Try again later."))}
        )
    if not user.check_password(current):
        record_failed_password(user, now=now, limits=limits)
        raise InvalidInput({"current_password": Message(N_("The current password is not right."))})
    errors: dict[str, Message] = {}
    problem = password_problem(user.username, new)
    if problem is not None:
        errors["new_password"] = problem
    elif new == current:
        errors["new_password"] = Message(N_("The new password must differ from the current one."))
    if new != confirm:
        errors["confirm_password"] = Message(N_("The two new passwords are not the same."))
    if errors:
        raise InvalidInput(errors)
    _set_new_password(user, new)
    db.session.flush()
    db.session.refresh(user, ["auth_version"])
    log.info("password changed: %r", user.username)


def set_reach(
    user: User,
    *,
    email: str,
    phone: str,
    channels: list[str],
    available: list[str],
    digest: bool = False,
) -> None:
    """A person's contact details, the channels chosen besides the inbox (among
    ``available``, the outbox channels the server has) and whether the notices that are not
    urgent come by them once a day (``digest``). E-mail notices need an address.
    Raises InvalidInput naming the field (email, phone, channels), changing nothing then."""
    from ..domain.reach import check_contact

    email, phone = email.strip(), phone.strip()
    errors = check_contact(email, phone)
    unknown = [name for name in channels if name not in available]
    if unknown:
        errors["channels"] = Message(N_("Not a valid choice."))
    elif "email" in channels and not email and "email" not in errors:
        errors["email"] = Message(N_("E-mail notices need an e-mail address."))
    if errors:
        raise InvalidInput(errors)
    user.email, user.phone = email or None, phone or None
    user.notify_channels = ",".join(dict.fromkeys(channels))
    user.notify_digest = digest
    db.session.flush()
