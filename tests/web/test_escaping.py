"""Hostile text typed into the app comes back as text, never as markup or a formula.

Case titles, facts, parties' names, notes of workflow actions, agreement terms, incident
summaries, screening notes, unit names and users' full names hold ``<script>``, an attribute
break-out and quotes; units are also named like spreadsheet formulas. Every HTML page shows them
escaped (and no element or event handler comes of them), the CSV export starts no cell with
= + - @, the XLSX export holds no formula and marks such text as text, and the JSON API gives
the text back exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import zipfile
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from mediation.domain.enums import Level, Role
from mediation.domain.incidents import parse_incident, parse_screening, screening_due_at
from mediation.domain.months import Month
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Agreement, Unit
from mediation.services.incidents import file_screening, record_incident
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep
from mediation.services.users import create_user

from ..api.casework import act
from ..factories import PASSWORD, TZ

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = "\"'><img src=x onerror=alert(1)>"
QUOTES = "他说\"别走\"，她说'好'"
MARKUP = (SCRIPT, BREAKOUT)

TOWNSHIP = "410522100000"  # 白壁镇
SCRIPT_VILLAGE = "410522100211"
# Unit names a spreadsheet would run as formulas if written as they are.
FORMULA_NAMES = {
    "410522100213": '=HYPERLINK("http://evil.test/","点我")',
    "410522100214": "@SUM(1+1)*cmd|' /C calc'!A0",
    "410522100215": "+1+1村",
    "410522100216": "-2+3村",
}
FORMULA_STARTS = ("=", "+", "-", "@")


@pytest.fixture
def hostile(app, world, make):
    """A village named with a script, its mediator named with an attribute break-out, and a
    case, an incident and a screening report of that village full of both."""
    now = dt.datetime.now(dt.UTC)
    make.units(
        [
            (SCRIPT_VILLAGE, SCRIPT, Level.village, TOWNSHIP),
            ("410522100212", BREAKOUT, Level.village, TOWNSHIP),
            *((code, name, Level.village, TOWNSHIP) for code, name in FORMULA_NAMES.items()),
        ]
    )
    mediator = create_user(
        "xss",
        role=Role.mediator,
        unit_code=SCRIPT_VILLAGE,
        password=PASSWORD,
        display_name=BREAKOUT,
    )
    db.session.commit()
    case = make.case(
        mediator,
        title=SCRIPT + BREAKOUT,
        description=f"{BREAKOUT}\n{QUOTES}\n{SCRIPT}",
        parties=[
            {"name": SCRIPT, "role": "applicant", "id_number": "41052219661203771X"},
            {"name": BREAKOUT, "role": "respondent"},
            {"name": QUOTES, "role": "other", "address": SCRIPT},
        ],
    )
    act(mediator, case, "accept")
    act(mediator, case, "pause", note=SCRIPT + QUOTES)
    act(mediator, case, "resume", note=BREAKOUT)
    act(
        mediator,
        case,
        "resolve",
        note=BREAKOUT,
        agreement={"form": "written", "terms": f"{SCRIPT}\n{BREAKOUT}\n{QUOTES}"},
    )
    make.case(mediator, now=now - dt.timedelta(days=10), title=BREAKOUT + SCRIPT)  # flagged: inbox
    run_sweep(now, policy=Policy(), tz=TZ, notifier=Notifier.from_config("inbox"))
    incident = record_incident(
        world.township_officer,
        parse_incident(
            {
                "village_code": SCRIPT_VILLAGE,
                "kind": "petition",
                "petition_level": "township",
                "occurred_at": (now - dt.timedelta(days=1)).isoformat(),
                "summary": SCRIPT + BREAKOUT + QUOTES,
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
                "village_code": SCRIPT_VILLAGE,
                "month": str(last_month),
                "visited_at": f"{last_month}-10",
                "households": 4,
                "risks_found": 0,
                "disputes_found": 0,
                "zero_report": True,
                "note": SCRIPT + BREAKOUT,
            },
            now=now,
            tz=TZ,
        ),
        now,
        due_at=screening_due_at(last_month, 25, TZ),
    )
    db.session.commit()
    agreement = db.session.scalar(select(Agreement).where(Agreement.case_id == case.id))
    return SimpleNamespace(
        mediator=mediator,
        case=case,
        agreement=agreement,
        incident=incident,
        month=str(Month.of(now, TZ)),
        last_month=str(last_month),
    )


def signed_in(app, user):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


class ActiveContent(HTMLParser):
    """What of a page would run: <script> elements with their text, event-handler attributes,
    and elements the payloads would bring (<img>)."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.found.append(f"<img {attrs}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(1)" in data:
            self.found.append(f"<script>{data}</script>")


