"""Intake without a signal: a mediator's phone captures cases offline, keeps them through a
reload and a browser restart, and sends them exactly once when the connection is back."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from ..photos import small_png
from .conftest import CHROMIUM

pytestmark = pytest.mark.browser

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def open_context(browser, profile):
    """A persistent Chromium profile: IndexedDB, caches and the service worker survive a close."""
    return browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=ARGS,
        locale="zh-CN",
        viewport={"width": 360, "height": 780},
        service_workers="allow",
    )


def sign_in(page, base, username="xipei", then=""):
    page.goto(f"{base}/login" + (f"?next={then}" if then else ""))
    page.fill("#username", username)
    page.fill("#password", "correct-horse-9")
    page.click("button[type=submit].primary")
    expect(page.locator("h1")).to_be_visible()


def wait_for_worker(page):
    """The service worker controls the page and has its caches (one visit online)."""
    page.wait_for_function(
        "navigator.serviceWorker.ready.then(() => caches.keys())"
        ".then(k => k.find(n => n.startsWith('fengqiao-pages-')))"
        ".then(name => name && caches.open(name)).then(c => c && c.keys())"
        ".then(k => !!k && k.length === 2)"
    )


def capture(page, title, parties=2):
    page.fill("#title", title)
    page.select_option("#category", "neighbor")
    page.select_option("#source", "party_application")
    page.fill("#people_involved", "2")
    page.fill("#description", f"{title}：双方因排水沟发生争执。")
    names = ["张建国", "李桂兰", "王五"]
    for i in range(parties):
        if i:
            page.click("#add-party")
        page.fill(f"#parties-{i}-name", names[i])
        page.select_option(f"#parties-{i}-role", "applicant" if i == 0 else "respondent")
    page.click("button[name=save]")


def shoot(page, tmp_path, name):
    """Screenshots at 360 and 1280 px (in SCREENSHOT_DIR when set); no sideways scrolling."""
    folder = pathlib.Path(os.environ.get("SCREENSHOT_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
    page.set_viewport_size({"width": 360, "height": 780})


def wait_until(page, condition, seconds=20):
    """Let the page run (its events reach our handlers) until ``condition()`` holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def cases(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT title, received_at, created_at FROM cases ORDER BY id")
            ).all()
    finally:
        engine.dispose()


def as_utc(value) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC)


def offline_capture_of_two(browser, base, tmp_path):
    """Sign in, visit intake online, go offline, capture two cases, reload, close the browser.
    Returns the profile folder and the capture moments' bounds."""
    profile = tmp_path / "profile"
    context = open_context(browser, profile)
    page = context.new_page()
    sign_in(page, base)
    page.goto(f"{base}/cases/new")
    wait_for_worker(page)
    context.set_offline(True)
    page.reload()  # served by the service worker
    expect(page.locator("#offline-status")).to_be_visible()
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    capture(page, "排水沟纠纷一")
    expect(page.locator("#queue-list > li")).to_have_count(1)
    capture(page, "排水沟纠纷二", parties=3)
    expect(page.locator("#queue-list > li")).to_have_count(2)
    after = dt.datetime.now(dt.UTC)
    expect(page.locator("#queue-count")).to_have_text("2")
    expect(page.locator("#queue-link")).to_contain_text("待上传")
    page.reload()
    expect(page.locator("#queue-list > li.queued-pending")).to_have_count(2)
    page.goto(f"{base}/")  # the home page as last seen, offline
    expect(page.locator("h1")).to_contain_text("西裴村")
    expect(page.locator("#queue-count")).to_have_text("2")
    context.close()
    return profile, before, after


