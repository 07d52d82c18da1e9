"""What the running app knows beyond its config: the policy in force and the local time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from .config import StartupError
from .domain.policy import Policy, PolicyError, load_policy

__all__ = ["StartupError", "init_app", "policy", "tz", "utcnow"]


def init_app(app: Flask) -> None:
    try:
        policy = load_policy(app.config["MEDIATION_POLICY"])
    except PolicyError as error:
        raise StartupError(f"policy: {error}") from None
    app.extensions["mediation"] = {"policy": policy, "tz": ZoneInfo(app.config["MEDIATION_TZ"])}


def policy() -> Policy:
    return current_app.extensions["mediation"]["policy"]


def tz() -> ZoneInfo:
    return current_app.extensions["mediation"]["tz"]


def utcnow() -> dt.datetime:
    """The one reading of the clock for a request, command or job; rules get it as an argument."""
    return dt.datetime.now(dt.UTC)
