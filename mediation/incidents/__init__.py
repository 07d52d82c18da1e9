"""Pages of the 三零 inputs: incidents recorded by officers, the villages' monthly screening."""

from flask import Blueprint

bp = Blueprint("incidents", __name__)

from . import views  # noqa: E402,F401