def assert_inert(page: str, where: str) -> None:
    for payload in MARKUP:
        assert payload not in page, f"{where}: {payload!r} is in the page unescaped"
    parser = ActiveContent()
    parser.feed(page)
    assert parser.found == [], f"{where}: the text became markup: {parser.found}"


# Each page, who opens it, and the hostile texts it must show (as text).
PAGES = [
    ("township_officer", "/", ()),
    ("township_officer", "/cases", (SCRIPT + BREAKOUT, SCRIPT)),
    ("township_officer", "/cases?q=alert", (SCRIPT + BREAKOUT,)),
    ("township_officer", "/cases/{case}", (SCRIPT + BREAKOUT, BREAKOUT, QUOTES, SCRIPT + QUOTES)),
    ("township_officer", "/cases/{case}/agreements/{agreement}/print", (SCRIPT, BREAKOUT, QUOTES)),
    ("township_officer", "/inbox?show=all", (BREAKOUT + SCRIPT,)),
    ("township_officer", "/incidents", (SCRIPT,)),
    ("township_officer", "/incidents/{incident}", (SCRIPT + BREAKOUT + QUOTES,)),
    ("township_officer", "/incidents/{incident}/edit", (SCRIPT + BREAKOUT + QUOTES,)),
    ("township_officer", "/incidents/new", (SCRIPT, BREAKOUT)),
    ("township_officer", "/cases/new", (SCRIPT, BREAKOUT)),
    ("township_officer", "/screenings?month={last_month}", (SCRIPT, BREAKOUT)),
    ("township_officer", "/screenings/new", (SCRIPT, BREAKOUT)),
    ("township_officer", "/scorecards/{month}", (SCRIPT, BREAKOUT, *FORMULA_NAMES.values())),
    ("township_officer", "/scorecards/{month}/print", (SCRIPT, BREAKOUT, *FORMULA_NAMES.values())),
    ("township_officer", "/scorecards/{month}?unit=" + SCRIPT_VILLAGE, (SCRIPT,)),
    ("county_officer", "/", ()),
    ("county_officer", "/scorecards/{month}", ()),
    ("mediator", "/", ()),  # the flagged case went up to the township: not hers to do
    ("mediator", "/inbox?show=all", (BREAKOUT + SCRIPT,)),
    ("mediator", "/cases", (SCRIPT + BREAKOUT,)),
    ("mediator", "/screenings/new", (SCRIPT,)),
    ("admin", "/", ()),
    ("admin", "/admin/units", (SCRIPT, BREAKOUT, *FORMULA_NAMES.values())),
    ("admin", "/admin/users", (BREAKOUT,)),
]


@pytest.mark.parametrize("role", sorted({role for role, _, _ in PAGES}))
def test_pages_show_hostile_text_as_text(app, world, hostile, role):
    user = hostile.mediator if role == "mediator" else getattr(world, role)
    client = signed_in(app, user)
    for page_role, url, shown in PAGES:
        if page_role != role:
            continue
        url = url.format(
            case=hostile.case.id,
            agreement=hostile.agreement.id,
            incident=hostile.incident.id,
            month=hostile.month,
            last_month=hostile.last_month,
        )
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert_inert(page, url)
        text = html.unescape(page)
        missing = [payload for payload in shown if payload not in text]
        assert not missing, f"{url} does not show {missing}"


