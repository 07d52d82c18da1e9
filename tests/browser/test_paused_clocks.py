"""A case paused days ago: its clocks read as paused, with the time left as it stood at the
pause, not as running (green, counting down) under the notice that they are stopped."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from mediation import create_app
from mediation.domain.calendar import working_days_left
from mediation.domain.enums import Action, Clock
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Case, User
from mediation.services.workflow import Context, perform

from ..factories import TZ, Factory
from .test_intake_flow import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def paused_case(live_server, database_url, tmp_path):
    """Registered 6 days ago, accepted, paused 5 days ago: by a running count its settle
    clock would be (nearly) used up; frozen it still has most of its 5 working days."""
    app = create_app(
        {"DATABASE_URL": database_url, "MEDIATION_DEMO": False, "AUTO_SETUP": False},
        instance_path=str(tmp_path / "seed"),
    )
    now = dt.datetime.now(dt.UTC)
    received_at = now - dt.timedelta(days=6)
    paused_at = now - dt.timedelta(days=5)
    with app.app_context():
        mediator = db.session.scalar(db.select(User).filter_by(username="xipei"))
        case = Factory().case(mediator, now=received_at, title="牛踩麦苗纠纷")
        for action, at, note in [
            (Action.accept, received_at + dt.timedelta(hours=1), "已受理"),
            (Action.pause, paused_at, "等待损失评估"),
        ]:
            case = db.session.get(Case, case.id)
            ctx = Context.build(at, Policy(), TZ)
            perform(mediator, case, action, {"note": note}, version=case.version, ctx=ctx)
            db.session.commit()
        settle = next(d for d in db.session.get(Case, case.id).deadlines if d.clock is Clock.settle)
        frozen = working_days_left(
            paused_at, settle.due_at, Context.build(now, Policy(), TZ).calendar, TZ
        )
        result = case.id, frozen
        db.session.remove()
        db.engine.dispose()
    return result


@pytest.mark.parametrize("width", [360, 1280])
def test_a_paused_case_shows_its_clocks_paused_with_the_time_left_frozen(
    live_server, paused_case, browser, width
):
    base, _ = live_server
    case_id, frozen = paused_case
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, "xipei")
    page.goto(f"{base}/cases/{case_id}")
    expect(page.locator(".badge.status-paused")).to_be_visible()

    settle = page.locator('table.clocks tr[data-clock="settle"]')
    expect(settle).to_have_attribute("data-state", "paused")
    expect(settle).to_have_attribute("data-tone", "paused")
    expect(settle.locator(".badge.state")).to_have_text("已暂停")
    expect(settle.locator(".days-left")).to_contain_text(f"剩余{frozen:.1f}个工作日")
    expect(settle.locator(".days-left")).to_contain_text("暂停")
    expect(page.locator("table.clocks")).not_to_contain_text("计时中")
    expect(page.locator("table.clocks")).not_to_contain_text("逾期")
    assert frozen > 3  # the count stood still at the pause: most of the span is left
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
