"""A village mediator on a phone takes a case up and pauses it, through the case page's
collapsible action forms (no JavaScript), with CSRF on."""

import pytest
from playwright.sync_api import expect

from .test_intake_flow import sign_in

pytestmark = pytest.mark.browser


def test_a_mediator_accepts_and_pauses_a_case_on_a_phone(live_server, page):
    base, _ = live_server
    sign_in(page, base, "xipei")
    page.goto(f"{base}/cases/new")
    page.fill("#title", "鸡鸭啄食菜地纠纷")
    page.select_option("#category", "neighbor")
    page.select_option("#source", "own_initiative")
    page.fill("#people_involved", "2")
    page.fill("#description", "王家鸡鸭多次进入赵家菜地。")
    page.fill("#parties-0-name", "赵六")
    page.select_option("#parties-0-role", "applicant")
    page.get_by_role("button", name="登记案件").click()
    expect(page.locator("h1")).to_have_text("鸡鸭啄食菜地纠纷")

    accept = page.locator("#action-accept")
    expect(accept.locator("form")).to_be_hidden()  # collapsed until opened
    accept.locator("summary").click()
    accept.locator("#accept-note").fill("已上门了解情况")
    accept.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator(".badge.status-in_mediation")).to_be_visible()
    expect(page.locator('table.clocks tr[data-clock="accept"]')).to_have_attribute(
        "data-state", "met"
    )

    pause = page.locator("#action-pause")
    pause.locator("summary").click()
    pause.locator("#pause-note").fill("等待损失评估")
    pause.locator("button[type=submit]").click()
    expect(page.locator(".badge.status-paused")).to_be_visible()
    expect(page.locator("ol.history")).to_contain_text("等待损失评估")
    expect(page.locator('table.clocks tr[data-clock="settle"]')).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
