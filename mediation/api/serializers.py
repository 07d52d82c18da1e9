"""JSON shapes of the API: times in ISO 8601 with the local offset, money as decimal strings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import get_locale

from ..models import Agreement, Case, CaseEvent, Deadline, Flag, Party, Unit, User
from ..platform import runtime
from ..platform.i18n import render_message
from ..services.workflow import allowed_actions, deadline_state


def instant(value: dt.datetime | None) -> str | None:
    """2026-11-26T09:30:00+08:00: the instant in the local time zone, to the second."""
    if value is None:
        return None
    return value.astimezone(runtime.tz()).isoformat(timespec="seconds")


def money(value: Decimal | None) -> str | None:
    """Yuan as a decimal string with two places ("1200.00"), never a float."""
    return None if value is None else f"{value:.2f}"


def unit_json(unit: Unit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind.value,
        "parent_code": unit.parent_code,
    }


def party_json(party: Party) -> dict:
    """A party, the ID number masked (4105**********1233) as in every list."""
    return {
        "name": party.name,
        "role": party.role.value,
        "id_number": party.masked_id_number or None,
        "phone": party.phone,
        "address": party.address,
    }


def scale_reason(case: Case) -> str:
    """The translated reasons for the case's scale, joined in the request's language."""
    separator = "、" if str(get_locale() or "").startswith("zh") else "; "
    return separator.join(render_message(reason) for reason in case.scale_reasons)


def deadline_json(deadline: Deadline) -> dict:
    """One clock of the case at one level; ``running`` until it is met, breached or stopped."""
    return {
        "clock": deadline.clock.value,
        "level": deadline.level.value,
        "started_at": instant(deadline.started_at),
        "due_at": instant(deadline.due_at),
        "warn_at": instant(deadline.warn_at),
        "met_at": instant(deadline.met_at),
        "breached_at": instant(deadline.breached_at),
        "stopped_at": instant(deadline.stopped_at),
        "provisional": deadline.is_provisional,
        "running": deadline.is_running,
        "state": deadline_state(deadline, runtime.utcnow()).value,
        "working_days": deadline.is_working_days,
        "days": deadline.days,
    }


def agreement_json(agreement: Agreement) -> dict:
    return {
        "form": agreement.form.value,
        "terms": agreement.terms,
        "points_in_dispute": agreement.points_in_dispute or "",
        "responsibilities": agreement.responsibilities or "",
        "amount_yuan": money(agreement.amount_yuan),
        "agreed_at": instant(agreement.agreed_at),
        "level": agreement.level.value,
        "unit_code": agreement.unit.code,
    }


def case_json(case: Case, user: User) -> dict:
    """The case as ``user`` sees it, with the actions he may take now. ``flags`` stays empty
    until the API shows the sweep's flags; the key is there so clients can rely on it."""
    return {
        "id": case.id,
        "number": case.number,
        "village_code": case.village.code,
        "village_name": case.village.name,
        "category": case.category.value,
        "source": case.source.value,
        "title": case.title,
        "description": case.description,
        "received_at": instant(case.received_at),
        "people_involved": case.people_involved,
        "amount_yuan": money(case.amount_yuan),
        "risks": [risk.value for risk in case.risks],
        "parties": [party_json(party) for party in case.parties],
        "scale": case.scale.value,
        "scale_reason": scale_reason(case),
        "is_scale_overridden": case.is_scale_overridden,
        "home_level": case.home_level.value,
        "level": case.level.value,
        "holder_code": case.holder.code,
        "status": case.status.value,
        "merged_into_id": case.merged_into_id,
        "version": case.version,
        "created_at": instant(case.created_at),
        "updated_at": instant(case.updated_at),
        "is_extended": case.is_extended,
        "deadlines": [deadline_json(deadline) for deadline in case.deadlines],
        "agreements": [agreement_json(agreement) for agreement in case.agreements],
        "allowed_actions": [action.value for action in allowed_actions(user, case)],
        "flags": [flag_json(flag) for flag in case.flags],
    }


def flag_json(flag: Flag) -> dict:
    return {
        "id": flag.id,
        "kind": flag.kind.value,
        "case_id": flag.case_id,
        "unit_code": flag.unit.code,
        "level": flag.level.value,
        "period": flag.period,
        "occurred_at": instant(flag.occurred_at),
        "raised_at": instant(flag.raised_at),
        "cleared_at": instant(flag.cleared_at),
    }


def event_json(event: CaseEvent) -> dict:
    """One step of a case's history; ``actor`` is the user name (None for the system)."""
    return {
        "at": instant(event.at),
        "recorded_at": instant(event.recorded_at),
        "actor": event.actor.username if event.actor else None,
        "action": event.action,
        "from_status": event.from_status.value if event.from_status else None,
        "to_status": event.to_status.value if event.to_status else None,
        "from_level": event.from_level.value if event.from_level else None,
        "to_level": event.to_level.value if event.to_level else None,
        "note": event.note or "",
        "version": event.version,
        "data": event.data or {},
    }
