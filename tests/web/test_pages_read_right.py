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


def test_the_list_shows_a_paused_case_s_next_deadline_as_paused(client, world, login, make):
    case = make.case(world.mediator, title="暂停的纠纷")
    now = dt.datetime.now(dt.UTC)
    act(world.mediator, case, Action.accept, now=now)
    act(world.mediator, case, Action.pause, {"note": "等待鉴定"}, now=now)
    login(world.mediator)
    row = row_of(client.get("/cases").get_data(as_text=True), case)
    assert "tone-paused" in row and '<span class="paused-mark">已暂停</span>' in row


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


# --- the written agreement --------------------------------------------------------------------

ID = "410522198503121233"  # the factory's applicant 张三


def version_of(case) -> int:
    db.session.expire_all()
    return db.session.get(Case, case.id).version


def resolve_in_writing(client, case, **fields):
    client.post(f"/cases/{case.id}/actions/accept", data={"version": version_of(case)})
    data = {
        "version": version_of(case),
        "agreement_form": "written",
        "agreement_points": "房檐滴水是否侵害张三宅基地",
        "agreement_responsibilities": "李四建房未留滴水距离，负全部责任。",
        "agreement_terms": "李四于十日内改建房檐。",
    }
    return client.post(f"/cases/{case.id}/actions/resolve", data=data | fields)


def print_of(client, case) -> str:
    db.session.expire_all()
    [agreement] = db.session.get(Case, case.id).agreements
    response = client.get(f"/cases/{case.id}/agreements/{agreement.id}/print")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(doc: str, heading: str) -> str:
    return doc.split(f"<h2>{heading}</h2>")[1].split("</section>")[0]


def test_the_resolve_form_records_points_and_responsibilities_for_the_print(
    client, world, login, make
):
    case = make.case(world.mediator)
    login(world.mediator)
    assert resolve_in_writing(client, case).status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "李四建房未留滴水距离，负全部责任。" in page
    doc = print_of(client, case)
    assert "李四建房未留滴水距离，负全部责任。" in section(doc, "各方当事人的责任")
    assert "未单独列明" not in section(doc, "各方当事人的责任")
    points = section(doc, "争议事项")
    assert "房檐滴水是否侵害张三宅基地" in points and case.title not in points
    assert 'class="print-button' in doc and "print.js" in doc


def test_too_long_responsibilities_are_refused_by_their_field(client, world, login, make):
    case = make.case(world.mediator)
    login(world.mediator)
    response = resolve_in_writing(client, case, agreement_responsibilities="责" * 5001)
    assert response.status_code == 422
    assert 'name="agreement_responsibilities"' in response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert 'data-field="agreement_responsibilities"' in page
    assert db.session.get(Case, case.id).status is CaseStatus.in_mediation


def test_the_print_shows_full_id_numbers_to_officers_and_logs_each(client, world, login, make):
    from mediation.models.cases import IdAccessLog

    case = make.case(world.mediator)
    login(world.mediator)
    resolve_in_writing(client, case)
    doc = print_of(client, case)
    assert "4105**********1233" in doc and ID not in doc  # a mediator: the mask
    assert db.session.scalar(db.select(db.func.count()).select_from(IdAccessLog)) == 0

    client.post("/logout")
    login(world.township_officer)
    doc = print_of(client, case)
    assert ID in section(doc, "当事人")
    [entry] = db.session.scalars(db.select(IdAccessLog)).all()
    assert (entry.user_id, entry.case_id, entry.party_id) == (
        world.township_officer.id,
        case.id,
        case.parties[0].id,
    )


def test_the_api_takes_and_gives_responsibilities(client, world, login, make):
    case = make.case(world.mediator)
    login(world.mediator)
    accept = {"action": "accept", "version": version_of(case)}
    assert client.post(f"/api/v1/cases/{case.id}/actions", json=accept).status_code == 200
    version = version_of(case)
    body = {
        "action": "resolve",
        "version": version,
        "agreement": {"form": "written", "terms": "改建房檐", "responsibilities": "李四负责"},
    }
    assert client.post(f"/api/v1/cases/{case.id}/actions", json=body).status_code == 200
    [agreement] = client.get(f"/api/v1/cases/{case.id}").get_json()["agreements"]
    assert agreement["responsibilities"] == "李四负责"


