"""Every route × every role, inside and outside the scope of the object in the URL.

docs/rules.md#units-and-roles: a case outside a user's subtree does not exist for that user
(404, not 403), in every view, export, search, API call and autocomplete; a role that may not do
something gets 403.

One village of 白壁镇, 藏锋村, holds a case (resolved with a written agreement), a second case
the sweep flagged (so there are notifications), an incident and a screening report, each with
a unique text. For each role there is a user whose area holds that village and one whose area
does not. ROUTES says, for each route of the app, what each role inside gets; outside, a route
with an object in its URL answers 404 and any other answers as inside. Whatever the outsider
asks, no answer (page, JSON, CSV, XLSX) contains any of the village's texts, and a POST of an
outsider changes nothing in the database.

A route added to the app without a row here fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import select

from mediation.domain.enums import AttachmentKind, Level, Role
from mediation.domain.incidents import parse_incident, parse_screening, screening_due_at
from mediation.domain.months import Month
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Agreement, Case, Delivery, Notification
from mediation.services import supervision
from mediation.services.attachments import Upload, attach_file
from mediation.services.incidents import file_screening, record_incident
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep
from mediation.services.users import create_user
from mediation.services.workflow import Context

from ..api.casework import act
from ..factories import PASSWORD, TZ

VILLAGE_CODE = "410522100203"  # a third village of 白壁镇 (410522100000)
# Texts found only in that village's records: an outsider must never see any of them.
VILLAGE_NAME = "藏锋村"
CASE_TITLE = "藏锋村祖坟迁移纠纷"
PARTY_NAME = "欧阳藏锋"
PARTY_ID_NUMBER = "41052219661203771X"  # only officers inside see it whole (masked: 4105…771X)
MEDIATOR_NAME = "司马调解"
AGREEMENT_TERMS = "藏锋村协议条款：迁坟费用由双方各半承担。"
INCIDENT_SUMMARY = "藏锋村村民集体到县信访局上访。"
SCREENING_NOTE = "藏锋村排查发现宅基地隐患。"
ACTION_NOTE = "藏锋村两户当面达成和解。"
ATTACHMENT_NOTE = "藏锋村祖坟现场照片"
SECRETS = (
    VILLAGE_NAME,
    CASE_TITLE,
    PARTY_NAME,
    PARTY_ID_NUMBER,
    MEDIATOR_NAME,
    AGREEMENT_TERMS,
    INCIDENT_SUMMARY,
    SCREENING_NOTE,
    ACTION_NOTE,
    ATTACHMENT_NOTE,
)

# A file sent to the upload routes (a fresh stream for every request).
PDF_FILE = b"%PDF-1.4\n%%EOF\n"

OTHER_COUNTY = [  # a second county: the outsiders of the county-wide roles work there
    ("410523000000", "汤阴县", Level.county, ""),
    ("410523100000", "城关镇", Level.township, "410523000000"),
    ("410523100201", "城东村", Level.village, "410523100000"),
]

ROLES = ("mediator", "township_officer", "county_officer", "viewer", "admin")
ADMIN = ("admin",)
OFFICERS = ("township_officer", "county_officer")
REGISTRARS = ("mediator", "township_officer", "county_officer")
REPORT_READERS = ("township_officer", "county_officer", "viewer")


def only(roles, ok=200, refused=403) -> dict[str, int]:
    """What each role inside gets: ``ok`` for ``roles``, ``refused`` for the others."""
    return {role: ok if role in roles else refused for role in ROLES}


@dataclass(frozen=True)
class Route:
    """One row of the matrix.

    ``rule`` and ``method`` name the route of ``app.url_map``; ``url`` is the request, with the
    planted objects' ids filled in; ``scope`` names the object of the village in the URL (or
    the body, for a POST that creates): outside, such a route answers ``outside`` (404 unless
    said). Without scope, the outsider gets what a user of his role inside gets. ``shows``:
    texts the answer of a user inside must hold (which proves the outsider check can fail)."""

    method: str
    rule: str
    url: str
    inside: dict[str, int]
    scope: str | None = None
    outside: int = 404
    body: dict = field(default_factory=dict)
    json: dict | None = None
    shows: tuple[str, ...] = ()
    follow: bool = False  # follow redirects


ROUTES = [
    # --- pages ---
    Route("GET", "/", "/", only(ROLES)),
    Route("GET", "/cases", "/cases", only(ROLES), shows=(CASE_TITLE,)),
    Route("GET", "/cases", "/cases?q=藏锋&unit={village}", only(ROLES), shows=(CASE_TITLE,)),
    Route("GET", "/cases/new", "/cases/new", only(REGISTRARS), shows=(VILLAGE_NAME,)),
    Route(
        "GET",
        "/cases/<int:case_id>",
        "/cases/{case}",
        only(ROLES),
        "case",
        shows=(CASE_TITLE, PARTY_NAME, MEDIATOR_NAME, ACTION_NOTE),
    ),
    Route(
        "GET",
        "/cases/<int:case_id>/agreements/<int:agreement_id>/print",
        "/cases/{case}/agreements/{agreement}/print",
        only(ROLES),
        "case",
        shows=(PARTY_NAME, AGREEMENT_TERMS),
    ),
    Route(
        "GET",
        "/cases/<int:case_id>/dossier",
        "/cases/{case}/dossier",
        only(ROLES),
        "case",
        shows=(CASE_TITLE, PARTY_NAME, AGREEMENT_TERMS, ATTACHMENT_NOTE),
    ),
    Route(
        "GET",
        "/cases/<int:case_id>/dossier.zip",
        "/cases/{case}/dossier.zip",
        only(ROLES),
        "case",
        shows=(CASE_TITLE, PARTY_NAME, ATTACHMENT_NOTE),
    ),
    Route(
        "GET",
        "/attachments/<int:attachment_id>",
        "/attachments/{attachment}",
        only(ROLES),
        "attachment",
    ),
    Route("GET", "/inbox", "/inbox?show=all", only(ROLES)),
    Route("GET", "/incidents", "/incidents", only(ROLES), shows=(INCIDENT_SUMMARY,)),
    Route("GET", "/incidents", "/incidents?unit={village}", only(ROLES), shows=(INCIDENT_SUMMARY,)),
    Route("GET", "/incidents/new", "/incidents/new", only(OFFICERS), shows=(VILLAGE_NAME,)),
    Route(
        "GET",
        "/incidents/<int:incident_id>",
        "/incidents/{incident}",
        only(ROLES),
        "incident",
        shows=(INCIDENT_SUMMARY,),
    ),
    Route(
        "GET",
        "/incidents/<int:incident_id>/edit",
        "/incidents/{incident}/edit",
        only(OFFICERS),
        "incident",
        shows=(INCIDENT_SUMMARY,),
    ),
    Route("GET", "/screenings/new", "/screenings/new", only(REGISTRARS), shows=(VILLAGE_NAME,)),
    Route("GET", "/screenings", "/screenings", only(ROLES)),
    Route(
        "GET",
        "/screenings",
        "/screenings?unit={village}&month={last_month}",
        only(ROLES),
        "unit",
        shows=(VILLAGE_NAME,),
    ),
    Route(
        "GET",
        "/scorecards",
        "/scorecards?unit={village}",
        only(ROLES),
        "unit",
        follow=True,
        shows=(VILLAGE_NAME,),
    ),
    Route("GET", "/scorecards/<month>", "/scorecards/{month}", only(ROLES)),
    Route(
        "GET",
        "/scorecards/<month>",
        "/scorecards/{month}?unit={village}",
        only(ROLES),
        "unit",
        shows=(VILLAGE_NAME,),
    ),
    Route("GET", "/scorecards/<month>/export.csv", "/scorecards/{month}/export.csv", only(ROLES)),
    Route(
        "GET",
        "/scorecards/<month>/export.csv",
        "/scorecards/{month}/export.csv?unit={village}",
        only(ROLES),
        "unit",
        shows=(VILLAGE_NAME,),
    ),
    Route("GET", "/scorecards/<month>/export.xlsx", "/scorecards/{month}/export.xlsx", only(ROLES)),
    Route(
        "GET",
        "/scorecards/<month>/export.xlsx",
        "/scorecards/{month}/export.xlsx?unit={village}",
        only(ROLES),
        "unit",
        shows=(VILLAGE_NAME,),
    ),
    Route("GET", "/scorecards/<month>/print", "/scorecards/{month}/print", only(ROLES)),
    Route(
        "GET",
        "/scorecards/<month>/print",
        "/scorecards/{month}/print?unit={village}",
        only(ROLES),
        "unit",
        shows=(VILLAGE_NAME,),
    ),
    Route("GET", "/statistics", "/statistics", only(REPORT_READERS)),
    Route(
        "GET",
        "/statistics",
        "/statistics?unit={village}&from={month}",
        only(REPORT_READERS),
        "unit",
        shows=(VILLAGE_NAME,),
    ),
    Route(
        "GET",
        "/statistics",
        "/statistics?unit={village}&from={month}&format=xlsx",
        only(REPORT_READERS),
        "unit",
        shows=(VILLAGE_NAME,),
    ),
    Route("GET", "/ledger/import", "/ledger/import", only(OFFICERS)),
    Route("POST", "/ledger/import", "/ledger/import", only(OFFICERS, ok=422)),
    Route("GET", "/ledger/template.xlsx", "/ledger/template.xlsx", only(OFFICERS)),
    Route("GET", "/admin/units", "/admin/units", only(ADMIN), shows=(VILLAGE_NAME,)),
    Route("GET", "/admin/users", "/admin/users", only(ADMIN), shows=(MEDIATOR_NAME,)),
    Route(
        "GET",
        "/admin/users/<int:user_id>/edit",
        "/admin/users/{mediator}/edit",
        only(ADMIN),
        "user",
        shows=(MEDIATOR_NAME,),
    ),
    Route("GET", "/admin/policy", "/admin/policy", only(ADMIN)),
    Route("GET", "/admin/calendar", "/admin/calendar", only(ADMIN)),
    Route("GET", "/static/<path:filename>", "/static/app.css", only(ROLES)),
    Route("GET", "/sw.js", "/sw.js", only(ROLES)),  # public: no data, the same for everyone
    Route("GET", "/manifest.webmanifest", "/manifest.webmanifest", only(ROLES)),
    Route("GET", "/login", "/login", only(ROLES, ok=302)),  # signed in already: home
    Route("GET", "/account/password", "/account/password", only(ROLES)),
    Route("GET", "/account/notifications", "/account/notifications", only(ROLES)),
    Route("GET", "/admin/deliveries", "/admin/deliveries", only(ADMIN), shows=(MEDIATOR_NAME,)),
    # --- pages: changes ---
    Route(
        "POST",
        "/cases/new",
        "/cases/new",
        only(REGISTRARS, ok=302),
        "village",
        outside=422,
        body={
            "village_code": VILLAGE_CODE,
            "title": "新纠纷",
            "category": "neighbor",
            "source": "party_application",
            "people_involved": "2",
            "amount_yuan": "0",
            "description": "两户争执。",
            "parties-0-name": "张三",
            "parties-0-role": "applicant",
        },
    ),
    Route(
        "POST",
        "/cases/<int:case_id>/actions/<action_name>",
        "/cases/{case}/actions/reopen",
        only(("mediator",), ok=422),
        "case",
        body={"version": "{case_version}"},
    ),
    Route(
        "POST",
        "/cases/<int:case_id>/attachments",
        "/cases/{case}/attachments",
        only(REGISTRARS, ok=302),
        "case",
        body={"kind": "photo", "file": PDF_FILE},
    ),
    Route(
        "POST",
        "/cases/<int:case_id>/parties/<int:party_id>/id-number",
        "/cases/{case}/parties/{party}/id-number",
        only(OFFICERS),
        "case",
        shows=(PARTY_NAME, PARTY_ID_NUMBER),
    ),
    Route(
        "POST",
        "/cases/earlier-disputes",
        "/cases/earlier-disputes",
        only(REGISTRARS),
        body={"id_number": PARTY_ID_NUMBER},
    ),
    Route("GET", "/cases/id-access-log", "/cases/id-access-log", only(OFFICERS + ADMIN)),
    Route(
        "POST",
        "/incidents/new",
        "/incidents/new",
        only(OFFICERS, ok=302),
        "village",
        outside=422,
        body={
            "village_code": VILLAGE_CODE,
            "kind": "accident",
            "occurred_at": "{yesterday}",
            "summary": "农用车侧翻。",
            "injured": "1",
        },
    ),
    Route(
        "POST",
        "/incidents/<int:incident_id>/edit",
        "/incidents/{incident}/edit",
        only(OFFICERS, ok=422),
        "incident",
        body={"version": "{incident_version}"},
    ),
    Route(
        "POST",
        "/screenings/new",
        "/screenings/new",
        only(REGISTRARS, ok=409),
        "village",
        outside=422,
        body={
            "village_code": VILLAGE_CODE,
            "month": "{last_month}",
            "visited_at": "{last_month}-10",
            "households": "3",
            "zero_report": "y",
        },
    ),
    Route(
        "POST",
        "/scorecards/<month>/publish",
        "/scorecards/{last_month}/publish?unit={village}",
        only(("county_officer",), ok=422),
        "unit",
    ),
    Route(
        "POST",
        "/inbox/<int:notification_id>/read",
        "/inbox/{notification}/read",
        {**only((), refused=404), "mediator": 302},
        "notification",
    ),
    Route("POST", "/inbox/read-all", "/inbox/read-all", only(ROLES, ok=302)),
    Route(
        "POST",
        "/cases/find-person",
        "/cases/find-person",
        only(ROLES, ok=302),
        body={"id_number": "410522198503121233"},
    ),
    Route(
        "POST",
        "/admin/users/<int:user_id>/edit",
        "/admin/users/{mediator}/edit",
        only(ADMIN, ok=302),
        "user",
        body={"display_name": "司马调解", "role": "mediator", "unit_code": VILLAGE_CODE},
    ),
    Route(
        "POST",
        "/admin/deliveries/<int:delivery_id>/retry",
        "/admin/deliveries/{delivery}/retry",
        only(ADMIN, ok=302),
        "delivery",
    ),
    Route(
        "POST",
        "/admin/users/<int:user_id>/toggle",
        "/admin/users/{mediator}/toggle",
        only(ADMIN, ok=302),
        "user",
    ),
    Route(
        "POST",
        "/admin/units",
        "/admin/units",
        only(ADMIN, ok=302),
        "village",
        outside=422,
        body={
            "unit-submit": "1",
            "unit-code": "410522100299",
            "unit-name": "新建村",
            "unit-kind": "village",
            "unit-parent_code": "410522100000",
        },
    ),
    Route(
        "POST",
        "/admin/users",
        "/admin/users",
        only(ADMIN, ok=302),
        "village",
        outside=422,
        body={
            "username": "newbie",
            "role": "mediator",
            "unit_code": VILLAGE_CODE,
            "password": PASSWORD,
        },
    ),
    # Supervision (督办) and merging (并单): the planted case is concluded (422 for officers
    # above it), the supervised one is held by the township (its officers reply).
    Route(
        "POST",
        "/cases/<int:case_id>/supervisions",
        "/cases/{case}/supervisions",
        only(OFFICERS, ok=422),
        "case",
        body={"instruction": "限期化解。", "due_working_days": "3"},
    ),
    Route(
        "POST",
        "/supervisions/<int:supervision_id>/reply",
        "/supervisions/{supervision}/reply",
        only(("township_officer",), ok=422),
        "supervision",
        body={"progress": ""},
    ),
    Route(
        "POST",
        "/cases/<int:case_id>/merge",
        "/cases/{case}/merge",
        only(OFFICERS, ok=422),
        "case",
        body={"into_number": "", "note": "同一纠纷"},
    ),
    Route("GET", "/supervisions", "/supervisions", only(OFFICERS)),
    Route("GET", "/supervisions/circular", "/supervisions/circular", only(OFFICERS)),
    # The working calendar is the whole system's (China's holidays), not a county's.
    Route("POST", "/admin/calendar", "/admin/calendar", only(ADMIN, ok=422), body={"year": "x"}),
    # --- JSON API ---
    Route("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", only(ROLES)),
    Route("GET", "/api/v1/units", "/api/v1/units", only(ROLES), shows=(VILLAGE_NAME,)),
    Route("GET", "/api/v1/cases", "/api/v1/cases", only(ROLES), shows=(CASE_TITLE,)),
    Route(
        "GET",
        "/api/v1/cases",
        "/api/v1/cases?unit={village}&q=藏锋",
        only(ROLES),
        "filter",
        outside=422,
        shows=(CASE_TITLE,),
    ),
    Route(
        "GET",
        "/api/v1/cases/<id:case_id>",
        "/api/v1/cases/{case}",
        only(ROLES),
        "case",
        shows=(CASE_TITLE, PARTY_NAME),
    ),
    Route(
        "GET",
        "/api/v1/cases/<id:case_id>/events",
        "/api/v1/cases/{case}/events",
        only(ROLES),
        "case",
        shows=(ACTION_NOTE,),
    ),
    Route(
        "GET",
        "/api/v1/cases/<id:case_id>/attachments",
        "/api/v1/cases/{case}/attachments",
        only(ROLES),
        "case",
        shows=(ATTACHMENT_NOTE,),
    ),
    Route(
        "GET",
        "/api/v1/attachments/<id:attachment_id>",
        "/api/v1/attachments/{attachment}",
        only(ROLES),
        "attachment",
    ),
    Route(
        "POST",
        "/api/v1/cases/<id:case_id>/attachments",
        "/api/v1/cases/{case}/attachments",
        only(REGISTRARS, ok=201),
        "case",
        body={"kind": "photo", "file": PDF_FILE},
    ),
    Route("GET", "/api/v1/flags", "/api/v1/flags", only(ROLES), shows=(VILLAGE_CODE,)),
    Route(
        "GET",
        "/api/v1/flags",
        "/api/v1/flags?unit={village}",
        only(ROLES),
        "filter",
        shows=(VILLAGE_CODE,),
    ),
    Route("GET", "/api/v1/notifications", "/api/v1/notifications", only(ROLES)),
    Route(
        "POST",
        "/api/v1/notifications/<int:notification_id>/read",
        "/api/v1/notifications/{notification}/read",
        {**only((), refused=404), "mediator": 200},
        "notification",
    ),
    Route("GET", "/api/v1/incidents", "/api/v1/incidents", only(ROLES), shows=(INCIDENT_SUMMARY,)),
    Route(
        "GET",
        "/api/v1/incidents",
        "/api/v1/incidents?unit={village}",
        only(ROLES),
        "filter",
        outside=422,
        shows=(INCIDENT_SUMMARY,),
    ),
    Route(
        "GET",
        "/api/v1/incidents/<id:incident_id>",
        "/api/v1/incidents/{incident}",
        only(ROLES),
        "incident",
        shows=(INCIDENT_SUMMARY,),
    ),
    Route(
        "GET",
        "/api/v1/screenings",
        "/api/v1/screenings?month={last_month}",
        only(ROLES),
        shows=(SCREENING_NOTE,),
    ),
    Route(
        "GET",
        "/api/v1/screenings",
        "/api/v1/screenings?unit={village}&month={last_month}",
        only(ROLES),
        "filter",
        outside=422,
        shows=(SCREENING_NOTE,),
    ),
    Route("GET", "/api/v1/statistics", "/api/v1/statistics?from={month}", only(REPORT_READERS)),
    Route(
        "GET",
        "/api/v1/statistics",
        "/api/v1/statistics?unit={village}&from={month}",
        only(REPORT_READERS),
        "unit",
        shows=(VILLAGE_NAME,),
    ),
    Route("GET", "/api/v1/scorecards/<month>", "/api/v1/scorecards/{month}", only(ROLES)),
    Route(
        "GET",
        "/api/v1/scorecards/<month>",
        "/api/v1/scorecards/{month}?unit={village}",
        only(ROLES),
        "unit",
        shows=(VILLAGE_NAME,),
    ),
    Route(
        "POST",
        "/api/v1/cases",
        "/api/v1/cases",
        only(REGISTRARS, ok=201),
        "village",
        outside=422,
        json={
            "village_code": VILLAGE_CODE,
            "category": "neighbor",
            "source": "party_application",
            "title": "新纠纷",
            "description": "两户争执。",
            "people_involved": 2,
            "risks": [],
            "parties": [{"name": "张三", "role": "applicant"}],
        },
    ),
    Route(
        "POST",
        "/api/v1/cases/<id:case_id>/supervisions",
        "/api/v1/cases/{case}/supervisions",
        only(OFFICERS, ok=422),
        "case",
        json={"instruction": "限期化解。", "due_working_days": 3},
    ),
    Route(
        "POST",
        "/api/v1/supervisions/<id:supervision_id>/reply",
        "/api/v1/supervisions/{supervision}/reply",
        only(("township_officer",)),
        "supervision",
        json={"progress": "已组织调解。"},
    ),
    Route("GET", "/api/v1/supervisions", "/api/v1/supervisions", only(ROLES)),
    Route(
        "POST",
        "/api/v1/cases/<id:case_id>/merge",
        "/api/v1/cases/{case}/merge",
        only(OFFICERS, ok=422),
        "case",
        json={"into_case_id": 1, "note": "同一纠纷"},
    ),
    Route(
        "POST",
        "/api/v1/cases/<id:case_id>/actions",
        "/api/v1/cases/{case}/actions",
        only(("mediator",), ok=422),
        "case",
        json={"action": "reopen", "version": "{case_version}"},
    ),
    Route(
        "POST",
        "/api/v1/incidents",
        "/api/v1/incidents",
        only(OFFICERS, ok=201),
        "village",
        outside=422,
        json={
            "village_code": VILLAGE_CODE,
            "kind": "accident",
            "occurred_at": "{yesterday_iso}",
            "summary": "农用车侧翻。",
            "injured": 1,
        },
    ),
    Route(
        "PUT",
        "/api/v1/incidents/<id:incident_id>",
        "/api/v1/incidents/{incident}",
        only(OFFICERS, ok=422),
        "incident",
        json={"version": "{incident_version}"},
    ),
    Route(
        "POST",
        "/api/v1/screenings",
        "/api/v1/screenings",
        only(REGISTRARS, ok=409),
        "village",
        outside=422,
        json={
            "village_code": VILLAGE_CODE,
            "month": "{last_month}",
            "visited_at": "{last_month}-10",
            "households": 3,
            "zero_report": True,
            "note": "",
        },
    ),
]

# Routes that only touch the caller's own session: the same for everybody, nothing to scope.
OWN_SESSION = {
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/lang/<code>"),
    ("POST", "/account/password"),
    ("POST", "/account/notifications"),
}


def bare(rule: str) -> str:
    """The rule without its converters: /cases/<int:case_id> and /cases/<id:case_id> are one."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"<\1>", rule)


