"""Database models. Import from here: ``from mediation.models import Case, Unit, User``."""

from .cases import Case, CaseCounter, CaseEvent, Party
from .units import Unit
from .users import ApiToken, User

__all__ = ["ApiToken", "Case", "CaseCounter", "CaseEvent", "Party", "Unit", "User"]
