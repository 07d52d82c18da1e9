from decimal import Decimal

import pytest

from mediation.domain.enums import Category, Level, Risk, Scale
from mediation.domain.policy import Policy, PolicyError, parse_policy
from mediation.domain.scale import assess_scale

POLICY = Policy().scale


def assess(people=2, amount="0", category=Category.neighbor, risks=()):
    return assess_scale(
        people=people, amount_yuan=Decimal(amount), category=category, risks=risks, policy=POLICY
    )


@pytest.mark.parametrize(
    "kwargs, scale, reason",
    [
        ({}, Scale.small, []),
        ({"people": 4, "amount": "49999.99"}, Scale.small, []),
        ({"people": 5}, Scale.big, ["≥5 people"]),
        ({"amount": "50000"}, Scale.big, ["≥50,000 yuan"]),
        (
            {"category": Category.land_acquisition},
            Scale.big,
            ["category: Land acquisition and demolition"],
        ),
        ({"risks": [Risk.multi_village]}, Scale.big, ["spans several villages"]),
        ({"risks": [Risk.group_incident]}, Scale.big, ["group-incident risk"]),
        ({"risks": [Risk.petition]}, Scale.big, ["petition risk"]),
        ({"risks": [Risk.violence]}, Scale.small, []),
        ({"people": 30}, Scale.major, ["≥30 people"]),
        ({"amount": "500000"}, Scale.major, ["≥500,000 yuan"]),
        ({"risks": [Risk.multi_township]}, Scale.major, ["spans several townships"]),
        (
            {"risks": [Risk.violence, Risk.group_incident]},
            Scale.major,
            ["violence risk together with group risk"],
        ),
    ],
)
def test_the_default_scale_rules(kwargs, scale, reason):
    result = assess(**kwargs)
    assert result.scale is scale
    assert [message.render() for message in result.reasons] == reason


def test_the_scale_names_its_home_level():
    assert [s.home_level for s in Scale] == [Level.village, Level.township, Level.county]


def test_a_policy_changes_the_thresholds():
    policy = parse_policy({"scale": {"big_people": 3}})
    result = assess_scale(
        people=3, amount_yuan=Decimal(0), category=Category.other, risks=(), policy=policy.scale
    )
    assert result.scale is Scale.big
    assert result.reasons[0].render() == "≥3 people"


def test_an_empty_policy_keeps_every_default():
    assert parse_policy({}) == Policy()


@pytest.mark.parametrize(
    "document, key",
    [
        ({"scale": {"big_peple": 5}}, "scale.big_peple"),
        ({"clocks": {"accept_working_days": 0}}, "clocks.accept_working_days"),
        ({"clocks": {"settle_working_days": {"city": 3}}}, "clocks.settle_working_days.city"),
        ({"clocks": {"warn_ratio": 1.5}}, "clocks.warn_ratio"),
        ({"intake": {"max_backdate_days": -1}}, "intake.max_backdate_days"),
        ({"calendar": {"holidays": ["2027-02-30"]}}, "calendar.holidays"),
        ({"scorecard": {"weights": {"petition": -1}}}, "scorecard.weights.petition"),
        ({"scorecard": {"freeze_day": 31}}, "scorecard.freeze_day"),
        ({"scale": {"big_amount_yuan": "lots"}}, "scale.big_amount_yuan"),
        ({"unknown": {}}, "unknown"),
    ],
)
def test_a_bad_policy_names_the_key(document, key):
    with pytest.raises(PolicyError) as error:
        parse_policy(document)
    assert str(error.value).startswith(key)
