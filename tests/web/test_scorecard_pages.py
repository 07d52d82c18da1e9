"""The scorecard pages on the hand-built November: who sees which card, every figure's link to
its list, the frozen month and its revisions, the exports and the print page."""

from __future__ import annotations

import csv
import html
import io
import re

import flask
import openpyxl
import pytest
from flask_babel import force_locale
from flask_wtf.csrf import generate_csrf

from mediation.domain.enums import IncidentKind
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import ScorecardSnapshot
from mediation.scorecards import layout
from mediation.services import scorecard

from ..factories import TZ
from ..scorecard_month import (
    BAIBI,
    COUNTY,
    FROZEN_AT,
    MONTH,
    SHUIYE,
    A,
    B,
    C,
    D,
    at,
    build_november,
    incident,
    unit,
)

# A row of the wide tables, or a village's own card (a table of its own).
ROW = re.compile(
    r'<(tr|table) class="(?:village|rollup|scorecard-table village-card)[^"]*" '
    r'data-code="(\d+)">(.*?)</\1>',
    re.S,
)
CELL = re.compile(r'<td(?: class="([^"]*)")? data-key="([^"]+)">(.*?)</td>', re.S)
CASE_LINK = re.compile(r'href="/cases/(\d+)"')


def rows(page: str) -> dict[str, dict[str, dict]]:
    """Each row of the scorecard tables by code: its cells by figure, with text, links, class."""
    found = {}
    for _kind, code, body in ROW.findall(page):
        found[code] = {
            key: {
                "text": " ".join(html.unescape(re.sub(r"<[^>]+>", "", inner)).split()),
                "links": [html.unescape(href) for href in re.findall(r'href="([^"]+)"', inner)],
                "class": css or "",
            }
            for css, key, inner in CELL.findall(body)
        }
    return found


def listed_cases(client, href: str) -> set[int]:
    page = client.get(href)
    assert page.status_code == 200, href
    return {int(case_id) for case_id in CASE_LINK.findall(page.get_data(as_text=True))}


@pytest.fixture
def month(world, make):
    return build_november(world, make)


