"""The benchmark: ``flask --app app bench`` over the current database (made by ``gen-data``).

Each scenario runs in a process of its own (forked), so its peak memory is its own: the median
of several timed runs after one warm-up, the peak resident memory, and beside it the same query
work as one minimal hand-written SQL statement where one exists, and the ratio of the two.
The pages are timed through the app's WSGI entry point (the test client), signed in as the
county officer of the first generated county, so the figure is the server's time without the
network.

The scenarios that write (the full sweep, an intake) run on a copy of the database, fresh for
every run: SQLite's online backup, or ``CREATE DATABASE … TEMPLATE`` on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import platform
import re
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import configure_mappers

from mediation.domain.enums import Category, Level, Role
from mediation.domain.months import Month
from mediation.extensions import db
from mediation.models import ApiToken, Case, CaseCheck, Mark, Unit, User

from .synthetic import GEN_MARK, PASSWORD

# The targets of docs/performance.md, in ms and MB, at 1,000,000 cases on SQLite (PostgreSQL: 2x).
TARGETS_MS = {
    "sweep_full": 1500,
    "sweep_interval": 1500,
    "sweep_idle": 100,
    "scorecard_county": 2000,
    "scorecard_township": 100,
    "list_page_1": 30,
    "list_page_500": 30,
    "case_detail": 30,
    "ledger_import_5000": 60_000,  # a village ledger of 5,000 rows in under a minute
}
PEAK_TARGET_MB = 300
PEAK_CHECKED = (
    "sweep_full",
    "sweep_interval",
    "sweep_idle",
    "scorecard_county",
    "scorecard_township",
)
LIST_FILTER = {"category": Category.neighbor.value}


class BenchError(Exception):
    """The database is not one the benchmark can run on."""


@dataclass
class Figure:
    name: str
    runs: int
    median_ms: float
    peak_mb: float
    baseline_ms: float | None = None
    ratio: float | None = None
    target_ms: float | None = None
    note: str = ""
    plans: list[dict] = field(default_factory=list)
    factor: float = 1.0  # PostgreSQL's targets are twice SQLite's

    @property
    def ok(self) -> bool | None:
        if self.target_ms is None:
            return None
        memory_ok = self.name not in PEAK_CHECKED or self.peak_mb <= PEAK_TARGET_MB * self.factor
        return self.median_ms <= self.target_ms and memory_ok


@dataclass
class Setting:
    """What the scenarios run against: found once in the parent, passed to every child."""

    dialect: str
    url: str
    now: dt.datetime  # the reference instant of the generated data
    sweep_at: dt.datetime  # the full sweep's instant
    due: int  # cases due at sweep_at
    interval_at: dt.datetime  # one sweep interval after the data's now
    idle_at: dt.datetime  # an instant with nothing due
    county_id: int
    township_id: int
    officer: str
    month: Month
    case_ids: list[int]
    cases: int
    villages: int


# --- running a scenario in a process of its own --------------------------------------------


def _in_child(app: Flask, work: Callable[[], dict]) -> dict:
    """Run ``work`` in a forked process with the app; returns its result and peak memory."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    with app.app_context():
        db.engine.dispose()  # the child opens connections of its own

    def child() -> None:
        try:
            with app.app_context():
                db.engine.dispose(close=False)
                result = work()
            result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            send.send(result)
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            send.send({"error": f"{type(error).__name__}: {error}"})
        finally:
            send.close()

    process = context.Process(target=child)
    process.start()
    send.close()
    try:
        result = receive.recv()
    except EOFError:
        result = {"error": f"the benchmark process died (exit code {process.exitcode})"}
    process.join()
    if "error" in result:
        raise BenchError(result["error"])
    return result


