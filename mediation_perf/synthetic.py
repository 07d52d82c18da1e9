"""Synthetic data for benchmarks: ``flask --app app gen-data``.

A province in miniature: counties of twenty townships of twenty villages, a mediator in every
village and officers above them, and two years of disputes that lived through the same rules as
real ones. Each case is played forward through the very functions the workflow and the sweep
use (:mod:`mediation.domain.progress`: clocks started and stopped by each action on the real
working-day calendar, deadlines falling due, facts dated by the rules, the village case going
up by itself), with the scale from :func:`assess_scale`: received at its village, or at the
township or county its scale belongs to, accepted, escalated by hand or automatically when the
village's settle time runs out (at each instant something falls due, the case is brought up to
date as the sweep would), then resolved (agreement, follow-up visit), referred or withdrawn, or
still open at the reference instant, where it is left exactly as a sweep then would leave it.
Beside the cases: incidents and monthly screening reports over the same 24 months, and the
screening_missing flags of the months whose report was missing at its deadline.

The rows go in by bulk inserts on the DB-API connection (``executemany`` on SQLite, ``COPY``
on PostgreSQL) with primary keys given here, in batches of whole cases, each committed. The
same arguments and ``--now`` give the same data.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import multiprocessing
import os
import random
import sqlite3
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex
from werkzeug.security import generate_password_hash

from mediation.domain import progress
from mediation.domain.calendar import WorkCalendar
from mediation.domain.enums import (
    Action,
    AgreementForm,
    CaseStatus,
    Category,
    Clock,
    FlagKind,
    IncidentKind,
    Level,
    PartyRole,
    PetitionLevel,
    ReferralTarget,
    Risk,
    Role,
    Scale,
    Source,
)
from mediation.domain.flags import fact_of_petition, screening_key
from mediation.domain.incidents import screening_due_at
from mediation.domain.months import Month
from mediation.domain.policy import Policy
from mediation.domain.progress import CaseClock, Context, UnitRef
from mediation.domain.scale import assess_scale
from mediation.domain.workflow import ActionInput, refusal
from mediation.extensions import db
from mediation.models import (
    Agreement,
    Case,
    CaseCheck,
    CaseCounter,
    CaseEvent,
    Deadline,
    Flag,
    FollowUp,
    Incident,
    Party,
    Screening,
    Unit,
    User,
)
from mediation.services.sweep import SCREENING_MARK

PASSWORD = "fengqiao-bench"
GEN_MARK = "gen_data_now"  # the reference instant of the generated data (ISO 8601)
MONTHS = 24
VILLAGES_PER_TOWNSHIP = 20
TOWNSHIPS_PER_COUNTY = 20
CHUNK = 5_000  # cases made and written together
UTC = dt.UTC
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

_SYLLABLES = (
    "安平和兴东西南北新旧上下前后杨柳李王张刘陈赵周吴郑孙马朱胡林何高罗梁宋谢唐韩冯于董萧程曹"
    "袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱"
)
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌海燕春梅"
_TITLES = {
    Category.marriage_family: "家庭赡养纠纷",
    Category.neighbor: "邻里排水纠纷",
    Category.housing_homestead: "宅基地边界纠纷",
    Category.contract: "土地承包合同纠纷",
    Category.business: "生产经营纠纷",
    Category.damages: "损害赔偿纠纷",
    Category.land_forest: "山林权属纠纷",
    Category.land_acquisition: "征地补偿纠纷",
    Category.environment: "养殖污染纠纷",
    Category.labor: "拖欠工资纠纷",
    Category.consumer: "消费维权纠纷",
    Category.medical: "医疗纠纷",
    Category.traffic: "道路交通事故纠纷",
    Category.property_mgmt: "物业服务纠纷",
    Category.village_affairs: "村务公开纠纷",
    Category.other: "其他纠纷",
}
# How often each category and source is seen (rough shares of a county's register).
_CATEGORY_WEIGHTS = {
    Category.neighbor: 22,
    Category.marriage_family: 18,
    Category.housing_homestead: 12,
    Category.contract: 8,
    Category.damages: 8,
    Category.land_forest: 6,
    Category.labor: 5,
    Category.traffic: 5,
    Category.business: 4,
    Category.village_affairs: 3,
    Category.land_acquisition: 2,
    Category.environment: 2,
    Category.consumer: 2,
    Category.medical: 1,
    Category.property_mgmt: 1,
    Category.other: 1,
}
_SOURCE_WEIGHTS = {
    Source.party_application: 45,
    Source.own_initiative: 20,
    Source.grid_report: 12,
    Source.hotline: 8,
    Source.police_referral: 7,
    Source.government_assignment: 4,
    Source.court_commission: 2,
    Source.petition_office: 2,
}
_RISKS = (
    Risk.violence,
    Risk.group_incident,
    Risk.petition,
    Risk.vulnerable_party,
    Risk.multi_village,
    Risk.multi_township,
)
_RISK_ODDS = (0.02, 0.01, 0.02, 0.03, 0.01, 0.002)
# Incidents per village and month, by kind.
_INCIDENT_RATES = {
    IncidentKind.petition: 0.03,
    IncidentKind.accident: 0.02,
    IncidentKind.criminal: 0.008,
    IncidentKind.public_order: 0.01,
}
_SCREENING_FILED = 0.93
_DESCRIPTIONS = {
    category: f"{title}：双方因{title[:-2]}产生争议，申请调解。"
    for category, title in _TITLES.items()
}


@dataclass(frozen=True)
class Shape:
    cases: int
    villages: int
    open_share: float
    seed: int
    now: dt.datetime  # aware: the reference instant ("now" of the data)


@dataclass
class GenResult:
    counties: int = 0
    townships: int = 0
    villages: int = 0
    users: int = 0
    rows: Counter = field(default_factory=Counter)
    open_cases: int = 0
    due_within_day: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "counties": self.counties,
            "townships": self.townships,
            "villages": self.villages,
            "users": self.users,
            "rows": dict(sorted(self.rows.items())),
            "open_cases": self.open_cases,
            "due_within_day": self.due_within_day,
            "seconds": round(self.seconds, 1),
        }


# --- writing rows ------------------------------------------------------------------------------


class BulkWriter:
    """Rows into tables through the DB-API connection: ``executemany`` on SQLite, ``COPY`` on
    PostgreSQL. Values are plain Python (naive UTC datetimes, JSON already as text)."""

    def __init__(self, dialect: str, raw=None):
        self.dialect = dialect
        self.raw = raw if raw is not None else db.engine.raw_connection()
        self.rows: Counter = Counter()
        self.with_ids: set[str] = set()
        self.stamp = _stamp_sqlite if dialect == "sqlite" else _as_is
        self.day = _day_sqlite if dialect == "sqlite" else _as_is

    def next_id(self, model) -> int:
        cursor = self.raw.cursor()
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model.__tablename__}")
        (last,) = cursor.fetchone()
        cursor.close()
        return int(last) + 1

    def write(self, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        table: Table = model.__table__
        names = ", ".join(columns)
        cursor = self.raw.cursor()
        if self.dialect == "postgresql":
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
        cursor.close()
        self.rows[table.name] += len(rows)
        if "id" in columns:
            self.with_ids.add(table.name)

    def commit(self) -> None:
        self.raw.commit()

    def without_indexes(self, models) -> list:
        """Drop the secondary indexes of these tables for the load (building an index once
        over all the rows is much cheaper than keeping it up to date row by row); returns
        them for :meth:`rebuild`."""
        indexes = [index for model in models for index in model.__table__.indexes]
        cursor = self.raw.cursor()
        for index in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {index.name}")
        cursor.close()
        self.raw.commit()
        return indexes

    def rebuild(self, indexes, *, fresh: bool = False) -> None:
        """Build the indexes dropped by :meth:`without_indexes`. On SQLite, for a database
        that held no cases before the load (``fresh``), the rollback journal is kept in memory
        instead of the WAL for the build, so the index pages are written once, straight into
        the file, instead of into the WAL and then again by the checkpoint; the database is in
        WAL mode again afterwards. That needs this connection to be the only one: if another
        holds the database open, the build runs in WAL mode."""
        cursor = self.raw.cursor()
        journal = None
        if self.dialect == "sqlite" and fresh:
            cursor.execute("PRAGMA busy_timeout=100")
            try:
                (journal,) = cursor.execute("PRAGMA journal_mode=MEMORY").fetchone()
            except sqlite3.OperationalError:  # another connection has it open
                journal = None
            cursor.execute("PRAGMA busy_timeout=15000")
        try:
            for index in indexes:
                cursor.execute(str(CreateIndex(index).compile(dialect=db.engine.dialect)))
            self.raw.commit()
        finally:
            if journal is not None and journal != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    @classmethod
    def connect(cls, url: str) -> BulkWriter:
        """A writer on a connection of its own (a worker process's)."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "postgresql":
            import psycopg

            conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            return cls("postgresql", psycopg.connect(conninfo))
        raw = sqlite3.connect(parsed.database, timeout=600)
        raw.execute("PRAGMA synchronous=OFF")  # synthetic data: after a crash, generate again
        return cls("sqlite", raw)

    def finish(self) -> None:
        """Move PostgreSQL's id sequences past the ids given here, and give its planner the
        statistics and visibility map of the rows just loaded (autovacuum would, but later:
        until then it plans blind and index-only scans read the table)."""
        if self.dialect == "postgresql":
            cursor = self.raw.cursor()
            for name in sorted(self.with_ids):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
                )
            cursor.close()
            self.raw.commit()
            connection = getattr(self.raw, "dbapi_connection", self.raw)  # under the pool's proxy
            connection.autocommit = True  # VACUUM runs outside a transaction
            connection.execute("VACUUM ANALYZE")
            connection.autocommit = False
        self.raw.commit()
        self.raw.close()


