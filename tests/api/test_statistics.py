"""GET /api/v1/statistics and `flask statistics`: the people's-mediation statistical report
(docs/statistics.md), for cases built through the real services with known outcomes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook

from mediation.domain.months import Month

from ..factories import TZ, case_fields
from .casework import act

VILLAGE, EAST, OTHER = "410522100201", "410522100202", "410522101201"
TOWNSHIP, COUNTY = "410522100000", "410522000000"


def month_of(instant: dt.datetime) -> str:
    return str(Month.of(instant, TZ))


@pytest.fixture
def cases(make, world, now):
    """This month, in 白壁镇: resolved (violence risk, 3 people, written 500 yuan), closed
    (group and petition risks, 2 people), referred, withdrawn, open; one resolved at the
    township (oral, 80 yuan). In 水冶镇: one resolved. And one received last month, still open
    at that month's end, resolved this month."""
    m, t = world.mediator, world.township_officer
    built = {}
    built["resolved"] = make.case(m, risks=["violence"], people_involved=3)
    act(m, built["resolved"], "accept")
    act(m, built["resolved"], "resolve")
    built["closed"] = make.case(m, risks=["group_incident", "petition"], people_involved=2)
    for action in ("accept", "resolve", "follow_up"):
        act(m, built["closed"], action)
    built["referred"] = make.case(m, category="contract")
    act(m, built["referred"], "refer")
    built["withdrawn"] = make.case(world.mediator_east, village_code=EAST, source="hotline")
    act(world.mediator_east, built["withdrawn"], "withdraw")
    built["open"] = make.case(m, category="contract")
    act(m, built["open"], "accept")
    built["township"] = make.case(t, village_code=EAST, people_involved=1, risks=["violence"])
    act(t, built["township"], "accept")
    act(
        t,
        built["township"],
        "resolve",
        agreement={"form": "oral", "terms": "口头和解。", "amount_yuan": "80"},
    )
    built["other"] = make.case(world.mediator_other_township, village_code=OTHER)
    act(world.mediator_other_township, built["other"], "accept")
    act(world.mediator_other_township, built["other"], "resolve")
    local = now.astimezone(TZ)
    last_month = (local.replace(day=1) - dt.timedelta(days=10)).replace(hour=10, minute=0)
    built["late"] = make.case(m, received_at=last_month.isoformat())
    act(m, built["late"], "accept")
    act(m, built["late"], "resolve")
    return built


def category_row(document: dict, category: str) -> dict:
    return next(row for row in document["by_category"] if row["category"] == category)


def test_the_township_report_of_this_month(api, world, cases, now):
    month = month_of(now)
    answer = api.get(world.township_officer, f"/statistics?from={month}&to={month}")
    assert answer.status_code == 200, answer.get_json()
    document = answer.get_json()
    assert (document["unit_code"], document["from"], document["to"]) == (TOWNSHIP, month, month)
    assert document["received"] == 6  # the 水冶镇 case and last month's are not in it
    assert category_row(document, "neighbor") == {
        "category": "neighbor",
        "received": 4,
        "resolved": 3,  # resolved, closed and the township's
        "referred": 0,
        "withdrawn": 1,
        "open": 0,
    }
    assert category_row(document, "contract") == {
        "category": "contract",
        "received": 2,
        "resolved": 0,
        "referred": 1,
        "withdrawn": 0,
        "open": 1,
    }
    assert len(document["by_category"]) == 16  # every category of the standard, zeros too
    sources = {row["source"]: row["received"] for row in document["by_source"]}
    assert sources["hotline"] == 1 and sources["party_application"] == 5
    assert document["by_level_settled"] == {"village": 2, "township": 1, "county": 0}
    assert document["agreements"] == {"oral": 1, "written": 2}
    assert document["amount_settled_yuan"] == "1080.00"
    assert document["prevented"] == {
        "violence": {"cases": 2, "people": 4},
        "group": {"cases": 1, "people": 2},
        "petition": {"cases": 1, "people": 2},
    }


def test_outcomes_stand_as_at_the_period_end(api, world, cases, now):
    last = month_of(cases["late"].received_at)
    this = month_of(now)
    before = api.get(world.county_officer, f"/statistics?from={last}").get_json()
    assert before["received"] == 1
    assert category_row(before, "neighbor")["open"] == 1  # resolved only after that month
    assert before["agreements"] == {"oral": 0, "written": 0}
    both = api.get(world.county_officer, f"/statistics?from={last}&to={this}").get_json()
    assert both["received"] == 8  # the whole county, both months
    assert category_row(both, "neighbor")["resolved"] == 5
    assert both["by_level_settled"] == {"village": 4, "township": 1, "county": 0}


