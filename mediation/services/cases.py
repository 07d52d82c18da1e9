"""Registering and finding cases."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import ScalarSelect, Select, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from ..domain.enums import Action, CaseStatus, Category, Clock, Level, Scale
from ..domain.flags import OVERDUE, kinds_for_filter
from ..domain.i18n import N_, Message
from ..domain.intake import CaseDraft, InvalidInput
from ..domain.months import Month
from ..domain.policy import Policy
from ..domain.scale import assess_scale
from ..extensions import db
from ..models import (
    Agreement,
    Attachment,
    Case,
    CaseCounter,
    CaseEvent,
    Deadline,
    Flag,
    FollowUp,
    Party,
    Supervision,
    Unit,
    User,
)
from ..platform.crypto import id_cipher, sealed_id_number
from . import access
from .notify import registration_news, tell_case_news
from .scorecard import METRIC_NAMES, case_metric_filter
from .workflow import Context, perform, start_intake_clocks


class NotAllowed(Exception):
    """The user's role may not do this (403)."""


@dataclass(frozen=True)
class LedgerRow:
    """Where a case comes from when it is a row of a village's old ledger (台账)."""

    ledger_no: str
    digest: str
    village: Unit | None = None  # the village, when the caller has it already


def register_case(
    actor: User,
    draft: CaseDraft,
    *,
    now: dt.datetime,
    policy: Policy,
    tz: ZoneInfo,
    ledger: LedgerRow | None = None,
) -> Case:
    """Record a new dispute at the registering user's own level.

    A mediator registers at the village; an officer may register a case of a village in his
    scope directly at his own level. The scale comes from the policy, with its reasons.

    A ``ledger`` row is the village's own record, typed in by an officer: registered at the
    village; already settled, it starts no follow-up clock and tells no one (docs/import.md).
    """
    if not access.can_register_case(actor):
        raise NotAllowed
    village = ledger.village if ledger and ledger.village else None
    if village is None:
        village = access.find_unit(actor, draft.village_code)
    if village is None or village.kind is not Level.village:
        raise InvalidInput({"village_code": Message(N_("Choose a village in your area."))})
    holder = village if ledger is not None else actor.unit

    assessment = assess_scale(
        people=draft.people_involved,
        amount_yuan=draft.amount_yuan,
        category=draft.category,
        risks=draft.risks,
        policy=policy.scale,
    )
    # Everything is read and worked out before the number: its upsert takes SQLite's write
    # lock, held until the caller commits, so nothing but writes follow it.
    ctx = Context.build(now, policy, tz)
    county_code = db.session.get(Unit, village.county_id).code
    case = Case(
        village_id=village.id,
        township_id=village.township_id,
        county_id=village.county_id,
        holder_id=holder.id,
        level=holder.kind,
        status=CaseStatus.registered,
        category=draft.category,
        source=draft.source,
        title=draft.title,
        description=draft.description,
        received_at=draft.received_at,
        people_involved=draft.people_involved,
        scale=assessment.scale,
        home_level=assessment.scale.home_level,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
        last_event_at=now,
        next_check_at=now,
        highest_level=holder.kind,
        ledger_no=ledger.ledger_no if ledger else None,
        ledger_digest=ledger.digest if ledger else None,
    )
    case.amount_yuan = draft.amount_yuan
    case.risks = draft.risks
    case.scale_reasons = assessment.reasons
    case.parties = [
        Party(
            position=index,
            name=party.name,
            role=party.role,
            **sealed_id_number(party.id_number),
            phone=party.phone,
            address=party.address,
        )
        for index, party in enumerate(draft.parties)
    ]
    # A new case has none of these yet: saying so spares a SELECT for each when the clocks
    # start and when the case is shown.
    case.deadlines, case.flags, case.agreements, case.follow_ups = [], [], [], []
    start_intake_clocks(case, ctx)
    case.events = [
        CaseEvent(
            at=now,
            recorded_at=now,
            actor_id=actor.id,
            action="register",
            to_status=case.status,
            to_level=case.level,
            data={"scale": case.scale.value},
            version=1,  # the version a new case is written with
        )
    ]
    case.number = _next_number(village.county_id, county_code, now.astimezone(tz).year)
    db.session.add(case)
    # One flush writes the case, its parties, clocks and event together.
    db.session.flush()
    if draft.resolved_at is not None and ledger is not None:
        _settled_in_the_ledger(actor, case, draft, ctx)
    elif draft.resolved_at is not None:
        _settled_on_the_spot(actor, case, draft, ctx)
    elif (news := registration_news(case)) is not None:
        tell_case_news(case, news, now, actor)
    return case


