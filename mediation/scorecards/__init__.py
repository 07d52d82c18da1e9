from flask import Blueprint

bp = Blueprint("scorecards", __name__)

from . import views  # noqa: E402,F401
