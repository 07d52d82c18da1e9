"""A month's figures are the same whatever the sweep's cadence.

The same generated history of what people do (cases registered, some back-dated or settled on
the spot, actions by whoever tries them, petitions and accidents, screening reports on time,
late or never) is played under four cadences of the sweep: every 5 minutes, hourly, daily, and
not at all until the month freezes. A cadence skips the instants at which nothing falls due
(it jumps to its first tick at or after the next due instant). The frozen cards of October and
November and the live cards at the end must be identical, village by village.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from mediation import create_app, jobs
from mediation.domain.enums import Action, Level
from mediation.domain.incidents import parse_incident, parse_screening, screening_due_at
from mediation.domain.intake import InvalidInput, parse_case
from mediation.domain.months import Month
from mediation.domain.workflow import Refused
from mediation.extensions import db
from mediation.models import Case, CaseCheck, ScorecardSnapshot, Unit, User
from mediation.platform import runtime
from mediation.services import scorecard
from mediation.services.cases import register_case
from mediation.services.incidents import file_screening, record_incident
from mediation.services.sweep import run_sweep
from mediation.services.workflow import Conflict, Context, perform

from ..conftest import PostgresDatabases
from ..factories import TZ, Factory, case_fields

START = dt.datetime(2026, 10, 1, 8, 0, tzinfo=TZ)
END = dt.datetime(2026, 11, 30, 18, 0, tzinfo=TZ)
FREEZES = [dt.datetime(2026, 11, 5, 1, 0, tzinfo=TZ), dt.datetime(2026, 12, 5, 1, 0, tzinfo=TZ)]
MONTHS = [Month(2026, 10), Month(2026, 11)]
VILLAGES = {
    "410522100201": "xipei",
    "410522100202": "dongpei",
    "410522101201": "beiguan",
}
TOWNSHIP_OF = {"410522100201": "baibi", "410522100202": "baibi", "410522101201": "shuiye"}
CADENCES = {
    "5 minutes": dt.timedelta(minutes=5),
    "hourly": dt.timedelta(hours=1),
    "daily": dt.timedelta(days=1),
    "never": None,
}


# --- a history of what people do -----------------------------------------------------------


def history(rng: random.Random) -> list[tuple[dt.datetime, str, dict]]:
    """(instant, kind, details), in time order: plain data, replayed alike under each cadence."""
    events = []
    span = (END - START).total_seconds()
    for number in range(rng.randint(6, 12)):
        at = START + dt.timedelta(seconds=rng.uniform(0, span * 0.9))
        village = rng.choice(list(VILLAGES))
        registrar = VILLAGES[village] if rng.random() < 0.85 else TOWNSHIP_OF[village]
        received_at = at - dt.timedelta(
            days=rng.choice([0, 0, 0, 1, 4, 9]), hours=rng.uniform(0, 5)
        )
        details = {
            "number": number,
            "village": village,
            "registrar": registrar,
            "received_at": received_at,
            "people": rng.choice([2, 2, 2, 3, 6, 35]),
        }
        if rng.random() < 0.2:
            details["resolved_at"] = min(received_at + dt.timedelta(hours=rng.uniform(1, 30)), at)
        events.append((at, "register", details))
        when = at
        for _ in range(rng.randint(0, 6)):
            when += dt.timedelta(hours=rng.choice([0.5, 3, 20, 50, 130, 260]))
            if when > END:
                break
            action = rng.choice(
                [
                    "accept",
                    "accept",
                    "resolve",
                    "resolve",
                    "escalate",
                    "pause",
                    "resume",
                    "follow_up",
                    "reopen",
                    "withdraw",
                    "report",
                    "take_over",
                    "assign_down",
                    "extend",
                ]
            )
            actor = rng.choice([VILLAGES[village], TOWNSHIP_OF[village], "county"])
            events.append((when, "act", {"number": number, "action": action, "actor": actor}))
    for _ in range(rng.randint(0, 4)):
        at = START + dt.timedelta(seconds=rng.uniform(0, span))
        kind = rng.choice(["petition", "petition", "accident"])
        level = rng.choice(["township", "county", "city"]) if kind == "petition" else None
        details = {"village": rng.choice(list(VILLAGES)), "kind": kind, "level": level}
        events.append((at + dt.timedelta(hours=2), "incident", {**details, "occurred_at": at}))
    for month in MONTHS:
        due = screening_due_at(month, 25, TZ)
        for mediator in VILLAGES.values():
            choice = rng.choice(["on time", "on time", "late", "missing"])
            if choice == "missing":
                continue
            offset = dt.timedelta(days=rng.uniform(-6, -0.1) if choice == "on time" else 2)
            events.append((due + offset, "screening", {"month": month, "mediator": mediator}))
    return sorted(events, key=lambda event: event[0])


# --- playing it ------------------------------------------------------------------------------


class Play:
    def __init__(self, app, cadence: dt.timedelta | None):
        self.app, self.cadence = app, cadence
        self.cases: dict[int, int] = {}  # history number → case id
        self.screenings_due = [screening_due_at(m, 25, TZ) for m in MONTHS]

    def user(self, username: str) -> User:
        return db.session.scalar(select(User).where(User.username == username))

    def run(self, events) -> None:
        timeline = [(at, "event", kind, details) for at, kind, details in events]
        timeline += [(at, "freeze", None, None) for at in FREEZES]
        for at, what, kind, details in sorted(timeline, key=lambda item: item[0]):
            self.sweep_until(at)
            if what == "freeze":
                assert jobs.freeze_month(self.app, at), at
                db.session.expire_all()
            else:
                getattr(self, kind)(at, details)

    def sweep_until(self, until: dt.datetime) -> None:
        if self.cadence is None:
            return
        while True:
            due = self.next_due()
            if due is None or ceil(due, self.cadence) > until:
                return
            tick = ceil(due, self.cadence)
            run_sweep(tick, policy=runtime.policy(), tz=TZ, notifier=_notifier())
            db.session.commit()
            self.screenings_due = [at for at in self.screenings_due if at > tick]

    def next_due(self) -> dt.datetime | None:
        """The next instant something falls due: a case's next check, a screening deadline."""
        check = db.session.scalar(select(func.min(CaseCheck.next_check_at)))
        candidates = [at for at in [check, *self.screenings_due[:1]] if at is not None]
        return min(candidates, default=None)

    # .. what people do ..

    def register(self, at, details) -> None:
        fields = case_fields(
            village_code=details["village"],
            received_at=details["received_at"].isoformat(),
            people_involved=details["people"],
        )
        if "resolved_at" in details:
            fields["resolved_at"] = details["resolved_at"].isoformat()
            fields["agreement"] = {"form": "oral", "terms": "当场和解"}
        policy = runtime.policy()
        draft = parse_case(fields, now=at, tz=TZ, policy=policy.intake)
        case = register_case(self.user(details["registrar"]), draft, now=at, policy=policy, tz=TZ)
        db.session.commit()
        self.cases[details["number"]] = case.id

    def act(self, at, details) -> None:
        case_id = self.cases.get(details["number"])
        if case_id is None:
            return
        case = db.session.get(Case, case_id)
        user = self.user(details["actor"])
        action = Action(details["action"])
        raw = {"note": "依据事实", "consent": True, "to": "court"}
        if action is Action.resolve:
            raw["agreement"] = {"form": "written", "terms": "赔偿并道歉", "amount_yuan": "800"}
        elif action is Action.follow_up:
            raw.update(performed=True, satisfied=True, relapse_risk=False)
        elif action is Action.assign_down:
            raw["to_unit_code"] = db.session.get(Unit, case.village_id).code
        ctx = Context.build(at, runtime.policy(), TZ)
        try:
            perform(user, case, action, raw, version=case.version, ctx=ctx, notifier=_notifier())
            db.session.commit()
        except (Refused, InvalidInput, Conflict):
            db.session.rollback()

    def incident(self, at, details) -> None:
        raw = {
            "village_code": details["village"],
            "kind": details["kind"],
            "occurred_at": details["occurred_at"].isoformat(),
            "summary": "村民反映问题",
        }
        if details["kind"] == "petition":
            raw["petition_level"] = details["level"]
        else:
            raw.update(injured=1, dead=0)
        draft = parse_incident(raw, now=at, tz=TZ)
        record_incident(self.user("county"), draft, at, notifier=_notifier())
        db.session.commit()

    def screening(self, at, details) -> None:
        month: Month = details["month"]
        user = self.user(details["mediator"])
        raw = {
            "village_code": user.unit.code,
            "month": str(month),
            "visited_at": dt.date(month.year, month.month, 3).isoformat(),
            "households": 30,
            "risks_found": 0,
            "disputes_found": 0,
            "zero_report": True,
        }
        draft = parse_screening(raw, now=at, tz=TZ)
        file_screening(user, draft, at, due_at=screening_due_at(month, 25, TZ))
        db.session.commit()

    def figures(self) -> dict:
        county = db.session.scalar(select(Unit).where(Unit.kind == Level.county))
        frozen = {
            row.month: row.data
            for row in db.session.scalars(
                select(ScorecardSnapshot).where(ScorecardSnapshot.revision == 1)
            )
        }
        live = {
            str(month): scorecard.as_dict(
                scorecard.compute(county, month, policy=runtime.policy(), tz=TZ)
            )
            for month in MONTHS
        }
        return {"frozen": _plain(frozen), "live": _plain(live)}


