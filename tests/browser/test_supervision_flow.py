"""Supervision (督办) and merging (并单) in a real browser over the demo county, on a phone
(360 px) and a desktop (1280 px): the forms work with CSRF on, nothing scrolls sideways, and
each page is saved as a screenshot (``SCREENSHOT_DIR``, else the test's temporary folder)."""

from __future__ import annotations

import datetime as dt
import os
import pathlib

import pytest
from sqlalchemy import select

from mediation import demo
from mediation.domain.enums import CaseStatus, Level
from mediation.domain.months import Month
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Case, User
from mediation.services import supervision
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep
from mediation.services.workflow import Context

from ..factories import TZ
from .server import browser_app, serving
from .test_page_widths import OVERFLOW

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_server(database_url, tmp_path):
    """The demo county with one notice circulated last week, and two open village cases."""
    app = browser_app(database_url, tmp_path)
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        demo.seed_demo(echo=lambda line: None, now=now)
        db.session.commit()
        county = db.session.scalar(select(User).where(User.username == "county"))
        cases = db.session.scalars(
            select(Case)
            .where(Case.level == Level.village, Case.status.in_([CaseStatus.in_mediation]))
            .order_by(Case.id)
        ).all()
        supervision.issue(
            county,
            cases[0],
            {"instruction": "请限期化解并书面报告。", "due_working_days": 2},
            ctx=Context.build(now - dt.timedelta(days=10), Policy(), TZ),
        )
        db.session.commit()
        run_sweep(now, policy=Policy(), tz=TZ, notifier=Notifier.from_config("inbox"))
        ids = [cases[1].id, cases[2].id]
        db.session.remove()
    with serving(app) as base:
        yield base, ids


def test_issue_merge_list_and_circular(demo_server, browser, tmp_path):
    base, (first, second) = demo_server
    folder = pathlib.Path(os.environ.get("SCREENSHOT_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    overflowing = []
    for width in (360, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("#username", "county")
        page.fill("#password", demo.DEMO_PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{base}/")
        if width == 360:
            page.goto(f"{base}/cases/{first}")
            page.click("text=下发督办单")
            page.fill("#instruction", "请五个工作日内报告调处进展。")
            page.fill("#due_working_days", "5")
            page.click("form[action$='/supervisions'] button[type=submit]")
            page.wait_for_url(f"{base}/cases/{first}")
            assert "督办单已下发" in page.content()
            number = page.locator("dl.facts dd").first.inner_text()
            page.goto(f"{base}/cases/{second}")
            page.click("text=将本案并入另一案件")
            page.fill("#into_number", number)
            page.fill("#merge-note", "同一纠纷，重复登记。")
            page.click("form[action$='/merge'] button[type=submit]")
            page.wait_for_url(f"{base}/cases/{first}")
            assert "并入本案的重复件" in page.content()
        month = Month.of(dt.datetime.now(dt.UTC), TZ)
        for path in (
            f"/cases/{first}",
            f"/cases/{second}",
            "/supervisions",
            f"/supervisions/circular?month={month}",
            f"/supervisions/circular?month={month.previous()}",
        ):
            response = page.goto(f"{base}{path}")
            assert response.status == 200, path
            name = "county" + path.replace("/", "_").replace("?", "_") + f"-{width}.png"
            page.screenshot(path=str(folder / name), full_page=True)
            excess = page.evaluate(OVERFLOW)
            if excess > 0:
                overflowing.append(f"{path} at {width} px: {excess} px too wide")
        context.close()
    assert not overflowing, "\n".join(overflowing)