def test_cases_captured_offline_survive_a_restart_and_are_sent_once(
    live_server, browser, database_url, tmp_path
):
    base, _ = live_server
    profile, before, after = offline_capture_of_two(browser, base, tmp_path)
    assert cases(database_url) == []

    context = open_context(browser, profile)
    context.set_offline(True)
    page = context.new_page()
    page.goto(f"{base}/cases/new")
    expect(page.locator("#queue-list > li.queued-pending")).to_have_count(2)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    # The browser restart ended the session: the page asks to sign in again, nothing is lost.
    expect(page.locator("#offline-status")).to_contain_text("重新登录", timeout=20000)
    expect(page.locator("#queue-list > li.queued-pending")).to_have_count(2)
    assert cases(database_url) == []
    page.click("#offline-status a")
    page.fill("#username", "xipei")
    page.fill("#password", "correct-horse-9")
    page.click("button[type=submit].primary")
    expect(page.locator("#queue-list > li.queued-sent")).to_have_count(2, timeout=20000)
    expect(page.locator("#queue-link")).to_be_hidden()
    number = page.locator("#queue-list > li.queued-sent a.case-number").first
    expect(number).to_have_text(__import__("re").compile(r"^410522-"))
    page.reload()  # sending again on load changes nothing
    expect(page.locator("#queue-list > li.queued-sent")).to_have_count(2)
    number.click()
    expect(page.locator("h1")).to_contain_text("排水沟纠纷一")
    context.close()

    rows = cases(database_url)
    assert [row.title for row in rows] == ["排水沟纠纷一", "排水沟纠纷二"]
    for row in rows:
        received = as_utc(row.received_at)
        assert before <= received <= after, (received, before, after)
        assert as_utc(row.created_at) > after  # registered later, dated at the capture


def test_a_send_that_drops_is_retried_without_a_second_case(
    live_server, browser, database_url, tmp_path
):
    base, _ = live_server
    profile, _, _ = offline_capture_of_two(browser, base, tmp_path)
    context = open_context(browser, profile)
    page = context.new_page()
    dropped = []

    def drop_answer(route):
        # The request reaches the server (the case is made), the answer is lost on the way.
        if not dropped:
            dropped.append(route.request.headers.get("idempotency-key"))
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/cases", drop_answer)
    sign_in(page, base, then="/cases/new")  # the restart ended the session
    expect(page).to_have_url(f"{base}/cases/new")
    expect(page.locator("#offline-status")).to_contain_text("再次尝试", timeout=20000)
    assert len(dropped) == 1 and len(cases(database_url)) == 1
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#queue-list > li.queued-sent")).to_have_count(2, timeout=20000)
    context.close()
    assert [row.title for row in cases(database_url)] == ["排水沟纠纷一", "排水沟纠纷二"]


def test_an_entry_the_server_refuses_shows_the_field_and_is_kept(
    live_server, browser, database_url, tmp_path
):
    base, _ = live_server
    context = open_context(browser, tmp_path / "profile")
    page = context.new_page()
    sign_in(page, base)
    page.goto(f"{base}/cases/new")
    wait_for_worker(page)
    context.set_offline(True)
    page.reload()
    capture(page, "人数写错的纠纷")
    # Saved again after an edit: the people count is not a number.
    page.click(".queue-edit")
    page.fill("#people_involved", "两人")
    page.click("button[name=save]")
    expect(page.locator("#queue-list > li")).to_have_count(1)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    refused = page.locator("#queue-list > li.queued-error")
    expect(refused).to_be_visible(timeout=20000)
    expect(refused.locator(".error[data-field=people_involved]")).to_be_visible()
    page.reload()
    expect(page.locator("#queue-list > li.queued-error")).to_have_count(1)
    expect(page.locator("#queue-count")).to_have_text("1")
    shoot(page, tmp_path, "offline-intake-refused")
    assert cases(database_url) == []
    # Corrected and sent again with the same key: registered.
    page.click(".queue-edit")
    expect(page.locator(".error[data-field=people_involved]").first).to_be_visible()
    page.fill("#people_involved", "2")
    page.click("button[name=save]")
    expect(page.locator("#queue-list > li.queued-sent")).to_have_count(1, timeout=20000)
    assert [row.title for row in cases(database_url)] == ["人数写错的纠纷"]
    context.close()


