"""A village mediator on a phone attaches a photo to a case from its page and sees its
thumbnail, records a mediation session; the dossier opens from the case page with the photo in
its list. The case page and the dossier are saved as screenshots at 360 and 1280 px (in
``SCREENSHOT_DIR`` when set) and neither scrolls sideways."""

import datetime as dt
import os
import pathlib

import pytest
from playwright.sync_api import expect

from ..photos import phone_photo
from .test_intake_flow import sign_in

pytestmark = pytest.mark.browser


def test_a_mediator_uploads_a_photo_and_sees_its_thumbnail(live_server, page, tmp_path):
    base, _ = live_server
    sign_in(page, base, "xipei")
    page.goto(f"{base}/cases/new")
    page.fill("#title", "沟渠堵塞纠纷")
    page.select_option("#category", "neighbor")
    page.select_option("#source", "own_initiative")
    page.fill("#people_involved", "2")
    page.fill("#description", "上游农户堵塞沟渠，下游农田无法灌溉。")
    page.fill("#parties-0-name", "赵六")
    page.select_option("#parties-0-role", "applicant")
    page.get_by_role("button", name="登记案件").click()
    expect(page.locator("h1")).to_have_text("沟渠堵塞纠纷")

    upload = page.locator("#upload")
    expect(upload.locator("#upload-camera")).to_have_attribute("capture", "environment")
    upload.locator("#upload-file").set_input_files(
        {"name": "IMG_20261207_0930.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()}
    )
    upload.locator("#upload-kind").select_option("evidence")
    upload.locator("#upload-note").fill("堵塞处照片")
    upload.locator("button[type=submit]").click()

    expect(page.locator(".flash-success")).to_contain_text("IMG_20261207_0930.jpg")
    thumb = page.locator("ul.attachments img.thumb")
    expect(thumb).to_have_count(1)
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('ul.attachments img.thumb');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    size = thumb.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    assert max(size) == 320
    expect(page.locator("ul.attachments")).to_contain_text("堵塞处照片")
    expect(page.locator("ol.history")).to_contain_text("上传附件")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    accept = page.locator("#action-accept")
    accept.locator("summary").click()
    accept.locator("button[type=submit]").click()
    session = page.locator("#action-session")
    session.locator("summary").click()
    # the wall clock in Asia/Shanghai, this minute (the case was received just now)
    held = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")
    session.locator("#session-held_at").fill(held)
    session.locator("#session-place").fill("村委会调解室")
    session.locator("#session-participants").fill("赵六、钱七、调解员")
    session.locator("#session-summary").fill("双方同意清理沟渠，费用各半。")
    session.locator("button[type=submit]").click()
    expect(page.locator("ol.history")).to_contain_text("双方同意清理沟渠，费用各半。")

    folder = pathlib.Path(os.environ.get("SCREENSHOT_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    case_url = page.url.split("#")[0]
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        for name, url in (("case", case_url), ("dossier", case_url + "/dossier")):
            page.goto(url)
            page.screenshot(path=str(folder / f"casefile-{name}-{width}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(case_url)

    page.get_by_role("link", name="卷宗").click()
    expect(page.locator("#cover h1")).to_have_text("人民调解卷宗")
    expect(page.locator("#attachments img.thumb")).to_have_count(1)
    expect(page.locator("#attachments")).to_contain_text("IMG_20261207_0930.jpg")
