"""The workflow on the case page: action forms, errors, conflicts, clocks, the printed
agreement, and the list ordered by the nearest deadline."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from mediation.cases.agreements import split_terms
from mediation.cases.clocks import Tone, clock_tone, days_left, local_deadline, state_of
from mediation.domain.calendar import WorkCalendar
from mediation.domain.clocks import ClockState
from mediation.domain.enums import Action, CaseStatus, Clock, Level, Role
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Agreement, Case, CaseEvent
from mediation.services.workflow import Context, perform

from ..factories import TZ

UTC = dt.UTC


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ).astimezone(UTC)


def english(client):
    client.post("/lang/en", data={"next": "/"})
    return client


def page_of(client, case) -> str:
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(page: str, action: str) -> str:
    """The <details> of one action on the case page."""
    start = page.index(f'id="action-{action}"')
    return page[start : page.index("</details>", start)]


def events_of(case) -> int:
    return db.session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)
    )


def reload(case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def act(actor, case, action, raw=None, *, now):
    perform(
        actor, case, action, raw or {}, version=case.version, ctx=Context.build(now, Policy(), TZ)
    )
    db.session.commit()


# --- the actions shown ------------------------------------------------------------------------


def test_buttons_appear_only_for_who_may_act(client, world, login, make):
    case = make.case(world.mediator)
    login(world.mediator)
    page = page_of(client, case)
    assert f'action="/cases/{case.id}/actions/accept"' in page
    assert f'name="version" type="hidden" value="{case.version}"' in page
    assert "/actions/resolve" not in page  # not before it is accepted
    client.post("/logout")

    login(world.viewer)
    assert "/actions/" not in page_of(client, case)
    client.post("/logout")

    login(world.township_officer)
    page = page_of(client, case)
    assert "/actions/accept" not in page
    assert "/actions/reclassify" in page  # an officer may still change the scale
    response = client.post(f"/cases/{case.id}/actions/accept", data={"version": case.version})
    assert response.status_code == 403
    assert reload(case).status is CaseStatus.registered


def test_accepting_moves_the_case_into_mediation_and_the_history_grows(client, world, login, make):
    case = make.case(world.mediator)
    login(world.mediator)
    response = client.post(
        f"/cases/{case.id}/actions/accept", data={"version": case.version, "note": "已电话联系双方"}
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.id}"
    case = reload(case)
    assert case.status is CaseStatus.in_mediation and events_of(case) == 2
    page = page_of(client, case)
    assert "已电话联系双方" in page
    assert 'data-clock="accept" data-level="village" data-state="met"' in page
    assert "/actions/pause" in page and "/actions/resolve" in page


def test_a_pause_without_reason_is_refused_next_to_the_note(client, world, login, make):
    case = make.case(world.mediator)
    login(world.mediator)
    client.post(f"/cases/{case.id}/actions/accept", data={"version": case.version})
    case = reload(case)
    before = events_of(case)
    response = client.post(
        f"/cases/{case.id}/actions/pause", data={"version": case.version, "note": "  "}
    )
    assert response.status_code == 422
    pause = section(response.get_data(as_text=True), "pause")
    assert pause.split(">", 1)[0].endswith(" open")  # the form is open, with the error by the note
    assert 'class="error" data-field="note"' in pause
    assert 'id="pause-note"' in pause
    case = reload(case)
    assert case.status is CaseStatus.in_mediation and events_of(case) == before


def test_escalating_starts_the_township_clocks(client, world, login, make):
    case = make.case(world.mediator)
    login(world.mediator)
    client.post(f"/cases/{case.id}/actions/accept", data={"version": case.version})
    case = reload(case)
    response = client.post(
        f"/cases/{case.id}/actions/escalate",
        data={"version": case.version, "note": "双方分歧大，村级无法化解"},
    )
    assert response.status_code == 302
    case = reload(case)
    assert case.level is Level.township and case.status is CaseStatus.registered
    client.post("/logout")

    login(world.township_officer)
    page = page_of(client, case)
    assert 'data-clock="accept" data-level="township" data-state="running"' in page
    assert 'data-clock="settle" data-level="township" data-state="running"' in page
    assert 'data-clock="settle" data-level="village" data-state="met"' in page
    assert "双方分歧大，村级无法化解" in page
    assert "/actions/accept" in page and "/actions/assign_down" in page
    assert "西裴村" in section(page, "assign_down")  # the units below, for handing it back down


def test_a_follow_up_closes_the_case_and_shows_on_the_page(client, world, login, make):
    case = make.case(world.mediator)
    now = dt.datetime.now(UTC)
    act(world.mediator, case, Action.accept, now=now)
    act(
        world.mediator,
        case,
        Action.resolve,
        {"agreement": {"form": "oral", "terms": "口头道歉", "amount_yuan": ""}},
        now=now,
    )
    login(world.mediator)
    english(client)
    response = client.post(
        f"/cases/{case.id}/actions/follow_up",
        data={
            "version": reload(case).version,
            "performed": "y",
            "satisfied": "y",
            "note": "已道歉",
        },
    )
    assert response.status_code == 302
    assert reload(case).status is CaseStatus.closed
    page = page_of(client, case)
    assert "Follow-up visits" in page and "parties satisfied" in page and "已道歉" in page
    assert "Oral agreement" in page and "口头道歉" in page
    oral = db.session.scalar(select(Agreement).where(Agreement.case_id == case.id))
    assert client.get(f"/cases/{case.id}/agreements/{oral.id}/print").status_code == 404


# --- the written agreement -----------------------------------------------------------------------

TERMS = (
    "责任：李四建房时未留滴水距离，负主要责任。\n\n"
    "李四于十日内改建房檐，并赔偿张三1200元，当场付清。"
)


def test_a_written_agreement_prints_for_signing(client, world, login, make):
    case = make.case(world.mediator)
    login(world.mediator)
    english(client)
    client.post(f"/cases/{case.id}/actions/accept", data={"version": case.version})
    response = client.post(
        f"/cases/{case.id}/actions/resolve",
        data={
            "version": reload(case).version,
            "agreement_form": "written",
            "agreement_terms": TERMS,
            "agreement_amount_yuan": "1200",
        },
    )
    assert response.status_code == 302
    case = reload(case)
    assert case.status is CaseStatus.resolved
    agreement = db.session.scalar(select(Agreement).where(Agreement.case_id == case.id))
    page = page_of(client, case)
    url = f"/cases/{case.id}/agreements/{agreement.id}/print"
    assert url in page and "1,200.00" in page
    assert 'data-clock="judicial_confirmation"' in page and 'data-clock="follow_up"' in page

    doc = client.get(url).get_data(as_text=True)
    assert "People's Mediation Agreement" in doc
    assert "白壁镇西裴村 People's Mediation Committee" in doc
    assert "张三" in doc and "李四" in doc
    assert "4105**********1233" in doc and "410522198503121233" not in doc
    assert "两户因房檐滴水发生争执。" in doc  # the facts
    assert "负主要责任" in doc.split("Responsibilities of the parties")[1].split("Agreed terms")[0]
    assert "赔偿张三1200元" in doc
    assert (
        "Signature of the party (with fingerprint)" in doc and doc.count('class="sign-line"') == 3
    )
    assert "(Seal of the People's Mediation Committee)" in doc
    confirm_by = (agreement.agreed_at + dt.timedelta(days=30)).astimezone(TZ).date().isoformat()
    assert (
        f'data-confirm-by="{confirm_by}"' in doc and confirm_by in doc.split('class="judicial"')[1]
    )
    assert "print.css" in doc

    client.post("/logout")
    login(world.mediator_east)
    assert client.get(url).status_code == 404  # another village's case does not exist
    login(world.mediator)
    assert client.get(f"/cases/{case.id}/agreements/{agreement.id + 99}/print").status_code == 404


def test_the_terms_lend_their_responsibilities_section_to_the_document():
    sections = split_terms(TERMS)
    assert sections.responsibilities == "李四建房时未留滴水距离，负主要责任。"
    assert sections.terms.startswith("李四于十日内")
    assert split_terms("双方互谅。").responsibilities == ""


def test_a_resolve_without_terms_is_shown_by_the_terms_field(client, world, login, make):
    case = make.case(world.mediator)
    login(world.mediator)
    client.post(f"/cases/{case.id}/actions/accept", data={"version": case.version})
    response = client.post(
        f"/cases/{case.id}/actions/resolve",
        data={
            "version": reload(case).version,
            "agreement_form": "written",
            "agreement_terms": "",
            "agreement_amount_yuan": "abc",
        },
    )
    assert response.status_code == 422
    resolve = section(response.get_data(as_text=True), "resolve")
    assert (
        'data-field="agreement_terms"' in resolve
        and 'data-field="agreement_amount_yuan"' in resolve
    )
    assert reload(case).status is CaseStatus.in_mediation


# --- two officers at once -------------------------------------------------------------------------


def test_a_stale_version_shows_what_changed_and_overwrites_nothing(client, world, login, make):
    case = make.case(world.mediator)
    colleague = make.user("xipei2", Role.mediator, "410522100201")
    stale = case.version
    act(
        colleague, case, Action.accept, {"note": "我已受理，正在联系双方"}, now=dt.datetime.now(UTC)
    )
    before = events_of(case)

    login(world.mediator)
    english(client)
    response = client.post(
        f"/cases/{case.id}/actions/withdraw", data={"version": stale, "note": "当事人撤回"}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    notice = page[
        page.index('class="conflict"') : page.index("</ol>", page.index('class="conflict"'))
    ]
    assert "xipei2" in notice and "Accepted" in notice and "我已受理，正在联系双方" in notice
    case = reload(case)
    assert case.status is CaseStatus.in_mediation and events_of(case) == before
    withdraw = section(page, "withdraw")
    assert f'value="{case.version}"' in withdraw  # decide again with the fresh version
    assert "当事人撤回" in withdraw  # what the user typed is kept for that decision


def test_a_concurrent_write_caught_at_commit_is_the_same_409(
    client, world, login, make, monkeypatch
):
    case = make.case(world.mediator)
    login(world.mediator)

    def racing(*args, **kwargs):
        raise StaleDataError("version mismatch")

    monkeypatch.setattr("mediation.cases.views.perform", racing)
    response = client.post(f"/cases/{case.id}/actions/accept", data={"version": case.version})
    assert response.status_code == 409
    assert 'class="conflict"' in response.get_data(as_text=True)


def test_bad_requests_are_not_500s(client, world, login, make):
    case = make.case(world.mediator)
    login(world.mediator)
    assert client.post(f"/cases/{case.id}/actions/accept", data={}).status_code == 400
    assert client.post(f"/cases/{case.id}/actions/register", data={"version": 1}).status_code == 404
    assert client.post(f"/cases/{case.id}/actions/nonsense", data={"version": 1}).status_code == 404
    assert (
        client.post(f"/cases/{case.id + 99}/actions/accept", data={"version": 1}).status_code == 404
    )
    response = client.post(f"/cases/{case.id}/actions/resume", data={"version": case.version})
    assert response.status_code == 409  # not possible while registered: said on the case page
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert reload(case).status is CaseStatus.registered


# --- clocks ---------------------------------------------------------------------------------------


def test_clocks_show_working_days_left_and_a_provisional_2027(
    client, world, login, make, monkeypatch
):
    case = make.case(world.mediator, now=local(2026, 12, 28, 10, 0))  # a Monday
    monkeypatch.setattr("mediation.platform.runtime.utcnow", lambda: local(2026, 12, 30, 10, 0))
    login(world.mediator)
    english(client)
    page = page_of(client, case)
    settle = re.search(r'<tr class="tone-(\w+)" data-clock="settle".*?</tr>', page, re.DOTALL)
    assert settle.group(1) == "plenty"
    # Wed 14 h + Thu + Fri 1 Jan (guessed a working day) + Mon 4 Jan = 3.6 working days
    assert "2027-01-04 24:00" in settle.group(0) and "3.6 working days" in settle.group(0)
    assert "provisional (Mon–Fri, holidays of that year not yet entered)" in settle.group(0)
    accept = re.search(r'<tr class="tone-(\w+)" data-clock="accept".*?</tr>', page, re.DOTALL)
    assert accept.group(1) == "overdue" and "overdue by 0.4 working days" in accept.group(0)
    assert "provisional" not in accept.group(0)
    statutory = re.search(r'<tr class="tone-(\w+)" data-clock="statutory".*?</tr>', page, re.DOTALL)
    assert "28.0 calendar days" in statutory.group(0)


CALENDAR = WorkCalendar(holidays=set(), workdays=set(), entered_years=[])


def _deadline(**fields):
    base = {
        "clock": Clock.settle,
        "started_at": local(2026, 12, 1),
        "due_at": local(2026, 12, 10),
        "warn_at": local(2026, 12, 8),
        "met_at": None,
        "breached_at": None,
        "stopped_at": None,
        "is_working_days": True,
    }
    return SimpleNamespace(**(base | fields))


@pytest.mark.parametrize(
    ("fields", "now", "tone", "state"),
    [
        ({}, local(2026, 12, 1), Tone.plenty, ClockState.running),
        ({}, local(2026, 12, 9), Tone.warning, ClockState.running),
        ({}, local(2026, 12, 11), Tone.overdue, ClockState.breached),
        (
            {"stopped_at": local(2026, 12, 5), "met_at": local(2026, 12, 5)},
            local(2026, 12, 11),
            Tone.settled,
            ClockState.met,
        ),
        (
            {"stopped_at": local(2026, 12, 12), "breached_at": local(2026, 12, 10)},
            local(2026, 12, 13),
            Tone.overdue,
            ClockState.breached,
        ),
        ({"stopped_at": local(2026, 12, 5)}, local(2026, 12, 6), Tone.settled, ClockState.stopped),
        (
            {"clock": Clock.judicial_confirmation, "is_working_days": False},
            local(2027, 2, 20),
            Tone.settled,
            ClockState.stopped,
        ),
    ],
)
def test_the_colour_of_a_clock(fields, now, tone, state):
    deadline = _deadline(**fields)
    shown = state_of(deadline, now, None)
    assert clock_tone(shown, deadline, now) is tone and shown is state


def test_a_paused_clock_is_grey_blue_and_its_time_left_stands_still():
    deadline = _deadline()
    paused_at = local(2026, 12, 3, 12, 0)
    for now in (local(2026, 12, 4), local(2026, 12, 20)):
        state = state_of(deadline, now, paused_at)
        assert state is ClockState.paused and clock_tone(state, deadline, now) is Tone.paused
        left = days_left(deadline, now, CALENDAR, TZ, paused_at)
        assert left == days_left(deadline, paused_at, CALENDAR, TZ)
        assert left > 0


def test_an_informational_window_that_ended_shows_no_time_left():
    window = _deadline(clock=Clock.judicial_confirmation, is_working_days=False)
    assert days_left(window, local(2027, 2, 20), CALENDAR, TZ) is None


def test_a_deadline_at_midnight_reads_as_24_00():
    assert local_deadline(local(2027, 1, 5), TZ) == "2027-01-04 24:00"
    assert local_deadline(local(2027, 1, 5, 9, 30), TZ) == "2027-01-05 09:30"


# --- the list -------------------------------------------------------------------------------------


def test_the_list_sorts_by_the_nearest_running_deadline(client, world, login, make):
    finished = make.case(world.mediator, title="早已撤回", now=local(2026, 10, 30, 9, 0))
    act(
        world.mediator,
        finished,
        Action.withdraw,
        {"note": "当事人撤回"},
        now=local(2026, 10, 30, 11, 0),
    )
    later = make.case(world.mediator, title="后收的", now=local(2026, 11, 4, 9, 0))
    sooner = make.case(world.mediator, title="先收的", now=local(2026, 11, 2, 9, 0))
    login(world.mediator)
    page = client.get("/cases?sort=deadline").get_data(as_text=True)
    positions = [page.index(case.number) for case in (sooner, later, finished)]
    assert positions == sorted(positions)
    assert '<option value="deadline" selected>' in page
    row = page[page.index(sooner.number) : page.index("</tr>", page.index(sooner.number))]
    assert "2026-11-03 24:00" in row  # accept: one working day after Monday
    newest_first = client.get("/cases").get_data(as_text=True)
    assert newest_first.index(later.number) < newest_first.index(sooner.number)


def test_an_officer_takes_a_village_case_over_from_its_page(client, world, login, make):
    """提级: the county officer sees the action on a case held below him, needs a reason, and
    the case arrives at the county as on escalation, with 大事出乡 on record at once."""
    case = make.case(world.mediator)
    login(world.county_officer)
    page = page_of(client, case)
    assert f'action="/cases/{case.id}/actions/take_over"' in page
    refused = client.post(f"/cases/{case.id}/actions/take_over", data={"version": case.version})
    assert refused.status_code == 422 and reload(case).level is Level.village
    response = client.post(
        f"/cases/{case.id}/actions/take_over",
        data={"version": case.version, "note": "涉及多个部门，县级牵头"},
    )
    assert response.status_code == 302
    case = reload(case)
    assert (case.level, case.status, case.holder.code) == (
        Level.county,
        CaseStatus.registered,
        "410522000000",
    )
    kinds = {flag.kind.value for flag in case.flags}
    assert kinds == {"small_left_village", "big_left_township"}
    client.post("/logout")
    login(world.mediator)
    assert "/actions/" not in page_of(client, case)  # no longer the village's to act on