def test_signing_out_warns_forgets_the_pages_and_keeps_the_queue_for_its_user(
    live_server, browser, database_url, tmp_path
):
    base, _ = live_server
    context = open_context(browser, tmp_path / "profile")
    page = context.new_page()
    sign_in(page, base)
    page.goto(f"{base}/cases/new")
    wait_for_worker(page)
    context.set_offline(True)
    page.reload()
    capture(page, "退出前未上传的纠纷")
    expect(page.locator("#queue-count")).to_have_text("1")
    context.set_offline(False)
    posts = []
    context.route("**/api/v1/cases", lambda route: (posts.append(1), route.abort())[1])
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.click("#logout-form button")
    wait_until(page, lambda: dialogs)  # asked once the queue has been counted
    assert "1" in dialogs[0] and "下次登录" in dialogs[0]
    expect(page.locator("h1")).to_contain_text("登记")  # dismissed: still signed in
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#logout-form button")
    expect(page).to_have_url(f"{base}/login")
    names = page.evaluate("caches.keys()")
    assert names and not [name for name in names if name.startswith("fengqiao-pages-")]
    # Another mediator on the same phone: the entry is neither shown nor sent.
    posts.clear()
    sign_in(page, base, "dongpei")
    page.goto(f"{base}/cases/new")
    expect(page.locator("#queue")).to_be_hidden()
    expect(page.locator("#queue-link")).to_be_hidden()
    page.wait_for_timeout(500)
    assert posts == [] and cases(database_url) == []
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#logout-form button")
    expect(page).to_have_url(f"{base}/login")
    # Its own mediator signs in again: it is sent.
    context.unroute("**/api/v1/cases")
    sign_in(page, base)
    page.goto(f"{base}/cases/new")
    expect(page.locator("#queue-list > li.queued-sent")).to_have_count(1, timeout=20000)
    assert [row.title for row in cases(database_url)] == ["退出前未上传的纠纷"]
    context.close()


def test_over_plain_http_on_another_host_offline_intake_is_unavailable(browser, live_server):
    base, _ = live_server
    port = base.rsplit(":", 1)[1]
    other = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*ARGS, "--host-resolver-rules=MAP fengqiao.test 127.0.0.1"],
    )
    try:
        page = other.new_page(locale="zh-CN")
        sign_in(page, f"http://fengqiao.test:{port}")
        page.goto(f"http://fengqiao.test:{port}/cases/new")
        expect(page.locator("#offline-unavailable")).to_be_visible()
        expect(page.locator("#offline-unavailable")).to_contain_text("HTTPS")
        assert page.evaluate("window.isSecureContext") is False
    finally:
        other.close()
    # On 127.0.0.1 (a secure context) the notice stays hidden.
    page = browser.new_page(locale="zh-CN")
    sign_in(page, base)
    page.goto(f"{base}/cases/new")
    expect(page.locator("form.intake")).to_be_visible()
    expect(page.locator("#offline-unavailable")).to_be_hidden()
    page.context.close()


def test_the_intake_page_is_light_and_usable_over_a_slow_link(browser, live_server):
    """First load (nothing cached): every byte on the wire for the page, its CSS and scripts
    (no fonts are loaded: the system's). Then the same over 400 kbit/s with 400 ms latency,
    where a repeat visit fetches the page alone: its CSS and scripts come from the cache."""
    base, _ = live_server
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 360, "height": 780}, service_workers="block"
    )
    page = context.new_page()
    sign_in(page, base)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cached: set[str] = set()
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    cdp.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))

    def path(key):
        return urls[key].removeprefix(base).split("?")[0]

    page.goto(f"{base}/cases/new", wait_until="networkidle")
    loaded = {
        path(key): size
        for key, size in sizes.items()
        if key in urls and not urls[key].startswith("data:")
    }
    total = sum(loaded.values())
    print(f"\nintake first load: {total} bytes over {len(loaded)} requests: {loaded}")
    assert "/cases/new" in loaded and "/static/offline.js" in loaded
    assert total <= 150_000

    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    page.goto(f"{base}/cases/new", wait_until="networkidle")  # the browser keeps the assets
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 400,
            "downloadThroughput": 400_000 / 8,
            "uploadThroughput": 400_000 / 8,
        },
    )
    urls.clear()
    cached.clear()
    started = time.monotonic()
    page.goto(f"{base}/cases/new", wait_until="load")
    seconds = time.monotonic() - started
    expect(page.locator("#title")).to_be_editable()
    print(f"intake over 400 kbit/s, 400 ms: load event after {seconds:.1f} s")
    assert seconds < 10
    fetched = {path(key) for key in urls if key not in cached and "/static/" in urls[key]}
    assert fetched == set(), fetched  # no round trip to revalidate CSS or scripts
    context.close()