def _timed(runs: int, once: Callable[[int], Any], *, warm: bool = True) -> list[float]:
    """Milliseconds of each of ``runs`` calls (the run's index as argument), after a warm-up."""
    if warm:
        once(-1)
    times = []
    for index in range(runs):
        started = time.perf_counter()
        once(index)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _sql_ms(statement: str, params: dict, runs: int) -> float:
    def once(_index: int) -> None:
        db.session.execute(text(statement), params).all()
        db.session.rollback()

    return statistics.median(_timed(runs, once))


@contextmanager
def _recording(plans: list[dict] | None) -> Iterator[None]:
    """With ``plans`` given, note the distinct SELECT statements run, for EXPLAIN."""
    if plans is None:
        yield
        return
    seen: dict[str, tuple] = {}

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and statement not in seen:
            seen[statement] = parameters

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    for statement, parameters in seen.items():
        plans.append({"sql": statement, "plan": _explain(statement, parameters)})


def _explain(statement: str, parameters) -> list[str]:
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            return [row[-1] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN " + statement, parameters)
        return [row[0] for row in cursor.fetchall()]
    finally:
        raw.rollback()
        raw.close()


# --- the scenarios -------------------------------------------------------------------------


def _as_the_scheduler() -> None:
    """The process set up as the scheduler's is once started (its start-up objects frozen)."""
    from mediation.jobs import settle_after_start

    settle_after_start()


def _sweep(at: dt.datetime) -> dict:
    """One sweep as the scheduler runs it (its notification channels included)."""
    from flask import current_app

    from mediation.platform import runtime
    from mediation.services.notify import Notifier
    from mediation.services.sweep import run_sweep

    notifier = Notifier.from_config(current_app.config["NOTIFY_CHANNELS"])
    return run_sweep(
        at, policy=runtime.policy(), tz=runtime.tz(), notifier=notifier, holder="bench"
    ).as_dict()


def _signed_in(app: Flask, username: str):
    """A test client signed in through the login page, as a user would."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    form = {"username": username, "password": PASSWORD}
    if token:
        form["csrf_token"] = token.group(1)
    response = client.post("/login", data=form)
    if response.status_code != 302:
        raise BenchError(f"could not sign in as {username} (HTTP {response.status_code})")
    return client


def _get(client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise BenchError(f"GET {url}: HTTP {response.status_code}")


# --- the parent ------------------------------------------------------------------------------


def find_setting(due: int | None) -> Setting:
    from flask import current_app

    from mediation.platform import runtime

    mark = db.session.get(Mark, GEN_MARK)
    if mark is None:
        raise BenchError(
            "this database holds no generated data: run `flask --app app gen-data` first"
        )
    now = dt.datetime.fromisoformat(mark.value)
    officer = db.session.scalar(
        select(User)
        .join(Unit, User.unit_id == Unit.id)
        .where(User.role == Role.county_officer, User.username.like("c49%"))
        .order_by(User.id)
        .limit(1)
    )
    if officer is None:
        raise BenchError("no generated county officer found")
    county_id = officer.unit_id
    township_id = db.session.scalar(
        select(Unit.id)
        .where(Unit.kind == Level.township, Unit.county_id == county_id)
        .order_by(Unit.code)
        .limit(1)
    )
    first_check = db.session.scalar(select(func.min(CaseCheck.next_check_at)))
    if due is None:
        sweep_at = now + dt.timedelta(days=1)
    else:
        nth = db.session.scalar(
            select(CaseCheck.next_check_at)
            .where(CaseCheck.next_check_at.is_not(None))
            .order_by(CaseCheck.next_check_at)
            .offset(max(due - 1, 0))
            .limit(1)
        )
        sweep_at = nth or now
    due_count = db.session.scalar(
        select(func.count()).select_from(CaseCheck).where(CaseCheck.next_check_at <= sweep_at)
    )
    idle_at = (first_check - dt.timedelta(seconds=1)) if first_check else now
    # Cases to open: spread over the county's register.
    total = db.session.scalar(
        select(func.count()).select_from(Case).where(Case.county_id == county_id)
    )
    step = max(total // 25, 1)
    case_ids = db.session.scalars(
        select(Case.id)
        .where(Case.county_id == county_id)
        .order_by(Case.id)
        .offset(step // 2)
        .limit(25 * step)
    ).all()[::step]
    setting = Setting(
        dialect=db.engine.dialect.name,
        url=db.engine.url.render_as_string(hide_password=False),
        now=now,
        sweep_at=sweep_at,
        due=due_count,
        idle_at=idle_at,
        interval_at=now + dt.timedelta(minutes=current_app.config["SWEEP_INTERVAL_MINUTES"]),
        county_id=county_id,
        township_id=township_id,
        officer=officer.username,
        month=Month.of(now, runtime.tz()).previous(),  # the last whole month, local time
        case_ids=list(case_ids),
        cases=db.session.scalar(select(func.count()).select_from(Case)),
        villages=db.session.scalar(
            select(func.count()).select_from(Unit).where(Unit.kind == Level.village)
        ),
    )
    db.session.rollback()
    return setting


class Bench:
    def __init__(self, app: Flask, setting: Setting, runs: int, explain: bool):
        self.app, self.s, self.runs, self.explain = app, setting, runs, explain
        self.factor = 2.0 if setting.dialect == "postgresql" else 1.0

    def figure(
        self, name: str, result: dict, *, baseline: float | None = None, note: str = ""
    ) -> Figure:
        median = statistics.median(result["times"])
        target = TARGETS_MS.get(name)
        figure = Figure(
            name=name,
            runs=len(result["times"]),
            median_ms=round(median, 2),
            peak_mb=round(result["peak_mb"], 1),
            baseline_ms=round(baseline, 3) if baseline is not None else None,
            ratio=round(median / baseline, 1) if baseline else None,
            target_ms=target * self.factor if target else None,
            note=note or result.get("note", ""),
            plans=result.get("plans", []),
            factor=self.factor,
        )
        return figure

    def all(self, only: set[str] | None = None) -> list[Figure]:
        scenarios = [
            ("sweep_idle", self.sweep_idle),
            ("sweep_interval", lambda: self.sweep_on_copies("sweep_interval", self.s.interval_at)),
            ("sweep_full", lambda: self.sweep_on_copies("sweep_full", self.s.sweep_at)),
            ("scorecard_county", lambda: self.scorecard("scorecard_county", self.s.county_id)),
            (
                "scorecard_township",
                lambda: self.scorecard("scorecard_township", self.s.township_id),
            ),
            ("list_page_1", lambda: self.list_page("list_page_1", 1)),
            ("list_page_500", lambda: self.list_page("list_page_500", 500)),
            ("case_detail", self.detail),
            ("api_intake", self.intake),
            ("ledger_import_5000", self.ledger_import),
        ]
        # The ledger import (minutes of writing) runs only when named: --only ledger_import_5000.
        return [
            run() for name, run in scenarios if (name in only if only else name not in ON_REQUEST)
        ]

    # .. each scenario ..

    def sweep_idle(self) -> Figure:
        s = self.s

        def work() -> dict:
            plans = [] if self.explain else None
            _as_the_scheduler()
            times = _timed(self.runs, lambda i: _sweep(s.idle_at))
            with _recording(plans):
                _sweep(s.idle_at)
            baseline = _sql_ms(
                "SELECT case_id FROM case_checks WHERE next_check_at <= :t",
                {"t": _param(s, s.idle_at)},
                self.runs,
            )
            return {"times": times, "baseline": baseline, "plans": plans or []}

        result = _in_child(self.app, work)
        return self.figure(
            "sweep_idle",
            result,
            baseline=result["baseline"],
            note=f"at {s.idle_at.isoformat(timespec='seconds')}: nothing due",
        )

    def sweep_on_copies(self, name: str, at: dt.datetime) -> Figure:
        """The sweep at ``at``, each run on a fresh copy of the database."""
        s = self.s
        times, peaks, plans, checked = [], [], [], None
        for index in range(self.runs):
            with _database_copy(self.app, s) as app:

                def work(index: int = index) -> dict:
                    recorded = [] if self.explain and index == 0 else None
                    _as_the_scheduler()
                    with _recording(recorded):
                        started = time.perf_counter()
                        result = _sweep(at)
                        elapsed = (time.perf_counter() - started) * 1000
                    return {
                        "times": [elapsed],
                        "checked": result["checked"],
                        "plans": recorded or [],
                    }

                result = _in_child(app, work)
            times += result["times"]
            peaks.append(result["peak_mb"])
            plans = plans or result["plans"]
            checked = result["checked"]

        def baseline_work() -> dict:
            return {
                "times": [0.0],
                "baseline": _sql_ms(
                    "SELECT * FROM case_checks n JOIN cases c ON c.id = n.case_id"
                    " JOIN deadlines d ON d.case_id = c.id WHERE n.next_check_at <= :t",
                    {"t": _param(s, at)},
                    self.runs,
                ),
            }

        baseline = _in_child(self.app, baseline_work)["baseline"]
        return self.figure(
            name,
            {"times": times, "peak_mb": max(peaks), "plans": plans},
            baseline=baseline,
            note=f"at {at.isoformat(timespec='seconds')}: {checked} cases due",
        )

    def scorecard(self, name: str, unit_id: int) -> Figure:
        s = self.s

        def work() -> dict:
            from mediation.platform import runtime
            from mediation.services import scorecard as service

            unit = db.session.get(Unit, unit_id)

            def compute(_run: int):
                return service.compute(unit, s.month, policy=runtime.policy(), tz=runtime.tz())

            plans = [] if self.explain else None
            times = _timed(self.runs, compute)
            with _recording(plans):
                card = compute(0)
            start, end = s.month.bounds(runtime.tz())
            column = "county_id" if unit.kind is Level.county else "township_id"
            baseline = _sql_ms(
                f"SELECT village_id, count(*) FROM cases WHERE {column} = :u "
                "AND received_at >= :s AND received_at < :e GROUP BY village_id",
                {"u": unit_id, "s": _param(s, start), "e": _param(s, end)},
                self.runs,
            )
            return {
                "times": times,
                "baseline": baseline,
                "plans": plans or [],
                "note": f"{s.month}: {len(card.villages)} villages, "
                f"{card.rollup.counts.received} cases received",
            }

        result = _in_child(self.app, work)
        return self.figure(name, result, baseline=result["baseline"])

    def list_page(self, name: str, page: int) -> Figure:
        s = self.s
        query = "&".join(f"{key}={value}" for key, value in LIST_FILTER.items())
        url = f"/cases?{query}&page={page}"

        def work() -> dict:
            client = _signed_in(self.app, s.officer)
            plans = [] if self.explain else None
            times = _timed(self.runs, lambda i: _get(client, url))
            with _recording(plans):
                _get(client, url)
            per_page = self.app.config["CASES_PER_PAGE"]
            baseline = _sql_ms(
                "SELECT * FROM cases WHERE county_id = :c AND category = :k "
                "ORDER BY received_at DESC, id DESC LIMIT :n OFFSET :o",
                {
                    "c": s.county_id,
                    "k": LIST_FILTER["category"],
                    "n": per_page,
                    "o": (page - 1) * per_page,
                },
                self.runs,
            )
            return {"times": times, "baseline": baseline, "plans": plans or []}

        result = _in_child(self.app, work)
        return self.figure(name, result, baseline=result["baseline"], note=f"GET {url}")

    def detail(self) -> Figure:
        s = self.s

        def work() -> dict:
            client = _signed_in(self.app, s.officer)
            ids = s.case_ids or [0]
            plans = [] if self.explain else None
            times = _timed(
                max(self.runs, len(ids)), lambda i: _get(client, f"/cases/{ids[i % len(ids)]}")
            )
            with _recording(plans):
                _get(client, f"/cases/{ids[0]}")
            baseline = _sql_ms(
                "SELECT * FROM cases c LEFT JOIN deadlines d ON d.case_id = c.id WHERE c.id = :i",
                {"i": ids[0]},
                self.runs,
            )
            return {"times": times, "baseline": baseline, "plans": plans or []}

        result = _in_child(self.app, work)
        return self.figure(
            "case_detail",
            result,
            baseline=result["baseline"],
            note=f"{len(s.case_ids)} different cases of the county",
        )

    def intake(self) -> Figure:
        s = self.s
        with _database_copy(self.app, s) as app:

            def work() -> dict:
                officer = db.session.scalar(select(User).where(User.username == s.officer))
                record, token = ApiToken.issue(officer)
                db.session.add(record)
                village = db.session.scalar(
                    select(Unit.code)
                    .where(Unit.kind == Level.village, Unit.county_id == s.county_id)
                    .order_by(Unit.code)
                    .limit(1)
                )
                db.session.commit()
                client = app.test_client()
                headers = {"Authorization": f"Bearer {token}"}

                def once(index: int) -> None:
                    response = client.post(
                        "/api/v1/cases",
                        headers=headers,
                        json={
                            "village_code": village,
                            "category": "neighbor",
                            "source": "party_application",
                            "title": f"邻里排水纠纷 {index}",
                            "description": "两户因排水沟走向发生争执。",
                            "people_involved": 2,
                            "risks": [],
                            "parties": [
                                {"name": "张伟", "role": "applicant"},
                                {"name": "李强", "role": "respondent"},
                            ],
                        },
                    )
                    if response.status_code != 201:
                        raise BenchError(
                            f"POST /api/v1/cases: HTTP {response.status_code} "
                            f"{response.get_data(as_text=True)[:200]}"
                        )

                plans = [] if self.explain else None
                times = _timed(self.runs, once)
                with _recording(plans):
                    once(10_000)
                return {"times": times, "plans": plans or []}

            result = _in_child(app, work)
        return self.figure("api_intake", result, note="POST /api/v1/cases with a bearer token")

    def ledger_import(self) -> Figure:
        s = self.s
        with _database_copy(self.app, s) as app:
            result = _in_child(app, lambda: time_ledger_import(s.officer, s.county_id, LEDGER_ROWS))
        return self.figure(
            "ledger_import_5000",
            result,
            note=f"import-cases of {LEDGER_ROWS:,} settled rows (.csv), checked and committed",
        )


LEDGER_ROWS = 5_000
ON_REQUEST = frozenset({"ledger_import_5000"})


def time_ledger_import(officer_username: str, county_id: int, rows: int) -> dict:
    """Import a generated village ledger of ``rows`` settled cases spread over the county's
    villages, as ``import-cases`` does (read the CSV, check every row, register, commit once):
    one run, its milliseconds. Self-contained: it needs only an officer and his county."""
    import csv
    import io

    from mediation.domain.ledger import COLUMNS
    from mediation.platform import runtime
    from mediation.services import ledger

    officer = db.session.scalar(select(User).where(User.username == officer_username))
    villages = db.session.scalars(
        select(Unit.code)
        .where(Unit.kind == Level.village, Unit.county_id == county_id)
        .order_by(Unit.code)
    ).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.header for column in COLUMNS])
    for index in range(rows):
        day = dt.date(2015, 1, 1) + dt.timedelta(days=index % 3000)
        writer.writerow(
            [
                f"BENCH-{index:06d}",
                villages[index % len(villages)],
                f"{day} 09:30",
                "邻里",
                "当事人申请",
                f"排水沟纠纷 {index}",
                "两户因排水沟走向发生争执。",
                "2",
                "300.00",
                "张伟/申请人;李强/被申请人",
                f"{day} 16:00",
                "口头",
                "改道排水沟，互不追究。",
            ]
        )
    raw = ("\ufeff" + out.getvalue()).encode("utf-8")
    started = time.perf_counter()
    table, _encoding = ledger.read_table(raw)
    result = ledger.import_ledger(
        officer, table, now=runtime.utcnow(), policy=runtime.policy(), tz=runtime.tz()
    )
    db.session.commit()
    elapsed = (time.perf_counter() - started) * 1000
    if result.errors or result.imported != rows:
        raise BenchError(f"ledger import: {result.as_dict()['errors'][:3]}")
    return {"times": [elapsed]}


def _param(setting: Setting, instant: dt.datetime):
    """An instant as a bound parameter of hand-written SQL (the column's stored form)."""
    naive = instant.astimezone(dt.UTC).replace(tzinfo=None)
    return naive.isoformat(" ", "microseconds") if setting.dialect == "sqlite" else naive


@contextmanager
def _database_copy(app: Flask, setting: Setting) -> Iterator[Flask]:
    """A fresh copy of the database, and an app on it, for a scenario that writes."""
    from mediation import create_app

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if setting.dialect == "sqlite":
        import sqlite3

        source = make_url(setting.url).database
        folder = Path(source).parent
        handle, target = tempfile.mkstemp(prefix="bench-", suffix=".db", dir=folder)
        os.close(handle)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        # At rest before the clock starts: left to the kernel, the scenario's first checkpoint
        # (an fsync) would pay for writing out the whole fresh copy, gigabytes at 1,000,000.
        with open(target, "rb+") as copied:
            os.fsync(copied.fileno())
        url = f"sqlite:///{target}"
        try:
            yield create_app(
                {"DATABASE_URL": url, "AUTO_SETUP": False, "SCHEDULER_IN_WEB": False},
                instance_path=app.instance_path,
            )
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(target + suffix).unlink(missing_ok=True)
        return
    source = make_url(setting.url)
    name = f"bench_copy_{os.getpid()}"
    admin = source.set(database="postgres")
    from sqlalchemy import create_engine

    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"'))
            try:
                connection.execute(text("CHECKPOINT"))  # the copy at rest, as above
            except DBAPIError:
                pass  # a role without the right to: the figures then include writing it out
        copy_app = create_app(
            {
                "DATABASE_URL": source.set(database=name).render_as_string(hide_password=False),
                "AUTO_SETUP": False,
                "SCHEDULER_IN_WEB": False,
            },
            instance_path=app.instance_path,
        )
        try:
            yield copy_app
        finally:
            with copy_app.app_context():
                db.session.remove()
                db.engine.dispose()
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        engine.dispose()


def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu": model,
        "platform": platform.platform(),
        "commit": commit,
    }


def run(
    app: Flask,
    *,
    runs: int = 5,
    due: int | None = None,
    only: set[str] | None = None,
    explain: bool = False,
) -> dict[str, Any]:
    configure_mappers()  # once here, not in every forked scenario's timed run
    with app.app_context():
        setting = find_setting(due)
        db.session.remove()
    figures = Bench(app, setting, runs, explain).all(only)
    return {
        "machine": machine(),
        "database": setting.dialect,
        "cases": setting.cases,
        "villages": setting.villages,
        "data_now": setting.now.isoformat(),
        "month": str(setting.month),
        "figures": [
            {**{k: v for k, v in asdict(f).items() if k not in ("plans", "factor")}, "ok": f.ok}
            | ({"plans": f.plans} if explain else {})
            for f in figures
        ],
    }


def _webhook_receiver(port_pipe, log_path: str) -> None:
    """A webhook receiver for :func:`bench_delivery`, in a process of its own (in a thread it
    would compete with the sender for the interpreter): answers 200 at once and appends each
    delivery id to ``log_path``."""
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with open(log_path, "a", encoding="utf-8") as log:
                log.write((body.get("id") or body["text"]["content"][-32:]) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    port_pipe.send(server.server_address[1])
    server.serve_forever()


def bench_delivery(count: int = 1000, *, kind: str = "generic") -> dict[str, Any]:
    """Self-contained: ``count`` notices queued for one officer's webhook in a scratch SQLite
    database, then one ``deliver`` run timed against a webhook receiver on 127.0.0.1 (a
    ``http.server`` in a process of its own, answering 200 at once). Reports the seconds of
    the run, notices per second, and how many the receiver got (and how many distinct ids)."""
    from mediation import create_app
    from mediation.domain.intake import parse_case
    from mediation.domain.policy import Policy
    from mediation.models import Notification
    from mediation.platform.database import insert_rows
    from mediation.platform.runtime import tz as local_tz
    from mediation.services.cases import register_case
    from mediation.services.lease import lease_holder
    from mediation.services.outbox import deliver, enqueue
    from mediation.services.units import UnitRow, import_units
    from mediation.services.users import create_user

    with tempfile.TemporaryDirectory() as folder:
        log_path = os.path.join(folder, "received.txt")
        parent, child = multiprocessing.Pipe()
        receiver = multiprocessing.get_context("fork").Process(
            target=_webhook_receiver, args=(child, log_path), daemon=True
        )
        receiver.start()
        port = parent.recv()
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{folder}/bench.db",
                "MEDIATION_DEMO": False,
                "SECRET_KEY": "bench",
                "NOTIFY_CHANNELS": "inbox,webhook",
                "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
                "WEBHOOK_KIND": kind,
                "NOTIFY_QUIET_HOURS": "",
            },
            instance_path=folder,
        )
        try:
            with app.app_context():
                import_units(
                    [
                        UnitRow(0, "410522000000", "安阳县", Level.county, ""),
                        UnitRow(1, "410522100000", "白壁镇", Level.township, "410522000000"),
                        UnitRow(2, "410522100201", "西裴村", Level.village, "410522100000"),
                    ]
                )
                mediator = create_user(
                    "bench-m", role=Role.mediator, unit_code="410522100201", password="x" * 12
                )
                officer = create_user(
                    "bench-t",
                    role=Role.township_officer,
                    unit_code="410522100000",
                    password="x" * 12,
                )
                now = dt.datetime.now(dt.UTC)
                tz = local_tz()
                draft = parse_case(
                    {
                        "village_code": "410522100201",
                        "category": "neighbor",
                        "source": "party_application",
                        "title": "宅基地滴水纠纷",
                        "description": "两户因房檐滴水发生争执。",
                        "people_involved": 2,
                        "risks": [],
                        "parties": [{"name": "张三", "role": "applicant"}],
                    },
                    now=now,
                    tz=tz,
                    policy=Policy().intake,
                )
                case = register_case(mediator, draft, now=now, policy=Policy(), tz=tz)
                officer.notify_channels = "webhook"
                db.session.flush()
                rows = [
                    {
                        "user_id": officer.id,
                        "kind": "big_case_registered",
                        "flag_id": None,
                        "case_id": case.id,
                        "created_at": now + dt.timedelta(microseconds=n),
                    }
                    for n in range(count)
                ]
                for row in rows:  # each notice in its own instant, as enqueue expects
                    insert_rows(Notification.__table__, [row])
                    enqueue([row], row["created_at"])
                db.session.commit()
                started = time.perf_counter()
                result = deliver(now + dt.timedelta(seconds=1), holder=lease_holder())
                seconds = time.perf_counter() - started
            with open(log_path, encoding="utf-8") as log:
                got = log.read().split()
        finally:
            receiver.terminate()
            receiver.join()
            with app.app_context():
                db.engine.dispose()
    return {
        "notices": count,
        "kind": kind,
        "sent": result.sent,
        "failed": result.failed,
        "received_distinct": len(set(got)),
        "received": len(got),
        "seconds": round(seconds, 3),
        "per_second": round(result.sent / seconds, 1) if seconds else None,
    }