def test_every_route_is_in_the_matrix(app):
    """A new route must get its row (or be named an own-session route) before it ships."""
    served = {
        (method, bare(rule.rule))
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {
        (method, bare(rule))
        for method, rule in {(route.method, route.rule) for route in ROUTES} | OWN_SESSION
    }
    assert served - covered == set(), "routes without a row in ROUTES"
    assert covered - served == set(), "rows of ROUTES for routes the app does not have"


# --- the village and its people ---------------------------------------------------------------


@pytest.fixture
def scene(app, world, make):
    """藏锋村 with its records, and for each role a user inside and a user outside its area."""
    now = dt.datetime.now(dt.UTC)
    make.units([("410522100203", VILLAGE_NAME, Level.village, "410522100000"), *OTHER_COUNTY])
    mediator = create_user(
        "cangfeng",
        role=Role.mediator,
        unit_code=VILLAGE_CODE,
        password=PASSWORD,
        display_name=MEDIATOR_NAME,
    )
    db.session.commit()
    parties = [
        {"name": PARTY_NAME, "role": "applicant", "id_number": PARTY_ID_NUMBER},
        {"name": "李四", "role": "respondent"},
    ]
    case = make.case(mediator, title=CASE_TITLE, parties=parties)
    act(mediator, case, "accept")
    act(
        mediator,
        case,
        "resolve",
        note=ACTION_NOTE,
        agreement={"form": "written", "terms": AGREEMENT_TERMS},
    )
    open_case = make.case(
        mediator, now=now - dt.timedelta(days=10), title=CASE_TITLE, parties=parties
    )
    run_sweep(now, policy=Policy(), tz=TZ, notifier=Notifier.from_config("inbox"))
    db.session.commit()
    db.session.refresh(open_case)
    assert open_case.level is Level.township  # gone up by itself: the township holds it
    notice = supervision.issue(
        world.county_officer,
        open_case,
        {"instruction": "限期化解。", "due_working_days": 3},
        ctx=Context.build(now, Policy(), TZ),
    )
    db.session.commit()

    incident = record_incident(
        world.township_officer,
        parse_incident(
            {
                "village_code": VILLAGE_CODE,
                "kind": "petition",
                "petition_level": "county",
                "occurred_at": (now - dt.timedelta(days=1)).isoformat(),
                "summary": INCIDENT_SUMMARY,
            },
            now=now,
            tz=TZ,
        ),
        now,
    )
    last_month = Month.of(now, TZ).previous()
    file_screening(
        mediator,
        parse_screening(
            {
                "village_code": VILLAGE_CODE,
                "month": str(last_month),
                "visited_at": f"{last_month}-10",
                "households": 12,
                "risks_found": 1,
                "disputes_found": 0,
                "zero_report": False,
                "note": SCREENING_NOTE,
            },
            now=now,
            tz=TZ,
        ),
        now,
        due_at=screening_due_at(last_month, 25, TZ),
    )
    db.session.commit()

    attachment = attach_file(
        mediator,
        case,
        Upload("现场.png", _png()),
        kind=AttachmentKind.photo,
        note=ATTACHMENT_NOTE,
        now=now,
    )
    db.session.commit()

    agreement = db.session.scalar(select(Agreement).where(Agreement.case_id == case.id))
    notification = db.session.scalar(
        select(Notification).where(Notification.user_id == mediator.id)
    )
    assert notification is not None, "the sweep told the village's mediator nothing"
    delivery = Delivery(
        uid="0" * 32,
        notification_id=notification.id,
        user_id=mediator.id,
        channel="webhook",
        status="failed",
        created_at=now,
        send_after=now,
        next_attempt_at=now,
        attempts=8,
        last_error="HTTP 500 from the webhook",
    )
    db.session.add(delivery)
    db.session.commit()
    ids = {
        "case": case.id,
        "party": case.parties[0].id,
        "case_version": case.version,
        "agreement": agreement.id,
        "attachment": attachment.id,
        "incident": incident.id,
        "incident_version": incident.version,
        "notification": notification.id,
        "delivery": delivery.id,
        "supervision": notice.id,
        "mediator": mediator.id,
        "village": VILLAGE_CODE,
        "month": str(Month.of(now, TZ)),
        "last_month": str(last_month),
        "yesterday_iso": (now - dt.timedelta(days=1)).isoformat(),
        "yesterday": (now - dt.timedelta(days=1)).astimezone(TZ).strftime("%Y-%m-%dT%H:%M"),
    }
    users = {
        "mediator": (mediator, world.mediator),  # 西裴村, the next village of the same township
        "township_officer": (world.township_officer, world.other_township_officer),
        "county_officer": (
            world.county_officer,
            make.user("tangyin", Role.county_officer, "410523000000"),
        ),
        "viewer": (world.viewer, make.user("shuiye-leader", Role.viewer, "410522101000")),  # 水冶镇
        "admin": (world.admin, make.user("tangyin-admin", Role.admin, "410523000000")),
    }
    return SimpleNamespace(ids=ids, users=users)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 60, 20)).save(out, "PNG")
    return out.getvalue()


