"""`flask --app app import-cases FILE [--dry-run] [--json]`: a village ledger, all rows or none
(docs/import.md)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from mediation.domain.enums import CaseStatus, Clock, Level
from mediation.extensions import db
from mediation.models import Agreement, Case, CaseEvent, Deadline, Notification

from ..factories import TZ
from ..ledger_files import csv_bytes, open_row, settled_row, xlsx_bytes


def run(runner, path, *extra):
    result = runner.invoke(args=["import-cases", str(path), "--json", *extra])
    return result.exit_code, json.loads(result.output)


def counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Case, CaseEvent, Notification)
    )


def test_a_settled_ledger_comes_in_settled_with_its_dates(runner, world, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_bytes(csv_bytes([settled_row(1), settled_row(2, "410522101202")]))
    code, answer = run(runner, path)
    assert code == 0, answer
    assert answer == {"imported": 2, "unchanged": 0, "errors": []}

    case = db.session.scalar(select(Case).where(Case.ledger_no == "2019-001"))
    assert case.status is CaseStatus.resolved and case.level is Level.village
    assert case.holder_id == case.village_id  # the village's own record
    assert case.received_at == dt.datetime(2019, 3, 2, 9, 30, tzinfo=TZ).astimezone(dt.UTC)
    # a day alone counts as noon of that day
    assert case.concluded_at == dt.datetime(2019, 3, 3, 12, 0, tzinfo=TZ).astimezone(dt.UTC)
    agreement = db.session.scalar(select(Agreement).where(Agreement.case_id == case.id))
    assert agreement.form.value == "oral" and agreement.amount_fen == 120000
    assert [p.name for p in case.parties] == ["张三", "李四"]
    assert case.parties[0].masked_id_number.endswith("1233")
    # no follow-up clock, no judicial window, nothing told to anyone
    clocks = db.session.scalars(select(Deadline.clock).where(Deadline.case_id == case.id)).all()
    assert Clock.follow_up not in clocks and Clock.judicial_confirmation not in clocks
    assert counts()[2] == 0
    assert sorted(e.action for e in case.events) == ["accept", "register", "resolve"]
    assert all(e.actor_id == world.county_officer.id for e in case.events)


def test_reimporting_the_same_ledger_changes_nothing(runner, world, tmp_path):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(xlsx_bytes([settled_row(1), settled_row(2)]))
    assert run(runner, path)[1]["imported"] == 2
    before = counts()
    code, answer = run(runner, path)
    assert (code, answer) == (0, {"imported": 0, "unchanged": 2, "errors": []})
    assert counts() == before


def test_the_same_key_with_other_content_is_an_error_of_that_row(runner, world, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_bytes(csv_bytes([settled_row(1)]))
    run(runner, path)
    before = counts()
    path.write_bytes(csv_bytes([settled_row(3), settled_row(1, title="改过的标题")]))
    code, answer = run(runner, path)
    assert code == 1 and answer["imported"] == 0
    assert [(e["row"], e["field"]) for e in answer["errors"]] == [(3, "ledger_no")]
    assert counts() == before  # row 2 (new and good) was not imported either


def test_one_bad_row_imports_nothing_and_names_its_row_and_field(runner, world, tmp_path):
    rows = [settled_row(n) for n in range(1, 6)]
    rows[3]["people_involved"] = "0"
    rows[4]["parties"] = "王五"
    path = tmp_path / "ledger.csv"
    path.write_bytes(csv_bytes(rows))
    before = counts()
    code, answer = run(runner, path)
    assert code == 1 and answer["imported"] == 0 and answer["unchanged"] == 0
    assert [(e["row"], e["field"]) for e in answer["errors"]] == [
        (5, "people_involved"),
        (6, "parties"),
    ]
    # the intake's own message
    assert answer["errors"][0]["message"] == "Enter a whole number from 1 to 100000."
    assert counts() == before


def test_rows_are_judged_by_the_intake_rules(runner, world, tmp_path, now):
    rows = [
        settled_row(1, received_at="1999-12-31 10:00", resolved_at="2000-01-02"),
        open_row(2, now - dt.timedelta(days=200)),  # open: over the back-dating limit
        settled_row(3, village_code="410523100201"),  # no such village in the area
        settled_row(4, category="天气"),
        settled_row(5, agreement_form=""),
        settled_row(6, resolved_at="2019-02-01"),  # before it was received
        settled_row(7, parties="张三/申请人/410522198503121234"),  # bad check digit
        open_row(8, now + dt.timedelta(days=3)),
    ]
    path = tmp_path / "ledger.csv"
    path.write_bytes(csv_bytes(rows))
    code, answer = run(runner, path)
    assert code == 1
    assert [(e["row"], e["field"]) for e in answer["errors"]] == [
        (2, "received_at"),
        (3, "received_at"),
        (4, "village_code"),
        (5, "category"),
        (6, "agreement_form"),
        (7, "resolved_at"),
        (8, "parties"),
        (9, "received_at"),
    ]
    assert counts()[0] == 0


def test_an_open_row_within_the_limit_comes_in_open(runner, world, tmp_path, now):
    path = tmp_path / "ledger.csv"
    path.write_bytes(csv_bytes([open_row(1, now - dt.timedelta(days=10))]))
    code, answer = run(runner, path)
    assert (code, answer["imported"]) == (0, 1)
    case = db.session.scalar(select(Case))
    assert case.status is CaseStatus.registered and case.level is Level.village


def test_a_dry_run_changes_nothing(runner, world, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_bytes(csv_bytes([settled_row(1), settled_row(2)]))
    code, answer = run(runner, path, "--dry-run")
    assert (code, answer) == (0, {"imported": 2, "unchanged": 0, "errors": []})
    assert counts() == (0, 0, 0)


def test_gb18030_csv_and_english_headers(runner, world, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_bytes(csv_bytes([settled_row(1)], encoding="gb18030"))
    code, answer = run(runner, path)
    assert (code, answer["imported"]) == (0, 1)
    assert db.session.scalar(select(Case.title)) == "排水沟纠纷1"
    english = tmp_path / "english.csv"
    english.write_bytes(csv_bytes([settled_row(2)], encoding="utf-8", english=True))
    assert run(runner, english)[1]["imported"] == 1


def test_a_file_that_is_no_ledger(runner, world, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(b"code,name\n1,2\n")
    code, answer = run(runner, path)
    assert code == 1 and answer["imported"] == 0
    assert {e["field"] for e in answer["errors"]} >= {"code", "name", "ledger_no"}
    assert all(e["row"] == 1 for e in answer["errors"])
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\xff\xfe\xfa")
    code, answer = run(runner, binary)
    assert code == 1 and answer["errors"][0]["field"] == "file"
