"""Fuzzing every field of the JSON API's bodies and every query parameter of the pages and the
API with values from the whole of Unicode (lone surrogates, NUL and other controls, RTL marks,
4-byte characters) and extreme numbers and dates: no answer may be a 5xx. Derandomized and
bounded (Hypothesis without its example database), so CI sees the same inputs every run."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..factories import case_fields
from .test_incidents_api import petition, report

FUZZ = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

ANY_CHARACTER = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
SPECIAL = st.sampled_from(
    ["\ud800", "\udfff", "\x00", "\x07", "\x1b[31m", "\u202e", "\u200f", "\ufeff", "\U0001f600"]
)
# Ordinary text with one of SPECIAL inside: what gets past every other check to the database.
SPIKED = st.builds(lambda a, b, c: a + b + c, st.text(max_size=5), SPECIAL, st.text(max_size=5))
TEXT = st.one_of(
    SPIKED,
    st.text(ANY_CHARACTER, max_size=40),
    st.sampled_from(
        [
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+14:00",
            "9999-12",
            "0000-00",
            "2026-02-30",
            "1e999999",
            "-0",
            "NaN",
            "Infinity",
            "１２００",
            "x" * 6000,
        ]
    ),
)
NUMBER = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**31, 2**63, -(2**63), 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
)
VALUE = st.recursive(
    st.one_of(SPIKED, TEXT, NUMBER, st.none(), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)


def _no_5xx(response, what) -> None:
    assert response.status_code < 500, (what, response.status_code, response.get_data()[:300])


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_case_bodies(api, world, now, data):
    body = case_fields()
    party = dict(body["parties"][0])
    field = data.draw(st.sampled_from([*body, "agreement", "resolved_at", "parties.0"]))
    value = data.draw(VALUE)
    if field == "parties.0":
        party[data.draw(st.sampled_from([*party, "id_number", "phone", "address"]))] = value
        body["parties"] = [party]
    else:
        body[field] = value
    _no_5xx(api.post(world.mediator, "/cases", body), body)


@FUZZ
@given(data=st.data())
def test_action_bodies(api, world, make, data):
    case = make.case(world.mediator)
    action = data.draw(
        st.sampled_from(["accept", "pause", "resolve", "escalate", "refer", "extend", "reclassify"])
    )
    body = {"action": action, "version": case.version, "note": "说明"}
    field = data.draw(
        st.sampled_from(["note", "version", "agreement", "to", "scale", "consent", "to_unit_code"])
    )
    body[field] = data.draw(VALUE)
    _no_5xx(api.post(world.township_officer, f"/cases/{case.id}/actions", body), body)


@FUZZ
@given(data=st.data())
def test_incident_and_screening_bodies(api, world, now, data):
    incident = petition(now)
    incident[data.draw(st.sampled_from([*incident, "injured", "dead", "case_id"]))] = data.draw(
        VALUE
    )
    _no_5xx(api.post(world.township_officer, "/incidents", incident), incident)
    screening = report(now)
    screening[data.draw(st.sampled_from(list(screening)))] = data.draw(VALUE)
    _no_5xx(api.post(world.mediator, "/screenings", screening), screening)


PARAMETERS = [
    "page",
    "per_page",
    "month",
    "unit",
    "status",
    "level",
    "scale",
    "category",
    "flag",
    "overdue",
    "q",
    "received_from",
    "received_to",
    "kind",
    "open",
    "metric",
    "revision",
    "show",
    "sort",
]
PAGES = [
    "/",
    "/cases",
    "/incidents",
    "/screenings",
    "/inbox",
    "/cases/id-access-log",
    "/scorecards",
    "/scorecards/2026-11",
    "/scorecards/2026-11/print",
    "/scorecards/2026-11/export.csv",
    "/api/v1/cases",
    "/api/v1/flags",
    "/api/v1/incidents",
    "/api/v1/screenings",
    "/api/v1/scorecards/2026-11",
    "/api/v1/units",
]


def _query(pairs: list[tuple[str, str]]) -> str:
    """Percent-encoded as a client would, lone surrogates as the bytes they would be."""
    return "&".join(
        f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
        for name, value in pairs
    )


@FUZZ
@given(
    path=st.sampled_from(PAGES),
    pairs=st.lists(
        st.tuples(
            st.sampled_from(PARAMETERS),
            st.one_of(TEXT, NUMBER.map(str), st.sampled_from(["9999-12", "99999999999999999999"])),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_query_parameters(client, api, world, login, path, pairs):
    if not getattr(client, "signed_in", False):
        login(world.county_officer)
        client.signed_in = True
    url = f"{path}?{_query(pairs)}"
    if path.startswith("/api/"):
        response = client.get(url, headers=api.headers(world.county_officer))
    else:
        response = client.get(url)
    _no_5xx(response, url)
