"""A real server on a free port and headless Chromium (Debian's) driven by playwright."""

from __future__ import annotations

import os

import pytest

from mediation.extensions import db

from ..factories import Factory
from .server import browser_app, serving

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def live_server(database_url, tmp_path):
    """The app on 127.0.0.1 over the test world (units and users, no cases)."""
    app = browser_app(database_url, tmp_path)
    with app.app_context():
        world = Factory().world()
        db.session.remove()
    with serving(app) as base:
        yield base, world


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()
