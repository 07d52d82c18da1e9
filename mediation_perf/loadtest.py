#!/usr/bin/env python
"""Load test: case-detail requests/s and intakes/s against a running server, or against a
gunicorn this script starts itself.

    # one command: gunicorn (2 workers) on an instance folder, a load user, the run, the check
    python -m mediation_perf.loadtest --serve /tmp/load-instance --duration 60

    # against a server already running
    python -m mediation_perf.loadtest --url http://127.0.0.1:8000 --token TOKEN \
        [--user NAME --password PASSWORD] --duration 60

Phases, one after the other, each for ``--duration`` seconds:
  detail      GET /cases/<id>, the HTML case page, signed in with a session cookie
  api-detail  GET /api/v1/cases/<id>, the same case as JSON, with the bearer token
  intake      POST /api/v1/cases, a new case in a random village of the token user's area
After the intake phase every case answered with 201 is looked up again (in the database when
the script knows it, else through the API) and must be there with its number.

The client is deliberately cheap: asyncio with raw keep-alive HTTP/1.1 connections, so that the
two cores go to the server. It prints requests/s, p50/p95/p99 latency and errors per phase
(``--json`` for a machine-readable summary) and exits 1 when any request failed or any intake
is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("detail", "api-detail", "intake")
TARGETS = {"detail": 200.0, "api-detail": 200.0, "intake": 100.0}
LOAD_USER = "loadtest"


class HttpError(Exception):
    pass


# --- a minimal keep-alive HTTP/1.1 client -------------------------------------------------


class Connection:
    """One keep-alive connection; reconnects when the server closes it."""

    def __init__(self, host: str, port: int, timeout: float):
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        for attempt in (1, 2):
            fresh = self.writer is None
            if fresh:
                await self._open()
            try:
                return await asyncio.wait_for(
                    self._exchange(method, path, headers or {}, body), self.timeout
                )
            except (ConnectionError, asyncio.IncompleteReadError) as error:
                self.close()
                # A kept-alive connection the server closed meanwhile: once more on a new one.
                if fresh or attempt == 2:
                    raise HttpError(f"connection: {error!r}") from error
            except TimeoutError as error:
                self.close()
                raise HttpError("timeout") from error
        raise AssertionError("unreachable")

    async def _exchange(self, method, path, headers, body):
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("closed before the answer")
        status = int(status_line.split(b" ", 2)[1])
        answer_headers: dict[str, str] = {}
        cookies = []
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookies.append(value)
            answer_headers[name] = value
        if cookies:
            answer_headers["set-cookie"] = "\n".join(cookies)
        if answer_headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            payload = b"".join(chunks)
        elif "content-length" in answer_headers:
            payload = await self.reader.readexactly(int(answer_headers["content-length"]))
        else:
            payload = await self.reader.read()
            self.close()
        if answer_headers.get("connection", "").lower() == "close":
            self.close()
        return status, answer_headers, payload


# --- measuring ----------------------------------------------------------------------------


@dataclass
class PhaseResult:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    def fail(self, kind: str, sample: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.samples) < 5:
            self.samples.append(sample[:300])

    def summary(self) -> dict:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float | None:
            if not ordered:
                return None
            return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1)

        ok = len(ordered)
        return {
            "phase": self.name,
            "seconds": round(self.seconds, 2),
            "ok": ok,
            "errors": sum(self.errors.values()),
            "error_kinds": self.errors,
            "error_samples": self.samples,
            "rps": round(ok / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": pct(50),
            "p95_ms": pct(95),
            "p99_ms": pct(99),
            "target_rps": TARGETS[self.name],
        }


async def run_phase(name: str, make_request, *, host, port, concurrency, duration, timeout):
    """``concurrency`` connections, each sending one request after the other until time's up.
    ``make_request(conn)`` returns (ok, what) after one exchange."""
    result = PhaseResult(name)
    deadline = time.perf_counter() + duration

    async def worker():
        conn = Connection(host, port, timeout)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    ok, what = await make_request(conn)
                except HttpError as error:
                    ok, what = False, f"{error}"
                if ok:
                    result.latencies.append(time.perf_counter() - started)
                else:
                    result.fail(what.split(":", 1)[0], what)
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


# --- the requests -------------------------------------------------------------------------


@dataclass
class Target:
    host: str
    port: int
    token: str
    cookie: str | None = None
    case_ids: list[int] = field(default_factory=list)
    villages: list[str] = field(default_factory=list)
    created: dict[int, str] = field(default_factory=dict)

    def api_headers(self, **extra) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json", **extra}


def detail_request(target: Target):
    headers = {"Cookie": target.cookie or "", "Accept-Language": "zh"}

    async def one(conn: Connection):
        case_id = random.choice(target.case_ids)
        status, _, body = await conn.request("GET", f"/cases/{case_id}", headers)
        if status != 200:  # signed out would be a 302 to the login page
            return False, f"HTTP {status}: GET /cases/{case_id}"
        return True, ""

    return one


def api_detail_request(target: Target):
    headers = target.api_headers()

    async def one(conn: Connection):
        case_id = random.choice(target.case_ids)
        status, _, body = await conn.request("GET", f"/api/v1/cases/{case_id}", headers)
        if status != 200:
            return False, f"HTTP {status}: GET /api/v1/cases/{case_id} {body[:200]!r}"
        return True, ""

    return one


CATEGORIES = ("neighbor", "marriage_family", "contract", "damages", "labor", "consumer", "traffic")
SOURCES = ("party_application", "own_initiative", "grid_report", "hotline")


def new_case_body(village_code: str, serial: int) -> bytes:
    people = random.choice((2, 2, 3, 4, 6))
    return json.dumps(
        {
            "village_code": village_code,
            "category": random.choice(CATEGORIES),
            "source": random.choice(SOURCES),
            "title": f"负载测试纠纷 {serial}",
            "description": "负载测试录入的纠纷：双方因宅基地边界发生争执，请求调解。",
            "people_involved": people,
            "amount_yuan": str(random.choice((0, 800, 3500, 12000))),
            "risks": [],
            "parties": [
                {"name": f"张{serial % 1000}", "role": "applicant", "phone": "13800000000"},
                {"name": f"李{serial % 1000}", "role": "respondent"},
            ],
        },
        ensure_ascii=False,
    ).encode()


def intake_request(target: Target):
    headers = target.api_headers(**{"Content-Type": "application/json"})
    counter = iter(range(1, 10**9))

    async def one(conn: Connection):
        serial = next(counter)
        status, _, body = await conn.request(
            "POST", "/api/v1/cases", headers, new_case_body(random.choice(target.villages), serial)
        )
        if status != 201:
            return False, f"HTTP {status}: POST /api/v1/cases {body[:300]!r}"
        case = json.loads(body)
        target.created[case["id"]] = case["number"]
        return True, ""

    return one


# --- setting up: what to ask for, and as whom ---------------------------------------------


async def api_json(conn: Connection, target: Target, path: str):
    status, _, body = await conn.request("GET", path, target.api_headers())
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}: {body[:300]!r}")
    return json.loads(body)


async def discover(target: Target, *, sample: int, timeout: float) -> None:
    """Villages of the token user's area and some case ids (random pages of the case list)."""
    conn = Connection(target.host, target.port, timeout)
    try:
        units = await api_json(conn, target, "/api/v1/units")
        target.villages = target.villages or [u["code"] for u in units if u["kind"] == "village"]
        if not target.case_ids:
            first = await api_json(conn, target, "/api/v1/cases?per_page=100")
            pages = max(1, -(-first["total"] // 100))
            ids = [item["id"] for item in first["items"]]
            for page in random.sample(range(2, pages + 1), min(pages - 1, sample // 100)):
                ids += [
                    i["id"]
                    for i in (
                        await api_json(conn, target, f"/api/v1/cases?per_page=100&page={page}")
                    )["items"]
                ]
            target.case_ids = ids
    finally:
        conn.close()


async def sign_in(target: Target, username: str, password: str, timeout: float) -> None:
    """A browser session: the login form's CSRF token, then the form; keep the session cookie."""
    conn = Connection(target.host, target.port, timeout)
    try:
        status, headers, body = await conn.request("GET", "/login")
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
        cookie = _cookies(headers)
        form = "&".join(
            [
                f"csrf_token={match.group(1).decode() if match else ''}",
                f"username={username}",
                f"password={password}",
            ]
        ).encode()
        status, headers, body = await conn.request(
            "POST",
            "/login",
            {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            form,
        )
        if status != 302:
            raise SystemExit(f"signing in as {username} failed (HTTP {status})")
        target.cookie = _cookies(headers) or cookie
    finally:
        conn.close()


def _cookies(headers: dict[str, str]) -> str:
    return "; ".join(
        line.split(";", 1)[0] for line in headers.get("set-cookie", "").split("\n") if line
    )


async def check_intakes_api(target: Target, *, concurrency: int, timeout: float) -> list[int]:
    """Each created case read back through the API: the ids missing or with another number."""
    pending = list(target.created.items())
    missing: list[int] = []

    async def worker():
        conn = Connection(target.host, target.port, timeout)
        try:
            while pending:
                case_id, number = pending.pop()
                status, _, body = await conn.request(
                    "GET", f"/api/v1/cases/{case_id}", target.api_headers()
                )
                if status != 200 or json.loads(body).get("number") != number:
                    missing.append(case_id)
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return missing


# --- serve mode: our own gunicorn ---------------------------------------------------------


def prepare_instance(instance: str) -> dict:
    """In the instance's database: the schema (and the demo county when empty, as any start
    does), a county officer for the run with a fresh password and token, the case ids and the
    villages. Runs in a child process so that this one stays small."""
    code = r"""
import json, secrets, sys
from sqlalchemy import select
from mediation import create_app
from mediation.domain.enums import Level, Role
from mediation.extensions import db
from mediation.models import Case, Unit, User
from mediation.services import users
app = create_app(instance_path=sys.argv[1])
with app.app_context():
    county = db.session.scalar(select(Unit).where(Unit.kind == Level.county).order_by(Unit.code))
    if county is None:
        sys.exit("the database holds no county: load one (seed-demo, gen-data) first")
    password = secrets.token_urlsafe(12)
    user = db.session.scalar(select(User).where(User.username == sys.argv[2]))
    if user is None:
        user = users.create_user(sys.argv[2], role=Role.county_officer, unit_code=county.code,
                                 password=password)
    user.set_password(password)
    token = users.issue_token(user)
    villages = db.session.scalars(
        select(Unit.code).where(Unit.county_id == county.id, Unit.kind == Level.village)).all()
    case_ids = db.session.scalars(select(Case.id).where(Case.county_id == county.id)).all()
    db.session.commit()
    print(json.dumps({"password": password, "token": token, "villages": villages,
                      "case_ids": case_ids}))
"""
    done = subprocess.run(
        [sys.executable, "-c", code, instance, LOAD_USER],
        cwd=ROOT,
        env=_server_env(instance),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"preparing {instance} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def count_intakes_sql(instance: str, created: dict[int, str]) -> list[int]:
    """The created cases looked up in the database itself: the ids missing or renumbered."""
    code = r"""
import json, sys
from sqlalchemy import select
from mediation import create_app
from mediation.extensions import db
from mediation.models import Case
created = {int(k): v for k, v in json.load(sys.stdin).items()}
app = create_app(instance_path=sys.argv[1])
with app.app_context():
    found = {}
    ids = list(created)
    for start in range(0, len(ids), 500):
        found.update(db.session.execute(
            select(Case.id, Case.number).where(Case.id.in_(ids[start:start + 500]))).all())
print(json.dumps([i for i, number in created.items() if found.get(i) != number]))
"""
    done = subprocess.run(
        [sys.executable, "-c", code, instance],
        input=json.dumps(created),
        cwd=ROOT,
        env=_server_env(instance),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"checking the intakes failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _server_env(instance: str) -> dict[str, str]:
    env = dict(os.environ, MEDIATION_INSTANCE=str(Path(instance).resolve()))
    env.setdefault("PYTHONPATH", str(ROOT))
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(instance: str, port: int, args) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(args.workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    if args.threads > 1:
        command += ["-k", "gthread", "--threads", str(args.threads)]
    command.append("app:create_app()")
    server = subprocess.Popen(command, cwd=ROOT, env=_server_env(instance), start_new_session=True)
    started = time.monotonic()
    while time.monotonic() - started < 60:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start (exit {server.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    stop_gunicorn(server)
    raise SystemExit("gunicorn did not start within 60 s")


def server_cpu(master_pid: int | None) -> float:
    """CPU seconds (user + system) used so far by gunicorn's master and its workers (Linux
    /proc; 0 elsewhere)."""
    if master_pid is None:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == master_pid or ppid == master_pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- the run ------------------------------------------------------------------------------


async def run(
    args,
    target: Target,
    *,
    username: str | None,
    password: str | None,
    instance: str | None,
    server_pid: int | None = None,
) -> dict:
    await discover(target, sample=args.sample, timeout=args.timeout)
    if not target.case_ids and {"detail", "api-detail"} & set(args.phases):
        raise SystemExit("no case in the token user's area to read")
    phases = []
    for name in args.phases:
        if name == "detail":
            if not (username and password):
                print(
                    "detail: skipped (no --user/--password for a browser session)", file=sys.stderr
                )
                continue
            await sign_in(target, username, password, args.timeout)
            make = detail_request(target)
        elif name == "api-detail":
            make = api_detail_request(target)
        else:
            make = intake_request(target)
        if args.warmup:
            await run_phase(
                name,
                make,
                host=target.host,
                port=target.port,
                concurrency=args.concurrency,
                duration=args.warmup,
                timeout=args.timeout,
            )
        if name == "intake":
            target.created.clear()
        server_before, client_before = server_cpu(server_pid), time.process_time()
        result = await run_phase(
            name,
            make,
            host=target.host,
            port=target.port,
            concurrency=args.concurrency,
            duration=args.duration,
            timeout=args.timeout,
        )
        summary = result.summary()
        requests = max(1, summary["ok"] + summary["errors"])
        summary["client_cpu_ms_per_request"] = round(
            (time.process_time() - client_before) * 1000 / requests, 2
        )
        if server_pid is not None:
            # What each request cost the server, whatever else the machine was doing; the
            # rate the same cores would serve if this were all they did.
            cpu_ms = (server_cpu(server_pid) - server_before) * 1000 / requests
            summary["server_cpu_ms_per_request"] = round(cpu_ms, 2)
            summary["rps_if_cores_free"] = (
                round(1000 * min(args.workers, os.cpu_count() or 1) / cpu_ms, 1) if cpu_ms else None
            )
        if not args.json:
            print(_line(summary), flush=True)
        phases.append(summary)
    report = {
        "phases": phases,
        "cases_sampled": len(target.case_ids),
        "concurrency": args.concurrency,
    }
    if "intake" in args.phases:
        if instance is not None:
            missing = count_intakes_sql(instance, target.created)
            how = "database"
        else:
            missing = await check_intakes_api(
                target, concurrency=args.concurrency, timeout=args.timeout
            )
            how = "api"
        report["intakes"] = {
            "created": len(target.created),
            "missing": len(missing),
            "missing_ids": missing[:20],
            "checked_in": how,
        }
    return report


def _line(s: dict) -> str:
    met = "met" if s["rps"] >= s["target_rps"] else "NOT met"
    text = (
        f"{s['phase']:<10} {s['ok']:>7} ok in {s['seconds']:.1f} s = {s['rps']:>7.1f} req/s "
        f"(target {s['target_rps']:.0f}/s {met})  p50 {s['p50_ms']} ms  p95 {s['p95_ms']} ms  "
        f"p99 {s['p99_ms']} ms  errors {s['errors']}"
    )
    if "server_cpu_ms_per_request" in s:
        text += (
            f"\n    server CPU {s['server_cpu_ms_per_request']} ms/request (would serve "
            f"{s['rps_if_cores_free']}/s on otherwise idle cores), client CPU "
            f"{s['client_cpu_ms_per_request']} ms/request"
        )
    for sample in s["error_samples"]:
        text += f"\n    {sample}"
    return text


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000")
    where.add_argument(
        "--serve",
        metavar="INSTANCE",
        help="start gunicorn on this instance folder (SQLite there unless "
        "DATABASE_URL is set; the demo county is loaded when empty)",
    )
    parser.add_argument("--token", help="bearer token (create-token NAME); --serve makes one")
    parser.add_argument("--user", help="user name for the HTML case page (a browser session)")
    parser.add_argument("--password", help="that user's password")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase (60)")
    parser.add_argument(
        "--warmup", type=float, default=0.0, help="unmeasured seconds before each phase"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="connections at once (8)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request (30)")
    parser.add_argument(
        "--sample",
        type=int,
        default=2000,
        help="case ids to pick from, with --url (random pages of the list)",
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated, in order (default {','.join(PHASES)})",
    )
    parser.add_argument("--detail-only", action="store_true", help="only the HTML case page")
    parser.add_argument("--intake-only", action="store_true", help="only intakes")
    parser.add_argument("--workers", type=int, default=2, help="--serve: gunicorn workers (2)")
    # Sync workers, as the README runs gunicorn: each answers one request at a time and closes
    # the connection, so every request goes to whichever worker is free. With keep-alive
    # (gthread) a long-lived connection stays with the worker that accepted it, and a few such
    # connections left one worker doing most of the work (128 case pages/s against 300).
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="--serve: threads per worker (1: sync workers, as the README runs "
        "gunicorn; more: gthread with keep-alive)",
    )
    parser.add_argument("--port", type=int, help="--serve: port (a free one)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary")
    args = parser.parse_args(argv)
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    if args.detail_only:
        args.phases = ["detail"]
    if args.intake_only:
        args.phases = ["intake"]
    unknown = [p for p in args.phases if p not in PHASES]
    if unknown:
        parser.error(f"unknown phase {unknown[0]!r}; choose from {', '.join(PHASES)}")
    if args.url and not args.token:
        parser.error("--url needs --token")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    server = None
    instance = None
    if args.serve:
        instance = args.serve
        Path(instance).mkdir(parents=True, exist_ok=True)
        setup = prepare_instance(instance)
        port = args.port or _free_port()
        target = Target(
            "127.0.0.1",
            port,
            setup["token"],
            case_ids=setup["case_ids"],
            villages=setup["villages"],
        )
        username, password = LOAD_USER, setup["password"]
        server = start_gunicorn(instance, port, args)
    else:
        parts = urlsplit(args.url)
        target = Target(parts.hostname or "127.0.0.1", parts.port or 80, args.token)
        username, password = args.user, args.password
    try:
        report = asyncio.run(
            run(
                args,
                target,
                username=username,
                password=password,
                instance=instance,
                server_pid=server.pid if server is not None else None,
            )
        )
    except (HttpError, OSError) as error:
        print(f"cannot reach {target.host}:{target.port}: {error}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            stop_gunicorn(server)
    errors = sum(phase["errors"] for phase in report["phases"])
    missing = report.get("intakes", {}).get("missing", 0)
    report["ok"] = errors == 0 and missing == 0
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        if "intakes" in report:
            intakes = report["intakes"]
            if missing:
                print(
                    f"MISSING {missing} of {intakes['created']} intakes: {intakes['missing_ids']}"
                )
            else:
                print(
                    f"all {intakes['created']} intakes present"
                    f" (checked in the {intakes['checked_in']})"
                )
        print(
            "OK: no errors"
            if report["ok"]
            else f"FAILED: {errors} errors, {missing} intakes missing"
        )
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
