"""GET /api/v1/flags: the sweep's findings in the caller's area."""

import datetime as dt

from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep
from mediation.services.users import issue_token

from ..factories import TZ

RECEIVED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)


def bearer(user):
    token = issue_token(user)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_flags_are_listed_within_the_area(client, world, make):
    case = make.case(world.mediator, now=RECEIVED)
    make.case(world.mediator_other_township, now=RECEIVED)
    run_sweep(
        dt.datetime(2026, 11, 4, 8, tzinfo=TZ),
        policy=Policy(),
        tz=TZ,
        notifier=Notifier.from_config("log"),
    )

    flags = client.get("/api/v1/flags?open=1", headers=bearer(world.mediator)).get_json()
    assert [(f["kind"], f["case_id"], f["unit_code"], f["level"]) for f in flags] == [
        ("accept_overdue", case.id, "410522100201", "village")
    ]
    assert flags[0]["raised_at"].endswith("+08:00") and flags[0]["cleared_at"] is None

    county = client.get(
        "/api/v1/flags?kind=accept_overdue", headers=bearer(world.county_officer)
    ).get_json()
    assert len(county) == 2
    township = client.get(
        "/api/v1/flags?unit=410522100000", headers=bearer(world.county_officer)
    ).get_json()
    assert [f["case_id"] for f in township] == [case.id]


def test_bad_filters_and_other_areas(client, world):
    headers = bearer(world.mediator)
    response = client.get("/api/v1/flags?kind=bogus&open=2", headers=headers)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"kind", "open"}
    assert client.get("/api/v1/flags?unit=410522101201", headers=headers).status_code == 404
    assert client.get("/api/v1/flags").status_code == 401