def get(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_each_role_sees_its_own_unit_by_default(client, world, login, month):
    for user, codes in (
        (world.county_officer, {A, B, C, D, BAIBI, SHUIYE, COUNTY}),
        (world.viewer, {A, B, C, D, BAIBI, SHUIYE, COUNTY}),
        (world.admin, {A, B, C, D, BAIBI, SHUIYE, COUNTY}),
        (world.township_officer, {A, B, BAIBI}),
        (world.mediator, {B}),
    ):
        login(user)
        redirect = client.get("/scorecards")
        assert redirect.status_code == 302 and "/scorecards/" in redirect.headers["Location"]
        assert set(rows(get(client, "/scorecards/2026-11"))) == codes, user.username
        client.post("/logout")


def test_another_unit_in_scope_is_shown_and_one_outside_is_not_found(client, world, login, month):
    login(world.township_officer)
    assert set(rows(get(client, f"/scorecards/2026-11?unit={A}"))) == {A}
    for path in (
        f"/scorecards/2026-11?unit={C}",
        f"/scorecards/2026-11?unit={SHUIYE}",
        f"/scorecards/2026-11?unit={COUNTY}",
        "/scorecards/2026-11?unit=nope",
        "/scorecards/2026-13",
        "/scorecards/nov",
        f"/scorecards/2026-11/export.csv?unit={C}",
        f"/scorecards/2026-11/export.xlsx?unit={C}",
        f"/scorecards/2026-11/print?unit={C}",
    ):
        assert client.get(path).status_code == 404, path
    client.post("/logout")
    login(world.mediator)
    assert client.get(f"/scorecards/2026-11?unit={A}").status_code == 404
    client.post("/logout")
    assert client.get("/scorecards/2026-11").status_code == 302  # signed out: to the login page


def test_every_figure_of_the_page(client, world, login, month):
    login(world.county_officer)
    page = get(client, "/scorecards/2026-11")
    table = rows(page)
    a, b, c, d = table[A], table[B], table[C], table[D]
    assert (a["score"]["text"], a["rank"]["text"], a["three_zero"]["class"]) == (
        "100",
        "1",
        "yesno yes",
    )
    assert "light-green" in a["score"]["class"] and "light-amber" in b["score"]["class"]
    assert (b["score"]["text"], b["rank"]["text"], b["three_zero"]["class"]) == (
        "70",
        "2",
        "yesno no",
    )
    with force_locale("zh"):
        petition = str(layout.WEIGHT_LABELS["petition_above_county"])
        violation = str(layout.WEIGHT_LABELS["rule_violation"])
    assert b["deductions"]["text"] == f"{petition} 1×30 = −30"
    assert c["deductions"]["text"] == f"{violation} 2×5 = −10"
    assert (c["score"]["text"], c["rank"]["text"], d["score"]["text"], d["rank"]["text"]) == (
        "90",
        "1",
        "90",
        "1",
    )
    assert c["small_in_village_rate"]["text"] == "50.0% 1/2"
    assert c["big_in_township_rate"]["text"] == "50.0% 1/2"
    assert c["success_rate"]["text"] == "100.0% 2/2"
    assert (c["received"]["text"], c["escalations"]["text"], c["rule_violations"]["text"]) == (
        "2",
        "1",
        "2",
    )
    assert c["amount_settled_yuan"]["text"] == "2,300.00"
    assert (b["prevented_cases"]["text"], b["prevented_people"]["text"]) == ("1", "3")
    assert b["petitions_above_county"]["text"] == "1" and b["collective_petitions"]["text"] == "1"
    assert d["success_rate"]["text"] == "— 0/0" and d["screening_filed"]["class"] == "yesno no"
    # the rollups: 三零达标率 and the level mix against 70/20/10
    baibi, shuiye, county = table[BAIBI], table[SHUIYE], table[COUNTY]
    assert baibi["three_zero_rate"]["text"] == "50.0% 1/2"
    assert shuiye["three_zero_rate"]["text"] == "100.0% 2/2"
    assert county["three_zero_rate"]["text"] == "75.0% 3/4"
    assert county["level_mix.village"]["text"] == "75.0% 3/4"
    assert county["level_mix.county"]["text"] == "25.0% 1/4"
    assert shuiye["level_mix.township"]["text"] == "0.0% 0/2"
    assert (
        "70.0%" in page and "20.0%" in page and "10.0%" in page
    )  # the target, in headers and bars
    # the weights in force are on the page
    for weight in Policy().scorecard.weights.values():
        assert f"−{weight}</td>" in page


def test_each_figure_links_to_exactly_the_cases_counted(client, world, login, month):
    login(world.county_officer)
    table = rows(get(client, "/scorecards/2026-11"))
    c = table[C]
    expected = {
        "received": {month.c1.id, month.c2.id},
        "concluded": {month.c1.id, month.c2.id},
        "escalations": {month.c1.id},
        "rule_violations": {month.c1.id},
        "amount_settled_yuan": {month.c1.id, month.c2.id},
    }
    for key, ids in expected.items():
        (href,) = c[key]["links"]
        assert f"unit={C}" in href and "month=2026-11" in href
        assert listed_cases(client, href) == ids, key
    # a rate links to its numerator and its denominator
    kept, concluded = c["small_in_village_rate"]["links"]
    assert listed_cases(client, kept) == {month.c2.id}
    assert listed_cases(client, concluded) == {month.c1.id, month.c2.id}
    (prevented,) = table[B]["prevented_cases"]["links"]
    assert listed_cases(client, prevented) == {month.b.id}
    (township_agreements,) = table[BAIBI]["agreements"]["links"]
    assert listed_cases(client, township_agreements) == {month.a.id, month.b.id}
    (county_mix,) = table[COUNTY]["level_mix.county"]["links"][:1]
    assert listed_cases(client, county_mix) == {month.c1.id}
    # zeros are plain text, without an empty list to follow
    assert table[D]["received"]["links"] == [] and table[A]["escalations"]["links"] == []
    # incidents link to the incident list of that village, month and kind
    (petitions,) = table[B]["petitions_above_county"]["links"]
    assert petitions == f"/incidents?unit={B}&month=2026-11&kind=petition"


def test_the_case_list_shows_the_figure_it_is_narrowed_to(client, world, login, month):
    login(world.county_officer)
    page = get(client, f"/cases?unit={C}&month=2026-11&metric=small_kept_in_village")
    assert (
        'name="metric" value="small_kept_in_village"' in page
        and 'name="month" value="2026-11"' in page
    )
    assert set(map(int, CASE_LINK.findall(page))) == {month.c2.id}
    page = get(client, f"/cases?unit={C}&month=2026-11&metric=score")
    assert 'data-field="metric"' in page


def test_month_navigation_and_the_charts(client, world, login, month):
    login(world.township_officer)
    page = get(client, "/scorecards/2026-11")
    assert 'href="/scorecards/2026-10?unit=410522100000"' in page
    assert 'rel="next" href="/scorecards/2026-11?unit=410522100000"' in get(
        client, "/scorecards/2026-10"
    )
    assert page.count('<svg class="chart"') == 2 and "<polyline" in page
    page = get(client, f"/scorecards/2026-11?unit={A}")
    assert page.count('<svg class="chart"') == 2
    future = get(client, "/scorecards/2099-03")
    assert 'rel="next"' not in future  # no month that has not begun
    client.post("/logout")
    login(world.county_officer)
    assert '<svg class="chart"' not in get(client, "/scorecards/2026-11")  # a county: no charts


def freeze_november():
    scorecard.freeze(unit(COUNTY), MONTH, now=FROZEN_AT, policy=Policy(), tz=TZ)
    db.session.commit()


def snapshots() -> list[tuple[int, str]]:
    db.session.expire_all()
    return [
        (s.revision, s.reason)
        for s in db.session.scalars(
            db.select(ScorecardSnapshot).order_by(ScorecardSnapshot.revision)
        )
    ]


def test_a_frozen_month_a_pending_revision_and_publishing_it(client, world, login, month):
    freeze_november()
    login(world.county_officer)
    page = get(client, "/scorecards/2026-11")
    assert 'class="status frozen"' in page and 'id="pending"' not in page
    assert "2026-12-05 01:00" in page  # frozen on, local time

    incident(D, IncidentKind.accident, at(20, 8), injured=1, summary="农机侧翻")
    page = get(client, "/scorecards/2026-11")
    assert rows(page)[D]["score"]["text"] == "90"  # the frozen figures stay in force
    pending = page[page.index('id="pending"') :]
    pending = pending[: pending.index("</section>")]
    assert '<td class="num before">90</td><td class="num after">75</td>' in pending
    assert '<td class="num before">75.0%</td><td class="num after">50.0%</td>' in pending
    assert 'name="reason"' in pending

    refused = client.post("/scorecards/2026-11/publish", data={"reason": "  "})
    assert refused.status_code == 422 and snapshots() == [(1, "")]
    published = client.post("/scorecards/2026-11/publish", data={"reason": "补录农机事故"})
    assert published.status_code == 302 and snapshots() == [(1, ""), (2, "补录农机事故")]
    page = get(client, "/scorecards/2026-11")
    assert rows(page)[D]["score"]["text"] == "75" and 'id="pending"' not in page
    assert "补录农机事故" in page and "revision=1" in page and "revision=2" in page
    old = get(client, "/scorecards/2026-11?revision=1")
    assert rows(old)[D]["score"]["text"] == "90" and 'id="pending"' not in old
    assert client.get("/scorecards/2026-11?revision=3").status_code == 404
    assert client.get("/scorecards/2026-11?revision=x").status_code == 404
    # nothing pending any more: another publish has nothing to do
    assert client.post("/scorecards/2026-11/publish", data={"reason": "again"}).status_code == 409


def test_only_a_county_officer_publishes(client, world, login, month):
    freeze_november()
    incident(D, IncidentKind.accident, at(20, 8))
    for user in (world.township_officer, world.viewer, world.admin, world.mediator):
        login(user)
        page = get(client, "/scorecards/2026-11")
        assert 'name="reason"' not in page
        assert client.post("/scorecards/2026-11/publish", data={"reason": "x"}).status_code in (
            403,
            404,
        )
        client.post("/logout")
    login(world.other_township_officer)
    page = get(client, f"/scorecards/2026-11?unit={D}")
    assert 'id="pending"' in page and 'name="reason"' not in page
    assert snapshots() == [(1, "")]


def test_an_unfrozen_month_that_is_over_can_be_frozen_by_hand(client, world, login, month):
    login(world.county_officer)
    page = get(client, "/scorecards/2026-10")
    assert 'id="freeze"' in page
    assert (
        client.post(
            "/scorecards/2026-10/publish", data={"reason": "调度未运行，手工冻结"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    kept = db.session.scalars(db.select(ScorecardSnapshot)).all()
    assert [(s.month, s.revision) for s in kept] == [("2026-10", 1)]


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def titles(columns) -> list[str]:
    with force_locale("zh"):
        return [column.title for column in columns]


def test_the_csv_export(client, world, login, month):
    login(world.county_officer)
    response = client.get("/scorecards/2026-11/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = read_csv(response.data)
    blank = lines.index([])
    villages, rollups = lines[:blank], lines[blank + 1 :]
    assert villages[0] == titles(layout.VILLAGE_COLUMNS) and rollups[0] == titles(
        layout.ROLLUP_COLUMNS
    )
    by_code = {line[0]: dict(zip(villages[0], line)) for line in villages[1:]}
    assert list(by_code) == [B, A, C, D]  # 西裴村, 东裴村 by code
    with force_locale("zh"):
        score, rank, rate, amount = (
            str(layout.column_for(k).header)
            for k in ("score", "rank", "small_in_village_rate", "amount_settled_yuan")
        )
    c = by_code[C]
    assert (c[score], c[rank], c[rate], c[amount]) == ("90", "1", "50.0%", "2300.00")
    assert by_code[B][score] == "70" and by_code[D][rate] == ""
    assert [line[0] for line in rollups[1:]] == [BAIBI, SHUIYE, COUNTY]


def test_the_xlsx_export(client, world, login, month):
    login(world.county_officer)
    response = client.get("/scorecards/2026-11/export.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    villages, rollups, about = book.worksheets
    assert villages.freeze_panes == "D2" and rollups.freeze_panes == "C2"
    header = [cell.value for cell in villages[1]]
    assert header == titles(layout.WORKBOOK_VILLAGE_COLUMNS)
    assert header[:3] == ["代码", "村", "乡镇"]
    column = {
        key: header.index(title) + 1
        for key, title in zip([c.key for c in layout.WORKBOOK_VILLAGE_COLUMNS], header)
    }
    c_row = next(row for row in villages.iter_rows(min_row=2) if row[0].value == C)
    score = c_row[column["score"] - 1]
    rate = c_row[column["small_in_village_rate"] - 1]
    amount = c_row[column["amount_settled_yuan"] - 1]
    received = c_row[column["received"] - 1]
    assert score.value == 90 and isinstance(score.value, int)
    assert received.value == 2 and received.data_type == "n"
    assert rate.value == pytest.approx(0.5) and rate.number_format == "0.0%"
    assert amount.value == pytest.approx(2300.0) and amount.number_format == "#,##0.00"
    rollup_header = [cell.value for cell in rollups[1]]
    assert rollup_header == titles(layout.ROLLUP_COLUMNS)
    county = next(row for row in rollups.iter_rows(min_row=2) if row[0].value == COUNTY)
    mix = county[[c.key for c in layout.ROLLUP_COLUMNS].index("level_mix.village")]
    three_zero = county[[c.key for c in layout.ROLLUP_COLUMNS].index("three_zero_rate")]
    assert mix.value == pytest.approx(0.75) and mix.number_format == "0.0%"
    assert three_zero.value == pytest.approx(0.75)
    assert about["B1"].value == "2026-11"
    assert 30 in [row[1].value for row in about.iter_rows()]  # the weights


def test_the_xlsx_names_each_village_s_township_and_the_local_freeze_time(
    client, world, login, month
):
    freeze_november()
    login(world.county_officer)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/scorecards/2026-11/export.xlsx").data))
    villages, _, about = book.worksheets
    township = {row[0].value: row[2].value for row in villages.iter_rows(min_row=2)}
    assert township == {A: "白壁镇", B: "白壁镇", C: "水冶镇", D: "水冶镇"}
    lines = {row[0].value: row[1].value for row in about.iter_rows()}
    assert lines["锁定时间"] == "2026-12-05 01:00"  # Asia/Shanghai, to the minute


def test_the_result_comes_first_and_the_detail_opens_on_demand(client, world, login, month):
    login(world.county_officer)
    page = get(client, "/scorecards/2026-11")
    results_at = page.index('class="scorecard-table results village-results"')
    detail_at = page.index('<details class="scorecard-detail" id="village-detail">')
    assert results_at < detail_at
    results = page[results_at:detail_at]
    headers = re.findall(r'<th scope="col" data-key="(\w+)"', results)
    assert headers == ["name", "three_zero", "score", "rank", "light"]
    detail = page[detail_at : page.index("</details>", detail_at)]
    keys = re.findall(r'<th scope="col" data-key="([\w.]+)"', detail)
    assert keys[:7] == ["code", "name", "three_zero", "deductions", "score", "rank", "light"]
    assert "received" in keys and 'href="/cases?' in detail  # every figure still links
    assert '<details class="scorecard-detail" id="rollup-detail">' in page


def test_the_print_page(client, world, login, month):
    login(world.township_officer)
    page = get(client, "/scorecards/2026-11/print")
    assert "scorecard_print.css" in page and set(rows(page)) == {A, B, BAIBI}
    assert 'href="/cases' not in page  # figures without links on paper
    css = client.get("/static/scorecard_print.css").get_data(as_text=True)
    assert "size: A4 landscape" in css


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_publishing_needs_the_form_token(self, client, world, month):
        freeze_november()
        incident(D, IncidentKind.accident, at(20, 8))
        with client.application.test_request_context():
            token = generate_csrf()
            raw = flask.session["csrf_token"]
        with client.session_transaction() as session:
            session["_user_id"] = str(world.county_officer.id)
            session["_fresh"] = True
            session["csrf_token"] = raw
        assert client.post("/scorecards/2026-11/publish", data={"reason": "x"}).status_code == 400
        assert snapshots() == [(1, "")]
        assert (
            client.post(
                "/scorecards/2026-11/publish", data={"reason": "x", "csrf_token": token}
            ).status_code
            == 302
        )
        assert snapshots() == [(1, ""), (2, "x")]
