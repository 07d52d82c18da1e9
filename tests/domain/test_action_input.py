"""parse_action_input: the fields each action carries, the same for the form and the API."""

from decimal import Decimal

import pytest

from mediation.domain.enums import Action, AgreementForm, ReferralTarget, Scale
from mediation.domain.intake import InvalidInput
from mediation.domain.workflow import NEEDS_REASON, NOTE_MAX, USER_ACTIONS, parse_action_input

# The smallest valid body of each action besides its note.
VALID = {
    Action.accept: {},
    Action.pause: {},
    Action.resume: {},
    Action.resolve: {"agreement": {"form": "written", "terms": "赔偿一千元"}},
    Action.escalate: {},
    Action.assign_down: {"to_unit_code": "410522100201"},
    Action.refer: {"to": "court"},
    Action.withdraw: {},
    Action.follow_up: {"performed": True, "satisfied": True, "relapse_risk": False},
    Action.reopen: {},
    Action.extend: {"consent": True},
    Action.reclassify: {"scale": "big"},
    Action.report: {},
    Action.take_over: {},
    Action.session: {
        "held_at": "2026-11-26T09:30+08:00",
        "place": "村委会",
        "participants": "双方当事人",
        "summary": "同意协商",
    },
}


def errors(action, raw) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_action_input(action, raw)
    return {name: message.msgid for name, message in caught.value.fields.items()}


@pytest.mark.parametrize("action", USER_ACTIONS, ids=lambda a: a.value)
def test_the_reason_is_required_exactly_for_the_actions_that_need_one(action):
    for note in (None, "", "   "):
        raw = dict(VALID[action], **({} if note is None else {"note": note}))
        if action in NEEDS_REASON:
            assert errors(action, raw) == {"note": "Give the reason."}
        else:
            assert parse_action_input(action, raw).note == ""
    assert parse_action_input(action, dict(VALID[action], note=" 双方同意 ")).note == "双方同意"


@pytest.mark.parametrize("action", USER_ACTIONS, ids=lambda a: a.value)
def test_a_note_has_a_length_limit(action):
    raw = dict(VALID[action], note="长" * (NOTE_MAX + 1))
    assert errors(action, raw)["note"] == "At most %(n)s characters, please."
    assert parse_action_input(action, dict(VALID[action], note="长" * NOTE_MAX)).note


def test_a_note_must_be_text():
    assert errors(Action.pause, {"note": 12}) == {"note": "Expected text."}


def test_resolve_records_the_agreement():
    data = parse_action_input(
        Action.resolve,
        {"agreement": {"form": "oral", "terms": " 互相道歉 ", "amount_yuan": "1,200.5"}},
    )
    assert data.agreement_form is AgreementForm.oral
    assert data.agreement_terms == "互相道歉"
    assert data.agreement_amount_yuan == Decimal("1200.50")
    no_amount = parse_action_input(Action.resolve, VALID[Action.resolve])
    assert no_amount.agreement_amount_yuan == Decimal("0")


@pytest.mark.parametrize(
    "agreement, expected",
    [
        (None, {"agreement": "Record the agreement: its form and terms."}),
        ("written", {"agreement": "Record the agreement: its form and terms."}),
        (
            {},
            {
                "agreement.form": "This field is required.",
                "agreement.terms": "This field is required.",
            },
        ),
        ({"form": "signed", "terms": "x"}, {"agreement.form": "Not a valid choice."}),
        (
            {"form": "written", "terms": "x", "amount_yuan": "-1"},
            {"agreement.amount_yuan": "The amount cannot be negative."},
        ),
        (
            {"form": "written", "terms": "x", "amount_yuan": "1.234"},
            {"agreement.amount_yuan": "At most two decimals (fen), please."},
        ),
    ],
    ids=["missing", "not-an-object", "empty", "bad-form", "negative", "three-decimals"],
)
def test_a_bad_agreement_is_named_field_by_field(agreement, expected):
    raw = {} if agreement is None else {"agreement": agreement}
    assert errors(Action.resolve, raw) == expected


