"""A day in the office: the pages say what they mean, in Chinese, as each role reads them."""

from __future__ import annotations

import datetime as dt
import re

from mediation.domain.enums import Action, CaseStatus
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Case
from mediation.services.workflow import Context, perform

from ..factories import TZ


def act(actor, case, action, raw=None, *, now):
    case = db.session.get(Case, case.id)
    perform(
        actor, case, action, raw or {}, version=case.version, ctx=Context.build(now, Policy(), TZ)
    )
    db.session.commit()
    return case


def concluded_long_ago(make, world):
    """Settled on the spot 80 days ago and followed up: only the informational 30-day
    judicial-confirmation window is left, ended long ago."""
    at = dt.datetime.now(dt.UTC) - dt.timedelta(days=80)
    case = make.case(world.mediator, now=at, title="鸡啄菜苗纠纷")
    act(world.mediator, case, Action.accept, now=at + dt.timedelta(hours=1))
    agreement = {"agreement": {"form": "written", "terms": "赔偿菜苗损失", "amount_yuan": ""}}
    act(world.mediator, case, Action.resolve, agreement, now=at + dt.timedelta(hours=2))
    follow_up = {"performed": True, "satisfied": True, "relapse_risk": False, "note": "已赔偿"}
    case = act(world.mediator, case, Action.follow_up, follow_up, now=at + dt.timedelta(days=3))
    assert case.status is CaseStatus.closed
    return case


def row_of(page: str, case) -> str:
    return re.search(rf"<tr>\s*<td[^>]*><a href=\"/cases/{case.id}\".*?</tr>", page, re.S).group(0)


def test_a_concluded_case_is_not_shown_overdue_in_the_list(client, world, login, make):
    case = concluded_long_ago(make, world)
    login(world.mediator)
    page = client.get("/cases").get_data(as_text=True)
    row = row_of(page, case)
    assert "鸡啄菜苗纠纷" in row
    assert "tone-overdue" not in row and "逾期" not in row


def test_a_concluded_case_page_shows_the_window_ended_not_overdue(client, world, login, make):
    case = concluded_long_ago(make, world)
    login(world.mediator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    window = re.search(
        r'<tr class="tone-(\w+)" data-clock="judicial_confirmation".*?</tr>', page, re.S
    )
    assert window.group(1) == "settled"
    assert "逾期" not in window.group(0) and "已届满" in window.group(0)


def test_the_list_labels_the_received_column_as_a_time(client, world, login, make):
    make.case(world.mediator)
    login(world.mediator)
    page = client.get("/cases").get_data(as_text=True)
    assert "<th>收案时间</th>" in page and "受理数" not in page


def test_pause_and_paused_use_one_word(client, world, login, make):
    case = make.case(world.mediator)
    act(world.mediator, case, Action.accept, now=dt.datetime.now(dt.UTC))
    login(world.mediator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    pause = re.search(r'data-action="pause">\s*<summary>(.*?)</summary>', page).group(1)
    assert pause == "暂停" and "中止" not in page


def test_scale_reasons_and_amounts_use_chinese_punctuation(client, world, login, make):
    case = make.case(world.mediator, people_involved=6)
    act(world.mediator, case, Action.accept, now=dt.datetime.now(dt.UTC))
    agreement = {"agreement": {"form": "oral", "terms": "赔偿", "amount_yuan": "800"}}
    act(world.mediator, case, Action.resolve, agreement, now=dt.datetime.now(dt.UTC))
    login(world.mediator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "（≥5人）" in page and "(≥" not in page
    assert "协议金额：800.00元" in page and "协议金额:" not in page


def test_the_screening_deadline_reads_as_a_time(client, world, login):
    login(world.township_officer)
    page = client.get("/screenings?month=2026-12").get_data(as_text=True)
    assert "截止时间：2026-12-25 24:00。" in page and "当日" not in page


def test_mediators_and_officers_name_screening_reports_alike(client, world, login):
    for user in (world.mediator, world.township_officer):
        login(user)
        nav = re.search(r"<nav.*?</nav>", client.get("/").get_data(as_text=True), re.S).group(0)
        assert "排查报告" in nav and "月度排查<" not in nav
        client.post("/logout")
