"""The statistical report page: reached from the navigation, a unit and period form, the
tables and the download links; a unit outside the area is 404; bad months are named."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from mediation.domain.months import Month

from ..api.casework import act
from ..factories import TZ


def test_officers_reach_the_report_from_the_navigation(login, world, make, now):
    case = make.case(world.mediator, people_involved=4)
    act(world.mediator, case, "accept")
    act(world.mediator, case, "resolve")
    client = login(world.township_officer)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/statistics"' in home
    month = str(Month.of(now, TZ))
    page = client.get(f"/statistics?from={month}&to={month}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "统计报表" in text and "白壁镇" in text and "调解成功" in text
    assert "format=xlsx" in text and "format=csv" in text
    download = client.get(f"/statistics?unit=410522100000&from={month}&to={month}&format=xlsx")
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.get_data())).active
    neighbour = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "邻里")
    assert neighbour[:3] == ("邻里", 1, 1)


def test_mediators_do_not_see_it(login, world):
    client = login(world.mediator)
    assert 'href="/statistics"' not in client.get("/").get_data(as_text=True)
    assert client.get("/statistics").status_code == 403


def test_outside_the_area_is_not_found_and_bad_months_are_named(login, world):
    client = login(world.other_township_officer)
    assert client.get("/statistics?unit=410522100201&from=2026-01").status_code == 404
    page = client.get("/statistics?from=2026-13&to=2026-01").get_data(as_text=True)
    assert 'data-field="from"' in page and "format=xlsx" not in page
    page = client.get("/statistics?from=2026-05&to=2026-01").get_data(as_text=True)
    assert 'data-field="to"' in page
