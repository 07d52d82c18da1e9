"""A township officer imports a village ledger: downloads the template, uploads a ledger,
sees what would be imported, confirms, and finds the cases; then reads the statistical report
and downloads it."""

import pytest
from playwright.sync_api import expect

from ..ledger_files import settled_row, xlsx_bytes
from .test_intake_flow import sign_in

pytestmark = pytest.mark.browser


def test_an_officer_imports_a_ledger_and_reads_the_report(live_server, page, tmp_path):
    base, world = live_server
    sign_in(page, base, "baibi")
    page.get_by_role("link", name="台账导入").first.click()
    expect(page.locator("h1")).to_have_text("导入村级调解台账")
    with page.expect_download() as template:
        page.get_by_role("link", name="下载导入模板（.xlsx）").click()
    assert template.value.suggested_filename == "台账导入模板.xlsx"

    ledger = tmp_path / "西裴村台账.xlsx"
    ledger.write_bytes(xlsx_bytes([settled_row(1), settled_row(2, "410522100202")]))
    page.set_input_files("#file", str(ledger))
    page.get_by_role("button", name="检查台账").click()
    expect(page.locator("h2")).to_contain_text("待导入2件")
    expect(page.locator("table.ledger-preview")).to_contain_text("排水沟纠纷2")
    page.get_by_role("button", name="导入以上纠纷").click()
    expect(page.locator(".flash, .flashes, [role=status]").first).to_contain_text("新增纠纷2件")

    page.goto(f"{base}/cases?q=排水沟纠纷")
    expect(page.locator("table.cases tbody tr")).to_have_count(2)

    page.get_by_role("link", name="统计报表").first.click()
    page.fill("#f-from", "2019-03")
    page.fill("#f-to", "2019-03")
    page.get_by_role("button", name="显示").click()
    expect(page.locator("table.report").first).to_contain_text("邻里")
    row = page.locator("table.report tbody tr", has_text="邻里").first
    expect(row.locator("td").nth(0)).to_have_text("2")
    with page.expect_download() as report:
        page.get_by_role("link", name="下载 XLSX").click()
    assert report.value.suggested_filename.endswith(".xlsx")
