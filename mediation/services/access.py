"""The one place that decides what a user may see and do.

A user sees the subtree of the unit they are bound to and nothing else: every list, detail view,
export, API call and autocomplete asks here. Out-of-scope data is simply not found (404).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from ..domain.enums import Level, Role
from ..extensions import db
from ..models import (
    Attachment,
    Case,
    Delivery,
    Flag,
    Incident,
    Notification,
    Screening,
    Unit,
    User,
)
from ..models.units import village_full_name


def in_subtree(unit: Unit, *, village_id, township_id, county_id) -> ColumnElement[bool]:
    """A WHERE clause: rows whose village, township or county column (the one of ``unit``'s
    kind) is ``unit``. The one mapping from a unit's level to the column that scopes by it."""
    column = {Level.village: village_id, Level.township: township_id, Level.county: county_id}
    return column[unit.kind] == unit.id


def within(unit: Unit, model) -> ColumnElement[bool]:
    """Rows of ``model`` (a table with village_id, township_id and county_id: cases,
    incidents, screenings) in ``unit``'s subtree."""
    return in_subtree(
        unit,
        village_id=model.village_id,
        township_id=model.township_id,
        county_id=model.county_id,
    )


def unit_scope(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Unit: the units in the user's subtree (their own unit included)."""
    return in_subtree(
        user.unit, village_id=Unit.id, township_id=Unit.township_id, county_id=Unit.county_id
    )


def case_scope(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Case: the cases arising in the user's subtree."""
    return within(user.unit, Case)


def flags_within(unit: Unit) -> ColumnElement[bool]:
    """A WHERE clause on Flag: the flags of cases and units in ``unit``'s subtree (a flag
    names its village as ``unit_id``)."""
    return in_subtree(
        unit, village_id=Flag.unit_id, township_id=Flag.township_id, county_id=Flag.county_id
    )


def flag_scope(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Flag: the flags of cases and units in the user's subtree."""
    return flags_within(user.unit)


def incident_scope(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Incident: the incidents of villages in the user's subtree."""
    return within(user.unit, Incident)


def visible_incidents(user: User) -> Select[tuple[Incident]]:
    return select(Incident).where(incident_scope(user))


def find_incident(user: User, incident_id: int) -> Incident | None:
    """The incident with this id if the user may see it, else None (the caller answers 404)."""
    return db.session.scalars(
        visible_incidents(user).where(Incident.id == incident_id)
    ).one_or_none()


def visible_screenings(user: User) -> Select[tuple[Screening]]:
    return select(Screening).where(within(user.unit, Screening))


def can_record_incidents(user: User) -> bool:
    """Petitions, accidents, criminal and public-order cases are recorded by officers."""
    return user.role in (Role.township_officer, Role.county_officer)


def can_file_screenings(user: User) -> bool:
    """A mediator files his village's monthly report; an officer may file one for a village."""
    return user.role in (Role.mediator, Role.township_officer, Role.county_officer)


def visible_flags(user: User) -> Select[tuple[Flag]]:
    return select(Flag).where(flag_scope(user))


def inbox(user: User) -> Select[tuple[Notification]]:
    """The user's own notifications about flags and cases still in their area."""
    return (
        select(Notification)
        .outerjoin(Flag, Notification.flag_id == Flag.id)
        .outerjoin(Case, Notification.case_id == Case.id)
        .where(
            Notification.user_id == user.id,
            or_(
                and_(Notification.flag_id.is_not(None), flag_scope(user)),
                and_(Notification.flag_id.is_(None), case_scope(user)),
            ),
        )
    )


def visible_units(user: User) -> Select[tuple[Unit]]:
    return select(Unit).where(unit_scope(user))


def visible_cases(user: User) -> Select[tuple[Case]]:
    return select(Case).where(case_scope(user))


def find_case(user: User, case_id: int) -> Case | None:
    """The case with this id if the user may see it, else None (the caller answers 404)."""
    return db.session.scalars(visible_cases(user).where(Case.id == case_id)).one_or_none()


def visible_attachments(user: User) -> Select[tuple[Attachment]]:
    """The files of the cases the user may see: scoped exactly like their case."""
    return select(Attachment).join(Case, Attachment.case_id == Case.id).where(case_scope(user))


def find_attachment(user: User, attachment_id: int) -> Attachment | None:
    """The attachment with this id if the user may see its case, else None (404)."""
    return db.session.scalars(
        visible_attachments(user).where(Attachment.id == attachment_id)
    ).one_or_none()


def can_attach_files(user: User) -> bool:
    """Who adds files to a case they can see: the roles that handle cases (mediators and
    officers), not viewers or admins."""
    return user.role in (Role.mediator, Role.township_officer, Role.county_officer)


def find_user(admin: User, user_id: int) -> User | None:
    """A user bound to a unit in the admin's subtree, else None (the caller answers 404)."""
    return db.session.scalar(
        select(User)
        .join(Unit, User.unit_id == Unit.id)
        .where(User.id == user_id, unit_scope(admin))
    )


def deliveries(admin: User) -> Select[tuple[Delivery]]:
    """The outbox rows of the users in the admin's subtree."""
    return (
        select(Delivery)
        .join(User, Delivery.user_id == User.id)
        .join(Unit, User.unit_id == Unit.id)
        .where(unit_scope(admin))
    )


def find_delivery(admin: User, delivery_id: int) -> Delivery | None:
    """An outbox row of a user in the admin's subtree, else None (the caller answers 404)."""
    return db.session.scalar(deliveries(admin).where(Delivery.id == delivery_id))


def find_unit(user: User, code: str) -> Unit | None:
    """The unit with this code if it lies in the user's subtree, else None."""
    return db.session.scalars(visible_units(user).where(Unit.code == code)).one_or_none()


def units(user: User, *kinds: Level, ids: Iterable[int] | None = None) -> list[Unit]:
    """The units of the user's subtree in code order (tree order), only of ``kinds`` when
    given, only these ``ids`` when given."""
    query = visible_units(user)
    if kinds:
        query = query.where(Unit.kind.in_(kinds))
    if ids is not None:
        query = query.where(Unit.id.in_(list(ids)))
    return list(db.session.scalars(query.order_by(Unit.code)))


def users(admin: User) -> list[User]:
    """The users bound to units of the admin's subtree, by user name."""
    return list(
        db.session.scalars(
            select(User)
            .join(Unit, User.unit_id == Unit.id)
            .where(unit_scope(admin))
            .order_by(User.username)
        )
    )


def villages(user: User) -> list[Unit]:
    """The villages a user can pick for a case (intake, filters), by township then name."""
    return list(
        db.session.scalars(
            visible_units(user)
            .where(Unit.kind == Level.village)
            .order_by(Unit.township_id, Unit.code)
        )
    )


class VillageChoice(NamedTuple):
    """A village as a choice in a form or filter: its code and its name after its township's
    (as ``Unit.full_name``)."""

    code: str
    full_name: str


def village_choices(user: User) -> list[VillageChoice]:
    """The villages of :func:`villages` (same scope, same order) as codes and names only: a
    county's 400 villages without building 400 units and their townships and county."""
    township = aliased(Unit)
    rows = db.session.execute(
        select(Unit.code, Unit.name, township.name)
        .outerjoin(township, township.id == Unit.parent_id)
        .where(unit_scope(user), Unit.kind == Level.village)
        .order_by(Unit.township_id, Unit.code)
    )
    return [VillageChoice(code, village_full_name(name, parent)) for code, name, parent in rows]


def can_register_case(user: User) -> bool:
    return user.role.registers_cases


def can_reveal_id_numbers(user: User) -> bool:
    """The full ID number of a party, for the officers who handle the cases of their area (each
    view is logged); mediators, viewers and admins see the mask only. The admin manages units
    and accounts, not disputes, so needs no one's number; he reads the access log instead."""
    return user.role in (Role.township_officer, Role.county_officer)


def can_read_id_access_log(user: User) -> bool:
    """Who looked at which full ID number, for the cases of the reader's area."""
    return user.role in (Role.township_officer, Role.county_officer, Role.admin)


def can_read_statistics(user: User) -> bool:
    """The statistical report is the offices' work: township and county officers (and the
    viewers who read their area's figures), for units of their area."""
    return user.role in (Role.township_officer, Role.county_officer, Role.viewer)


def report_units(user: User) -> list[Unit]:
    """The units of the user's area a report can be asked for: the user's own, then the
    townships (a county's 400 villages are asked for by code)."""
    return list(
        db.session.scalars(
            visible_units(user)
            .where(Unit.kind != Level.village)
            .order_by(Unit.kind, Unit.code)  # "county" sorts before "township"
        )
    )


def can_import_ledgers(user: User) -> bool:
    """Old village ledgers (台账) are imported by the township and county officers, for the
    villages of their area."""
    return user.role in (Role.township_officer, Role.county_officer)


def can_administer(user: User) -> bool:
    return user.role is Role.admin


def can_publish_scorecard(user: User) -> bool:
    """Freezing a county's month by hand, or publishing a revision of it (with a reason)."""
    return user.role is Role.county_officer


def unit_rows_outside_scope(user: User, rows) -> list:
    """The rows of a unit import that would create or change a unit outside the user's area:
    a county, a code that exists elsewhere, or a parent neither in scope nor in the file."""
    codes = [row.code for row in rows] + [row.parent_code for row in rows if row.parent_code]
    everywhere = set(db.session.scalars(select(Unit.code).where(Unit.code.in_(codes))))
    mine = set(
        db.session.scalars(
            visible_units(user).with_only_columns(Unit.code).where(Unit.code.in_(codes))
        )
    )
    in_file = {row.code for row in rows}
    return [
        row
        for row in rows
        if row.kind is Level.county
        or (row.code in everywhere and row.code not in mine)
        or (row.parent_code not in mine and row.parent_code not in in_file)
    ]