def _stamp_sqlite(instant: dt.datetime | None) -> str | None:
    """A UTC instant in SQLAlchemy's SQLite text format (the "+00:00" cut off)."""
    return None if instant is None else instant.isoformat(" ", "microseconds")[:26]


class _Stamps(dict):
    """:func:`_stamp_sqlite` remembered: a case's instants recur (its arrival starts three
    clocks and the first event; a clock's end is an event's time), and so do the deadlines of
    the clocks started on the same day. A hit is a plain dictionary lookup (``stamps[at]``,
    no Python call); None stands for itself."""

    def __init__(self):
        super().__init__()
        self[None] = None

    def __missing__(self, instant: dt.datetime) -> str:
        if len(self) > 200_000:
            self.clear()
            self[None] = None
        text = self[instant] = instant.isoformat(" ", "microseconds")[:26]
        return text


def _day_sqlite(day: dt.date) -> str:
    return day.isoformat()


def _as_is(value):
    """PostgreSQL takes the value itself (a timestamp column ignores the UTC offset)."""
    return value


# --- units and users ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    township_id: int
    county_id: int
    county_code: str
    mediator_id: int
    township_officer_id: int
    county_officer_id: int


def _name(rng: random.Random, suffix: str) -> str:
    return rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + suffix


def _build_units(
    writer: BulkWriter, shape: Shape, rng: random.Random, result: GenResult
) -> list[Place]:
    """Counties of twenty townships of twenty villages (the last ones smaller), under the
    unused province code 49, with a mediator per village, an officer per township, and a
    county officer and a viewer per county."""
    townships = math.ceil(shape.villages / VILLAGES_PER_TOWNSHIP)
    counties = math.ceil(townships / TOWNSHIPS_PER_COUNTY)
    unit_id, user_id = writer.next_id(Unit), writer.next_id(User)
    password = generate_password_hash(PASSWORD)  # one hash for every generated user
    units: list[tuple] = []
    users: list[tuple] = []
    places: list[Place] = []
    created = writer.stamp(shape.now - MONTHS * 31 * DAY)

    def user(username: str, name: str, role: Role, unit: int) -> int:
        nonlocal user_id
        users.append((user_id, username, name, password, role.value, unit, True, None, created))
        user_id += 1
        return user_id - 1

    villages_left = shape.villages
    code_base = _free_code_base()
    for c in range(counties):
        county_code = f"{code_base + c:06d}000000"
        county_id = unit_id
        unit_id += 1
        units.append(
            (county_id, county_code, _name(rng, "县"), Level.county.value, None, None, county_id)
        )
        county_officer = user(f"c{county_code}", "县调解中心", Role.county_officer, county_id)
        user(f"v{county_code}", "县领导", Role.viewer, county_id)
        for t in range(min(TOWNSHIPS_PER_COUNTY, townships - c * TOWNSHIPS_PER_COUNTY)):
            township_code = f"{code_base + c:06d}{t + 1:03d}000"
            township_id = unit_id
            unit_id += 1
            units.append(
                (
                    township_id,
                    township_code,
                    _name(rng, "镇"),
                    Level.township.value,
                    county_id,
                    township_id,
                    county_id,
                )
            )
            officer = user(f"t{township_code}", "镇综治中心", Role.township_officer, township_id)
            for v in range(min(VILLAGES_PER_TOWNSHIP, villages_left)):
                village_code = f"{code_base + c:06d}{t + 1:03d}{v + 1:03d}"
                village_id = unit_id
                unit_id += 1
                units.append(
                    (
                        village_id,
                        village_code,
                        _name(rng, "村"),
                        Level.village.value,
                        township_id,
                        township_id,
                        county_id,
                    )
                )
                mediator = user(f"m{village_code}", "村调解员", Role.mediator, village_id)
                places.append(
                    Place(
                        village_id,
                        village_code,
                        township_id,
                        county_id,
                        county_code,
                        mediator,
                        officer,
                        county_officer,
                    )
                )
                villages_left -= 1
            result.townships += 1
        result.counties += 1
    writer.write(
        Unit, ("id", "code", "name", "kind", "parent_id", "township_id", "county_id"), units
    )
    writer.write(
        User,
        (
            "id",
            "username",
            "display_name",
            "password_hash",
            "role",
            "unit_id",
            "is_enabled",
            "locale",
            "created_at",
        ),
        users,
    )
    writer.commit()
    result.villages, result.users = len(places), len(users)
    return places


