"""A village mediator on a phone: sign in, register a case with two parties, find it, open it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def sign_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "correct-horse-9")
    page.click("button[type=submit].primary")


def test_a_mediator_registers_finds_and_opens_a_case(live_server, page):
    base, world = live_server
    sign_in(page, base, "xipei")
    expect(page.locator("h1")).to_contain_text("西裴村")

    page.get_by_role("link", name="新建案件").first.click()
    page.fill("#title", "邻里宅基地边界纠纷")
    page.select_option("#category", "housing_homestead")
    page.select_option("#source", "party_application")
    page.fill("#people_involved", "2")
    page.fill("#amount_yuan", "3000")
    page.fill("#description", "张家新建围墙占用李家宅基地约半米，双方多次争吵。")
    page.fill("#parties-0-name", "张建国")
    page.select_option("#parties-0-role", "applicant")
    page.fill("#parties-0-id_number", "410522198503121233")
    page.fill("#parties-0-phone", "13800138000")
    page.click("#add-party")  # JavaScript adds the second party's row in place
    page.fill("#parties-1-name", "李秀兰")
    page.select_option("#parties-1-role", "respondent")
    page.get_by_role("button", name="登记案件").click()

    expect(page.locator("h1")).to_have_text("邻里宅基地边界纠纷")
    number = page.locator("dl.facts dd").first.inner_text()
    assert re.fullmatch(r"410522-\d{4}-\d{6}", number)
    expect(page.locator("table.parties")).to_contain_text("李秀兰")
    expect(page.locator("table.parties")).to_contain_text("4105**********1233")

    page.goto(f"{base}/cases")
    page.fill("#f-q", "李秀兰")
    page.get_by_role("button", name="筛选").click()
    row = page.locator("table.cases tbody tr", has_text="邻里宅基地边界纠纷")
    expect(row).to_have_count(1)
    row.get_by_role("link", name=number).click()
    expect(page.locator("h1")).to_have_text("邻里宅基地边界纠纷")


def test_a_mistake_is_shown_next_to_its_field(live_server, page):
    base, world = live_server
    sign_in(page, base, "xipei")
    page.goto(f"{base}/cases/new")
    page.fill("#title", "测试")
    page.select_option("#category", "neighbor")
    page.select_option("#source", "hotline")
    page.fill("#people_involved", "0")
    page.fill("#description", "…")
    page.fill("#parties-0-name", "王五")
    page.select_option("#parties-0-role", "applicant")
    page.fill("#parties-0-id_number", "410522198503121234")
    page.get_by_role("button", name="登记案件").click()
    expect(page.locator('.error[data-field="people_involved"]')).to_be_visible()
    expect(page.locator('.error[data-field="parties-0-id_number"]')).to_contain_text("校验")
