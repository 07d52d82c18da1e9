"""Flags reach the inbox of the people who can act, with an unread count in the header."""

import datetime as dt
import re

from mediation.domain.policy import Policy
from mediation.services.notify import Notifier
from mediation.services.sweep import run_sweep

from ..factories import TZ

RECEIVED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)


def sweep_at(day):
    run_sweep(
        dt.datetime(2026, 11, day, 8, tzinfo=TZ),
        policy=Policy(),
        tz=TZ,
        notifier=Notifier.from_config("inbox,log"),
    )


def unread(page: str) -> int:
    match = re.search(r'class="unread-count"[^>]*>(\d+)<', page)
    return int(match.group(1)) if match else 0


def test_the_mediator_is_told_and_reads_it(client, world, login, make):
    case = make.case(world.mediator, now=RECEIVED, title="院墙倒塌赔偿纠纷")
    sweep_at(4)  # the accept clock ran out
    login(world.mediator)
    page = client.get("/").get_data(as_text=True)
    assert unread(page) == 1
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "院墙倒塌赔偿纠纷" in inbox and "flag-accept_overdue" in inbox
    note_id = re.search(r"/inbox/(\d+)/read", inbox).group(1)
    response = client.post(f"/inbox/{note_id}/read")
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert unread(client.get("/").get_data(as_text=True)) == 0
    assert "院墙倒塌赔偿纠纷" in client.get("/inbox?show=all").get_data(as_text=True)


def test_others_are_not_told_and_cannot_read_it(client, world, login, make):
    make.case(world.mediator, now=RECEIVED)
    sweep_at(4)
    login(world.mediator_east)
    assert unread(client.get("/").get_data(as_text=True)) == 0
    client.post("/logout")
    login(world.mediator)
    note_id = re.search(r"/inbox/(\d+)/read", client.get("/inbox").get_data(as_text=True)).group(1)
    client.post("/logout")
    login(world.mediator_east)
    assert client.post(f"/inbox/{note_id}/read").status_code == 404


def test_mark_all_as_read(client, world, login, make):
    for _ in range(3):
        make.case(world.mediator, now=RECEIVED)
    sweep_at(4)
    login(world.mediator)
    assert unread(client.get("/").get_data(as_text=True)) == 3
    client.post("/inbox/read-all")
    assert unread(client.get("/").get_data(as_text=True)) == 0
