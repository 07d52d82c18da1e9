"""Home pages answer "what must I do today": the mediator's cases at her village by nearest
deadline, her follow-up visits and screening report; the officers' big and major cases open in
their area wherever they are handled; the inbox names its case or its village and month."""

import datetime as dt
import re

from mediation.domain.policy import Policy
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep

from ..factories import TZ

BIG = {"category": "land_acquisition", "people_involved": 8, "title": "征地补偿分配纠纷"}
MAJOR = {"category": "labor", "people_involved": 35, "title": "工地欠薪纠纷"}


def section(page: str, heading: str) -> str:
    """The HTML from a heading to the next h2."""
    start = page.index(heading)
    end = page.find("<h2", start + 1)
    return page[start : end if end > 0 else len(page)]


def test_the_mediators_day(client, world, login, make):
    here = make.case(world.mediator, title="院墙倒塌赔偿纠纷")
    above = make.case(world.township_officer, village_code="410522100201", title="乡镇接报纠纷")
    received = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    settled = make.case(
        world.mediator,
        title="耕牛走失赔偿纠纷",
        received_at=received.isoformat(),
        resolved_at=(received + dt.timedelta(hours=2)).isoformat(),
        agreement={"form": "oral", "terms": "赔偿八百元。"},
    )
    login(world.mediator)
    page = client.get("/").get_data(as_text=True)
    todo = section(page, "本村待办")
    assert here.title in todo and "工作日" in todo  # days left, in working days
    assert "受理" in todo  # the nearest clock: accept
    # A case held at the township is not hers to accept; each case is listed once.
    assert above.title not in page
    assert page.count(f'/cases/{here.id}"') == 2  # number and title of one row
    follow = section(page, "待回访")
    assert settled.title in follow and "回访" in follow and "天" in follow
    assert settled.title not in todo
    assert "月度排查报告" in page and "还剩" in page and "/screenings/new" in page


def test_the_township_sees_big_and_major_cases_held_at_the_village(client, world, login, make):
    big = make.case(world.mediator, **BIG)
    major = make.case(world.mediator, **MAJOR)
    small = make.case(world.mediator, title="鸡鸭毁苗纠纷")
    elsewhere = make.case(world.mediator_other_township, **{**BIG, "title": "水冶征地纠纷"})
    login(world.township_officer)
    page = client.get("/").get_data(as_text=True)
    listed = section(page, "辖区内在办的较大、重大纠纷")
    assert big.title in listed and major.title in listed
    assert small.title not in listed and elsewhere.title not in page
    assert "工作日" in listed
    client.post("/logout")
    login(world.county_officer)
    listed = section(client.get("/").get_data(as_text=True), "辖区内在办的较大、重大纠纷")
    assert big.title in listed and major.title in listed and elsewhere.title in listed


def test_the_screening_flag_leads_to_the_screening_reports(client, world, login, make):
    received = dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ)
    make.case(world.mediator, now=received, received_at=received.isoformat())
    run_sweep(
        dt.datetime(2026, 12, 1, 8, tzinfo=TZ),
        policy=Policy(),
        tz=TZ,
        notifier=Notifier.from_config("inbox"),
    )
    login(world.mediator)
    page = client.get("/").get_data(as_text=True)
    link = re.search(r'<a href="([^"]*)"><span class="badge flag-screening_missing"', page)
    assert link and link.group(1).startswith("/screenings")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "白壁镇西裴村 · 2026年10月" in inbox and "白壁镇西裴村 · 2026年11月" in inbox
    note_id = re.search(
        r'/inbox/(\d+)/read"[^<]*<input[^>]*>\s*<button[^>]*>\s*<span class="badge flag-screening',
        inbox,
    ).group(1)
    response = client.post(f"/inbox/{note_id}/read")
    assert response.headers["Location"].startswith("/screenings?month=2026-1")


def test_a_warning_followed_by_its_breach_is_not_told_twice(client, world, login, make):
    received = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
    case = make.case(
        world.township_officer,
        now=received,
        received_at=received.isoformat(),
        village_code="410522100201",
        **BIG,
    )
    for day in (13, 20):  # past the warning, then past the township's deadline
        run_sweep(
            dt.datetime(2026, 11, day, 8, tzinfo=TZ),
            policy=Policy(),
            tz=TZ,
            notifier=Notifier.from_config("inbox"),
        )
    login(world.township_officer)
    inbox = client.get("/inbox?show=all").get_data(as_text=True)
    assert case.title in inbox
    assert "flag-settle_breached" in inbox and "flag-settle_warning" not in inbox


def test_the_county_leader_sees_the_trend_and_level_mix(client, world, login, make):
    received = dt.datetime.now(dt.UTC) - dt.timedelta(hours=6)
    for title in ("甲纠纷", "乙纠纷"):
        make.case(
            world.mediator,
            title=title,
            received_at=received.isoformat(),
            resolved_at=(received + dt.timedelta(hours=1)).isoformat(),
            agreement={"form": "oral", "terms": "双方和解。"},
        )
    login(world.viewer)
    page = client.get("/").get_data(as_text=True)
    trend = section(page, "全县概览")
    assert trend.count('<svg class="chart"') == 2 and "化解层级分布" in page
    mix = page[page.index('id="level-mix"') :]
    assert "村 100%" in mix and "村: <strong>100%" in mix and "目标 70%" in mix
    client.post("/logout")
    login(world.township_officer)
    assert "全县概览" not in client.get("/").get_data(as_text=True)


def test_months_without_data_draw_no_score(app, world, make):
    from mediation.domain.months import Month
    from mediation.models import Unit
    from mediation.services.scorecard import history

    make.case(
        world.mediator,
        now=dt.datetime(2026, 11, 3, 2, tzinfo=dt.UTC),
        received_at="2026-11-03T10:00:00+08:00",
    )
    county = Unit.query.filter_by(code="410522000000").one()
    points = history(county, Month(2026, 11), count=4, policy=Policy(), tz=TZ)
    assert [p.score for p in points[:3]] == [None, None, None]
    assert [p.three_zero_rate for p in points[:3]] == [None, None, None]
    assert points[3].score is not None and points[3].received == 1


def test_the_officers_own_cases_come_nearest_deadline_first(client, world, login, make):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    later = make.case(world.township_officer, village_code="410522100201", title="后到纠纷")
    earlier = make.case(
        world.township_officer,
        village_code="410522100202",
        title="先到纠纷",
        now=old,
        received_at=old.isoformat(),
    )
    login(world.township_officer)
    held = section(client.get("/").get_data(as_text=True), "本级在办案件")
    assert held.index(earlier.title) < held.index(later.title)
    assert "工作日" in held


def test_a_paused_case_on_the_home_page_shows_its_time_left_frozen(client, world, login, make):
    from ..api.casework import act

    case = make.case(world.mediator, **BIG)
    act(world.mediator, case, "accept")
    act(world.mediator, case, "pause", note="当事人外出务工")
    login(world.township_officer)
    listed = section(client.get("/").get_data(as_text=True), "辖区内在办的较大、重大纠纷")
    row = listed[listed.index(f'data-case="{case.id}"') :]
    row = row[: row.index("</tr>")]
    assert "暂停" in row and "不计时" in row and "tone-paused" in listed