def test_an_upgrade_replaces_the_offline_caches(live_server, browser, tmp_path, monkeypatch):
    from mediation import offline

    base, _ = live_server
    context = open_context(browser, tmp_path / "profile")
    page = context.new_page()
    sign_in(page, base)
    page.goto(f"{base}/cases/new")
    wait_for_worker(page)
    first = sorted(page.evaluate("caches.keys()"))
    old = first[0].rsplit("-", 1)[1]
    assert first == [f"fengqiao-pages-{old}", f"fengqiao-static-{old}"]
    monkeypatch.setattr(offline, "version", lambda folder: "0123456789ab")  # a new release
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    page.wait_for_function(
        "caches.keys().then(k => k.length === 2 && k.every(n => n.endsWith('-0123456789ab')))"
    )
    page.wait_for_function(
        "caches.open('fengqiao-pages-0123456789ab').then(c => c.keys()).then(k => k.length === 2)"
    )
    # The new worker has claimed the page (until then the old one answers, from caches gone).
    page.wait_for_function(
        "navigator.serviceWorker.getRegistration().then(r => !!r && !!r.active"
        " && r.active.state === 'activated' && navigator.serviceWorker.controller === r.active)"
    )
    context.set_offline(True)
    page.reload()  # the new caches serve the page and its assets
    # Up to 20 s: under a loaded test run the worker's answer and the page's script take longer.
    expect(page.locator("form.intake")).to_be_visible(timeout=20_000)
    expect(page.locator("#offline-status")).to_be_visible(timeout=20_000)
    context.close()


def attachments(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT cases.title, attachments.name, attachments.kind FROM attachments "
                    "JOIN cases ON cases.id = attachments.case_id ORDER BY attachments.id"
                )
            ).all()
    finally:
        engine.dispose()


def test_a_photo_taken_offline_is_attached_once_the_case_is_sent(
    live_server, browser, database_url, tmp_path
):
    """The photo of the ditch taken in the field goes with the case: kept on the phone with
    it, sent after it with a key of its own, attached once even when the answer is lost."""
    base, _ = live_server
    context = open_context(browser, tmp_path / "profile")
    page = context.new_page()
    sign_in(page, base)
    page.goto(f"{base}/cases/new")
    wait_for_worker(page)
    context.set_offline(True)
    page.reload()
    page.set_input_files(
        "input[name=photos]",
        files=[{"name": "ditch.png", "mimeType": "image/png", "buffer": small_png()}],
    )
    capture(page, "排水沟照片纠纷")
    expect(page.locator("#queue-list .queue-photos")).to_contain_text("1")
    page.reload()  # the photo stays in IndexedDB with its entry
    expect(page.locator("#queue-list .queue-photos")).to_contain_text("1")
    # The first upload of the photo reaches the server but its answer is lost.
    dropped = []

    def drop_once(route):
        if not dropped:
            dropped.append(route.request.url)
            route.fetch()  # the server stores it…
            route.abort()  # …and the phone never hears so
        else:
            route.continue_()

    page.route("**/attachments", drop_once)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#queue-list > li.queued-sent")).to_have_count(1, timeout=45000)
    assert dropped
    assert [tuple(row) for row in attachments(database_url)] == [
        ("排水沟照片纠纷", "ditch.png", "photo")
    ]
    assert [row.title for row in cases(database_url)] == ["排水沟照片纠纷"]
    context.close()