# --- search and history -----------------------------------------------------------------------


def find(client, number):
    """The list page's ID number search: a POST, answered by the list filtered by a key."""
    response = client.post("/cases/find-person", data={"id_number": number})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert ID not in location  # the number never appears in a URL
    return client.get(location).get_data(as_text=True)


def test_search_by_id_number_finds_the_person_within_the_area(client, world, login, make):
    person = [{"name": "张三", "role": "applicant", "id_number": ID}]
    west = make.case(world.mediator, parties=person, title="西裴村的纠纷")
    north = make.case(world.mediator_other_township, parties=person, title="北关村的纠纷")
    make.case(world.mediator, parties=[{"name": "王五", "role": "applicant"}], title="别人")
    login(world.township_officer)
    assert 'action="/cases/find-person"' in client.get("/cases").get_data(as_text=True)
    page = find(client, f"{ID[:6]} {ID[6:]}")
    assert f'href="/cases/{west.id}"' in page
    assert f'href="/cases/{north.id}"' not in page and "别人" not in page
    client.post("/logout")
    login(world.county_officer)
    page = find(client, ID)
    assert f'href="/cases/{west.id}"' in page and f'href="/cases/{north.id}"' in page


def test_a_bad_id_number_search_says_so_and_lists_nothing_new(client, world, login, make):
    login(world.township_officer)
    response = client.post("/cases/find-person", data={"id_number": "410522198503121234"})
    assert response.status_code == 302 and "person_key" not in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "身份证号" in page and "18位" in page
    assert (
        client.get("/cases?person_key=zzz").get_data(as_text=True).count('data-field="person_key"')
    )


def test_the_intake_notice_links_to_the_earlier_disputes(client, world, login, make):
    person = [{"name": "张三", "role": "applicant", "id_number": ID}]
    earlier = make.case(world.mediator, parties=person, title="以往的纠纷")
    login(world.mediator)
    answer = client.post("/cases/earlier-disputes", data={"id_number": ID}).get_json()
    assert answer["count"] == 1 and ID not in answer["url"]
    assert f'href="/cases/{earlier.id}"' in client.get(answer["url"]).get_data(as_text=True)


def test_other_disputes_link_to_those_cases_within_the_area(client, world, login, make):
    person = [{"name": "张三", "role": "applicant", "id_number": ID}]
    west = make.case(world.mediator, parties=person, title="西裴村的纠纷")
    east = make.case(world.mediator_east, parties=person, title="东裴村的纠纷")
    north = make.case(world.mediator_other_township, parties=person, title="北关村的纠纷")
    login(world.township_officer)
    page = client.get(f"/cases/{west.id}").get_data(as_text=True)
    party = db.session.get(Case, west.id).parties[0]
    link = re.search(r'<small class="other-disputes"><a href="([^"]+)">', page).group(1)
    assert link == f"/cases?person={party.id}"
    listed = client.get(link).get_data(as_text=True)
    assert f'href="/cases/{east.id}"' in listed
    assert f'href="/cases/{west.id}"' not in listed  # the case itself
    assert f'href="/cases/{north.id}"' not in listed  # outside the township


def test_the_person_filter_of_another_area_is_refused_by_name(client, world, login, make):
    person = [{"name": "张三", "role": "applicant", "id_number": ID}]
    north = make.case(world.mediator_other_township, parties=person)
    party = db.session.get(Case, north.id).parties[0]
    login(world.township_officer)
    response = client.get(f"/cases?person={party.id}")
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    assert 'data-field="person"' in page and f'href="/cases/{north.id}"' not in page
    assert "person：您的辖区内没有该当事人。" in page
