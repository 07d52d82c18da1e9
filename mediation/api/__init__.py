from flask import Blueprint
from werkzeug.routing import IntegerConverter


class IdConverter(IntegerConverter):
    """``<id:case_id>``: a row id of 1 to 10 digits; a longer number is not found (404). The
    views also refuse ids above ``openapi.ID_MAX`` (PostgreSQL's integer: a larger one is an
    error there, not an empty answer)."""

    regex = r"[1-9]\d{0,9}"


bp = Blueprint("api", __name__)
# Before the routes below are added: a rule compiles its converters when it is added.
bp.record_once(lambda state: state.app.url_map.converters.setdefault("id", IdConverter))

from . import bodies  # noqa: E402,F401
from . import views  # noqa: E402,F401
from . import scorecards  # noqa: E402,F401
from . import incidents  # noqa: E402,F401
from . import flags  # noqa: E402,F401
