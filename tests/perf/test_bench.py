"""`flask --app app bench`: every scenario runs and reports its figures."""

import json

import pytest

SCENARIOS = {
    "sweep_idle",
    "sweep_interval",
    "sweep_full",
    "scorecard_county",
    "scorecard_township",
    "list_page_1",
    "list_page_500",
    "case_detail",
    "api_intake",
}


@pytest.fixture
def generated(runner):
    result = runner.invoke(
        args=[
            "gen-data",
            "--cases",
            "400",
            "--villages",
            "25",
            "--seed",
            "3",
            "--now",
            "2026-11-27T04:00:00+00:00",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output


def test_bench_reports_every_scenario(runner, generated):
    result = runner.invoke(args=["bench", "--runs", "2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["cases"] == 400 and report["villages"] == 25
    assert report["machine"]["cpus"] >= 1
    figures = {figure["name"]: figure for figure in report["figures"]}
    assert set(figures) == SCENARIOS
    for figure in figures.values():
        assert figure["median_ms"] > 0 and figure["peak_mb"] > 10, figure
        assert figure["runs"] >= 2
    for name in SCENARIOS - {"api_intake"}:
        assert figures[name]["baseline_ms"] > 0 and figures[name]["ratio"] is not None
        assert figures[name]["target_ms"] is not None
    assert "cases due" in figures["sweep_full"]["note"]


def test_bench_leaves_the_database_as_it_was(runner, generated):
    """The scenarios that write run on a copy: the sweep finds the same work afterwards."""
    before = json.loads(
        runner.invoke(
            args=["bench", "--runs", "1", "--only", "sweep_full,api_intake", "--json"]
        ).output
    )
    after = json.loads(
        runner.invoke(args=["bench", "--runs", "1", "--only", "sweep_full", "--json"]).output
    )
    assert before["cases"] == after["cases"] == 400
    assert before["figures"][0]["note"] == after["figures"][0]["note"]


def test_explain_prints_the_query_plans(runner, generated):
    result = runner.invoke(args=["bench", "--runs", "1", "--only", "case_detail", "--explain"])
    assert result.exit_code == 0, result.output
    assert "SELECT" in result.output and ("SEARCH" in result.output or "Index" in result.output)


def test_bench_needs_generated_data(runner):
    result = runner.invoke(args=["bench"])
    assert result.exit_code == 1 and "gen-data" in result.output


def test_bench_delivery_delivers_every_notice_once(runner):
    result = runner.invoke(args=["bench", "--delivery", "120", "--json"])
    assert result.exit_code == 0, result.output
    figure = json.loads(result.stdout)
    assert figure["sent"] == figure["received"] == figure["received_distinct"] == 120
    assert figure["failed"] == 0 and figure["seconds"] > 0


def test_the_ledger_import_step_imports_every_row(app, generated):
    """bench's ledger_import_5000 (run with --only, minutes at 5,000 rows): the same step on
    a small ledger imports every row, settled, through the real service."""
    from sqlalchemy import func, select

    from mediation.domain.enums import CaseStatus, Role
    from mediation.extensions import db
    from mediation.models import Case, User
    from mediation_perf.bench import time_ledger_import

    officer = db.session.scalar(select(User).where(User.role == Role.county_officer).limit(1))
    result = time_ledger_import(officer.username, officer.unit.county_id or officer.unit_id, 30)
    assert result["times"][0] > 0
    imported = db.session.scalar(
        select(func.count()).select_from(Case).where(Case.ledger_no.like("BENCH-%"))
    )
    assert imported == 30
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.ledger_no.like("BENCH-%"), Case.status == CaseStatus.resolved)
        )
        == 30
    )