def _settled_on_the_spot(actor: User, case: Case, draft: CaseDraft, ctx: Context) -> None:
    """A dispute settled on the spot (当场调解) and written in later: accepted when it was
    received and resolved when it was settled, each action at its own instant through the
    workflow, so its clocks are judged against those instants (written now). Resolved, it
    never goes up by itself."""
    perform(actor, case, Action.accept, {}, version=None, ctx=ctx.at(draft.received_at))
    raw = {"agreement": draft.agreement}
    perform(actor, case, Action.resolve, raw, version=None, ctx=ctx.at(draft.resolved_at))


def _settled_in_the_ledger(actor: User, case: Case, draft: CaseDraft, ctx: Context) -> None:
    """A settled row of a village's ledger: accepted and resolved at the village on the
    ledger's dates as the settled intake does (the state machine judging them, not the
    officer's role: the village did it, the officer types it in), recorded by the officer.
    Settled long ago, it starts no follow-up or judicial-confirmation clock and tells no one."""
    for action, raw, at in (
        (Action.accept, {}, draft.received_at),
        (Action.resolve, {"agreement": draft.agreement}, draft.resolved_at),
    ):
        event = perform(None, case, action, raw, version=None, ctx=ctx.at(at))
        event.actor_id = actor.id
    for deadline in list(case.deadlines):
        if deadline.clock in AFTER_SETTLEMENT and deadline.stopped_at is None:
            case.deadlines.remove(deadline)
    db.session.flush()


# The clocks an agreement starts: a ledger's old settlements have none running.
AFTER_SETTLEMENT = frozenset({Clock.follow_up, Clock.judicial_confirmation})


def _next_number(county_id: int, county_code: str, year: int) -> str:
    """410522-2026-000123: the county's code, the year, and a per-county, per-year sequence."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # One upsert takes the next number: atomic on both databases, one statement.
    statement = insert(CaseCounter).values(county_id=county_id, year=year, last=1)
    last = db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["county_id", "year"],
            set_={"last": CaseCounter.last + 1},
        ).returning(CaseCounter.last)
    ).scalar_one()
    return f"{county_code[:6]}-{year}-{last:06d}"


# The nearest deadline of a case's running clocks (NULL when none runs), per row of a case query.
NEAREST_DUE = (
    select(func.min(Deadline.due_at))
    .where(Deadline.case_id == Case.id, Deadline.stopped_at.is_(None))
    .correlate(Case)
    .scalar_subquery()
)

SORTS = {
    "-received_at": (Case.received_at.desc(), Case.id.desc()),
    "deadline": (NEAREST_DUE.is_(None), NEAREST_DUE.asc(), Case.id.asc()),  # none running: last
    "received_at": (Case.received_at.asc(), Case.id.asc()),
    "-number": (Case.number.desc(),),
    "number": (Case.number.asc(),),
    "-people": (Case.people_involved.desc(), Case.id.desc()),
    "-amount": (Case.amount_fen.desc(), Case.id.desc()),
}


FILTER_DATE_MIN = dt.date(1900, 1, 1)
FILTER_DATE_MAX = dt.date(9998, 12, 31)


@dataclass
class CaseFilters:
    """What a case list is narrowed to; built by :func:`parse_filters` from query parameters."""

    status: CaseStatus | None = None
    level: Level | None = None
    scale: Scale | None = None
    category: Category | None = None
    unit: Unit | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    q: str = ""
    sort: str = "-received_at"
    # A figure of the monthly scorecard and its month: exactly the cases counted in it.
    metric: str = ""
    month: Month | None = None
    # Open flags: some of these kinds (a kind, or all rule violations), or any overdue clock.
    flag_kinds: frozenset | None = None
    flag: str = ""
    overdue: bool = False
    # The other disputes of a party's person (same ID number): that party, by id.
    person: Party | None = None
    # The cases of a person by ID number: the number's keyed hash (see person_key).
    person_key: str = ""
    errors: dict[str, Message] = field(default_factory=dict)


def parse_filters(user: User, args, tz: ZoneInfo) -> CaseFilters:
    """Filters from query parameters; a bad value is reported by name and ignored."""
    filters = CaseFilters(q=args.get("q", "").strip()[:100])
    _parse_choices(filters, args)
    code = args.get("unit", "") or args.get("village", "")
    if code:
        filters.unit = access.find_unit(user, code)
        if filters.unit is None:
            filters.errors["unit"] = Message(N_("No such unit in your area."))
    _parse_dates(filters, args)
    _parse_metric(filters, args)
    _parse_flags(filters, args)
    _parse_person(filters, user, args)
    return filters


def _parse_choices(filters: CaseFilters, args) -> None:
    """``status``, ``level``, ``scale``, ``category`` (enum values) and ``sort``."""
    for key, enum_type in (
        ("status", CaseStatus),
        ("level", Level),
        ("scale", Scale),
        ("category", Category),
    ):
        if value := args.get(key, ""):
            member = enum_type.parse(value)
            if member is None:
                filters.errors[key] = Message(N_("Not a valid choice."))
            setattr(filters, key, member)
    if sort := args.get("sort", ""):
        if sort in SORTS:
            filters.sort = sort
        else:
            filters.errors["sort"] = Message(N_("Not a valid choice."))


def _parse_dates(filters: CaseFilters, args) -> None:
    """``received_from`` and ``received_to``: local days, both ends included."""
    for key in ("received_from", "received_to"):
        if value := args.get(key, ""):
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                day = None
            # Days at the ends of the calendar overflow once moved to UTC (a 500, not a filter).
            if day is None or not FILTER_DATE_MIN <= day <= FILTER_DATE_MAX:
                filters.errors[key] = Message(N_("Enter a date such as 2026-11-26."))
            else:
                setattr(filters, key, day)


def _parse_flags(filters: CaseFilters, args) -> None:
    """``flag`` (a kind, or a group of kinds) and ``overdue=1``: open flags of the case."""
    if flag := args.get("flag", "").strip():
        filters.flag_kinds = kinds_for_filter(flag)
        if filters.flag_kinds is None:
            filters.errors["flag"] = Message(N_("Not a valid choice."))
        else:
            filters.flag = flag
    overdue = args.get("overdue", "").strip()
    if overdue not in ("", "0", "1"):
        filters.errors["overdue"] = Message(N_("Not a valid choice."))
    filters.overdue = overdue == "1"


def _parse_person(filters: CaseFilters, user: User, args) -> None:
    """``person_key`` (an ID number's keyed hash) or ``person`` (a party of the user's area)."""
    if key := args.get("person_key", "").strip():
        if ID_HASH_SHAPE.fullmatch(key):
            filters.person_key = key
        else:
            filters.errors["person_key"] = Message(N_("Not a valid choice."))
    if person := args.get("person", "").strip():
        filters.person = find_party(user, person)
        if filters.person is None:
            filters.errors["person"] = Message(N_("No such party in your area."))


def find_party(user: User, party_id: str) -> Party | None:
    """A party with an ID number, of a case in the user's area; else None."""
    if not party_id.isdigit() or len(party_id) > 18:
        return None
    party = db.session.get(Party, int(party_id))
    if party is None or not party.id_number_hash or access.find_case(user, party.case_id) is None:
        return None
    return party