def test_a_unit_outside_the_area_is_not_found(api, world, cases, now):
    month = month_of(now)
    outside = api.get(world.other_township_officer, f"/statistics?from={month}&unit={VILLAGE}")
    assert outside.status_code == 404
    inside = api.get(world.county_officer, f"/statistics?from={month}&unit={VILLAGE}")
    assert inside.status_code == 200 and inside.get_json()["received"] == 4


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=2026-13", "from"),
        ("from=2026-11&to=2026-10", "to"),
        ("from=11-2026", "from"),
        ("to=2026-10", "from"),
        ("from=2026-11&unit=999999999999", "unit"),
        ("from=2026-11&format=pdf", "format"),
    ],
)
def test_bad_input_is_422_naming_the_field(api, world, query, field):
    answer = api.get(world.county_officer, f"/statistics?{query}")
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["fields"]


def test_mediators_and_admins_may_not_read_it(api, world, now):
    month = month_of(now)
    for user in (world.mediator, world.admin):
        assert api.get(user, f"/statistics?from={month}").status_code == 403


def test_the_csv_and_the_workbook_hold_the_same_figures(api, world, cases, now):
    month = month_of(now)
    answer = api.get(world.township_officer, f"/statistics?from={month}&format=csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert lines[0] == ["单位", f"白壁镇 ({TOWNSHIP})"] and lines[1] == ["统计期间", month]
    neighbour = next(line for line in lines if line and line[0] == "邻里")
    assert neighbour == ["邻里", "4", "3", "0", "1", "0"]
    total = next(line for line in lines if line and line[0] == "合计")
    assert total == ["合计", "6", "3", "1", "1", "1"]
    assert ["化解金额（元）", "1080.00"] in lines

    answer = api.get(world.township_officer, f"/statistics?from={month}&format=xlsx")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.get_data()))
    assert len(book.worksheets) == 1
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert rows[1][:2] == ["单位", f"白壁镇 ({TOWNSHIP})"]
    assert rows[2][:2] == ["统计期间", month]
    assert rows[3][0] == "导出时间"
    exported = dt.datetime.strptime(rows[3][1][:16], "%Y-%m-%d %H:%M").replace(tzinfo=TZ)
    assert abs(exported - now) < dt.timedelta(minutes=5)  # Beijing time
    titles = [row[0] for row in rows if row[0] and row[1] is None]
    assert titles[1:] == [
        "按纠纷类别",
        "按纠纷来源",
        "调解成功纠纷的调结层级",
        "调解协议",
        "防止",
    ]
    neighbour = next(row for row in rows if row[0] == "邻里")
    assert neighbour[:6] == ["邻里", 4, 3, 0, 1, 0]
    amount = next(row for row in rows if row[0] == "化解金额（元）")
    assert amount[1] == 1080
    violence = next(row for row in rows if row[0] == "防止民转刑案件")
    assert violence[:3] == ["防止民转刑案件", 2, 4]


def test_the_command_prints_the_same_report(runner, world, cases, now, tmp_path):
    month = month_of(now)
    result = runner.invoke(
        args=["statistics", month, month, "--unit", TOWNSHIP, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["received"] == 6 and document["amount_settled_yuan"] == "1080.00"
    table = runner.invoke(args=["statistics", month, "--unit", TOWNSHIP])
    assert table.exit_code == 0 and "邻里" in table.output and "1080.00" in table.output
    out = tmp_path / "report.xlsx"
    written = runner.invoke(args=["statistics", month, "--format", "xlsx", "--out", str(out)])
    assert written.exit_code == 0 and load_workbook(out).active["A1"].value
    for args, text in (
        (["statistics", "2026-13"], "FROM"),
        (["statistics", "2026-11", "2026-01"], "TO"),
        (["statistics", "2026-11", "--unit", "123"], "--unit"),
        (["statistics", "2026-11", "--format", "xlsx"], "--out"),
    ):
        refused = runner.invoke(args=args)
        assert refused.exit_code == 1 and text in refused.output, refused.output


def test_a_merged_duplicate_counts_once(api, world, cases, now):
    """并单: the hotline's report of the open contract dispute is merged into it and the
    report counts the dispute once."""
    month = month_of(now)
    duplicate = api.post(
        world.mediator, "/cases", case_fields(category="contract", source="hotline")
    )
    assert duplicate.status_code == 201, duplicate.get_json()
    before = api.get(world.township_officer, f"/statistics?from={month}").get_json()
    assert before["received"] == 7
    merged = api.post(
        world.township_officer,
        f"/cases/{duplicate.get_json()['id']}/merge",
        json={"into_case_id": cases["open"].id, "note": "同一起合同纠纷。"},
    )
    assert merged.status_code == 200, merged.get_json()
    after = api.get(world.township_officer, f"/statistics?from={month}").get_json()
    assert after["received"] == 6 and category_row(after, "contract")["open"] == 1
    sources = {row["source"]: row["received"] for row in after["by_source"]}
    assert sources["hotline"] == 1  # the withdrawn one only
