"""A big case registered at a village reaches its township at once: the officer finds it in
his inbox and on his home page, takes it over (提级) with a reason and settles it there. The
mediator's home page lists what is due."""

import pytest
from playwright.sync_api import expect

from .test_intake_flow import sign_in

pytestmark = pytest.mark.browser


def register(page, base, title, category, people):
    page.goto(f"{base}/cases/new")
    page.fill("#title", title)
    page.select_option("#category", category)
    page.select_option("#source", "party_application")
    page.fill("#people_involved", str(people))
    page.fill("#description", "村民对补偿款分配方案有异议。")
    page.fill("#parties-0-name", "赵六")
    page.select_option("#parties-0-role", "applicant")
    page.get_by_role("button", name="登记案件").click()
    expect(page.locator("h1")).to_have_text(title)
    return page.url.rsplit("/", 1)[1]


def sign_out(page):
    page.locator("form[action='/logout'] button").click()


def test_a_big_case_reaches_the_township_is_taken_over_and_settled(live_server, page):
    base, _ = live_server
    sign_in(page, base, "xipei")
    case_id = register(page, base, "征地补偿分配纠纷", "land_acquisition", 8)
    expect(page.locator(".badge.scale-big")).to_be_visible()
    sign_out(page)

    sign_in(page, base, "baibi")
    expect(page.locator(".unread-count")).to_have_text("1")
    listed = page.locator(f'table.due tr[data-case="{case_id}"]')
    expect(listed).to_contain_text("征地补偿分配纠纷")
    expect(listed).to_contain_text("工作日")
    page.goto(f"{base}/inbox")
    entry = page.locator("ul.inbox li").first
    expect(entry).to_contain_text("较大纠纷登记")
    expect(entry).to_contain_text("征地补偿分配纠纷")
    entry.locator("button").click()
    expect(page.locator("h1")).to_have_text("征地补偿分配纠纷")

    take_over = page.locator("#action-take_over")
    take_over.locator("summary").click()
    expect(take_over).to_contain_text("理由")  # a reason is asked for
    take_over.locator("#take_over-note").fill("涉及八户征地补偿，由镇综治中心直接调处")
    take_over.locator("button[type=submit]").click()
    expect(page.locator("ol.history")).to_contain_text("涉及八户征地补偿")
    expect(page.locator(".badge.status-registered")).to_be_visible()

    accept = page.locator("#action-accept")
    accept.locator("summary").click()
    accept.locator("button[type=submit]").click()
    expect(page.locator(".badge.status-in_mediation")).to_be_visible()

    resolve = page.locator("#action-resolve")
    resolve.locator("summary").click()
    resolve.locator("#resolve-agreement_terms").fill("补偿款按各户实际被征面积分配。")
    resolve.locator("button[type=submit]").click()
    expect(page.locator(".badge.status-resolved")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(f"{base}/")
    expect(page.locator(f'table.due tr[data-case="{case_id}"]')).to_have_count(0)


def test_the_mediators_home_lists_what_is_due(live_server, page):
    base, _ = live_server
    sign_in(page, base, "xipei")
    case_id = register(page, base, "院墙倒塌赔偿纠纷", "damages", 2)
    page.goto(f"{base}/")
    row = page.locator(f'table.due tr[data-case="{case_id}"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("受理")
    expect(row).to_contain_text("工作日")
    expect(page.locator("#screening-due")).to_contain_text("月度排查报告")
    expect(page.locator("#screening-due a")).to_have_attribute("href", "/screenings/new")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
