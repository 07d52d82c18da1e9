"""Each role's main pages over the demo county, on a phone (360 px) and a desktop (1280 px):
nothing scrolls sideways except a table inside a box that says it scrolls. Every page is saved
as a screenshot to be looked at: in ``SCREENSHOT_DIR`` when it is set, else the test's own
temporary folder."""

from __future__ import annotations

import datetime as dt
import os
import pathlib

import pytest

from mediation import demo
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep

from ..factories import TZ
from .server import browser_app, serving

pytestmark = pytest.mark.browser

PAGES = {
    "xipei": [
        "/",
        "/cases",
        "/cases/new",
        "/inbox",
        "/screenings/new",
        "{case}",
        "/account/notifications",
    ],
    "baibi": [
        "/",
        "/cases",
        "/inbox",
        "/scorecards",
        "/screenings",
        "/incidents",
        "{case}",
        "/statistics",
        "/ledger/import",
        "/supervisions",
        "{case}/dossier",
    ],
    "county": ["/", "/scorecards", "/incidents", "/statistics"],
    "leader": ["/", "/scorecards"],
    "admin": [
        "/",
        "/admin/users",
        "/admin/units",
        "/admin/policy",
        "/admin/calendar",
        "/admin/deliveries",
    ],
}
WIDTHS = (360, 1280)
# What overflows the page sideways: the document wider than the window.
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def demo_server(database_url, tmp_path):
    """The app on 127.0.0.1 over the demo county (swept once, as at first start)."""
    app = browser_app(database_url, tmp_path)
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        demo.seed_demo(echo=lambda line: None, now=now)
        db.session.commit()
        run_sweep(now, policy=Policy(), tz=TZ, notifier=Notifier.from_config("inbox"))
        db.session.remove()
    with serving(app) as base:
        yield base


def test_no_page_scrolls_sideways(demo_server, browser, tmp_path):
    folder = pathlib.Path(os.environ.get("SCREENSHOT_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    overflowing = []
    for width in WIDTHS:
        for username, paths in PAGES.items():
            context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
            page = context.new_page()
            page.goto(f"{demo_server}/login")
            page.fill("#username", username)
            page.fill("#password", demo.DEMO_PASSWORD)
            page.click("button[type=submit].primary")
            page.wait_for_url(f"{demo_server}/")
            for path in paths:
                if path.startswith("{case}"):
                    page.goto(f"{demo_server}/cases")
                    case = page.locator("table.cases td a").first.get_attribute("href")
                    path = path.replace("{case}", case)
                response = page.goto(f"{demo_server}{path}")
                assert response.status == 200, (username, path, response.status)
                name = f"{username}{path.replace('/', '_')}-{width}.png"
                page.screenshot(path=str(folder / name), full_page=True)
                excess = page.evaluate(OVERFLOW)
                if excess > 0:
                    overflowing.append(f"{username} {path} at {width} px: {excess} px too wide")
            context.close()
    assert not overflowing, "\n".join(overflowing)
