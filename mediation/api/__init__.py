from flask import Blueprint

bp = Blueprint("api", __name__)
# Paths name rows with <id:…> (mediation.web.IdConverter): a huge number is a 404.

from . import bodies  # noqa: E402,F401
from . import views  # noqa: E402,F401
from . import scorecards  # noqa: E402,F401
from . import incidents  # noqa: E402,F401
from . import flags  # noqa: E402,F401