ID_HASH_SHAPE = re.compile(r"[0-9a-f]{64}")


def person_key(id_number: str) -> str:
    """What the case list filters a person by: the keyed hash of the (valid, normalised) ID
    number, so that the number itself never appears in a URL."""
    return id_cipher().lookup_hash(id_number)


def _parse_metric(filters: CaseFilters, args) -> None:
    """``metric`` (a figure of the scorecard) and ``month`` (YYYY-MM) come together."""
    metric, month = args.get("metric", "").strip(), args.get("month", "").strip()
    if not metric and not month:
        return
    if metric not in METRIC_NAMES:
        filters.errors["metric"] = Message(N_("Not a valid choice."))
    try:
        filters.month = Month.parse(month)
    except ValueError:
        filters.errors["month"] = Message(N_("Enter a month such as 2026-11."))
    if "metric" not in filters.errors and filters.month is not None:
        filters.metric = metric
    else:
        filters.month = None


def search_cases(user: User, filters: CaseFilters, tz: ZoneInfo) -> Select[tuple[Case]]:
    """The user's visible cases narrowed by ``filters``, in the chosen order."""
    query = access.visible_cases(user)
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.level:
        query = query.where(Case.level == filters.level)
    if filters.scale:
        query = query.where(Case.scale == filters.scale)
    if filters.category:
        query = query.where(Case.category == filters.category)
    if filters.unit is not None:
        query = query.where(access.within(filters.unit, Case))
    if filters.metric and filters.month is not None:
        query = query.where(case_metric_filter(filters.metric, filters.month, tz))
    for kinds in (filters.flag_kinds, OVERDUE if filters.overdue else None):
        if kinds:
            query = query.where(
                exists().where(
                    Flag.case_id == Case.id, Flag.kind.in_(list(kinds)), Flag.cleared_at.is_(None)
                )
            )
    if filters.received_from:
        query = query.where(Case.received_at >= _local_midnight(filters.received_from, tz))
    if filters.received_to:
        next_day = filters.received_to + dt.timedelta(days=1)
        query = query.where(Case.received_at < _local_midnight(next_day, tz))
    if filters.q:
        pattern = (
            "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        party_match = exists().where(
            Party.case_id == Case.id, Party.name.like(pattern, escape="\\")
        )
        query = query.where(
            or_(
                Case.title.like(pattern, escape="\\"),
                Case.number.like(pattern, escape="\\"),
                party_match,
            )
        )
    if filters.person_key:
        query = query.where(
            exists().where(Party.case_id == Case.id, Party.id_number_hash == filters.person_key)
        )
    if filters.person is not None:
        query = query.where(
            Case.id != filters.person.case_id,
            exists().where(
                Party.case_id == Case.id, Party.id_number_hash == filters.person.id_number_hash
            ),
        )
    return query.order_by(*SORTS[filters.sort])


