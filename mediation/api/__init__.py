from flask import Blueprint

bp = Blueprint("api", __name__)

from . import views  # noqa: E402,F401
from . import scorecards  # noqa: E402,F401
from . import incidents  # noqa: E402,F401
from . import flags  # noqa: E402,F401
