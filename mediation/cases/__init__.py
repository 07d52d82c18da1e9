from flask import Blueprint

bp = Blueprint("cases", __name__)

from . import casefile, supervision, views  # noqa: E402,F401
