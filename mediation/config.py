"""Configuration: every key once, with its default.

Precedence, lowest first: the defaults below, ``instance/config.py``, environment variables,
then the ``test_config`` mapping handed to :func:`mediation.create_app`. An unknown key in
``instance/config.py`` or ``test_config`` stops start-up, so a typo never passes silently.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from gunicorn.errors import AppImportError


class StartupError(click.ClickException, AppImportError):
    """The app cannot start (a bad setting, policy file or database): one line that says why.
    ``flask --app app …`` prints it as "Error: …" and exits 1, and gunicorn prints it and
    stops ("App failed to load") instead of a traceback for every worker it would restart."""

    def __init__(self, message: str):
        super().__init__(" ".join(message.split()))


class ConfigError(StartupError):
    """A configuration value that cannot be used; the message names the key."""


DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: sqlite:///<instance>/mediation.db
    "SECRET_KEY": None,  # None: generated once into instance/secret_key
    # Encrypts parties' ID numbers at rest and keys their lookup hash; losing it loses them.
    "ID_NUMBER_KEY": None,  # None: generated once into instance/id_key
    "MEDIATION_TZ": "Asia/Shanghai",
    "MEDIATION_DEMO": True,
    "MEDIATION_POLICY": None,
    "SWEEP_INTERVAL_MINUTES": 5,
    # Channels told of new flags and case news: "inbox", "log", "email", "webhook", a
    # "package.module:Class" told of each batch, or a "package.module.Class" outbox channel
    # (docs/configuration.md#notification-channels).
    "NOTIFY_CHANNELS": "inbox,log",
    # Non-urgent notices wait for the next working morning outside these local hours ("" none).
    "NOTIFY_QUIET_HOURS": "20:00-08:00",
    # The "email" channel: an SMTP server.
    "MAIL_SERVER": "localhost",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "fengqiao@localhost",
    # The "webhook" channel: a URL POSTed to in the generic JSON, WeCom or DingTalk form.
    "WEBHOOK_URL": None,
    "WEBHOOK_KIND": "generic",
    "WEBHOOK_SECRET": None,  # DingTalk's signing secret (SEC…)
    # `flask run` (the single-process demo) also runs the scheduler in its main process.
    "SCHEDULER_IN_WEB": True,
    # Create or upgrade the schema (and load the demo when asked) as the app starts.
    "AUTO_SETUP": True,
    "TESTING": False,
    "WTF_CSRF_ENABLED": True,
    "BABEL_DEFAULT_LOCALE": "zh",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": ("zh", "en"),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": False,  # the cookies are Secure anyway on an HTTPS request
    # "Keep me signed in": at most 14 days (a timedelta or seconds).
    "REMEMBER_COOKIE_DURATION": dt.timedelta(days=14),
    # Failed sign-ins (per account, and per user name and client address) before a lock.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "CASES_PER_PAGE": 20,
    # Files attached to cases: stored by content under this folder (None: <instance>/attachments)
    # and accepted up to this many MiB an upload (MAX_CONTENT_LENGTH stays for everything else).
    "ATTACHMENT_DIR": None,
    "ATTACHMENT_MAX_MB": 20,
}

# Read from the environment; each maps to a parser.
ENVIRONMENT: dict[str, Any] = {
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "ID_NUMBER_KEY": str,
    "MEDIATION_TZ": str,
    "MEDIATION_DEMO": lambda value: _parse_bool("MEDIATION_DEMO", value),
    "MEDIATION_POLICY": str,
    "SWEEP_INTERVAL_MINUTES": lambda value: _parse_positive_int("SWEEP_INTERVAL_MINUTES", value),
    "LOGIN_MAX_FAILURES": lambda value: _parse_positive_int("LOGIN_MAX_FAILURES", value),
    "LOGIN_LOCK_MINUTES": lambda value: _parse_positive_int("LOGIN_LOCK_MINUTES", value),
    "REMEMBER_COOKIE_DURATION": lambda value: _parse_remember(value),
    "NOTIFY_CHANNELS": str,
    "NOTIFY_QUIET_HOURS": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": lambda value: _parse_positive_int("MAIL_PORT", value),
    "MAIL_USE_TLS": lambda value: _parse_bool("MAIL_USE_TLS", value),
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_FROM": str,
    "WEBHOOK_URL": str,
    "WEBHOOK_KIND": str,
    "WEBHOOK_SECRET": str,
    "ATTACHMENT_DIR": str,
    "ATTACHMENT_MAX_MB": lambda value: _parse_positive_int("ATTACHMENT_MAX_MB", value),
}

WEBHOOK_KINDS = ("generic", "wecom", "dingtalk")


def load(instance_path: str, test_config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The effective configuration for an app whose instance folder is ``instance_path``."""
    config = dict(DEFAULTS)
    config.update(_from_instance_file(Path(instance_path) / "config.py"))
    for key, parse in ENVIRONMENT.items():
        if os.environ.get(key, "") != "":
            config[key] = parse(os.environ[key])
    if test_config:
        _check_keys(test_config, "test_config")
        config.update(test_config)

    _parse_positive_int("SWEEP_INTERVAL_MINUTES", config["SWEEP_INTERVAL_MINUTES"])
    for key in ("LOGIN_MAX_FAILURES", "LOGIN_LOCK_MINUTES"):
        config[key] = _parse_positive_int(key, config[key])
    config["REMEMBER_COOKIE_DURATION"] = _parse_remember(config["REMEMBER_COOKIE_DURATION"])
    _check_time_zone(config["MEDIATION_TZ"])
    _check_reach(config)
    config["ATTACHMENT_MAX_MB"] = _parse_positive_int(
        "ATTACHMENT_MAX_MB", config["ATTACHMENT_MAX_MB"]
    )
    if not config["ATTACHMENT_DIR"]:
        config["ATTACHMENT_DIR"] = str(Path(instance_path) / "attachments")
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'mediation.db'}"
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(Path(instance_path) / "secret_key")
    if not config["ID_NUMBER_KEY"]:
        config["ID_NUMBER_KEY"] = _instance_secret(Path(instance_path) / "id_key")
    if len(str(config["ID_NUMBER_KEY"])) < 32:
        raise ConfigError("ID_NUMBER_KEY: expected at least 32 characters (e.g. 64 hex digits)")
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    config["BABEL_DEFAULT_TIMEZONE"] = config["MEDIATION_TZ"]
    return config


