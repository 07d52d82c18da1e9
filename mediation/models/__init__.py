"""Database models. Import from here: ``from mediation.models import Case, Unit, User``."""

from .cases import Case, CaseCounter, CaseEvent, Party
from .flags import Flag, Lease, Notification
from .idempotency import IdempotencyKey
from .incidents import Incident, IncidentRevision, Mark, ScorecardSnapshot, Screening
from .units import Unit
from .users import ApiToken, User
from .workflow import Agreement, CalendarDay, CalendarYear, Deadline, FollowUp

__all__ = [
    "Agreement",
    "ApiToken",
    "CalendarDay",
    "CalendarYear",
    "Case",
    "CaseCounter",
    "CaseEvent",
    "Deadline",
    "Flag",
    "FollowUp",
    "IdempotencyKey",
    "Incident",
    "IncidentRevision",
    "Mark",
    "ScorecardSnapshot",
    "Screening",
    "Lease",
    "Notification",
    "Party",
    "Unit",
    "User",
]