def test_a_form_sent_back_with_errors_keeps_the_text_escaped(app, world, hostile):
    """The intake form returned with a field error echoes what was typed: as text."""
    client = signed_in(app, world.township_officer)
    response = client.post(
        "/cases/new",
        data={
            "village_code": SCRIPT_VILLAGE,
            "title": SCRIPT + BREAKOUT,
            "description": BREAKOUT,
            "category": "neighbor",
            "source": "party_application",
            "people_involved": "0",
            "parties-0-name": SCRIPT,
            "parties-0-role": "applicant",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert_inert(page, "/cases/new (422)")
    assert SCRIPT + BREAKOUT in html.unescape(page)


def test_the_id_number_pages_show_hostile_text_as_text(app, world, hostile):
    """The full ID number page (an officer's logged look) and the log of such looks."""
    client = signed_in(app, world.township_officer)
    party = hostile.case.parties[0]
    response = client.post(f"/cases/{hostile.case.id}/parties/{party.id}/id-number")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert_inert(page, "id-number")
    assert SCRIPT in html.unescape(page)
    log = client.get("/cases/id-access-log")
    assert log.status_code == 200
    assert_inert(log.get_data(as_text=True), "id-access-log")


def scorecard_csv(client, month: str) -> list[list[str]]:
    response = client.get(f"/scorecards/{month}/export.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_export_starts_no_cell_with_a_formula(app, world, hostile):
    rows = scorecard_csv(signed_in(app, world.township_officer), hostile.month)
    cells = [cell for row in rows for cell in row]
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []
    for name in FORMULA_NAMES.values():  # still there, as text
        assert any(cell.endswith(name) and cell.startswith("'") for cell in cells), name
    assert SCRIPT in cells and BREAKOUT in cells  # a CSV holds text: nothing to escape


def test_csv_export_keeps_numbers_as_numbers(app, world, hostile):
    """Only text is marked: counts and shares are not given an apostrophe."""
    rows = scorecard_csv(signed_in(app, world.township_officer), hostile.month)
    assert not any(
        cell.startswith("'") and cell[1:].replace(".", "").replace("%", "").isdigit()
        for row in rows
        for cell in row
    )


def test_xlsx_export_holds_no_formula(app, world, hostile):
    client = signed_in(app, world.township_officer)
    response = client.get(f"/scorecards/{hostile.month}/export.xlsx")
    assert response.status_code == 200
    body = response.get_data()
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        sheets = {
            name: book.read(name).decode()
            for name in book.namelist()
            if name.startswith("xl/worksheets/")
        }
    for name, xml in sheets.items():
        assert "<f>" not in xml and "<f " not in xml, f"{name} holds a formula"
        assert "<script>" not in xml and "<img" not in xml, f"{name} holds raw markup"
    workbook = load_workbook(io.BytesIO(body))
    texts = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (
                    f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                )
                if isinstance(cell.value, str):
                    texts[cell.value] = cell
    for name in FORMULA_NAMES.values():
        matches = [cell for value, cell in texts.items() if value.endswith(name)]
        assert matches, f"{name!r} is not in the workbook"
        for cell in matches:
            assert cell.quotePrefix or not cell.value.startswith(FORMULA_STARTS), (
                f"{cell.coordinate}: {cell.value!r} is not marked as text"
            )
    assert any(SCRIPT in value for value in texts) and any(BREAKOUT in value for value in texts)


def test_the_cli_csv_export_starts_no_cell_with_a_formula(app, world, hostile, runner):
    result = runner.invoke(args=["scorecard", hostile.month, "--unit", TOWNSHIP, "--format", "csv"])
    assert result.exit_code == 0, result.output
    cells = [
        cell for row in csv.reader(io.StringIO(result.output.lstrip("\ufeff"))) for cell in row
    ]
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []


def test_the_api_gives_the_text_back_exactly(app, world, hostile):
    client = signed_in(app, world.township_officer)
    case = client.get(f"/api/v1/cases/{hostile.case.id}")
    assert case.is_json and case.mimetype == "application/json"
    body = case.get_json()
    assert body["title"] == SCRIPT + BREAKOUT
    assert body["description"] == f"{BREAKOUT}\n{QUOTES}\n{SCRIPT}"
    assert [party["name"] for party in body["parties"]] == [SCRIPT, BREAKOUT, QUOTES]
    events = client.get(f"/api/v1/cases/{hostile.case.id}/events").get_json()
    assert {SCRIPT + QUOTES, BREAKOUT} <= {event["note"] for event in events}
    incident = client.get(f"/api/v1/incidents/{hostile.incident.id}").get_json()
    assert incident["summary"] == SCRIPT + BREAKOUT + QUOTES
    units = {unit["code"]: unit["name"] for unit in client.get("/api/v1/units").get_json()}
    assert units[SCRIPT_VILLAGE] == SCRIPT and units["410522100212"] == BREAKOUT


@pytest.mark.parametrize("name", [QUOTES, BREAKOUT, "东,西村", '"引号"村'])
def test_the_admin_form_keeps_a_unit_name_exactly(app, world, name):
    """The name typed into the unit form is stored as typed: quotes and commas are not read as
    CSV, and cannot smuggle another kind or parent into the row."""
    client = signed_in(app, world.admin)
    response = client.post(
        "/admin/units",
        data={
            "unit-submit": "1",
            "unit-code": "410522100299",
            "unit-name": name,
            "unit-kind": "village",
            "unit-parent_code": TOWNSHIP,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    unit = db.session.scalar(select(Unit).where(Unit.code == "410522100299"))
    assert (unit.name, unit.kind, unit.parent.code) == (name, Level.village, TOWNSHIP)
    page = client.get("/admin/units").get_data(as_text=True)
    assert_inert(page, "/admin/units")
    assert name in html.unescape(page)