def test_assign_down_needs_the_unit_and_a_reason():
    assert errors(Action.assign_down, {}) == {
        "note": "Give the reason.",
        "to_unit_code": "This field is required.",
    }
    data = parse_action_input(
        Action.assign_down, {"to_unit_code": " 410522100201 ", "note": "交办"}
    )
    assert data.to_unit_code == "410522100201"


@pytest.mark.parametrize("target", list(ReferralTarget), ids=lambda t: t.value)
def test_refer_to_each_body(target):
    data = parse_action_input(Action.refer, {"to": target.value, "note": "移交"})
    assert data.refer_to is target


def test_refer_needs_a_known_body():
    assert errors(Action.refer, {"note": "x"}) == {"to": "This field is required."}
    assert errors(Action.refer, {"note": "x", "to": "mayor"}) == {"to": "Not a valid choice."}


@pytest.mark.parametrize(
    "given, value",
    [
        (True, True),
        (False, False),
        ("true", True),
        ("on", True),
        ("1", True),
        ("yes", True),
        ("false", False),
        ("0", False),
        ("off", False),
        ("", False),
        ("No", False),
    ],
)
def test_follow_up_reads_yes_and_no(given, value):
    data = parse_action_input(
        Action.follow_up, {"performed": given, "satisfied": given, "relapse_risk": given}
    )
    assert (data.performed, data.satisfied, data.relapse_risk) == (value, value, value)


@pytest.mark.parametrize("given", [None, "maybe", 2, [True]])
def test_follow_up_refuses_anything_else(given):
    raw = {"performed": given, "satisfied": True, "relapse_risk": False}
    assert errors(Action.follow_up, raw) == {"performed": "Answer yes or no."}


def test_follow_up_needs_every_answer():
    assert set(errors(Action.follow_up, {})) == {"performed", "satisfied", "relapse_risk"}


@pytest.mark.parametrize("consent", [True, "true", "1", "on", "yes"])
def test_extend_with_consent(consent):
    """The form's checkbox and the API's boolean both count as consent; the note goes along."""
    data = parse_action_input(Action.extend, {"consent": consent, "note": "双方书面同意延长"})
    assert data.note == "双方书面同意延长"


@pytest.mark.parametrize("consent", [None, False, "false", "", "no", 0])
def test_extend_without_consent_is_refused(consent):
    raw = {} if consent is None else {"consent": consent}
    assert errors(Action.extend, raw) == {"consent": "Both parties must consent to the extension."}


@pytest.mark.parametrize("scale", list(Scale), ids=lambda s: s.value)
def test_reclassify_to_each_scale(scale):
    assert parse_action_input(Action.reclassify, {"scale": scale.value, "note": "x"}).scale is scale


def test_reclassify_needs_a_scale_and_a_reason():
    assert errors(Action.reclassify, {}) == {
        "note": "Give the reason.",
        "scale": "This field is required.",
    }
    assert errors(Action.reclassify, {"scale": "huge", "note": "x"}) == {
        "scale": "Not a valid choice."
    }


def test_fields_of_other_actions_are_ignored():
    data = parse_action_input(Action.accept, {"scale": "huge", "to": "mars", "consent": "no"})
    assert data.scale is None and data.refer_to is None


def test_a_session_names_when_where_who_and_what():
    data = parse_action_input(Action.session, VALID[Action.session])
    assert data.held_at.isoformat() == "2026-11-26T01:30:00+00:00"
    assert (data.place, data.participants, data.summary) == ("村委会", "双方当事人", "同意协商")
    assert errors(Action.session, {}) == {
        "held_at": "This field is required.",
        "place": "This field is required.",
        "participants": "This field is required.",
        "summary": "This field is required.",
    }
    naive = dict(VALID[Action.session], held_at="2026-11-26T09:30")
    assert errors(Action.session, naive) == {
        "held_at": "Give the time with its UTC offset, such as +08:00."
    }