def _free_code_base() -> int:
    """The first six digits of the first county: 49xxxx, clear of the codes already there."""
    taken = set(db.session.scalars(select(func.substr(Unit.code, 1, 6))).all())
    base = 490100
    while any(f"{base + step:06d}" in taken for step in range(200)):
        base += 200
    return base


# --- one case's life ---------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _CaseInPlay:
    """A case being played forward: the attributes of a case that the domain's rules read and
    write (:class:`~mediation.domain.progress.CaseLike`), its events as the rules give them,
    and its flag records by key."""

    id: int
    scale: Scale
    home_level: Level
    level: Level
    holder_id: int
    holder: UnitRef
    created_at: dt.datetime
    status: CaseStatus = CaseStatus.registered
    highest_level: Level | None = None
    is_extended: bool = False
    version: int = 1
    updated_at: dt.datetime | None = None
    last_event_at: dt.datetime | None = None
    next_check_at: dt.datetime | None = None
    concluded_at: dt.datetime | None = None
    concluded_level: Level | None = None
    concluded_action: str | None = None
    deadlines: list[CaseClock] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    # key → [fact, cleared_at, raised_at]: recorded once, cleared once (services.facts' rule)
    flags: dict[str, list] = field(default_factory=dict)
    agreement: tuple | None = None
    follow_up: tuple | None = None


@cache
def _input(note: str = "", performed: bool = False) -> ActionInput:
    """An action's input as the play gives it (valid by construction)."""
    return ActionInput(note=note, performed=performed)


# --- the generator -----------------------------------------------------------------------------


