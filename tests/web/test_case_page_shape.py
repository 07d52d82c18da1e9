"""The case page's work stays bounded at scale (docs/performance.md): the assign-down form
offers the case's own township and village only, the units the workflow accepts, never every
unit of the area; and the page's queries do not grow with the size of the area."""

from __future__ import annotations

import re

from sqlalchemy import event

from mediation.domain.enums import CaseStatus, Level
from mediation.extensions import db
from mediation.services.units import UnitRow, import_units

from ..factories import UNITS
from .test_pages_read_right import concluded_long_ago


def assign_down_options(page: str) -> list[str]:
    start = page.index('id="action-assign_down"')
    block = page[start : page.index("</details>", start)]
    return re.findall(r'<option[^>]*value="(\d+)"', block)


def count_queries(client, path: str) -> int:
    return len(statements_of(client, path))


def statements_of(client, path: str) -> list[str]:
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return statements


def test_a_county_case_can_be_handed_down_to_its_own_township_and_village_only(
    client, make, world, login
):
    case = make.case(world.county_officer, village_code="410522100201")
    assert case.level is Level.county
    login(world.county_officer)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    # 白壁镇 and 西裴村, not 东裴村, 水冶镇 or its villages.
    assert assign_down_options(page) == ["410522100000", "410522100201"]

    response = client.post(
        f"/cases/{case.id}/actions/assign_down",
        data={"version": case.version, "to_unit_code": "410522100201", "note": "请村里先调解"},
    )
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.level is Level.village and case.status is CaseStatus.registered


def test_the_case_page_asks_the_same_number_of_queries_in_a_bigger_area(client, make, world, login):
    case = make.case(world.county_officer, village_code="410522100201")
    login(world.county_officer)
    client.get(f"/cases/{case.id}")  # warm: the user's first page
    before = count_queries(client, f"/cases/{case.id}")

    # Forty more villages under 白壁镇, and more cases elsewhere in the county.
    more = [(f"4105221003{n:02d}", f"新村{n}", Level.village, "410522100000") for n in range(40)]
    import_units([UnitRow(i, *row) for i, row in enumerate(UNITS + more)])
    db.session.commit()
    for _ in range(3):
        make.case(world.county_officer, village_code="410522100202")

    after = count_queries(client, f"/cases/{case.id}")
    assert after == before
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert assign_down_options(page) == ["410522100000", "410522100201"]


def test_a_case_page_reads_the_calendar_and_lists_only_when_it_shows_them(
    client, make, world, login
):
    """A concluded case with no flags (most of a register) reads no working calendar (no
    clock runs) and no flags (counted with the case); what it has, it shows."""
    concluded = concluded_long_ago(make, world)
    running = make.case(world.mediator, title="刚登记的纠纷")
    login(world.mediator)
    client.get(f"/cases/{concluded.id}")  # warm: the user's first page

    read = statements_of(client, f"/cases/{concluded.id}")
    assert not [s for s in read if "FROM calendar_days" in s]
    assert not [s for s in read if s.startswith("SELECT flags.")]
    assert [s for s in read if s.startswith("SELECT agreements.")]
    page = client.get(f"/cases/{concluded.id}").get_data(as_text=True)
    assert "赔偿菜苗损失" in page and "已赔偿" in page and 'class="flags"' not in page

    read = statements_of(client, f"/cases/{running.id}")
    assert [s for s in read if "FROM calendar_days" in s]
    assert not [s for s in read if s.startswith(("SELECT agreements.", "SELECT follow_ups."))]
    page = client.get(f"/cases/{running.id}").get_data(as_text=True)
    assert re.search(r'data-clock="accept".*?工作日', page, re.S)
