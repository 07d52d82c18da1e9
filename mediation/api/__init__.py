from flask import Blueprint

bp = Blueprint("api", __name__)
# Paths name rows with <id:…> (mediation.platform.web.IdConverter): a huge number is a 404.

from . import (  # noqa: E402,F401  (routes register)
    attachments,
    bodies,
    flags,
    incidents,
    notifications,
    scorecards,
    statistics,
    supervision,
    views,
)
