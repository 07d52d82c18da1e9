"""The ledger upload page: a dry run first, then the officer confirms; the template; and an
import into a frozen scorecard month showing as that month's pending revision."""

from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from mediation.domain.months import Month
from mediation.extensions import db
from mediation.models import Case, Unit
from mediation.platform import runtime
from mediation.services import scorecard

from ..factories import TZ
from ..ledger_files import HEADERS, csv_bytes, settled_row, xlsx_bytes


def case_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Case))


def upload(client, data: bytes, name: str = "ledger.xlsx"):
    return client.post(
        "/ledger/import",
        data={"file": (io.BytesIO(data), name), "submit": "1"},
        content_type="multipart/form-data",
    )


def test_check_first_then_confirm(login, world):
    client = login(world.township_officer)
    page = client.get("/ledger/import")
    assert page.status_code == 200 and "下载导入模板" in page.get_data(as_text=True)

    checked = upload(client, xlsx_bytes([settled_row(1), settled_row(2, "410522100202")]))
    text = checked.get_data(as_text=True)
    assert checked.status_code == 200, text
    assert "待导入2件" in text and "排水沟纠纷2" in text
    assert case_count() == 0  # the dry run changed nothing
    upload_id = re.search(r'name="upload" type="hidden" value="([0-9a-f]{64})"', text)
    assert upload_id, text
    confirmed = client.post("/ledger/import", data={"upload": upload_id.group(1), "confirm": "1"})
    assert confirmed.status_code == 302
    assert case_count() == 2
    again = upload(client, xlsx_bytes([settled_row(1), settled_row(2, "410522100202")]))
    assert "此前已导入2件" in again.get_data(as_text=True)
    assert "导入以上纠纷" not in again.get_data(as_text=True)  # nothing left to confirm


def test_a_bad_row_is_named_and_nothing_is_imported(login, world):
    client = login(world.township_officer)
    rows = [settled_row(1), settled_row(2, "410522101201")]  # 北关村: another township's
    answer = upload(client, csv_bytes(rows, encoding="gb18030"), "ledger.csv")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'data-row="3" data-field="village_code"' in text
    assert "未导入任何数据" in text and "导入以上纠纷" not in text
    assert case_count() == 0


def test_the_template_has_the_chinese_headers(login, world):
    answer = login(world.county_officer).get("/ledger/template.xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.get_data())).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header == list(HEADERS.values())


def test_the_template_as_filled_in_imports(runner, world, tmp_path, login):
    """The template's own example row imports, once its village is one of ours."""
    body = login(world.county_officer).get("/ledger/template.xlsx").get_data()
    path = tmp_path / "template.xlsx"
    path.write_bytes(body)
    result = runner.invoke(args=["import-cases", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would import 1" in result.output


def test_mediators_cannot_import(login, world):
    assert login(world.mediator).get("/ledger/import").status_code == 403


def test_an_import_into_a_frozen_month_is_its_pending_revision(runner, world, tmp_path, now):
    """Last month was frozen; a ledger row received and settled in it changes its live figures,
    which the scorecard shows as a pending revision; the frozen figures stay as they were."""
    month = Month.of(now, TZ).previous()
    county = db.session.scalar(select(Unit).where(Unit.code == "410522000000"))
    policy, tz = runtime.policy(), runtime.tz()
    frozen = scorecard.freeze(county, month, now=now, policy=policy, tz=tz)
    db.session.commit()
    assert frozen.revision == 1
    shown, pending, _ = scorecard.view(county, month, policy=policy, tz=tz)
    assert pending is None

    day = dt.date(month.year, month.month, 10)
    path = tmp_path / "ledger.csv"
    path.write_bytes(
        csv_bytes([settled_row(1, received_at=f"{day} 09:00", resolved_at=f"{day} 15:00")])
    )
    result = runner.invoke(args=["import-cases", str(path), "--json"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    shown, pending, kept = scorecard.view(county, month, policy=policy, tz=tz)
    assert len(kept) == 1 and shown["revision"] == 1  # still the frozen figures
    assert pending is not None  # the import is the month's pending revision
    assert pending["rollup"] != shown["rollup"]


def test_a_ledger_larger_than_other_requests_is_accepted(login, world):
    """5,000 rows as CSV are more than the 1 MiB any other request may send."""
    rows = [settled_row(n, title=f"排水沟纠纷{n}：" + "两户争执" * 30) for n in range(1, 2001)]
    data = csv_bytes(rows)
    assert len(data) > 1024 * 1024
    answer = upload(login(world.township_officer), data, "ledger.csv")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    assert "待导入2000件" in answer.get_data(as_text=True)
