import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from mediation.domain.intake import InvalidInput, parse_case
from mediation.domain.policy import IntakePolicy

from ..factories import case_fields

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 26, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


def parse(naive_is_local=False, **overrides):
    return parse_case(
        case_fields(**overrides),
        now=NOW,
        tz=TZ,
        policy=IntakePolicy(),
        naive_is_local=naive_is_local,
    )


def test_a_valid_case():
    draft = parse(received_at="2026-11-25T09:30:00+08:00")
    assert draft.received_at == dt.datetime(2026, 11, 25, 1, 30, tzinfo=dt.UTC)
    assert draft.amount_yuan == Decimal("1200.00")
    assert len(draft.parties) == 2


def test_received_at_defaults_to_now():
    assert parse().received_at == NOW


def test_a_naive_time_is_local_only_for_the_form():
    assert parse(naive_is_local=True, received_at="2026-11-26T08:00").received_at.hour == 0
    with pytest.raises(InvalidInput) as error:
        parse(received_at="2026-11-26T08:00")
    assert list(error.value.fields) == ["received_at"]


def test_backdating_is_limited_by_the_policy():
    parse(received_at=(NOW - dt.timedelta(days=89)).isoformat())
    with pytest.raises(InvalidInput):
        parse(received_at=(NOW - dt.timedelta(days=91)).isoformat())


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"people_involved": True}, "people_involved"),
        ({"people_involved": 1.5}, "people_involved"),
        ({"amount_yuan": "NaN"}, "amount_yuan"),
        ({"amount_yuan": 12.345}, "amount_yuan"),
        ({"risks": ["violence", "aliens"]}, "risks"),
        ({"risks": "violence"}, "risks"),
        ({"title": 5}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"parties": "张三"}, "parties"),
        ({"parties": [{"name": "张三", "role": "judge"}]}, "parties.0.role"),
        ({"parties": ["张三"]}, "parties.0"),
    ],
)
def test_wrong_types_name_the_field(overrides, field):
    with pytest.raises(InvalidInput) as error:
        parse(**overrides)
    assert list(error.value.fields) == [field]
