"""Scale and home level (小事 / 大事 / 重大), computed from the policy on intake."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .enums import Category, Risk, Scale
from .i18n import N_, Message
from .policy import ScalePolicy


@dataclass(frozen=True)
class ScaleAssessment:
    scale: Scale
    reasons: tuple[Message, ...]  # why this scale; empty for a small case


def assess_scale(
    *,
    people: int,
    amount_yuan: Decimal,
    category: Category,
    risks: Iterable[Risk],
    policy: ScalePolicy,
) -> ScaleAssessment:
    """The scale the policy gives a case, with every rule that put it there.

    Major (重大): ≥ major_people, ≥ major_amount_yuan, spans several townships, or violence
    risk together with group risk. Big (较大): ≥ big_people, ≥ big_amount_yuan, spans several
    villages, a big category, group or petition risk. Small (一般) otherwise.
    """
    risks = set(risks)
    major: list[Message] = []
    if people >= policy.major_people:
        major.append(Message(N_("≥%(n)s people"), {"n": policy.major_people}))
    if amount_yuan >= policy.major_amount_yuan:
        major.append(Message(N_("≥%(n)s yuan"), {"n": _yuan(policy.major_amount_yuan)}))
    if Risk.multi_township in risks:
        major.append(Message(N_("spans several townships")))
    if Risk.violence in risks and Risk.group_incident in risks:
        major.append(Message(N_("violence risk together with group risk")))
    if major:
        return ScaleAssessment(Scale.major, tuple(major))

    big: list[Message] = []
    if people >= policy.big_people:
        big.append(Message(N_("≥%(n)s people"), {"n": policy.big_people}))
    if amount_yuan >= policy.big_amount_yuan:
        big.append(Message(N_("≥%(n)s yuan"), {"n": _yuan(policy.big_amount_yuan)}))
    if Risk.multi_village in risks:
        big.append(Message(N_("spans several villages")))
    if category in policy.big_categories:
        big.append(Message(N_("category: %(category_label)s"), {"category_label": category.label}))
    if Risk.group_incident in risks:
        big.append(Message(N_("group-incident risk")))
    if Risk.petition in risks:
        big.append(Message(N_("petition risk")))
    if big:
        return ScaleAssessment(Scale.big, tuple(big))
    return ScaleAssessment(Scale.small, ())


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