class Generator:
    """Plays cases forward and turns them into rows. A chunk of cases is a pure function of
    the shape, the seed and the chunk's index, so chunks can be made in parallel processes and
    still give the same data."""

    def __init__(
        self,
        shape: Shape,
        policy: Policy,
        calendar: WorkCalendar,
        tz: ZoneInfo,
        dialect: str,
        places: list[Place],
        first_case_id: int,
    ):
        self.shape, self.policy, self.tz = shape, policy, tz
        # A bound dict lookup on SQLite: a remembered instant costs no Python call.
        self.stamp = _Stamps().__getitem__ if dialect == "sqlite" else _as_is
        self.day = _day_sqlite if dialect == "sqlite" else _as_is
        # Booleans as SQLite stores them (a bool is bound through the adapter lookup, an int
        # directly); indexed by the bool itself.
        self.bools = (0, 1) if dialect == "sqlite" else (False, True)
        self.places = places
        self.units = {
            place.id: {
                Level.village: place.id,
                Level.township: place.township_id,
                Level.county: place.county_id,
            }
            for place in places
        }
        self.actors = {
            place.id: {
                Level.village: place.mediator_id,
                Level.township: place.township_officer_id,
                Level.county: place.county_officer_id,
            }
            for place in places
        }
        self.first_case_id = first_case_id
        self.rng = random.Random(shape.seed)
        # One context for the run: the schedules it works out are shared by every case.
        self.ctx = Context(shape.now, policy, calendar, tz)
        self.now = shape.now
        self.categories, self.category_cum = _weights(_CATEGORY_WEIGHTS)
        self.sources, self.source_cum = _weights(_SOURCE_WEIGHTS)
        self.texts = _JsonTexts()
        self.risk_texts: dict[tuple[Risk, ...], str] = {}
        townships = {
            place.township_id: UnitRef(place.township_id, Level.township, place.code[:9] + "000")
            for place in places
        }
        counties = {
            place.county_id: UnitRef(place.county_id, Level.county, place.county_code)
            for place in places
        }
        self.unit_refs = {
            place.id: {
                Level.village: UnitRef(place.id, Level.village, place.code),
                Level.township: townships[place.township_id],
                Level.county: counties[place.county_id],
            }
            for place in places
        }
        # each unit's parent: where an escalation goes
        self.parents = {
            **{place.id: townships[place.township_id] for place in places},
            **{place.township_id: counties[place.county_id] for place in places},
        }
        # Cases arrive evenly over the 24 months, each at a random moment of its own slot, so
        # case i's arrival needs no other case's. Open cases are mostly recent: a case of age A
        # days is still open with probability exp(-A / tau), so about open_share of all are.
        self.span = dt.timedelta(days=MONTHS * 365.25 / 12)
        self.start = self.now - self.span
        self.tau = max(shape.open_share * self.span.days, 0.01)

    def risks_json(self, risks: list[Risk]) -> str:
        key = tuple(risks)
        text = self.risk_texts.get(key)
        if text is None:
            text = self.risk_texts[key] = _json([risk.value for risk in risks])
        return text

    def json_text(self, data: dict) -> str:
        """An event's data as stored: the few distinct small objects made once each."""
        if "amount_yuan" in data or "paused_at" in data:
            return _json(data)
        return self.texts[tuple(data.items())]

    def year(self, instant: dt.datetime) -> int:
        """The local year of ``instant``: a case is numbered in the year it is registered."""
        return instant.astimezone(self.tz).year

    def pick(self, items, cumulative) -> Any:
        return items[bisect_left(cumulative, self.rng.random() * cumulative[-1])]

    # .. cases ..

    def chunks(self) -> int:
        return math.ceil(self.shape.cases / CHUNK)

    def arrivals(self, index: int) -> Iterator[tuple[int, Place, dt.datetime]]:
        """Chunk ``index``'s cases: position, village and arrival, from a stream of their own,
        so that the numbering can be worked out before any chunk is made."""
        rng = random.Random(f"{self.shape.seed}:{index}:arrivals")
        step = self.span / max(self.shape.cases, 1)
        places = self.places
        for position in range(index * CHUNK, min((index + 1) * CHUNK, self.shape.cases)):
            place = places[int(rng.random() * len(places))]
            yield position, place, self.start + step * (position + rng.random())

    def number_keys(self, index: int) -> Counter:
        """How many of chunk ``index``'s cases each county numbers in each year."""
        return Counter(
            (place.county_id, self.year(received_at))
            for _, place, received_at in self.arrivals(index)
        )

    def chunk(self, index: int, numbered: Counter) -> _Rows:
        """The rows of chunk ``index``'s cases; ``numbered`` holds the numbers each county gave
        in each year before this chunk."""
        self.rng = random.Random(f"{self.shape.seed}:{index}")
        self.numbered = Counter(numbered)
        rows = _Rows()
        for position, place, received_at in self.arrivals(index):
            self.case(self.first_case_id + position, place, received_at, rows)
        return rows

    def case(self, case_id: int, place: Place, received_at: dt.datetime, rows: _Rows) -> None:
        rng, now, stamp, value, bools = self.rng, self.now, self.stamp, _VALUE, self.bools
        category = self.pick(self.categories, self.category_cum)
        source = self.pick(self.sources, self.source_cum)
        people = _people(rng)
        amount = _amount(rng)
        risks = [risk for risk, odds in zip(_RISKS, _RISK_ODDS) if rng.random() < odds]
        assessment = assess_scale(
            people=people,
            amount_yuan=Decimal(amount),
            category=category,
            risks=risks,
            policy=self.policy.scale,
        )
        scale = assessment.scale
        level, registrar = self._registrar(scale, place)
        case = self._register(case_id, place, scale, level, registrar, received_at)

        age_days = (now - received_at).total_seconds() / 86400
        is_open = rng.random() < math.exp(-age_days / self.tau)
        if is_open:
            end = now
        else:
            end = received_at + _duration(rng)
            if end >= now:
                end = received_at + (now - received_at) * rng.random()
        self._play(case, place, end, is_open)
        self._until(case, now)  # what the sweep at ``now`` finds: nothing left after this
        rows.open += case.concluded_at is None
        year = self.year(received_at)
        self.numbered[place.county_id, year] += 1  # 410522-2026-000123: the county's sequence
        number = f"{place.county_code[:6]}-{year}-{self.numbered[place.county_id, year]:06d}"
        units = self.units[place.id]
        received = stamp(received_at)
        rows.cases.append(
            (
                case_id,
                number,
                place.id,
                place.township_id,
                place.county_id,
                case.holder_id,
                value[case.level],
                value[case.status],
                value[category],
                value[source],
                _TITLES[category],
                _DESCRIPTIONS[category],
                received,
                people,
                amount * 100,
                self.risks_json(risks),
                value[scale],
                _reasons_json(assessment.reasons),
                bools[False],
                _HOME_LEVEL[scale],
                bools[False],
                value[case.highest_level],
                stamp(case.concluded_at),
                value[case.concluded_level],
                case.concluded_action,
                bools[Risk.violence in risks],
                bools[Risk.group_incident in risks],
                case.version,
                registrar,
                received,
                stamp(case.updated_at),
                stamp(case.last_event_at),
            )
        )
        if case.next_check_at is not None:  # no row: nothing to watch
            rows.checks.append((case_id, stamp(case.next_check_at)))
        address = f"{place.code[-3:]}组"
        for position, role in enumerate(_PARTY_ROLES):
            rows.parties.append(
                (
                    case_id,
                    position,
                    _person(rng),
                    role,
                    f"1{rng.randrange(30, 90)}{rng.randrange(10**8):08d}",
                    address,
                )
            )
        events = rows.events
        for e in case.events:
            events.append(
                (
                    case_id,
                    stamp(e["at"]),
                    stamp(e["recorded_at"]),
                    e["actor_id"],
                    e["action"],
                    value[e["from_status"]],
                    value[e["to_status"]],
                    value[e["from_level"]],
                    value[e["to_level"]],
                    e["note"],
                    self.json_text(e["data"]),
                    e["version"],
                )
            )
        deadlines = rows.deadlines
        for d in case.deadlines:
            deadlines.append(
                (
                    case_id,
                    value[d.clock],
                    value[d.level],
                    stamp(d.started_at),
                    d.days,
                    bools[d.is_working_days],
                    d.shift_seconds,
                    stamp(d.due_at),
                    stamp(d.warn_at),
                    bools[d.is_provisional],
                    stamp(d.met_at),
                    stamp(d.breached_at),
                    stamp(d.stopped_at),
                )
            )
        for key, (fact, cleared_at, raised_at) in case.flags.items():
            rows.flags.append(
                (
                    key,
                    value[fact.kind],
                    case_id,
                    place.id,
                    place.township_id,
                    place.county_id,
                    value[fact.level],
                    None,
                    stamp(fact.occurred_at),
                    stamp(raised_at),
                    stamp(cleared_at),
                )
            )
        if case.agreement is not None:
            form, terms, amount_fen, level, at, mediator = case.agreement
            rows.agreements.append(
                (case_id, form, terms, amount_fen, value[level], units[level], mediator, stamp(at))
            )
        if case.follow_up is not None:
            at, actor, satisfied = case.follow_up
            rows.follow_ups.append(
                (
                    case_id,
                    stamp(at),
                    actor,
                    bools[True],
                    bools[satisfied],
                    bools[False],
                    "当事人已履行协议。",
                )
            )

    def _registrar(self, scale: Scale, place: Place) -> tuple[Level, int]:
        """Where the case is registered: mostly the village; a big case half the time at the
        township, a major one mostly at the county."""
        roll = self.rng.random()
        if scale is Scale.major and roll < 0.7:
            return Level.county, place.county_officer_id
        if scale is Scale.big and roll < 0.5 or scale is Scale.small and roll < 0.03:
            return Level.township, place.township_officer_id
        return Level.village, place.mediator_id

    def _actor(self, place: Place, level: Level) -> int:
        return self.actors[place.id][level]

    # .. a case played through the domain's rules (mediation.domain.progress) ..

    def _register(
        self,
        case_id: int,
        place: Place,
        scale: Scale,
        level: Level,
        registrar: int,
        received_at: dt.datetime,
    ) -> _CaseInPlay:
        """The case as intake writes it, registered when it was received."""
        unit = self.unit_refs[place.id][level]
        case = _CaseInPlay(
            case_id,
            scale,
            scale.home_level,
            level,
            unit.id,
            unit,
            received_at,
            highest_level=level,
            updated_at=received_at,
            last_event_at=received_at,
            next_check_at=received_at,
        )
        progress.start_intake_clocks(case, received_at, self.ctx.moved(received_at))
        case.events.append(
            dict(
                at=received_at,
                recorded_at=received_at,
                actor_id=registrar,
                action="register",
                from_status=None,
                to_status=case.status,
                from_level=None,
                to_level=level,
                note="",
                data={"scale": scale.value},
                version=1,
            )
        )
        return case

    def _until(self, case: _CaseInPlay, instant: dt.datetime) -> None:
        """The scheduler's part up to ``instant``: at each instant something falls due (a
        warning, a deadline, the village's time running out), the case is brought up to date
        as the sweep brings it, with the sweep's own function."""
        while case.next_check_at is not None and case.next_check_at <= instant:
            ctx = self.ctx.moved(case.next_check_at)
            case.events += progress.catch_up(case, ctx, parent_of=self._parent_of)
            self._record(case, ctx)
            case.next_check_at = progress.next_check(case, ctx)

    def _act(
        self,
        case: _CaseInPlay,
        at: dt.datetime,
        actor_id: int | None,
        action: Action,
        apply: Callable[[Context], dict | None],
        *,
        note: str = "",
        performed: bool = False,
    ) -> bool:
        """A user's action at ``at``, as the workflow performs it: the case first brought up to
        date, then the action's rules, then its event and facts. False if the state machine
        refuses it now (the case moved meanwhile): nothing happens."""
        self._until(case, at)  # what catch_up at ``at`` would do, step by step
        ctx = self.ctx.moved(at)
        if refusal(action, progress.state_of(case), None) is not None:
            return False
        before = (case.status, case.level)
        details = apply(ctx)
        data = _input(note, performed)
        case.events.append(progress.advance(case, action, data, before, details, ctx, actor_id))
        self._record(case, ctx)
        return True

    def _record(self, case: _CaseInPlay, ctx: Context) -> None:
        """The facts a change found, recorded if absent, and the flags it cleared: what
        ``services.facts`` does with them."""
        found, cleared = progress.collect(case.id, ctx)
        for fact, cleared_at in found:
            case.flags.setdefault(fact.key, [fact, cleared_at, ctx.recorded])
        for key, at in cleared.items():
            record = case.flags.get(key)
            if record is not None and record[1] is None:
                record[1] = at

    def _parent_of(self, case: _CaseInPlay) -> UnitRef | None:
        return self.parents.get(case.holder_id)

    def _play(self, case: _CaseInPlay, place: Place, end: dt.datetime, is_open: bool) -> None:
        """Live the case until ``end``: accept at each level, escalate by hand (a few), or
        automatically when the village's settle time runs out (found as the sweep finds it),
        then conclude at ``end`` unless it is still open then. Time only moves forward: each
        step brings the case up to its own instant, never past the next step's."""
        rng = self.rng
        registered = case.level
        accept = progress.accept
        while True:
            level, arrived = case.level, case.last_event_at
            accept_at = arrived + HOUR * (0.5 + rng.random() * 19)
            if accept_at < end:
                self._act(
                    case,
                    accept_at,
                    self._actor(place, level),
                    Action.accept,
                    lambda ctx: accept(case, registered, ctx),
                )
            escalate_at = None
            if level is not Level.county and rng.random() < _BY_HAND[level][case.scale]:
                settle = progress.running(case, Clock.settle, level=level)
                due = settle[0].due_at if settle else end
                quick = case.scale is Scale.major
                lead = HOUR * (1 + rng.random() * 5) if quick else (due - arrived) * _lead(rng)
                escalate_at = max(arrived + lead, accept_at + HOUR)
            horizon = min(escalate_at or end, end)
            goes_up_at = progress.escalation_at(case, self.ctx)
            if goes_up_at is not None and goes_up_at <= horizon:
                # the village's time runs out first: the sweep finds it gone up at E
                self._until(case, goes_up_at)
                if case.level is not level:
                    continue
            if escalate_at is None or escalate_at >= end:
                break
            moved = self._act(
                case,
                escalate_at,
                self._actor(place, level),
                Action.escalate,
                lambda ctx: self._escalate(case, ctx),
                note="超出本级调解能力，报请上级调处。",
            )
            if not moved:
                break
        if is_open:
            if case.status is CaseStatus.in_mediation and rng.random() < 0.02:
                paused_at = max(case.last_event_at, end - DAY * rng.random() * 3)
                self._act(
                    case,
                    paused_at,
                    self._actor(place, case.level),
                    Action.pause,
                    lambda ctx: {"paused_at": ctx.now.isoformat()},
                    note="当事人外出务工，暂缓调解。",
                )
            return
        if case.status is CaseStatus.registered:  # concluded before anyone accepted: accept
            at = max(case.last_event_at, end - HOUR * 0.5)
            self._act(
                case,
                at,
                self._actor(place, case.level),
                Action.accept,
                lambda ctx: accept(case, registered, ctx),
            )
        end = max(end, case.last_event_at + dt.timedelta(minutes=30))
        if end >= self.now:
            return  # no time left to conclude: stays open
        self._conclude(case, place, end)

    def _escalate(self, case: _CaseInPlay, ctx: Context) -> dict:
        parent = self._parent_of(case)
        progress.arrive(case, parent, ctx)
        return {"to_unit_code": parent.code}

    def _conclude(self, case: _CaseInPlay, place: Place, end: dt.datetime) -> None:
        """Resolved with an agreement (then visited), referred, or withdrawn at ``end``."""
        rng = self.rng
        actor = self._actor(place, case.level)
        roll = rng.random()
        if roll < 0.85:
            form = AgreementForm.written if rng.random() < 0.6 else AgreementForm.oral
            amount_fen = int(rng.random() * 2_000_000) if rng.random() < 0.5 else 0

            def resolve(ctx: Context) -> dict:
                progress.resolve(case, written=form is AgreementForm.written, ctx=ctx)
                case.agreement = (form.value, _TERMS, amount_fen, case.level, ctx.now, actor)
                return {"form": form.value, "amount_yuan": f"{amount_fen / 100:.2f}"}

            if not self._act(case, end, actor, Action.resolve, resolve):
                return
            visit = end + DAY * (2 + rng.random() * 12) if rng.random() < 0.97 else None
            if visit is not None and visit < self.now:
                satisfied = rng.random() < 0.95

                def follow_up(ctx: Context) -> dict:
                    progress.follow_up(case, ctx)
                    case.follow_up = (ctx.now, actor, satisfied)
                    return {"performed": True, "satisfied": satisfied, "relapse_risk": False}

                self._act(
                    case,
                    visit,
                    actor,
                    Action.follow_up,
                    follow_up,
                    note="回访：协议已履行。",
                    performed=True,
                )
        elif roll < 0.93:
            target = rng.choice(list(ReferralTarget))

            def refer(ctx: Context) -> dict:
                progress.conclude(case, referred=True, paused_at=None, ctx=ctx)
                return {"to": target.value}

            self._act(
                case, end, actor, Action.refer, refer, note="依法引导当事人通过诉讼途径解决。"
            )
        else:

            def withdraw(ctx: Context) -> None:
                progress.conclude(case, referred=False, paused_at=None, ctx=ctx)

            self._act(case, end, actor, Action.withdraw, withdraw, note="申请人撤回调解申请。")

    # .. incidents and screenings ..

    def monthly(self, writer: BulkWriter, progress: Callable[[str], None] | None = None) -> None:
        """Incidents and screening reports of every village and month, and the
        screening_missing flags the sweep would have raised for the reports never filed."""
        self.rng = rng = random.Random(f"{self.shape.seed}:monthly")
        stamp, tz = self.stamp, self.tz
        last = Month.of(self.now, tz)
        months = [last]
        for _ in range(MONTHS - 1):
            months.append(months[-1].previous())
        months.reverse()
        due_day = self.policy.scorecard.screening_due_day
        checked = None
        incident_id = writer.next_id(Incident)
        for month in months:
            start, end = month.bounds(tz)
            due = screening_due_at(month, due_day, tz)
            incidents, screenings, flags = [], [], []
            for place in self.places:
                for kind, rate in _INCIDENT_RATES.items():
                    if rng.random() >= rate:
                        continue
                    occurred = start + (end - start) * rng.random()
                    if occurred >= self.now:
                        continue
                    level, collective = None, False
                    if kind is IncidentKind.petition:
                        level = rng.choices(list(PetitionLevel), (60, 30, 7, 2, 1))[0]
                        collective = rng.random() < 0.1
                    reported = occurred + HOUR
                    incidents.append(
                        (
                            incident_id,
                            place.id,
                            place.township_id,
                            place.county_id,
                            kind,
                            stamp(occurred),
                            "群众反映情况，已登记处置。",
                            level.value if level else None,
                            collective,
                            rng.randrange(2 if collective else 1, 8),
                            rng.randrange(0, 3) if kind is IncidentKind.accident else 0,
                            0,
                            None,
                            place.township_officer_id,
                            stamp(reported),
                            stamp(reported),
                            1,
                        )
                    )
                    fact = level and fact_of_petition(
                        incident_id, above_county=level.is_above_county, occurred_at=occurred
                    )
                    if fact:  # 矛盾上交, on record from when it was registered
                        flags.append(
                            (
                                fact.key,
                                fact.kind,
                                None,
                                place.id,
                                place.township_id,
                                place.county_id,
                                fact.level,
                                None,
                                stamp(fact.occurred_at),
                                stamp(reported),
                                None,
                            )
                        )
                    incident_id += 1
                visited = start + (due - start) * rng.random()
                filed_at = visited + DAY * rng.random() * 4  # some after the deadline: late
                files = rng.random() < _SCREENING_FILED and filed_at < self.now
                if due <= self.now and (not files or filed_at >= due):
                    # missing at the deadline: on record from then, cleared if filed later
                    flags.append(
                        (
                            screening_key(place.id, str(month)),
                            FlagKind.screening_missing,
                            None,
                            place.id,
                            place.township_id,
                            place.county_id,
                            Level.village,
                            str(month),
                            stamp(due),
                            stamp(due),
                            stamp(filed_at) if files else None,
                        )
                    )
                if files:
                    found = rng.randrange(0, 3)
                    screenings.append(
                        (
                            place.id,
                            place.township_id,
                            place.county_id,
                            str(month),
                            self.day(visited.astimezone(tz).date()),
                            rng.randrange(80, 400),
                            rng.randrange(0, 2),
                            found,
                            found == 0,
                            "",
                            place.mediator_id,
                            stamp(filed_at),
                        )
                    )
            if due <= self.now:
                checked = month
            writer.write(Incident, _INCIDENT_COLUMNS, incidents)
            writer.write(Screening, _SCREENING_COLUMNS, screenings)
            writer.write(Flag, _FLAG_COLUMNS, flags)
            writer.commit()
            if progress:
                progress(str(month))
        if checked is not None:
            _set_mark(writer, SCREENING_MARK, str(checked))
        _set_mark(writer, GEN_MARK, self.now.isoformat())
        writer.commit()


