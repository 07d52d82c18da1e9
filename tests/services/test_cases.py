import datetime as dt

import pytest
from sqlalchemy import select

from mediation.domain.enums import CaseStatus, Level, Scale
from mediation.domain.intake import InvalidInput
from mediation.extensions import db
from mediation.models import Case, CaseEvent
from mediation.services import access


def test_a_mediator_registers_a_case_at_the_village(world, make):
    case = make.case(world.mediator)
    assert case.number.startswith("410522-")
    assert case.status is CaseStatus.registered
    assert case.level is Level.village and case.holder.code == "410522100201"
    assert case.scale is Scale.small and case.home_level is Level.village
    assert [p.name for p in case.parties] == ["张三", "李四"]
    assert case.parties[0].masked_id_number == "4105**********1233"
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [e.action for e in events] == ["register"]


def test_numbers_count_up_per_county_and_year(world, make):
    first = make.case(world.mediator)
    second = make.case(world.mediator_east)
    year = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year
    assert first.number == f"410522-{year}-000001"
    assert second.number == f"410522-{year}-000002"


def test_an_officer_registers_at_his_own_level(world, make):
    case = make.case(world.township_officer, village_code="410522100202", people_involved=6)
    assert case.level is Level.township and case.holder.code == "410522100000"
    assert case.scale is Scale.big
    assert [m.render() for m in case.scale_reasons] == ["≥5 people"]


def test_a_village_outside_the_scope_is_refused(world, make):
    with pytest.raises(InvalidInput) as error:
        make.case(world.mediator, village_code="410522100202")
    assert set(error.value.fields) == {"village_code"}
    assert db.session.scalar(select(Case.id)) is None


def test_scoping(world, make):
    mine = make.case(world.mediator)
    other = make.case(world.mediator_other_township)
    assert access.find_case(world.mediator, mine.id) is not None
    assert access.find_case(world.mediator_east, mine.id) is None
    assert access.find_case(world.township_officer, mine.id) is not None
    assert access.find_case(world.township_officer, other.id) is None
    assert access.find_case(world.county_officer, other.id) is not None
