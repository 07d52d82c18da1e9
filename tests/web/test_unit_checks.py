"""Unit codes and names through every door (the command, the admin's upload and the admin's
form), the one decoder for unit files, and downloads named after odd units (issue: control
characters and NULs stored in names broke every XLSX export; `4105\\n22`, `<b>c</b>` and
`测试"村;x` were taken as codes; GB 18030 uploads were stored garbled; a Chinese code in
Content-Disposition broke the response)."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select, update

from mediation.domain.units import unit_code_problem, unit_name_problem
from mediation.extensions import db
from mediation.models import Unit

GOOD_CODES = ["410522", "410522100", "410522100201"]
BAD_CODES = ["4105\n22", "<b>c</b>", '测试"村;x', "41052", "4105221002", "４１０５２２", " ", ""]
GOOD_NAMES = ["西裴村", "White Stone Village", "村" * 100]
BAD_NAMES = ["西裴\x01村", "西裴\x00村", "西裴\u200f村", "村" * 101, "", "西裴\u2028村"]


@pytest.mark.parametrize("code", GOOD_CODES)
def test_a_division_code_is_6_9_or_12_digits(code):
    assert unit_code_problem(code) is None


@pytest.mark.parametrize("code", BAD_CODES)
def test_anything_else_is_not_a_code(code):
    assert unit_code_problem(code) is not None


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_a_name_is_printable_text(name):
    assert unit_name_problem(name) is None


@pytest.mark.parametrize("name", BAD_NAMES)
def test_control_and_format_characters_are_not(name):
    assert unit_name_problem(name) is not None


def _row(code: str, name: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([code, name, "village", "410522100000"])
    return out.getvalue()


def unit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Unit))


BAD_ROWS = [(code, "新村") for code in BAD_CODES[:3]] + [
    ("410522100299", name) for name in BAD_NAMES[:3]
]


@pytest.mark.parametrize("code, name", BAD_ROWS)
def test_the_command_refuses_them(runner, world, tmp_path, code, name):
    path = tmp_path / "units.csv"
    path.write_text("code,name,kind,parent_code\n" + _row(code, name), encoding="utf-8")
    before = unit_count()
    result = runner.invoke(args=["import-units", str(path)])
    assert result.exit_code == 1 and "nothing imported" in result.output
    assert "6, 9 or 12 digits" in result.output or "printable text" in result.output
    assert unit_count() == before


def _upload(client, raw: bytes):
    return client.post(
        "/admin/units",
        data={"import-file": (io.BytesIO(raw), "units.csv"), "import-submit": "1"},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("code, name", BAD_ROWS)
def test_the_upload_refuses_them(client, world, login, code, name):
    login(world.admin)
    before = unit_count()
    response = _upload(client, ("code,name,kind,parent_code\n" + _row(code, name)).encode())
    assert response.status_code == 422
    assert unit_count() == before


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("unit-code", "4105\n22", "统计用区划代码"),
        ("unit-code", "<b>c</b>", "统计用区划代码"),
        ("unit-name", "西裴\x01村", "可打印"),
    ],
)
def test_the_form_refuses_them_in_the_users_language(client, world, login, field, value, message):
    login(world.admin)
    data = {
        "unit-code": "410522100203",
        "unit-name": "南裴村",
        "unit-kind": "village",
        "unit-parent_code": "410522100000",
        "unit-submit": "1",
        field: value,
    }
    before = unit_count()
    response = client.post("/admin/units", data=data)
    assert response.status_code in (400, 422)
    if response.status_code == 422:
        assert message in response.get_data(as_text=True)
    assert unit_count() == before


def test_a_gb18030_upload_reads_as_the_command_reads_it(client, runner, world, login, tmp_path):
    text = (
        "code,name,kind,parent_code\n" + _row("410522100203", "䶮村") + _row("410522100204", "𠀀村")
    )
    raw = text.encode("gb18030")
    login(world.admin)
    assert _upload(client, raw).status_code == 302
    names = dict(db.session.execute(select(Unit.code, Unit.name)).all())
    assert names["410522100203"] == "䶮村" and names["410522100204"] == "𠀀村"
    path = tmp_path / "units.csv"
    path.write_bytes(raw)
    result = runner.invoke(args=["import-units", str(path), "--json"])
    assert result.exit_code == 0 and '"unchanged": 2' in result.output


def test_an_upload_that_is_no_text_is_refused(client, world, login):
    login(world.admin)
    response = _upload(client, b"code,name,kind,parent_code\n\xff\xfe\x00\x81\x30")
    assert response.status_code == 422 and "GB 18030" in response.get_data(as_text=True)


def test_downloads_of_a_unit_stored_before_the_checks(client, world, login):
    """A legacy unit with a Chinese, quoted code and a control character in its name."""
    db.session.execute(
        update(Unit).where(Unit.code == "410522100201").values(code='西裴"2', name="西裴\x01村")
    )
    db.session.commit()
    login(world.county_officer)
    month = "2026-11"
    for extension in ("csv", "xlsx"):
        response = client.get(
            f"/scorecards/{month}/export.{extension}", query_string={"unit": '西裴"2'}
        )
        assert response.status_code == 200, response.status_code
        disposition = response.headers["Content-Disposition"]
        disposition.encode("latin-1")  # what a server must be able to send
        plain, _, exact = disposition.partition("; filename*=UTF-8''")
        assert plain.count('"') == 2  # filename="…" well formed
        assert unquote(exact) == f'scorecard-{month}-西裴"2.{extension}'
    county = client.get(f"/scorecards/{month}/export.xlsx")
    assert county.status_code == 200
