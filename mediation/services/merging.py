"""Merging a duplicate case into the one kept (并单).

The duplicate becomes ``merged`` (concluded, never resolved) with ``merged_into_id`` naming the
kept case: read-only (no action starts from ``merged``), its running clocks stopped and its open
flags cleared, and counted nowhere (the scorecard leaves out every merged case and its flags,
:func:`mediation.services.scorecard.counted_cases`). Both histories record the merge.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update

from ..domain.enums import CaseNews, CaseStatus, Role
from ..domain.i18n import N_, Message
from ..domain.incidents import MAX_CASE_ID as ID_MAX
from ..domain.intake import CONTROL_CHARACTERS, InvalidInput, has_control_characters
from ..domain.workflow import Refused
from ..extensions import db
from ..models import Case, CaseEvent, Deadline, Flag, User
from . import access
from .notify import holders_of, tell_units

MAX_NOTE = 2000


def can_merge(user: User) -> bool:
    """Township and county officers merge duplicates of their area."""
    return user.role in (Role.township_officer, Role.county_officer)


def parse_merge(raw: Any) -> tuple[int, str]:
    errors: dict[str, Message] = {}
    into = raw.get("into_case_id") if isinstance(raw, dict) else None
    if isinstance(into, bool) or not isinstance(into, int) or not 1 <= into <= ID_MAX:
        errors["into_case_id"] = Message(N_("Name the case to keep by its id."))
    note = raw.get("note") if isinstance(raw, dict) else None
    note = note.strip() if isinstance(note, str) else ""
    if not note:
        errors["note"] = Message(N_("Say why the cases are the same dispute."))
    elif has_control_characters(note):
        errors["note"] = CONTROL_CHARACTERS
    elif len(note) > MAX_NOTE:
        errors["note"] = Message(N_("At most %(max)s characters."), {"max": MAX_NOTE})
    if errors:
        raise InvalidInput(errors)
    return into, note


def merge(user: User, duplicate: Case, raw: Any, *, now: dt.datetime) -> Case:
    """Merge ``duplicate`` (found through access) into the case ``raw["into_case_id"]`` of the
    user's area. Returns the kept case. Refused (403) for a role that may not merge;
    InvalidInput (422) for a bad field, a case outside the area, the same case, or a case
    already merged or concluded. Flushes; the caller commits."""
    if not can_merge(user):
        raise Refused(Message(N_("Only township and county officers merge cases.")), forbidden=True)
    into_id, note = parse_merge(raw)
    kept = access.find_case(user, into_id)
    if kept is None:
        raise InvalidInput({"into_case_id": Message(N_("No such case in your area."))})
    if kept.id == duplicate.id:
        raise InvalidInput({"into_case_id": Message(N_("A case cannot be merged into itself."))})
    if kept.status is CaseStatus.merged:
        raise InvalidInput({"into_case_id": Message(N_("That case is itself a merged duplicate."))})
    if not duplicate.status.is_open:
        raise InvalidInput({"case": Message(N_("Only an open case can be merged as a duplicate."))})
    was = duplicate.status
    duplicate.status = CaseStatus.merged
    duplicate.merged_into_id = kept.id
    duplicate.concluded_at, duplicate.concluded_level = now, duplicate.level
    duplicate.concluded_action = "merge"
    duplicate.next_check_at = None
    duplicate.last_event_at = now
    duplicate.version += 1
    db.session.execute(
        update(Deadline)
        .where(Deadline.case_id == duplicate.id, Deadline.stopped_at.is_(None))
        .values(stopped_at=now)
    )
    db.session.execute(
        update(Flag)
        .where(Flag.case_id == duplicate.id, Flag.cleared_at.is_(None))
        .values(cleared_at=now)
    )
    db.session.add_all(
        [
            CaseEvent(
                case_id=duplicate.id,
                at=now,
                recorded_at=now,
                actor_id=user.id,
                action="merge",
                from_status=was,
                to_status=CaseStatus.merged,
                from_level=duplicate.level,
                to_level=duplicate.level,
                note=note,
                data={"into_case_id": kept.id, "into_case_number": kept.number},
                version=duplicate.version,
            ),
            CaseEvent(
                case_id=kept.id,
                at=now,
                recorded_at=now,
                actor_id=user.id,
                action="merged_in",
                note=note,
                data={"case_id": duplicate.id, "case_number": duplicate.number},
                version=kept.version,
            ),
        ]
    )
    db.session.flush()
    tell_units(
        CaseNews.case_merged,
        [(duplicate.id, [holders_of(duplicate.level, duplicate.holder_id)])],
        now,
        actor_id=user.id,
    )
    return kept


def duplicates_of(case: Case) -> list[Case]:
    """The cases merged into ``case``: the kept case's page shows their parties and files."""
    return list(
        db.session.scalars(select(Case).where(Case.merged_into_id == case.id).order_by(Case.id))
    )
