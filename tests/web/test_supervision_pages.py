"""Supervision (督办) and merging (并单) through the pages: the forms on the case page, the
list of notices, the printable circular, and the intake's warning of a possible duplicate."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from mediation.domain.months import Month
from mediation.extensions import db
from mediation.models import Case, Supervision

from ..factories import TZ
from .test_intake import form as intake_form


def _latest_notice() -> Supervision:
    db.session.expire_all()
    return db.session.scalars(select(Supervision).order_by(Supervision.id.desc())).first()


def test_an_officer_issues_and_the_holder_replies_on_the_case_page(app, world, make, login):
    case = make.case(world.mediator)
    client = login(world.township_officer)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'action="/cases/{case.id}/supervisions"' in page
    answer = client.post(
        f"/cases/{case.id}/supervisions",
        data={"instruction": "请三日内上报进展", "due_working_days": "3"},
    )
    assert answer.status_code == 302
    notice = _latest_notice()
    assert (
        notice.instruction == "请三日内上报进展"
        and notice.issued_by_id == world.township_officer.id
    )
    bad = client.post(
        f"/cases/{case.id}/supervisions", data={"instruction": "x", "due_working_days": "0"}
    )
    assert bad.status_code == 422 and "工作日" in bad.get_data(as_text=True)
    client.post("/logout")

    client = login(world.mediator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "请三日内上报进展" in page and "已下发" in page
    assert '<a href="#supervision">本案有 1 份督办单待回复。</a>' in page  # at the top
    assert page.index("本案有 1 份督办单待回复") < page.index('id="supervision"')
    assert f'action="/cases/{case.id}/supervisions"' not in page  # not above the case
    assert f'action="/supervisions/{notice.id}/reply"' in page
    empty = client.post(f"/supervisions/{notice.id}/reply", data={"progress": " "})
    assert empty.status_code == 422
    assert (
        client.post(f"/supervisions/{notice.id}/reply", data={"progress": "已约谈双方"}).status_code
        == 302
    )
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "已约谈双方" in page and f'action="/supervisions/{notice.id}/reply"' not in page
    assert "督办单待回复" not in page
    assert client.get("/supervisions").status_code == 403  # the list is the officers'


def test_the_list_page_and_the_printable_circular(app, runner, world, make, login):
    case = make.case(world.mediator)
    client = login(world.county_officer)
    client.post(
        f"/cases/{case.id}/supervisions", data={"instruction": "限期化解", "due_working_days": "2"}
    )
    notice = _latest_notice()
    result = runner.invoke(
        args=["sweep", "--now", (notice.due_at + dt.timedelta(hours=2)).isoformat(), "--json"]
    )
    assert json.loads(result.output)["raised"]["supervision_circulated"] == 1
    listing = client.get("/supervisions?overdue=1").get_data(as_text=True)
    assert case.number in listing and "已通报" in listing
    assert case.number not in client.get(
        "/supervisions?open=0&overdue=0&unit=410522101000"
    ).get_data(as_text=True)
    month = Month.of(notice.due_at, TZ)
    circular = client.get(f"/supervisions/circular?month={month}")
    text = circular.get_data(as_text=True)
    assert circular.status_code == 200 and case.number in text and "限期化解" in text
    assert "circular.css" in text and "no-print" in text
    # the month before holds nothing; the township's circular is its own (it issued nothing)
    assert case.number not in client.get(
        f"/supervisions/circular?month={month.previous()}"
    ).get_data(as_text=True)
    client.post("/logout")
    township = login(world.township_officer)
    assert case.number not in township.get(f"/supervisions/circular?month={month}").get_data(
        as_text=True
    )
    assert township.get("/supervisions/circular?month=2026-13").status_code == 404


def test_a_duplicate_merged_from_the_case_page(app, world, make, login):
    kept = make.case(world.mediator, title="滴水纠纷（村里登记）")
    duplicate = make.case(
        world.mediator,
        title="滴水纠纷（12345热线）",
        parties=[
            {"name": "王五", "role": "applicant"},
            {"name": "李四", "role": "respondent"},
        ],
    )
    client = login(world.township_officer)
    page = client.get(f"/cases/{duplicate.id}").get_data(as_text=True)
    assert f'action="/cases/{duplicate.id}/merge"' in page
    assert kept.number in page  # offered as a possible duplicate: 李四 in the same village
    refused = client.post(
        f"/cases/{duplicate.id}/merge", data={"into_number": "410522-2026-999999", "note": "同一"}
    )
    assert refused.status_code == 422
    answer = client.post(
        f"/cases/{duplicate.id}/merge", data={"into_number": kept.number, "note": "同一纠纷"}
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/cases/{kept.id}")
    kept_page = client.get(f"/cases/{kept.id}").get_data(as_text=True)
    assert duplicate.number in kept_page and "王五" in kept_page  # its parties shown here
    dup_page = client.get(f"/cases/{duplicate.id}").get_data(as_text=True)
    assert "merged-banner" in dup_page and f'href="/cases/{kept.id}"' in dup_page
    assert "/actions/" not in dup_page and f'action="/cases/{duplicate.id}/merge"' not in dup_page
    db.session.expire_all()
    assert db.session.get(Case, duplicate.id).merged_into_id == kept.id
    client.post("/logout")
    mediator = login(world.mediator)
    assert (
        mediator.post(
            f"/cases/{kept.id}/merge", data={"into_number": duplicate.number, "note": "x"}
        ).status_code
        == 403
    )


def test_intake_warns_of_an_open_case_of_the_same_person(app, world, make, login):
    earlier = make.case(world.mediator)  # 张三 with the ID number of the intake form
    by_name = make.case(
        world.mediator,
        parties=[{"name": "李四", "role": "applicant"}, {"name": "赵六", "role": "respondent"}],
    )
    other_village = make.case(
        world.mediator_east,
        parties=[{"name": "李四", "role": "applicant"}, {"name": "钱七", "role": "respondent"}],
    )
    client = login(world.county_officer)
    answer = client.post("/cases/new", data=intake_form(), follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "flash-warning" in page
    warning = page.split("flash-warning", 1)[1].split("</p>", 1)[0]
    assert earlier.number in warning and by_name.number in warning
    assert other_village.number not in warning  # 李四 of another village is someone else
    # a concluded case is no duplicate to warn of
    client.post("/logout")
    client = login(world.township_officer)
    client.post(
        f"/cases/{by_name.id}/merge", data={"into_number": earlier.number, "note": "同一纠纷"}
    )
    page = client.post("/cases/new", data=intake_form(), follow_redirects=True).get_data(
        as_text=True
    )
    warning = page.split("flash-warning", 1)[1].split("</p>", 1)[0]
    assert earlier.number in warning and by_name.number not in warning


def test_a_mediator_outside_the_area_finds_nothing(app, world, make, login):
    case = make.case(world.mediator)
    client = login(world.other_township_officer)
    assert (
        client.post(
            f"/cases/{case.id}/supervisions", data={"instruction": "x", "due_working_days": "3"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/cases/{case.id}/merge", data={"into_number": case.number, "note": "x"}
        ).status_code
        == 404
    )
