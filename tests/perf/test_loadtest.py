"""`python -m mediation_perf.loadtest`, run briefly the way an operator runs it: it starts
gunicorn (2 workers) on an instance whose database holds a few cases, reads case pages,
registers cases, and reports zero errors and every intake present, which the database confirms."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from mediation.extensions import db
from mediation.models import Case

ROOT = Path(__file__).resolve().parents[2]


def run_script(*args: str, database_url: str, timeout: float = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=database_url, MEDIATION_DEMO="0")
    return subprocess.run(
        [sys.executable, "-m", "mediation_perf.loadtest", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_short_run_reports_no_errors_and_every_intake_present(
    app, make, world, database_url, tmp_path
):
    for _ in range(3):
        make.case(world.mediator)
    make.case(world.mediator_other_township)
    db.session.remove()
    db.engine.dispose()

    done = run_script(
        "--serve",
        str(tmp_path / "served"),
        "--duration",
        "2",
        "--concurrency",
        "3",
        "--json",
        database_url=database_url,  # sync workers: the default
    )

    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert [phase["phase"] for phase in report["phases"]] == ["detail", "api-detail", "intake"]
    for phase in report["phases"]:
        assert phase["errors"] == 0, phase
        assert phase["ok"] > 0 and phase["rps"] > 0 and phase["p50_ms"] is not None
        # What the server spent per request, measured on its own processes.
        assert phase["server_cpu_ms_per_request"] > 0
    intake = report["phases"][2]
    assert report["intakes"] == {
        "created": intake["ok"],
        "missing": 0,
        "missing_ids": [],
        "checked_in": "database",
    }
    # The database agrees: the four cases of the set-up plus every intake, nothing more.
    assert db.session.scalar(select(func.count()).select_from(Case)) == 4 + intake["ok"]


def test_the_human_summary_names_the_figures_and_a_failure_exits_non_zero(
    app, make, world, database_url, tmp_path
):
    make.case(world.mediator)
    db.session.remove()
    db.engine.dispose()

    done = run_script(
        "--serve",
        str(tmp_path / "served"),
        "--intake-only",
        "--duration",
        "1",
        "--concurrency",
        "2",
        "--threads",
        "2",
        database_url=database_url,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "req/s" in done.stdout and "p95" in done.stdout and "errors 0" in done.stdout
    assert "intakes present" in done.stdout

    # No server there: the script says so and fails, it does not report a clean run.
    refused = run_script(
        "--url",
        "http://127.0.0.1:9",
        "--token",
        "nope",
        "--duration",
        "1",
        database_url=database_url,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "cannot reach 127.0.0.1:9" in refused.stderr