def signed_in(app, user):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def fill(value, ids: dict):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value.startswith("{") and value.endswith("_version}") else filled
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    return value


def send(client, route: Route, ids: dict):
    url = route.url.format(**ids)
    if route.json is not None:
        return client.open(url, method=route.method, json=fill(route.json, ids))
    if route.method == "GET":
        return client.get(url, follow_redirects=route.follow)
    form = fill(route.body, ids)
    if isinstance(form.get("file"), bytes):
        form["file"] = (io.BytesIO(form["file"]), "file.pdf")
    if "version" in form:
        form["version"] = str(form["version"])
    return client.open(url, method=route.method, data=form)


def text_of(response) -> str:
    """What a person could read in the answer: the body, or every XML part of an XLSX."""
    body = response.get_data()
    if response.is_json:  # "\u85cf" would hide 藏 from a plain search
        return json.dumps(response.get_json(), ensure_ascii=False)
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    return body.decode("utf-8", "replace")


def database_rows() -> dict:
    """Every row of every table, to show that a refused request changed nothing."""
    db.session.commit()
    return {
        table.name: sorted(map(repr, db.session.execute(select(table)).all()))
        for table in db.metadata.sorted_tables
    }


def outside_answer(route: Route, role: str) -> set[int]:
    """What the outsider may get: the role's refusal (403, or 404 when the object is looked up
    first), else 404 (or the route's ``outside``) for a route with an object of the village,
    else what the insider of his role gets."""
    if route.inside[role] == 403:
        return {403, 404}
    if route.scope:
        return {route.outside}
    return {route.inside[role]}


