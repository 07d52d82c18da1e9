"""A real server on a free port and headless Chromium (Debian's) driven by playwright."""

from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

from mediation import create_app
from mediation.extensions import db

from ..factories import Factory

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def live_server(database_url, tmp_path):
    """The app on 127.0.0.1 with CSRF on, as users get it, over a fresh database."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "MEDIATION_DEMO": False,
            "AUTO_SETUP": False,
            "SECRET_KEY": "browser-test",
        },
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        world = Factory().world()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", world
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


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