BULK_TABLES = (
    Case,
    CaseCheck,
    Party,
    CaseEvent,
    Deadline,
    Flag,
    Agreement,
    FollowUp,
    Incident,
    Screening,
)
_CASE_COLUMNS = (
    "id",
    "number",
    "village_id",
    "township_id",
    "county_id",
    "holder_id",
    "level",
    "status",
    "category",
    "source",
    "title",
    "description",
    "received_at",
    "people_involved",
    "amount_fen",
    "risks",
    "scale",
    "scale_reasons",
    "is_scale_overridden",
    "home_level",
    "is_extended",
    "highest_level",
    "concluded_at",
    "concluded_level",
    "concluded_action",
    "is_violence_risk",
    "is_group_risk",
    "version",
    "created_by_id",
    "created_at",
    "updated_at",
    "last_event_at",
)
_CHECK_COLUMNS = ("case_id", "next_check_at")
_PARTY_COLUMNS = ("case_id", "position", "name", "role", "phone", "address")
_EVENT_COLUMNS = (
    "case_id",
    "at",
    "recorded_at",
    "actor_id",
    "action",
    "from_status",
    "to_status",
    "from_level",
    "to_level",
    "note",
    "data",
    "version",
)
_DEADLINE_COLUMNS = (
    "case_id",
    "clock",
    "level",
    "started_at",
    "days",
    "is_working_days",
    "shift_seconds",
    "due_at",
    "warn_at",
    "is_provisional",
    "met_at",
    "breached_at",
    "stopped_at",
)
_FLAG_COLUMNS = (
    "key",
    "kind",
    "case_id",
    "unit_id",
    "township_id",
    "county_id",
    "level",
    "period",
    "occurred_at",
    "raised_at",
    "cleared_at",
)
_AGREEMENT_COLUMNS = (
    "case_id",
    "form",
    "terms",
    "amount_fen",
    "level",
    "unit_id",
    "mediator_id",
    "agreed_at",
)
_FOLLOW_UP_COLUMNS = (
    "case_id",
    "at",
    "actor_id",
    "is_performed",
    "is_satisfied",
    "has_relapse_risk",
    "note",
)
_INCIDENT_COLUMNS = (
    "id",
    "village_id",
    "township_id",
    "county_id",
    "kind",
    "occurred_at",
    "summary",
    "petition_level",
    "is_collective",
    "people",
    "injured",
    "dead",
    "case_id",
    "created_by_id",
    "created_at",
    "updated_at",
    "version",
)
_SCREENING_COLUMNS = (
    "village_id",
    "township_id",
    "county_id",
    "month",
    "visited_on",
    "households",
    "risks_found",
    "disputes_found",
    "is_zero_report",
    "note",
    "filed_by_id",
    "filed_at",
)


