"""Parties' ID numbers: the logged reveal of a full number, and other disputes of the same person.

The number itself is stored encrypted (see ``mediation.platform.crypto``); a person is
recognised across cases by the keyed hash of the number, counted only among the cases the user
may see.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, delete, func, or_, select

from ..domain.enums import OPEN_STATUSES
from ..extensions import db
from ..models import Case, Party, User
from ..models.cases import IdAccessLog, IdLookup
from ..platform.crypto import id_cipher
from . import access


class NotFound(Exception):
    """No such case or party in the user's area, or the party has no ID number (404)."""


class NotAllowed(Exception):
    """The user's role may not see full ID numbers (403)."""


class TooManyLookups(Exception):
    """The user looked up more ID numbers in the last hour than LOOKUPS_PER_HOUR (429)."""


# Intake looks up a number or two per party; hundreds an hour is someone undoing masks.
LOOKUPS_PER_HOUR = 60


def reveal_id_number(
    user: User, case_id: int, party_id: int, *, now: dt.datetime, ip: str | None
) -> tuple[Party, str]:
    """The party and its full ID number, for an officer whose area holds the case; the view is
    written to the access log (who, case, party, UTC instant, address). Flushes; the caller
    commits, so a view is never shown without its log row."""
    case = access.find_case(user, case_id)
    if case is None:
        raise NotFound
    if not access.can_reveal_id_numbers(user):
        raise NotAllowed
    party = next((p for p in case.parties if p.id == party_id), None)
    if party is None or not party.has_id_number:
        raise NotFound
    number = id_cipher().decrypt(party.id_number_enc)
    ip = ip[:45] if ip else None  # the longest IPv6 text
    db.session.add(IdAccessLog(user_id=user.id, case_id=case.id, party_id=party.id, at=now, ip=ip))
    db.session.flush()
    return party, number


def reveal_for_print(user: User, case: Case, *, now: dt.datetime, ip: str | None) -> dict[int, str]:
    """The parties' full ID numbers for the printed agreement (party id → number), for a user
    allowed to see them; each number printed is logged as a view (who, case, party, UTC
    instant, address). Anyone else gets none: the print shows the mask. Flushes; the caller
    commits before the page is sent."""
    if not access.can_reveal_id_numbers(user):
        return {}
    ip = ip[:45] if ip else None
    numbers = {}
    for party in case.parties:
        if party.has_id_number:
            numbers[party.id] = id_cipher().decrypt(party.id_number_enc)
            db.session.add(
                IdAccessLog(user_id=user.id, case_id=case.id, party_id=party.id, at=now, ip=ip)
            )
    db.session.flush()
    return numbers


def disputes_of_person(user: User, id_number: str) -> int:
    """How many cases in the user's area have a party with this (valid, normalised) ID number."""
    return (
        db.session.scalar(
            select(func.count(func.distinct(Case.id)))
            .join(Party, Party.case_id == Case.id)
            .where(
                access.case_scope(user), Party.id_number_hash == id_cipher().lookup_hash(id_number)
            )
        )
        or 0
    )


def look_up_person(user: User, id_number: str, *, now: dt.datetime) -> int:
    """On intake: the disputes of the person with this ID number in the user's area (as
    :func:`disputes_of_person`), counting the lookup. Whether a number is known tells something
    about it, so a user gets at most LOOKUPS_PER_HOUR lookups in any hour (UTC instants);
    beyond that TooManyLookups, and nothing is looked up. Flushes; the caller commits."""
    since = now - dt.timedelta(hours=1)
    db.session.execute(delete(IdLookup).where(IdLookup.user_id == user.id, IdLookup.at <= since))
    used = db.session.scalar(
        select(func.count()).select_from(IdLookup).where(IdLookup.user_id == user.id)
    )
    if used >= LOOKUPS_PER_HOUR:
        raise TooManyLookups
    db.session.add(IdLookup(user_id=user.id, at=now))
    db.session.flush()
    return disputes_of_person(user, id_number)


def other_disputes(user: User, case: Case) -> dict[int, int]:
    """For each party of ``case`` with an ID number: the other cases in the user's area with a
    party of the same number (party id → count; parties with none are left out). One query."""
    by_hash: dict[str, list[int]] = {}
    for party in case.parties:
        if party.id_number_hash:
            by_hash.setdefault(party.id_number_hash, []).append(party.id)
    if not by_hash:
        return {}
    rows = db.session.execute(
        select(Party.id_number_hash, func.count(func.distinct(Case.id)))
        .join(Case, Party.case_id == Case.id)
        .where(access.case_scope(user), Party.id_number_hash.in_(by_hash), Case.id != case.id)
        .group_by(Party.id_number_hash)
    ).all()
    return {party_id: count for hash_, count in rows for party_id in by_hash[hash_]}


def earlier_disputes_of_parties(user: User, case: Case) -> list[tuple[Party, int]]:
    """After intake: the parties of the new case who already appear in other cases of the
    user's area, with how many."""
    counts = other_disputes(user, case)
    return [(party, counts[party.id]) for party in case.parties if counts.get(party.id)]


def open_duplicates(user: User, case: Case) -> list[Case]:
    """Open cases of the user's area other than ``case`` that may be the same dispute: a party
    with the same ID number, or a party of the same name in the same village. One query. Shown
    on intake and on the case page, where an officer may merge them (并单)."""
    hashes = {party.id_number_hash for party in case.parties if party.id_number_hash}
    names = {party.name.strip() for party in case.parties if party.name and party.name.strip()}
    same = []
    if hashes:
        same.append(Party.id_number_hash.in_(hashes))
    if names:
        same.append(and_(Case.village_id == case.village_id, Party.name.in_(names)))
    if not same:
        return []
    ids = (
        select(Party.case_id)
        .join(Case, Party.case_id == Case.id)
        .where(
            access.case_scope(user),
            Case.id != case.id,
            Case.status.in_(list(OPEN_STATUSES)),
            or_(*same),
        )
    )
    return list(
        db.session.scalars(
            select(Case).where(Case.id.in_(ids)).order_by(Case.received_at.desc(), Case.id)
        )
    )


def id_access_log(user: User):
    """The access log of the cases in the reader's area, newest first (a query to paginate)."""
    return (
        select(IdAccessLog)
        .join(Case, IdAccessLog.case_id == Case.id)
        .where(access.case_scope(user))
        .order_by(IdAccessLog.at.desc(), IdAccessLog.id.desc())
    )