def label(route: Route) -> str:
    return f"{route.method} {route.url}"


# --- the matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_matrix(app, scene, role):
    """For one role: every route, as the user inside and as the user outside, then the pages
    the outsider reaches by following links; all the mismatches are listed together."""
    inside, outside = (signed_in(app, user) for user in scene.users[role])
    problems: list[str] = []
    # The outsider goes first: an insider's POST may change what there is to see.
    for route in ROUTES:
        expected = outside_answer(route, role)
        before = database_rows() if route.method != "GET" and route.scope else None
        response = send(outside, route, scene.ids)
        if response.status_code not in expected:
            problems.append(f"outside: {label(route)}: {response.status_code}, expected {expected}")
        leaked = [secret for secret in SECRETS if secret in text_of(response)]
        if leaked:
            problems.append(f"outside: {label(route)}: shows {leaked}")
        if before is not None and database_rows() != before:
            problems.append(f"outside: {label(route)}: changed the database")
    for route in ROUTES:
        expected = route.inside[role]
        response = send(inside, route, scene.ids)
        if response.status_code != expected:
            problems.append(f"inside: {label(route)}: {response.status_code}, expected {expected}")
        elif expected == 200:
            missing = [text for text in route.shows if text not in text_of(response)]
            if missing:
                problems.append(f"inside: {label(route)}: does not show {missing}")
    problems += crawl(outside)
    assert not problems, "\n".join(problems)


