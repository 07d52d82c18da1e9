"""The rules of the 三零 inputs: incidents and the monthly screening report, and which months
the sweep checks for missing reports. No app, an explicit ``now``."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from mediation.domain.enums import IncidentKind, PetitionLevel
from mediation.domain.incidents import (
    last_screening_due,
    parse_incident,
    parse_screening,
    screening_months_to_check,
)
from mediation.domain.intake import InvalidInput
from mediation.domain.months import Month

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 26, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


def incident(**overrides):
    body = {
        "village_code": "410522100201",
        "kind": "petition",
        "occurred_at": "2026-11-20T09:30:00+08:00",
        "summary": "村民到县信访局反映宅基地问题。",
        "petition_level": "county",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def screening(**overrides):
    body = {
        "village_code": "410522100201",
        "month": "2026-10",
        "visited_at": "2026-10-28",
        "households": 120,
        "risks_found": 2,
        "disputes_found": 1,
        "zero_report": False,
        "note": "",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def bad_fields(parse, raw, **kwargs):
    with pytest.raises(InvalidInput) as error:
        parse(raw, now=NOW, tz=TZ, **kwargs)
    return set(error.value.fields)


def test_an_individual_petition():
    draft = parse_incident(incident(), now=NOW, tz=TZ)
    assert draft.kind is IncidentKind.petition
    assert draft.petition_level is PetitionLevel.county
    assert draft.occurred_at == dt.datetime(2026, 11, 20, 1, 30, tzinfo=dt.UTC)
    assert (draft.is_collective, draft.people) == (False, 1)
    assert not draft.is_pushed_up and draft.case_id is None


def test_a_collective_petition_to_the_province_is_pushed_up():
    draft = parse_incident(
        incident(petition_level="province", collective=True, people=12, case_id=7), now=NOW, tz=TZ
    )
    assert draft.is_pushed_up and draft.is_collective and draft.people == 12 and draft.case_id == 7


def test_an_accident_with_injured_and_dead():
    draft = parse_incident(
        incident(kind="accident", petition_level=None, injured="3", dead=1), now=NOW, tz=TZ
    )
    assert (draft.injured, draft.dead, draft.petition_level, draft.people) == (3, 1, None, 0)


def test_a_naive_time_is_local_only_for_the_form():
    raw = incident(occurred_at="2026-11-20T09:30")
    assert bad_fields(parse_incident, raw) == {"occurred_at"}
    draft = parse_incident(raw, now=NOW, tz=TZ, naive_is_local=True)
    assert draft.occurred_at.hour == 1


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"kind": "riot"}, "kind"),
        ({"kind": None}, "kind"),
        ({"occurred_at": None}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": 20261120}, "occurred_at"),
        ({"occurred_at": "2026-11-26T13:00:00+08:00"}, "occurred_at"),  # an hour ahead
        ({"summary": None}, "summary"),
        ({"summary": "   "}, "summary"),
        ({"summary": "x" * 2001}, "summary"),
        ({"summary": 5}, "summary"),
        ({"petition_level": None}, "petition_level"),
        ({"petition_level": "village"}, "petition_level"),
        ({"collective": True}, "people"),
        ({"collective": True, "people": 1}, "people"),
        ({"collective": "maybe"}, "collective"),
        ({"people": 0}, "people"),
        ({"people": 1.5}, "people"),
        ({"people": True}, "people"),
        ({"case_id": "abc"}, "case_id"),
        ({"case_id": 0}, "case_id"),
        ({"village_code": None}, "village_code"),
    ],
)
def test_each_bad_field_is_named(overrides, field):
    assert bad_fields(parse_incident, incident(**overrides)) == {field}


@pytest.mark.parametrize(
    "overrides, fields",
    [
        ({"kind": "criminal"}, {"petition_level"}),  # only a petition has a level
        ({"kind": "accident", "petition_level": None, "injured": -1}, {"injured"}),
        ({"kind": "accident", "petition_level": None, "dead": "two"}, {"dead"}),
        ({"kind": "public_order", "petition_level": None, "injured": 2}, {"injured"}),
        ({"kind": "criminal", "petition_level": None, "collective": True}, {"collective"}),
        (
            {"petition_level": None, "summary": None, "kind": "accident", "dead": -1},
            {"summary", "dead"},
        ),
    ],
)
def test_fields_belong_to_their_kind(overrides, fields):
    assert bad_fields(parse_incident, incident(**overrides)) == fields


def test_zero_injured_is_fine_on_any_kind():
    draft = parse_incident(
        incident(kind="criminal", petition_level="", injured=0, dead="0"), now=NOW, tz=TZ
    )
    assert draft.petition_level is None and (draft.injured, draft.dead) == (0, 0)


def test_a_screening_report():
    draft = parse_screening(screening(note=" 走访了三组 "), now=NOW, tz=TZ)
    assert draft.month == Month(2026, 10)
    assert draft.visited_on == dt.date(2026, 10, 28)
    assert (draft.households, draft.risks_found, draft.disputes_found) == (120, 2, 1)
    assert not draft.is_zero_report and draft.note == "走访了三组"


def test_a_zero_report_may_leave_the_findings_out():
    draft = parse_screening(
        screening(
            zero_report=True,
            risks_found=None,
            disputes_found=None,
            month="2026-11",
            visited_at="2026-11-26T10:00:00+08:00",
        ),
        now=NOW,
        tz=TZ,
    )
    assert draft.is_zero_report and (draft.risks_found, draft.disputes_found) == (0, 0)
    assert draft.visited_on == dt.date(2026, 11, 26)


def test_visits_after_the_month_are_fine():
    draft = parse_screening(screening(visited_at="2026-11-03"), now=NOW, tz=TZ)
    assert draft.visited_on == dt.date(2026, 11, 3)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"month": None}, "month"),
        ({"month": "2026-13"}, "month"),
        ({"month": "2026/10"}, "month"),
        ({"month": 202610}, "month"),
        ({"month": "2026-12", "visited_at": "2026-11-20"}, "month"),  # the future
        ({"visited_at": None}, "visited_at"),
        ({"visited_at": "28 October"}, "visited_at"),
        ({"visited_at": "2026-09-30"}, "visited_at"),  # before the month
        ({"visited_at": "2026-11-27"}, "visited_at"),  # tomorrow
        ({"households": None}, "households"),
        ({"households": -1}, "households"),
        ({"risks_found": "a few"}, "risks_found"),
        ({"disputes_found": None}, "disputes_found"),
        ({"zero_report": True}, "disputes_found"),  # a zero report finds no disputes
        ({"zero_report": "perhaps"}, "zero_report"),
        ({"note": "x" * 2001}, "note"),
        ({"village_code": ""}, "village_code"),
    ],
)
def test_each_bad_screening_field_is_named(overrides, field):
    assert bad_fields(parse_screening, screening(**overrides)) == {field}


@pytest.mark.parametrize(
    "local, expected",
    [
        # November's report is due by 24:00 on 25 November itself
        (dt.datetime(2026, 11, 25, 23, 59), Month(2026, 10)),
        (dt.datetime(2026, 11, 26, 0, 0), Month(2026, 11)),
        (dt.datetime(2027, 1, 26, 0, 0), Month(2027, 1)),
        (dt.datetime(2027, 1, 5, 0, 0), Month(2026, 12)),
        (dt.datetime(2027, 1, 1, 0, 0), Month(2026, 12)),  # 24:00 on 31 December
    ],
)
def test_the_last_month_whose_report_is_overdue(local, expected):
    assert last_screening_due(local.replace(tzinfo=TZ), 25, TZ) == expected


def test_the_months_to_check():
    now = dt.datetime(2027, 1, 26, 8, 0, tzinfo=TZ)  # January's report was due last night
    assert screening_months_to_check(now, 25, TZ, checked=Month(2027, 1), first_used=None) == []
    assert screening_months_to_check(now, 25, TZ, checked=Month(2026, 11), first_used=None) == [
        Month(2026, 12),
        Month(2027, 1),
    ]
    # never checked: from the first month the system was used; nothing when it holds no data
    assert screening_months_to_check(now, 25, TZ, checked=None, first_used=Month(2027, 1)) == [
        Month(2027, 1)
    ]
    assert screening_months_to_check(now, 25, TZ, checked=None, first_used=Month(2027, 2)) == []
    assert screening_months_to_check(now, 25, TZ, checked=None, first_used=None) == []
    # a policy with an earlier due day
    early = dt.datetime(2027, 1, 11, 8, 0, tzinfo=TZ)
    assert screening_months_to_check(early, 10, TZ, checked=Month(2026, 11), first_used=None) == [
        Month(2026, 12),
        Month(2027, 1),
    ]
