"""`flask --app app sweep --now … --json` as an operator (and the tests' time machine) runs it,
including two sweeps started at the same moment in two processes."""

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from mediation.extensions import db
from mediation.models import Flag

from ..factories import TZ

ROOT = Path(__file__).resolve().parents[2]
RECEIVED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)


def test_sweep_prints_the_contract_summary(runner, world, make):
    make.case(world.mediator, now=RECEIVED)
    result = runner.invoke(args=["sweep", "--now", "2026-11-04T08:00:00+08:00", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert set(summary) == {"checked", "raised", "cleared", "escalated", "seconds"}
    assert summary["checked"] == 1 and summary["raised"] == {"accept_overdue": 1}
    again = json.loads(
        runner.invoke(args=["sweep", "--now", "2026-11-04T08:00:00+08:00", "--json"]).output
    )
    assert again["checked"] == 0 and again["raised"] == {}


def test_a_bad_instant_is_refused(runner, world):
    for bad in ("yesterday", "2026-11-04T08:00"):
        result = runner.invoke(args=["sweep", "--now", bad])
        assert result.exit_code == 1 and "--now" in result.output


def test_two_sweeps_at_once_raise_each_flag_once(app, world, make, tmp_path):
    for _ in range(30):
        make.case(world.mediator, now=RECEIVED)
    env = dict(
        os.environ,
        DATABASE_URL=app.config["DATABASE_URL"],
        MEDIATION_DEMO="0",
        MEDIATION_INSTANCE=str(tmp_path / "instance"),
        SECRET_KEY="x",
    )
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "app",
        "sweep",
        "--now",
        "2026-11-10T08:00:00+08:00",
        "--json",
    ]
    processes = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    summaries = [json.loads(out) for out, _ in outputs if out.strip().startswith("{")]
    assert summaries, outputs
    raised = sum(sum(s["raised"].values()) for s in summaries)
    db.session.expire_all()
    rows = db.session.scalar(select(func.count()).select_from(Flag))
    keys = db.session.scalar(select(func.count(func.distinct(Flag.key))))
    assert rows == keys == raised
    # every case: accept overdue, settle warned and breached at the village, then escalated
    assert sum(s["escalated"] for s in summaries) == 30


def test_the_scheduler_process_sweeps_at_start(app, world, make, tmp_path):
    make.case(world.mediator, now=RECEIVED)  # long overdue by now
    env = dict(
        os.environ,
        DATABASE_URL=app.config["DATABASE_URL"],
        MEDIATION_DEMO="0",
        MEDIATION_INSTANCE=str(tmp_path / "instance"),
        SECRET_KEY="x",
        SWEEP_INTERVAL_MINUTES="60",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        count = 0
        while time.monotonic() < deadline and not count:
            time.sleep(0.5)
            db.session.expire_all()
            count = db.session.scalar(select(func.count()).select_from(Flag))
        assert count > 0, "the scheduler did not sweep at start"
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "sweep" in output