class _Rows:
    """The rows of a batch of cases, written table by table (parents first). Enum members go in
    as they are: each is a ``str`` holding its stored value."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.cases, self.checks, self.parties, self.events = [], [], [], []
        self.deadlines, self.flags, self.agreements, self.follow_ups = [], [], [], []
        self.open = 0

    def flush(self, writer: BulkWriter) -> None:
        writer.write(Case, _CASE_COLUMNS, self.cases)
        writer.write(CaseCheck, _CHECK_COLUMNS, self.checks)
        writer.write(Party, _PARTY_COLUMNS, self.parties)
        writer.write(CaseEvent, _EVENT_COLUMNS, self.events)
        writer.write(Deadline, _DEADLINE_COLUMNS, self.deadlines)
        writer.write(Flag, _FLAG_COLUMNS, self.flags)
        writer.write(Agreement, _AGREEMENT_COLUMNS, self.agreements)
        writer.write(FollowUp, _FOLLOW_UP_COLUMNS, self.follow_ups)
        self.clear()


def _set_mark(writer: BulkWriter, name: str, value: str) -> None:
    cursor = writer.raw.cursor()
    placeholder = "%s" if writer.dialect == "postgresql" else "?"
    cursor.execute(f"DELETE FROM marks WHERE name = {placeholder}", (name,))
    cursor.execute(
        f"INSERT INTO marks (name, value) VALUES ({placeholder}, {placeholder})", (name, value)
    )
    cursor.close()


_ENCODER = json.JSONEncoder(
    ensure_ascii=False
)  # json.dumps(…, ensure_ascii=False) makes one per call


def _json(value) -> str:
    return _ENCODER.encode(value)


class _JsonTexts(dict):
    """The JSON texts of the few distinct small objects, keyed by their items
    (``texts[(("to", "court"),)]``), each made once."""

    def __missing__(self, items: tuple[tuple[str, Any], ...]) -> str:
        text = self[items] = _json(dict(items))
        return text


def _reasons_json(reasons) -> str:
    """The scale's reasons as stored (most cases are small: no reasons)."""
    return _json([[m.msgid, m.params] for m in reasons]) if reasons else "[]"


