"""Test data made through the same services the app uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from mediation.domain.enums import Level, Role
from mediation.domain.intake import parse_case
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.services.cases import register_case
from mediation.services.units import UnitRow, import_units
from mediation.services.users import create_user

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct-horse-9"

# A real-looking piece of 安阳县: two townships, two villages each.
UNITS = [
    ("410522000000", "安阳县", Level.county, ""),
    ("410522100000", "白壁镇", Level.township, "410522000000"),
    ("410522100201", "西裴村", Level.village, "410522100000"),
    ("410522100202", "东裴村", Level.village, "410522100000"),
    ("410522101000", "水冶镇", Level.township, "410522000000"),
    ("410522101201", "北关村", Level.village, "410522101000"),
    ("410522101202", "南关村", Level.village, "410522101000"),
]


@dataclass
class Factory:
    def units(self, rows=UNITS):
        import_units(
            [
                UnitRow(i, code, name, kind, parent)
                for i, (code, name, kind, parent) in enumerate(rows)
            ]
        )
        db.session.commit()

    def user(self, username: str, role: Role, unit_code: str, password: str = PASSWORD):
        user = create_user(username, role=role, unit_code=unit_code, password=password)
        db.session.commit()
        return user

    def world(self) -> SimpleNamespace:
        """The UNITS tree plus users: one mediator per village, an officer per township,
        a county officer, a viewer and an admin."""
        self.units()
        return SimpleNamespace(
            mediator=self.user("xipei", Role.mediator, "410522100201"),
            mediator_east=self.user("dongpei", Role.mediator, "410522100202"),
            mediator_other_township=self.user("beiguan", Role.mediator, "410522101201"),
            township_officer=self.user("baibi", Role.township_officer, "410522100000"),
            other_township_officer=self.user("shuiye", Role.township_officer, "410522101000"),
            county_officer=self.user("county", Role.county_officer, "410522000000"),
            viewer=self.user("leader", Role.viewer, "410522000000"),
            admin=self.user("admin", Role.admin, "410522000000"),
        )

    def case(self, actor, *, now: dt.datetime | None = None, **fields):
        """A case registered by ``actor`` through the intake service (village of the actor by
        default), committed."""
        now = now or dt.datetime.now(dt.UTC)
        raw = case_fields(**fields)
        if "village_code" not in fields:
            raw["village_code"] = actor.unit.code
        draft = parse_case(raw, now=now, tz=TZ, policy=Policy().intake)
        case = register_case(actor, draft, now=now, policy=Policy(), tz=TZ)
        db.session.commit()
        return case


def case_fields(**overrides) -> dict:
    """A valid intake body; override any field."""
    body = {
        "village_code": "410522100201",
        "category": "neighbor",
        "source": "party_application",
        "title": "宅基地滴水纠纷",
        "description": "两户因房檐滴水发生争执。",
        "people_involved": 2,
        "amount_yuan": "1200.00",
        "risks": [],
        "parties": [
            {
                "name": "张三",
                "role": "applicant",
                "id_number": "410522198503121233",
                "phone": "13800138000",
            },
            {"name": "李四", "role": "respondent"},
        ],
    }
    body.update(overrides)
    return body
