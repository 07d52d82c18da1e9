"""Database models. Import from here: ``from mediation.models import Case, Unit, User``."""

from .attachments import Attachment
from .cases import Case, CaseCheck, CaseCounter, CaseEvent, Party
from .flags import Flag, Lease, Notification
from .idempotency import IdempotencyKey
from .incidents import Incident, IncidentRevision, Mark, ScorecardSnapshot, Screening
from .outbox import Delivery, DeliveryAttempt
from .supervision import Supervision
from .units import Unit
from .users import ApiToken, User
from .workflow import Agreement, CalendarDay, CalendarYear, Deadline, FollowUp

__all__ = [
    "Agreement",
    "Attachment",
    "ApiToken",
    "CalendarDay",
    "CalendarYear",
    "Case",
    "CaseCheck",
    "CaseCounter",
    "CaseEvent",
    "Deadline",
    "Delivery",
    "DeliveryAttempt",
    "Flag",
    "FollowUp",
    "IdempotencyKey",
    "Incident",
    "IncidentRevision",
    "Mark",
    "ScorecardSnapshot",
    "Screening",
    "Supervision",
    "Lease",
    "Notification",
    "Party",
    "Unit",
    "User",
]
