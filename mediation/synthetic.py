"""Synthetic data for benchmarks: ``flask --app app gen-data``.

A province in miniature: counties of twenty townships of twenty villages, a mediator in every
village and officers above them, and two years of disputes that lived through the same rules as
real ones. Each case is played forward by the domain's own clock and flag rules (scale from
:func:`assess_scale`, deadlines from :func:`schedule` on the real working-day calendar, flags
dated by the rules of :mod:`mediation.domain.flags`, the next check from :func:`next_check`):
received at its village, or at the township or county its scale belongs to, accepted,
escalated by hand or automatically when the village's settle time runs out, then resolved
(agreement, follow-up visit), referred or withdrawn, or still open at the reference instant.
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
from collections.abc import Callable, Iterable, Iterator
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

from .domain.calendar import WorkCalendar
from .domain.clocks import (
    ClockSpec,
    arrival_clocks,
    follow_up_clock,
    intake_clocks,
    judicial_clock,
    schedule,
)
from .domain.enums import (
    AgreementForm,
    CaseStatus,
    Category,
    Clock,
    Level,
    PartyRole,
    ReferralTarget,
    Risk,
    Role,
    Scale,
    Source,
)
from .domain.flags import (
    FLAG_WHEN_DUE,
    FlagKind,
    clock_key,
    facts_of_accepting,
    facts_of_moving_up,
    next_check,
    screening_key,
)
from .domain.incidents import screening_due_at
from .domain.policy import Policy
from .domain.scale import assess_scale
from .domain.scorecard import IncidentKind, Month, PetitionLevel
from .extensions import db
from .models import (
    Agreement,
    Case,
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
from .services.sweep import SCREENING_MARK
from .services.workflow import AUTO_ESCALATE_NOTE

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


@dataclass(slots=True)
class SimDeadline:
    clock: Clock
    level: Level
    started_at: dt.datetime
    days: int
    working: bool
    due_at: dt.datetime
    warn_at: dt.datetime
    provisional: bool
    met_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    stopped_at: dt.datetime | None = None


@dataclass(slots=True)
class SimEvent:
    at: dt.datetime
    actor_id: int | None
    action: str
    from_status: CaseStatus | None
    to_status: CaseStatus
    from_level: Level | None
    to_level: Level
    note: str = ""
    data: str = "{}"  # the event's data as JSON text
    recorded_at: dt.datetime | None = None  # when written, if not when it took effect


class Clocks:
    """The policy's clocks, with the working-day ones memoized by local start date (a working-day
    deadline depends only on the day its clock starts)."""

    def __init__(self, policy: Policy, calendar: WorkCalendar, tz: ZoneInfo):
        self.policy, self.calendar, self.tz = policy, calendar, tz
        self.ratio = policy.clocks.warn_ratio

        @cache
        def working(day: dt.date, days: int) -> tuple[dt.datetime, dt.datetime, bool]:
            start = dt.datetime.combine(day, dt.time(12), tzinfo=tz)
            result = schedule(
                started_at=start,
                days=days,
                working=True,
                shift_seconds=0,
                warn_ratio=self.ratio,
                calendar=calendar,
                tz=tz,
            )
            return result.due.at, result.warn.at, result.provisional

        self._working = working
        self._dates: dict[int, dt.date | None] = {}
        # The specs the domain gives each level and scale (the policy is fixed for the run).
        clock_policy = policy.clocks
        self.intake = {
            (scale, level): intake_clocks(scale, level, clock_policy)
            for scale in Scale
            for level in Level
        }
        self.arrival = {level: arrival_clocks(level, clock_policy) for level in Level}
        self.follow_up = {level: follow_up_clock(level, clock_policy) for level in Level}
        self.judicial = {level: judicial_clock(level) for level in Level}

    def local_date(self, at: dt.datetime) -> dt.date:
        """``at``'s local date, the zone looked up once per hour of UTC (unless the local date
        changes within that hour)."""
        hour = int(at.timestamp()) // 3600
        date = self._dates.get(hour, False)
        if date is False:
            start = dt.datetime.fromtimestamp(hour * 3600, self.tz)
            end = dt.datetime.fromtimestamp(hour * 3600 + 3599, self.tz)
            date = self._dates[hour] = start.date() if start.date() == end.date() else None
        return date or at.astimezone(self.tz).date()

    def start(self, spec: ClockSpec, at: dt.datetime) -> SimDeadline:
        if spec.working:
            due, warn, provisional = self._working(self.local_date(at), spec.days)
        else:
            span = dt.timedelta(days=spec.days)
            due, warn, provisional = at + span, at + span * self.ratio, False
        return SimDeadline(
            spec.clock, spec.level, at, spec.days, spec.working, due, warn, provisional
        )


def _slot(key: str) -> str:
    """A fact's key made for case 0, with a slot for the case's id ("c{case_id}:…")."""
    return "c{case_id}" + key.removeprefix("c0")


class CaseLife:
    """A case played forward: its clocks, events and state, up to an instant."""

    def __init__(
        self,
        clocks: Clocks,
        texts: _JsonTexts,
        scale: Scale,
        level: Level,
        received_at: dt.datetime,
        actor_id: int,
    ):
        self.clocks = clocks
        self.texts = texts
        self.scale = scale
        self.level = level
        self.status = CaseStatus.registered
        self.highest = level
        start = clocks.start
        self.deadlines: list[SimDeadline] = [
            start(spec, received_at) for spec in clocks.intake[scale, level]
        ]
        self.events = [
            SimEvent(
                received_at,
                actor_id,
                "register",
                None,
                self.status,
                None,
                level,
                data=texts[(("scale", scale.value),)],
            )
        ]
        self.arrivals = [(level, received_at)]
        self.agreement: tuple | None = None
        self.follow_up: tuple | None = None
        self.concluded: tuple[dt.datetime, Level, str] | None = None

    def running(self, *clocks: Clock, level: Level | None = None) -> list[SimDeadline]:
        return [
            d
            for d in self.deadlines
            if d.stopped_at is None
            and (not clocks or d.clock in clocks)
            and (level is None or d.level is level)
        ]

    def stop(self, deadlines: Iterable[SimDeadline], at: dt.datetime, *, met: bool = True) -> None:
        for d in deadlines:
            d.stopped_at = at
            if at >= d.due_at:  # met only strictly before the deadline
                d.breached_at = d.breached_at or d.due_at
            elif met:
                d.met_at = at

    def act(
        self,
        at: dt.datetime,
        actor_id: int | None,
        action: str,
        to_status: CaseStatus,
        note: str = "",
        data: str = "{}",
    ) -> None:
        self.events.append(
            SimEvent(
                at, actor_id, action, self.status, to_status, self.level, self.level, note, data
            )
        )
        self.status = to_status

    def accept(self, at: dt.datetime, actor_id: int) -> None:
        self.stop(self.running(Clock.accept, level=self.level), at)
        self.act(at, actor_id, "accept", CaseStatus.in_mediation)

    def escalate(self, at: dt.datetime, actor_id: int | None, unit_code: str, note: str) -> None:
        before, up = self.level, Level.township if self.level is Level.village else Level.county
        self.stop(self.running(Clock.accept, Clock.settle), at)
        self.level = up
        self.highest = up
        for spec in self.clocks.arrival[up]:
            self.deadlines.append(self.clocks.start(spec, at))
        if up.rank >= self.scale.home_level.rank:
            self.stop(self.running(Clock.major_report), at)
        self.events.append(
            SimEvent(
                at,
                actor_id,
                "escalate",
                self.status,
                CaseStatus.registered,
                before,
                up,
                note,
                self.texts[(("to_unit_code", unit_code),)],
            )
        )
        self.status = CaseStatus.registered
        self.arrivals.append((up, at))

    def conclude(
        self, at: dt.datetime, actor_id: int, action: str, status: CaseStatus, data: str
    ) -> None:
        self.stop(self.running(), at)
        self.act(at, actor_id, action, status, data=data)
        self.concluded = (at, self.level, action)


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
        self.clocks = Clocks(policy, calendar, tz)
        self.now = shape.now
        self.categories, self.category_cum = _weights(_CATEGORY_WEIGHTS)
        self.sources, self.source_cum = _weights(_SOURCE_WEIGHTS)
        self.texts = _JsonTexts()
        self.risk_texts: dict[tuple[Risk, ...], str] = {}
        self.township_code = {place.township_id: place.code[:9] + "000" for place in places}
        self.county_code = {place.county_id: place.county_code for place in places}
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
        local_date = self.clocks.local_date
        return Counter(
            (place.county_id, local_date(received_at).year)
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
        life = CaseLife(self.clocks, self.texts, scale, level, received_at, registrar)

        age_days = (now - received_at).total_seconds() / 86400
        is_open = rng.random() < math.exp(-age_days / self.tau)
        if is_open:
            end = now
        else:
            end = received_at + _duration(rng)
            if end >= now:
                end = received_at + (now - received_at) * rng.random()
        self._play(life, place, end, is_open)
        rows.open += life.concluded is None
        year = self.clocks.local_date(received_at).year
        self.numbered[place.county_id, year] += 1  # 410522-2026-000123: the county's sequence
        number = f"{place.county_code[:6]}-{year}-{self.numbered[place.county_id, year]:06d}"
        paused = life.status is CaseStatus.paused
        # The flags first: they mark the running clocks that are past due as breached.
        flags = self._flags(life, life.events[-1].at if paused else now)
        if paused or life.concluded and life.status is not CaseStatus.resolved:
            check_at = None  # nothing left to watch, or clocks stopped until resumed
        else:
            check_at = next_check(life.deadlines, now)
        units = self.units[place.id]
        concluded_at, concluded_level, concluded_action = life.concluded or (None, None, None)
        last_at = life.events[-1].at
        received = stamp(received_at)
        rows.cases.append(
            (
                case_id,
                number,
                place.id,
                place.township_id,
                place.county_id,
                units[life.level],
                value[life.level],
                value[life.status],
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
                value[life.highest],
                stamp(concluded_at),
                value[concluded_level],
                concluded_action,
                bools[Risk.violence in risks],
                bools[Risk.group_incident in risks],
                stamp(check_at),
                len(life.events),
                life.events[0].actor_id,
                received,
                stamp(last_at),
                stamp(last_at),
            )
        )
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
        for version, e in enumerate(life.events, 1):
            events.append(
                (
                    case_id,
                    stamp(e.at),
                    stamp(e.recorded_at or e.at),
                    e.actor_id,
                    e.action,
                    value[e.from_status],
                    value[e.to_status],
                    value[e.from_level],
                    value[e.to_level],
                    e.note,
                    e.data,
                    version,
                )
            )
        deadlines = rows.deadlines
        for d in life.deadlines:
            deadlines.append(
                (
                    case_id,
                    value[d.clock],
                    value[d.level],
                    stamp(d.started_at),
                    d.days,
                    bools[d.working],
                    0,
                    stamp(d.due_at),
                    stamp(d.warn_at),
                    bools[d.provisional],
                    stamp(d.met_at),
                    stamp(d.breached_at),
                    stamp(d.stopped_at),
                )
            )
        for key, kind, level, occurred, cleared in flags:
            rows.flags.append(
                (
                    key.format(case_id=case_id),
                    value[kind],
                    case_id,
                    place.id,
                    place.township_id,
                    place.county_id,
                    value[level],
                    None,
                    stamp(occurred),
                    stamp(occurred),
                    stamp(cleared),
                )
            )
        if life.agreement is not None:
            form, terms, amount_fen, level, at, mediator = life.agreement
            rows.agreements.append(
                (case_id, form, terms, amount_fen, value[level], units[level], mediator, stamp(at))
            )
        if life.follow_up is not None:
            at, actor, satisfied = life.follow_up
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

    def _play(self, life: CaseLife, place: Place, end: dt.datetime, is_open: bool) -> None:
        """Live the case until ``end``: accept at each level, escalate by hand (a few) or when
        the village's settle time runs out (the sweep's rule), then conclude at ``end`` unless
        it is still open then."""
        rng = self.rng
        auto = self.policy.clocks.auto_escalate_village_breach
        while True:
            level, arrived = life.arrivals[-1]
            accept_at = arrived + HOUR * (0.5 + rng.random() * 19)
            if accept_at < end:
                life.accept(accept_at, self._actor(place, level))
            settle = life.running(Clock.settle, level=level)[0]
            escalate_at = None
            if level is not Level.county:
                if rng.random() < _BY_HAND[level][life.scale]:
                    quick = life.scale is Scale.major
                    lead = (
                        HOUR * (1 + rng.random() * 5)
                        if quick
                        else (settle.due_at - arrived) * (0.3 + rng.random() * 0.6)
                    )
                    escalate_at = max(arrived + lead, accept_at + HOUR)
                    note = "超出本级调解能力，报请上级调处。"
                    actor = self._actor(place, level)
                if (
                    level is Level.village
                    and auto
                    and (escalate_at is None or escalate_at > settle.due_at)
                ):
                    # it goes up at its deadline (E: no later event, no grace left), found
                    # by the next sweep
                    escalate_at = settle.due_at
                    note, actor = AUTO_ESCALATE_NOTE, None
            if escalate_at is None or escalate_at >= end:
                break
            code = (
                self.township_code[place.township_id]
                if level is Level.village
                else self.county_code[place.county_id]
            )
            life.escalate(escalate_at, actor, code, note)
        if is_open:
            if life.status is CaseStatus.in_mediation and rng.random() < 0.02:
                paused_at = max(life.events[-1].at, end - DAY * rng.random() * 3)
                life.act(
                    paused_at,
                    self._actor(place, life.level),
                    "pause",
                    CaseStatus.paused,
                    note="当事人外出务工，暂缓调解。",
                    data=_json({"paused_at": paused_at.isoformat()}),
                )
            return
        if life.status is CaseStatus.registered:  # concluded before anyone accepted: accept first
            life.accept(max(life.events[-1].at, end - HOUR * 0.5), self._actor(place, life.level))
        end = max(end, life.events[-1].at + dt.timedelta(minutes=30))
        if end >= self.now:
            return  # no time left to conclude: stays open
        actor = self._actor(place, life.level)
        roll = rng.random()
        if roll < 0.85:
            form = AgreementForm.written if rng.random() < 0.6 else AgreementForm.oral
            amount_fen = int(rng.random() * 2_000_000) if rng.random() < 0.5 else 0
            life.conclude(
                end,
                actor,
                "resolve",
                CaseStatus.resolved,
                _json({"form": form.value, "amount_yuan": f"{amount_fen / 100:.2f}"}),
            )
            life.agreement = (
                form.value,
                "双方自愿达成如下协议：……",
                amount_fen,
                life.level,
                end,
                actor,
            )
            life.deadlines.append(self.clocks.start(self.clocks.follow_up[life.level], end))
            if form is AgreementForm.written:
                life.deadlines.append(self.clocks.start(self.clocks.judicial[life.level], end))
            visit = end + DAY * (2 + rng.random() * 12) if rng.random() < 0.97 else None
            if visit is not None and visit < self.now:
                satisfied = rng.random() < 0.95
                life.stop(life.running(Clock.follow_up), visit)
                life.act(
                    visit,
                    actor,
                    "follow_up",
                    CaseStatus.closed,
                    note="回访：协议已履行。",
                    data=self.texts[
                        (("performed", True), ("satisfied", satisfied), ("relapse_risk", False))
                    ],
                )
                life.follow_up = (visit, actor, satisfied)
        elif roll < 0.93:
            target = rng.choice(list(ReferralTarget))
            life.conclude(
                end, actor, "refer", CaseStatus.referred, self.texts[(("to", target.value),)]
            )
            life.events[-1].note = "依法引导当事人通过诉讼途径解决。"
        else:
            life.conclude(end, actor, "withdraw", CaseStatus.withdrawn, "{}")
            life.events[-1].note = "申请人撤回调解申请。"

    def _flags(
        self, life: CaseLife, now: dt.datetime
    ) -> list[tuple[str, FlagKind, Level, dt.datetime, dt.datetime | None]]:
        """The facts of the case's life, as (key with a ``{case_id}`` slot, kind, level, when
        it happened, when cleared): each clock's warning and breach at their instants, cleared
        when the clock stopped; each move up that broke the rule, at the move (never cleared).
        The judicial-confirmation window that ended stops, never breached."""
        flags = []
        for d in life.deadlines:
            end = d.stopped_at or now
            if d.clock is Clock.judicial_confirmation:
                if d.stopped_at is None and d.due_at <= now:
                    d.stopped_at = d.due_at
                continue
            kind = FLAG_WHEN_DUE.get(d.clock)
            if kind is None:
                continue
            if d.clock is Clock.settle and d.warn_at <= end:
                warning = FlagKind.settle_warning
                key = clock_key(0, d.clock, d.level, d.started_at, warning)
                flags.append((_slot(key), warning, d.level, d.warn_at, d.stopped_at))
            if d.due_at <= end:
                if d.stopped_at is None:
                    d.breached_at = d.due_at  # the sweep marks a running clock breached
                key = clock_key(0, d.clock, d.level, d.started_at, kind)
                flags.append((_slot(key), kind, d.level, d.due_at, d.stopped_at))
        recorded = set()  # a rule fact is recorded the first time only
        registered = life.events[0].to_level
        moves = [
            (e.at, facts_of_accepting(0, life.scale, e.to_level, registered, e.at))
            if e.action == "accept"
            else (e.at, facts_of_moving_up(0, life.scale, e.to_level, e.at))
            for e in life.events
            if e.action in ("accept", "escalate")
        ]
        for at, facts in moves:
            for fact in facts:
                if fact.key not in recorded:
                    recorded.add(fact.key)
                    flags.append((_slot(fact.key), fact.kind, fact.level, at, None))
        return flags

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
                    level = None
                    if kind is IncidentKind.petition:
                        level = rng.choices(list(PetitionLevel), (60, 30, 7, 2, 1))[0].value
                    incidents.append(
                        (
                            place.id,
                            place.township_id,
                            place.county_id,
                            kind,
                            stamp(occurred),
                            "群众反映情况，已登记处置。",
                            level,
                            rng.random() < 0.1,
                            rng.randrange(1, 8),
                            rng.randrange(0, 3) if kind is IncidentKind.accident else 0,
                            0,
                            None,
                            place.township_officer_id,
                            stamp(occurred + HOUR),
                            stamp(occurred + HOUR),
                            1,
                        )
                    )
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


BULK_TABLES = (Case, Party, CaseEvent, Deadline, Flag, Agreement, FollowUp, Incident, Screening)
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
    "next_check_at",
    "version",
    "created_by_id",
    "created_at",
    "updated_at",
    "last_event_at",
)
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
        self.cases, self.parties, self.events, self.deadlines = [], [], [], []
        self.flags, self.agreements, self.follow_ups = [], [], []
        self.open = 0

    def flush(self, writer: BulkWriter) -> None:
        writer.write(Case, _CASE_COLUMNS, self.cases)
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
_BY_HAND = {
    Level.village: {Scale.small: 0.04, Scale.big: 0.5, Scale.major: 1.0},
    Level.township: {Scale.small: 0.01, Scale.big: 0.04, Scale.major: 1.0},
}


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
            select(func.count()).select_from(Case).where(Case.next_check_at <= shape.now + DAY)
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
