"""`flask --app app scorecard YYYY-MM [--unit CODE] [--format table|json|csv|xlsx] [--out FILE]
[--freeze]` on the hand-built November."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from mediation.domain.enums import IncidentKind
from mediation.extensions import db
from mediation.models import ScorecardSnapshot

from ..scorecard_month import BAIBI, COUNTY, A, B, C, D, at, build_november, incident


@pytest.fixture
def month(world, make):
    return build_november(world, make)


def run(runner, *args):
    return runner.invoke(args=["scorecard", *args])


def test_json_of_the_only_county_by_default(runner, month):
    result = run(runner, "2026-11", "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["unit_code"], body["frozen"], body["pending_revision"]) == (COUNTY, False, False)
    scores = {v["code"]: v["score"] for v in body["villages"]}
    assert scores == {A: 100, B: 70, C: 90, D: 90}
    assert (
        json.loads(run(runner, "2026-11", "--json", "--unit", C).stdout)["villages"][0]["rank"] == 1
    )


def test_the_table(runner, month):
    result = run(runner, "2026-11", "--unit", BAIBI)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2026-11 白壁镇 (410522100000)")
    assert any(
        line.startswith("西裴村") and line.rstrip().endswith("2") for line in lines
    )  # rank 2
    assert any(line.startswith("东裴村") and "100" in line for line in lines)


def test_csv_to_stdout_and_xlsx_to_a_file(runner, month, tmp_path):
    result = run(runner, "2026-11", "--format", "csv", "--unit", C)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    assert lines[1][0] == C and lines[2] == []

    refused = run(runner, "2026-11", "--format", "xlsx")
    assert refused.exit_code == 1 and "--out" in refused.output

    out = tmp_path / "card.xlsx"
    result = run(runner, "2026-11", "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.worksheets[0].freeze_panes == "D2"
    codes = [row[0].value for row in book.worksheets[0].iter_rows(min_row=2)]
    assert codes == [B, A, C, D]

    written = tmp_path / "card.csv"
    assert run(runner, "2026-11", "--format", "csv", "--out", str(written)).exit_code == 0
    assert written.read_bytes().startswith("\ufeff".encode())


def test_bad_input_exits_1_with_a_message(runner, month, make):
    for args, words in (
        (["2026-13"], "not a month"),
        (["11/2026"], "not a month"),
        (["2026-11", "--unit", "nope"], "--unit"),
        (["2026-11", "--freeze", "--now", "yesterday"], "--now"),
    ):
        result = run(runner, *args)
        assert result.exit_code == 1 and words in result.output, (args, result.output)
    bad_format = run(runner, "2026-11", "--format", "pdf")
    assert bad_format.exit_code == 2


def test_freeze_then_publish_a_revision(runner, month):
    early = run(runner, "2026-11", "--freeze", "--now", "2026-11-20T09:00:00+08:00")
    assert early.exit_code == 1 and "not over" in early.output

    first = run(runner, "2026-11", "--freeze", "--now", "2026-12-05T01:00:00+08:00", "--json")
    assert first.exit_code == 0, first.output
    assert "revision 1" in first.stderr
    assert json.loads(first.stdout)["revision"] == 1

    again = run(runner, "2026-11", "--freeze", "--now", "2026-12-06T09:00:00+08:00")
    assert again.exit_code == 0 and "unchanged since revision 1" in again.stderr

    incident(A, IncidentKind.public_order, at(25, 20))
    pending = run(runner, "2026-11", "--json")
    assert json.loads(pending.stdout)["pending_revision"] is True
    second = run(
        runner,
        "2026-11",
        "--unit",
        A,
        "--freeze",
        "--reason",
        "补录治安案件",
        "--now",
        "2026-12-07T09:00:00+08:00",
        "--json",
    )
    assert second.exit_code == 0, second.output
    assert "Published revision 2" in second.stderr
    body = json.loads(second.stdout)
    assert (body["revision"], body["pending_revision"], body["villages"][0]["score"]) == (
        2,
        False,
        90,
    )
    db.session.expire_all()
    kept = db.session.scalars(
        db.select(ScorecardSnapshot).order_by(ScorecardSnapshot.revision)
    ).all()
    assert [(s.revision, s.reason) for s in kept] == [(1, ""), (2, "补录治安案件")]