# The stored text of every enum member the rows hold (enum members bound as parameters go
# through the driver's adapter lookup; plain strings do not), and None for itself.
_VALUE: dict = {
    None: None,
    **{
        member: member.value
        for enum in (CaseStatus, Level, Scale, Category, Source, PartyRole, Clock, FlagKind)
        for member in enum
    },
}
_HOME_LEVEL = {scale: scale.home_level.value for scale in Scale}
_PARTY_ROLES = (PartyRole.applicant.value, PartyRole.respondent.value)
# How likely a level hands a case up by hand, by scale (before the village's time runs out).
_TERMS = "双方自愿达成如下协议：……"
_BY_HAND = {
    Level.village: {Scale.small: 0.04, Scale.big: 0.5, Scale.major: 1.0},
    Level.township: {Scale.small: 0.01, Scale.big: 0.04, Scale.major: 1.0},
}


def _lead(rng: random.Random) -> float:
    """How far into its settle time a level hands a case up by hand."""
    return 0.3 + rng.random() * 0.6


def _weights(table: dict) -> tuple[list, list[float]]:
    return list(table), list(accumulate(table.values()))


def _people(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.7:
        return 2
    if roll < 0.9:
        return rng.randrange(3, 5)
    if roll < 0.99:
        return rng.randrange(5, 30)
    return rng.randrange(30, 120)


def _amount(rng: random.Random) -> int:
    """Whole yuan at stake."""
    roll = rng.random()
    if roll < 0.4:
        return 0
    if roll < 0.95:
        return int(math.exp(rng.uniform(math.log(500), math.log(49_000))))
    if roll < 0.995:
        return rng.randrange(50_000, 500_000)
    return rng.randrange(500_000, 5_000_000)


def _duration(rng: random.Random) -> dt.timedelta:
    """How long a concluded case took: most within days, a few for weeks."""
    roll = rng.random()
    if roll < 0.85:
        return HOUR * (2 + rng.random() * 94)
    if roll < 0.95:
        return DAY * (4 + rng.random() * 8)
    return DAY * (12 + rng.random() * 28)


def _person(rng: random.Random) -> str:
    return (
        rng.choice(_SURNAMES)
        + rng.choice(_GIVEN)
        + (rng.choice(_GIVEN) if rng.random() < 0.7 else "")
    )


# --- the command's entry point -----------------------------------------------------------------


def generate(
    shape: Shape,
    *,
    policy: Policy,
    calendar: WorkCalendar,
    tz: ZoneInfo,
    processes: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> GenResult:
    """Add the synthetic province to the current database. The cases are made and written by
    ``processes`` worker processes (default: one per core), each chunk in a transaction of its
    own; their numbers are worked out beforehand, so chunks may land in any order."""
    started = time.perf_counter()
    shape = replace(shape, now=shape.now.astimezone(UTC))  # stamps assume UTC instants
    result = GenResult()
    db.session.commit()  # nothing of the ORM's own may be pending beside the bulk writes
    writer = BulkWriter(db.engine.dialect.name)
    try:
        if writer.dialect == "sqlite":
            writer.raw.execute("PRAGMA cache_size=-262144")  # 256 MiB of page cache for the load
        places = _build_units(writer, shape, random.Random(shape.seed), result)
        generator = Generator(
            shape, policy, calendar, tz, writer.dialect, places, first_case_id=writer.next_id(Case)
        )
        starts, totals = _numbering(generator)
        # no cases before: see BulkWriter.rebuild (SQLite only)
        fresh = writer.dialect == "sqlite" and generator.first_case_id == 1
        indexes = writer.without_indexes(BULK_TABLES)
        try:
            url = db.engine.url.render_as_string(hide_password=False)
            for rows, open_cases in _write_chunks(
                generator, starts, url, processes or os.cpu_count() or 1
            ):
                writer.rows.update(rows)
                result.open_cases += open_cases
                if progress:
                    progress(f"{writer.rows['cases']:,} cases")
            writer.write(
                CaseCounter,
                ("county_id", "year", "last"),
                [(county, year, last) for (county, year), last in sorted(totals.items())],
            )
            generator.monthly(
                writer, lambda month: progress and progress(f"incidents and screenings {month}")
            )
        finally:
            if progress:
                progress("indexes")
            if fresh:  # the engine's idle connections would keep the database in WAL mode
                db.session.remove()
                db.engine.dispose()
            writer.rebuild(indexes, fresh=fresh)
        writer.with_ids.add("cases")
        writer.finish()
    except BaseException:
        writer.raw.rollback()
        writer.raw.close()
        raise
    result.rows = writer.rows
    result.due_within_day = (
        db.session.scalar(
            select(func.count())
            .select_from(CaseCheck)
            .where(CaseCheck.next_check_at <= shape.now + DAY)
        )
        or 0
    )
    db.session.commit()
    result.seconds = time.perf_counter() - started
    return result


def _numbering(generator: Generator) -> tuple[list[Counter], Counter]:
    """For each chunk, the numbers its counties gave in each year before it; and the totals
    (the counters the next real case continues from)."""
    starts, running = [], Counter()
    for index in range(generator.chunks()):
        starts.append(Counter(running))
        running.update(generator.number_keys(index))
    return starts, running


_forked: tuple[Generator, list[Counter], str] | None = None  # what a worker process works with
_worker_writer: BulkWriter | None = None  # a worker's own connection, kept between its chunks


def _write_chunk(index: int) -> tuple[Counter, int]:
    """Make chunk ``index`` and write it in one transaction: the rows written, the open cases."""
    global _worker_writer
    generator, starts, url = _forked
    if _worker_writer is None:
        _worker_writer = BulkWriter.connect(url)
    rows = generator.chunk(index, starts[index])
    before = Counter(_worker_writer.rows)
    open_cases = rows.open
    rows.flush(_worker_writer)
    _worker_writer.commit()
    return _worker_writer.rows - before, open_cases


def _write_chunks(
    generator: Generator, starts: list[Counter], url: str, processes: int
) -> Iterator[tuple[Counter, int]]:
    """Each chunk made and written by a worker process (or by this one, with one process)."""
    global _forked, _worker_writer
    _forked = (generator, starts, url)
    try:
        if processes <= 1 or generator.chunks() <= 1:
            try:
                yield from map(_write_chunk, range(generator.chunks()))
            finally:
                if _worker_writer is not None:
                    _worker_writer.raw.close()
            return
        with multiprocessing.get_context("fork").Pool(
            processes, initializer=_forget_writer
        ) as pool:
            yield from pool.imap_unordered(_write_chunk, range(generator.chunks()))
    finally:
        _forked = _worker_writer = None


def _forget_writer() -> None:
    """A new worker opens a connection of its own, never one inherited from its parent."""
    global _worker_writer
    _worker_writer = None