def _plain(cards: dict) -> dict:
    """Village by village, without the snapshot's own times."""
    return {
        month: {
            village["code"]: {k: v for k, v in village.items() if k != "frozen_at"}
            for village in card["villages"]
        }
        for month, card in cards.items()
    }


def _notifier():
    from mediation.services.notify import Notifier

    return Notifier.from_config("inbox")


def ceil(instant: dt.datetime, step: dt.timedelta) -> dt.datetime:
    """The first tick of a cadence of ``step`` at or after ``instant`` (ticks from START)."""
    ticks = math.ceil((instant - START) / step)
    return START + max(ticks, 0) * step


# --- the property ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(databases, tmp_path_factory):
    """A migrated database holding the world (units, users), copied for each play."""
    folder = tmp_path_factory.mktemp("cadence")
    url = databases.fresh(folder)
    app = _app(url, folder)
    with app.app_context():
        Factory().world()
        db.session.remove()
        db.engine.dispose()
    yield url, folder
    databases.drop(url)


def _app(url: str, folder):
    return create_app(
        {
            "DATABASE_URL": url,
            "MEDIATION_DEMO": False,
            "AUTO_SETUP": False,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
        },
        instance_path=str(folder / "instance"),
    )


def _copy(databases, template: tuple, name: str) -> str:
    url, folder = template
    if isinstance(databases, PostgresDatabases):
        copy = f"{databases.prefix}_cadence_{name}"
        databases._execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        database = url.rsplit("/", 1)[1]
        databases._execute(f'CREATE DATABASE "{copy}" TEMPLATE "{database}"')
        return databases._url(copy)
    path = folder / f"{name}.db"
    shutil.copy(url.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


@settings(
    max_examples=int(os.environ.get("CADENCE_EXAMPLES", 20)),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rng=st.randoms(use_true_random=False))
def test_the_figures_do_not_depend_on_the_sweeps_cadence(databases, template, rng):
    events = history(rng)
    results = {}
    for index, (name, cadence) in enumerate(CADENCES.items()):
        url = _copy(databases, template, f"c{index}")
        app = _app(url, template[1])
        with app.app_context():
            play = Play(app, cadence)
            play.run(events)
            results[name] = play.figures()
            db.session.remove()
            db.engine.dispose()
        databases.drop(url)
    first = results["5 minutes"]
    assert set(first["frozen"]) == {"2026-10", "2026-11"}
    for name, figures in results.items():
        for part in ("frozen", "live"):
            for month, villages in first[part].items():
                for code, card in villages.items():
                    assert figures[part][month][code] == card, (name, part, month, code)