def test_naming_the_villages_records_in_a_body_finds_nothing(app, scene, world, make):
    """An officer of 水冶镇 acting on his own records cannot reach 藏锋村's by naming them in
    what he sends: a case to link an incident to, a unit to hand a case down to."""
    ids = scene.ids
    number = db.session.get(Case, ids["case"]).number
    own_case = make.case(world.other_township_officer, village_code="410522101201")  # 北关村
    yesterday = {
        "occurred_at": ids["yesterday_iso"],
        "kind": "petition",
        "petition_level": "county",
        "summary": "上访。",
        "village_code": "410522101201",
    }
    client = signed_in(app, world.other_township_officer)
    requests = [
        (
            "/incidents/new",
            {"data": {**yesterday, "occurred_at": ids["yesterday"], "case_number": number}},
        ),
        ("/api/v1/incidents", {"json": {**yesterday, "case_id": ids["case"]}}),
        (
            f"/cases/{own_case.id}/actions/assign_down",
            {
                "data": {
                    "version": str(own_case.version),
                    "to_unit_code": VILLAGE_CODE,
                    "note": "交办",
                }
            },
        ),
        (
            f"/api/v1/cases/{own_case.id}/actions",
            {
                "json": {
                    "action": "assign_down",
                    "version": own_case.version,
                    "to_unit_code": VILLAGE_CODE,
                    "note": "交办",
                }
            },
        ),
    ]
    for url, body in requests:
        before = database_rows()
        response = client.post(url, **body)
        assert response.status_code == 422, (url, response.get_data(as_text=True))
        assert database_rows() == before, url
        assert not [secret for secret in SECRETS if secret in text_of(response)], url


CRAWL_START = ["/", "/cases", "/incidents", "/screenings", "/inbox?show=all", "/scorecards"]
CRAWL_LIMIT = 60


def crawl(client) -> list[str]:
    """The outsider's own pages (home, lists, his scorecard and its exports) and the links on
    them, breadth first: none shows anything of the village."""
    problems, seen, queue = [], set(), list(CRAWL_START)
    while queue and len(seen) < CRAWL_LIMIT:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow_redirects=True)
        text = text_of(response)
        leaked = [secret for secret in SECRETS if secret in text]
        if leaked:
            problems.append(f"outside, following links: {url} shows {leaked}")
        if response.mimetype == "text/html":
            queue += [link for link in _links(text) if not link.startswith(("/static/", "/api/"))]
    assert len(seen) > 10, seen
    return problems


def _links(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(r'href="(/[^"#]*)"', html)]
