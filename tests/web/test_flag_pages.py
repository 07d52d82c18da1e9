"""Flags as users meet them: on the case page, as list filters and on the home pages."""

import datetime as dt

from mediation.domain.enums import Action
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep
from mediation.services.workflow import Context, perform

from ..factories import TZ

RECEIVED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)


def sweep_at(day, hour=8):
    run_sweep(
        dt.datetime(2026, 11, day, hour, tzinfo=TZ),
        policy=Policy(),
        tz=TZ,
        notifier=Notifier.from_config("log"),
    )


def test_flags_on_the_case_page_list_and_home(client, world, login, make):
    late = make.case(world.mediator, now=RECEIVED, title="逾期未受理的纠纷")
    fine = make.case(world.mediator, now=RECEIVED, title="已及时受理的纠纷")
    perform(
        world.mediator,
        fine,
        Action.accept,
        {},
        version=fine.version,
        ctx=Context.build(RECEIVED + dt.timedelta(hours=1), Policy(), TZ),
    )
    db.session.commit()
    sweep_at(4)
    login(world.mediator)

    page = client.get(f"/cases/{late.id}").get_data(as_text=True)
    assert "flag-accept_overdue" in page

    listed = client.get("/cases?flag=accept_overdue").get_data(as_text=True)
    assert "逾期未受理的纠纷" in listed and "已及时受理的纠纷" not in listed
    listed = client.get("/cases?overdue=1").get_data(as_text=True)
    assert "逾期未受理的纠纷" in listed and "已及时受理的纠纷" not in listed
    assert 'data-field="flag"' in client.get("/cases?flag=nonsense").get_data(as_text=True)

    home = client.get("/").get_data(as_text=True)
    assert "/cases?flag=accept_overdue" in home


def test_rule_broken_lists_cases_that_left_the_village(client, world, login, make):
    left = make.case(world.mediator, now=RECEIVED, title="出村的小事")
    make.case(world.mediator, now=RECEIVED, title="留在村里的小事")
    perform(
        world.mediator,
        left,
        Action.escalate,
        {"note": "调解不成"},
        version=left.version,
        ctx=Context.build(RECEIVED + dt.timedelta(hours=1), Policy(), TZ),
    )
    db.session.commit()
    sweep_at(2, 12)
    login(world.township_officer)
    listed = client.get("/cases?flag=rule_broken").get_data(as_text=True)
    assert "出村的小事" in listed and "留在村里的小事" not in listed
    assert "flag-small_left_village" in client.get("/").get_data(as_text=True)
