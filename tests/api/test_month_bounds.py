"""A month or an instant far outside the years the system counts in (9999-12, whose next month
does not exist) is a clear 4xx or a one-line CLI error, never a 500 or a traceback."""

from __future__ import annotations

import pytest

from mediation.domain.months import MAX_YEAR, MIN_YEAR, Month

FAR = f"{MAX_YEAR + 1}-01"


@pytest.mark.parametrize("text", ["9999-12", FAR, "1999-12", "２０２６-11", "2026-13"])
def test_the_one_month_parser_bounds_the_year(text):
    with pytest.raises(ValueError):
        Month.parse(text)


def test_the_bounds_themselves_are_months():
    assert str(Month.parse(f"{MIN_YEAR}-01")) == f"{MIN_YEAR}-01"
    assert Month.parse(f"{MAX_YEAR}-12").next().year == MAX_YEAR + 1


@pytest.mark.parametrize(
    "path",
    [
        "/scorecards/9999-12",
        "/scorecards/9999-12/export.csv",
        "/scorecards/9999-12/export.xlsx",
        "/scorecards/9999-12/print",
        "/cases?metric=received&month=9999-12",
        "/screenings?month=9999-12",
        "/incidents?month=9999-12",
    ],
)
def test_pages_refuse_the_month(client, world, login, path):
    login(world.county_officer)
    response = client.get(path)
    if response.status_code == 200:  # a list page: the filter's own message, nothing listed
        assert "请输入月份，如 2026-11。" in response.get_data(as_text=True)
    else:
        assert 400 <= response.status_code < 500, response.status_code


@pytest.mark.parametrize(
    "path",
    [
        "/scorecards/9999-12",
        "/cases?metric=received&month=9999-12",
        "/incidents?month=9999-12",
        "/screenings?month=9999-12",
    ],
)
def test_the_api_answers_422(api, world, path):
    response = api.get(world.county_officer, path)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["error"]["fields"]


def test_the_scorecard_command_refuses_the_month(runner, world):
    result = runner.invoke(args=["scorecard", "9999-12"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and f"{MIN_YEAR} to {MAX_YEAR}" in result.output


@pytest.mark.parametrize(
    "instant", ["9999-12-31T23:59+00:00", "0001-01-01T00:00+14:00", f"{MAX_YEAR + 1}-01-01T00:00Z"]
)
def test_the_sweep_and_freeze_refuse_the_instant(runner, world, instant):
    for args in (
        ["sweep", "--now", instant],
        ["scorecard", "2026-11", "--freeze", "--now", instant],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, result.output
        assert f"{MIN_YEAR} to {MAX_YEAR}" in result.output
        assert "another sweep" not in result.output


def test_the_last_supported_month_still_works(runner, world):
    result = runner.invoke(args=["sweep", "--now", f"{MAX_YEAR}-12-31T23:59+00:00", "--json"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["scorecard", f"{MAX_YEAR}-12", "--format", "json"])
    assert result.exit_code == 0, result.output