def _from_instance_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    namespace: dict[str, Any] = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    values = {key: value for key, value in namespace.items() if key.isupper()}
    _check_keys(values, str(path))
    return values


def _check_keys(values: Mapping[str, Any], where: str) -> None:
    allowed = set(DEFAULTS) | {"SQLALCHEMY_ENGINE_OPTIONS"}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown configuration key(s): {', '.join(unknown)}")


def _parse_bool(key: str, value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{key}: expected 0 or 1, got {value!r}")


def _parse_positive_int(key: str, value: Any) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(f"{key}: expected a positive whole number, got {value!r}") from None
    if number <= 0 or str(number) != str(value).strip().lstrip("+"):
        raise ConfigError(f"{key}: expected a positive whole number, got {value!r}")
    return number


MAX_REMEMBER = dt.timedelta(days=14)


def _parse_remember(value: Any) -> dt.timedelta:
    """A signed-in device is remembered for a positive span of at most 14 days."""
    if not isinstance(value, dt.timedelta):
        seconds = _parse_positive_int("REMEMBER_COOKIE_DURATION", value)
        value = dt.timedelta(seconds=seconds)
    if not dt.timedelta(0) < value <= MAX_REMEMBER:
        raise ConfigError(
            f"REMEMBER_COOKIE_DURATION: expected more than 0 and at most 14 days, got {value}"
        )
    return value


def _check_time_zone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"MEDIATION_TZ: unknown time zone {name!r}") from None


def _check_reach(config: dict[str, Any]) -> None:
    """The notification settings: quiet hours that parse, a known webhook kind, and a URL (or
    an SMTP port) for each channel named."""
    from .domain.reach import parse_quiet_hours

    try:
        parse_quiet_hours(str(config["NOTIFY_QUIET_HOURS"] or ""))
    except ValueError as error:
        raise ConfigError(f"NOTIFY_QUIET_HOURS: {error}") from None
    config["MAIL_PORT"] = _parse_positive_int("MAIL_PORT", config["MAIL_PORT"])
    config["MAIL_USE_TLS"] = _parse_bool("MAIL_USE_TLS", config["MAIL_USE_TLS"])
    if config["WEBHOOK_KIND"] not in WEBHOOK_KINDS:
        raise ConfigError(
            f"WEBHOOK_KIND: expected one of {', '.join(WEBHOOK_KINDS)}, "
            f"got {config['WEBHOOK_KIND']!r}"
        )
    names = [name.strip() for name in str(config["NOTIFY_CHANNELS"]).split(",") if name.strip()]
    if "webhook" in names and not str(config["WEBHOOK_URL"] or "").startswith(
        ("http://", "https://")
    ):
        raise ConfigError("WEBHOOK_URL: the webhook channel needs an http:// or https:// URL")


def _instance_secret(path: Path, wait_seconds: float = 10.0) -> str:
    """Read the secret key kept in the instance folder, creating it on first start.

    Written whole to a temporary file and linked into place only if no key is there yet
    (``os.link`` fails when the name exists), so a process never sees a partial or empty key,
    and workers starting at once all end up with the first one's key. A key file found empty
    (one left by an older version's interrupted start) is waited for briefly, then refused."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        if path.exists():
            secret = path.read_text(encoding="utf-8").strip()
            if secret:
                return secret
            if time.monotonic() >= deadline:
                raise ConfigError(f"{path}: the key file is empty; delete it to generate a key")
            time.sleep(0.05)
            continue
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # atomic, and never over a key another process put there
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