class CasePage(SelectPagination):
    """A page of a case list, found by ids first: a deep page (page 500) walks the index
    over ids only, then reads just its twenty cases, instead of reading every case it skips."""

    def _query_items(self) -> list[Case]:
        query, session = self._query_args["select"], self._query_args["session"]
        ids = session.scalars(
            query.with_only_columns(Case.id).limit(self.per_page).offset(self._query_offset)
        ).all()
        if not ids:
            return []
        found = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_(ids)))}
        return [found[case_id] for case_id in ids if case_id in found]


def page_of_cases(
    query: Select[tuple[Case]],
    *,
    page: int | None = None,
    per_page: int,
    max_per_page: int | None = 100,
) -> CasePage:
    """A page of ``query`` (the request's ``page`` unless given), with the total."""
    return CasePage(
        select=query,
        session=db.session(),
        page=page,
        per_page=per_page,
        max_per_page=max_per_page,
        error_out=False,
        count=True,
    )


def _local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def nearest_deadlines(case_ids: list[int]) -> dict[int, Deadline]:
    """For a page of cases, each one's running deadline that falls first (one query)."""
    nearest: dict[int, Deadline] = {}
    if not case_ids:
        return nearest
    for deadline in db.session.scalars(
        select(Deadline)
        .where(Deadline.case_id.in_(case_ids), Deadline.stopped_at.is_(None))
        .order_by(Deadline.due_at, Deadline.id)
    ):
        nearest.setdefault(deadline.case_id, deadline)
    return nearest


class CaseFileSize(NamedTuple):
    """How many rows of each kind outside the case's own a case page shows."""

    attachments: int
    supervisions: int
    merged: int  # the duplicates merged into the case
    flags: int
    agreements: int
    follow_ups: int


# The case's collections a page reads whole: one counted as empty is set empty, not queried.
_EMPTY_WHEN_UNCOUNTED = ("flags", "agreements", "follow_ups")


def case_file_size(case: Case) -> CaseFileSize:
    """The counts of a case at hand (one query)."""
    return CaseFileSize(*db.session.execute(select(*_file_size_of(case.id))).one())


def find_case_for_page(user: User, case_id: int) -> tuple[Case, CaseFileSize] | None:
    """The case as :func:`access.find_case` finds it, with its counts in the same query: the
    page of a case without files, notices, duplicates, flags, agreements or visits (most
    cases lack several) reads none of them."""
    row = db.session.execute(
        access.visible_cases(user).where(Case.id == case_id).add_columns(*_file_size_columns())
    ).one_or_none()
    if row is None:
        return None
    case, size = row[0], CaseFileSize(*row[1:])
    for name in _EMPTY_WHEN_UNCOUNTED:
        if not getattr(size, name):
            set_committed_value(case, name, [])
    return case, size


# The merged duplicates are the cases table again, under another name. The alias is made
# once, here: each new alias makes SQLAlchemy adapt every column of the table anew, which
# cost a case page about 5 ms.
_duplicate = aliased(Case)


def _file_size_of(case_id) -> list[ScalarSelect[int]]:
    """The counts of the case ``case_id`` (a value, or the outer query's column), in the
    order of :class:`CaseFileSize`."""
    return [
        select(func.count()).where(column == case_id).scalar_subquery()
        for column in (
            Attachment.case_id,
            Supervision.case_id,
            _duplicate.merged_into_id,
            Flag.case_id,
            Agreement.case_id,
            FollowUp.case_id,
        )
    ]


@functools.cache
def _file_size_columns() -> list[ScalarSelect[int]]:
    """The counts of the outer query's case: the same for every page, so built once."""
    return _file_size_of(Case.id)


def case_history(case: Case) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )
