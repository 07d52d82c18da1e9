"""The statistical report's page and downloads (docs/statistics.md)."""

from flask import Blueprint

bp = Blueprint("statistics", __name__)

from . import views  # noqa: E402,F401
