"""What the running app knows beyond its config: the policy in force and the local time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, has_request_context

from ..config import StartupError
from ..domain.policy import Policy, PolicyError, load_policy

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
    """The one reading of the clock for a request (the first call reads it, the later ones of
    the same request get the same instant), or a reading for a command or job; rules get it
    as an argument."""
    if not has_request_context():
        return dt.datetime.now(dt.UTC)
    if "utcnow" not in g:
        g.utcnow = dt.datetime.now(dt.UTC)
    return g.utcnow
