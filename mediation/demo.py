"""The demo county: a corner of 安阳县 (Henan) with a user of every role and a few months of cases.

Loaded into an empty database on first start (``MEDIATION_DEMO``) or by
``flask --app app seed-demo``. Everything goes through the real services (unit import, user
creation, case intake, and every later step of a case's life through the workflow service at
the moment it happened), so the cases carry real deadlines, agreements and history. The data is
generated from small lists with a fixed seed, so the same ``now`` gives the same county.

The demo logins share one password, :data:`DEMO_PASSWORD`: for the demo only.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select

from .domain.enums import Action, CaseStatus, Level, Role, Scale
from .domain.identity import id_check_char
from .domain.incidents import parse_incident, parse_screening, screening_due_at
from .domain.intake import parse_case
from .domain.months import Month
from .domain.workflow import refusal
from .extensions import db
from .models import Case, Unit, User
from .platform import runtime
from .services.cases import register_case
from .services.incidents import file_screening, record_incident
from .services.units import UnitRow, import_units
from .services.users import create_user
from .services.workflow import (
    Context,
    actor_for,
    bring_up_to_date,
    perform,
    record_changes,
    state_of,
)

DEMO_PASSWORD = "fengqiao-demo"
DEMO_SEED = 410522
DEMO_CASES = 160
DEMO_DAYS = 120  # about four months of history

COUNTY_CODE = "410522000000"
COUNTY_NAME = "安阳县"

# Townships (code, name, officer's user name and name) and their villages (code, name, the
# mediator's user name and name). Codes follow the 12-digit statistical style.
TOWNSHIPS = (
    (
        "410522100000",
        "白壁镇",
        "baibi",
        "王建国",
        (
            ("410522100201", "西裴村", "xipei", "裴秀英"),
            ("410522100202", "东裴村", "dongpei", "裴志刚"),
            ("410522100203", "白壁集村", "baibiji", "李卫东"),
            ("410522100204", "南田村", "nantian", "田凤芝"),
            ("410522100205", "东岗村", "donggang", "张国庆"),
        ),
    ),
    (
        "410522101000",
        "水冶镇",
        "shuiye",
        "赵红梅",
        (
            ("410522101201", "北关村", "beiguan", "刘保国"),
            ("410522101202", "南关村", "nanguan", "郭玉兰"),
            ("410522101203", "东蒋村", "dongjiang", "蒋文明"),
            ("410522101204", "西蒋村", "xijiang", "蒋桂芳"),
            ("410522101205", "阜城村", "fucheng", "杜永强"),
        ),
    ),
    (
        "410522102000",
        "吕村镇",
        "lvcun",
        "孙立新",
        (
            ("410522102201", "翟奇务村", "zhaiqiwu", "翟海军"),
            ("410522102202", "大寒村", "dahan", "韩秀梅"),
            ("410522102203", "南士旺村", "nanshiwang", "王士杰"),
            ("410522102204", "郭家村", "guojia", "郭振华"),
            ("410522102205", "沙岗村", "shagang", "陈玉霞"),
        ),
    ),
)

# The county's own users: the 矛调中心 officer, a read-only leader and the administrator.
COUNTY_USERS = (
    ("county", Role.county_officer, "马志远"),
    ("leader", Role.viewer, "高振东"),
    ("admin", Role.admin, "系统管理员"),
)


class DemoLogin(NamedTuple):
    username: str
    role: Role
    unit_code: str
    password: str


class DemoError(RuntimeError):
    """The demo cannot be loaded here (the database already holds units)."""


def unit_rows() -> list[UnitRow]:
    """The demo county's unit tree, as the rows of a unit CSV file."""
    rows = [UnitRow(1, COUNTY_CODE, COUNTY_NAME, Level.county, "")]
    for code, name, _, _, villages in TOWNSHIPS:
        rows.append(UnitRow(len(rows) + 1, code, name, Level.township, COUNTY_CODE))
        for village_code, village_name, _, _ in villages:
            rows.append(UnitRow(len(rows) + 1, village_code, village_name, Level.village, code))
    return rows


def demo_logins() -> list[DemoLogin]:
    """Every demo user: a mediator per village, an officer per township, then the county's."""
    logins = []
    for code, _, officer, _, villages in TOWNSHIPS:
        for village_code, _, mediator, _ in villages:
            logins.append(DemoLogin(mediator, Role.mediator, village_code, DEMO_PASSWORD))
        logins.append(DemoLogin(officer, Role.township_officer, code, DEMO_PASSWORD))
    for username, role, _ in COUNTY_USERS:
        logins.append(DemoLogin(username, role, COUNTY_CODE, DEMO_PASSWORD))
    return logins


def is_loaded() -> bool:
    """Whether the database holds exactly the demo county's units, and its users."""
    units = {
        (unit.code, unit.name, unit.kind, unit.parent_code or "")
        for unit in db.session.scalars(select(Unit))
    }
    expected = {(row.code, row.name, row.kind, row.parent_code) for row in unit_rows()}
    if units != expected:
        return False
    usernames = set(db.session.scalars(select(User.username)))
    return {login.username for login in demo_logins()} <= usernames


def seed_demo(
    echo: Callable[[str], None] = print,
    *,
    now: dt.datetime | None = None,
    seed: int = DEMO_SEED,
    cases: int = DEMO_CASES,
) -> list[DemoLogin]:
    """Load the demo county into an empty database and return its logins.

    Units, users of every role (one password for all, :data:`DEMO_PASSWORD`) and ``cases``
    cases received over the :data:`DEMO_DAYS` days before ``now``, in every state. Flushes; the
    caller commits. ``echo`` receives a summary and the table of logins.
    """
    if db.session.scalar(select(Unit.id).limit(1)) is not None:
        raise DemoError("the database already holds units; the demo loads only into an empty one")
    now = now or runtime.utcnow()
    rng = random.Random(seed)

    import_units(unit_rows())
    names = _person_names()
    users = {}
    for login in demo_logins():
        users[login.username] = create_user(
            login.username,
            role=login.role,
            unit_code=login.unit_code,
            password=login.password,
            display_name=names.get(login.username, ""),
        )
    world = _World(
        units={unit.code: unit for unit in db.session.scalars(select(Unit))},
        users_by_unit={
            user.unit.code: user for user in users.values() if user.role.registers_cases
        },
    )

    plans = _plan_cases(rng, now, cases)
    for plan in sorted(plans, key=lambda plan: plan.received_at):
        _register_and_progress(rng, world, plan, now)
    _cases_above_the_village(world, now)
    _screenings(rng, world, now)
    _incidents(rng, world, now)
    db.session.flush()

    logins = demo_logins()
    echo(
        f"Demo county loaded: {COUNTY_NAME} ({COUNTY_CODE}), {len(TOWNSHIPS)} townships, "
        f"{sum(len(t[4]) for t in TOWNSHIPS)} villages, {len(logins)} users, {len(plans)} cases."
    )
    echo(f"Demo logins (for the demo only; every password is {DEMO_PASSWORD}):")
    for login in logins:
        unit = world.units[login.unit_code]
        echo(
            f"  {login.username:<11} {login.role.value:<17} {login.unit_code}  "
            f"{login.password}  {unit.full_name}"
        )
    return logins


def _person_names() -> dict[str, str]:
    names = {officer: person for _, _, officer, person, _ in TOWNSHIPS}
    for *_, villages in TOWNSHIPS:
        names.update({mediator: person for _, _, mediator, person in villages})
    names.update({username: person for username, _, person in COUNTY_USERS})
    return names


# ---------------------------------------------------------------------------------------------
# What the cases are about: small lists, combined at random.

SURNAMES = "王李张刘陈杨赵黄周吴郭裴蒋翟韩孙马朱胡高田杜"
GIVEN_NAMES = (
    "建军",
    "秀兰",
    "国强",
    "桂英",
    "志明",
    "玉梅",
    "海涛",
    "红霞",
    "保国",
    "凤英",
    "振华",
    "丽娟",
    "文杰",
    "春花",
    "德胜",
    "淑珍",
    "永刚",
    "艳芳",
    "新民",
    "金凤",
    "小龙",
    "晓燕",
    "宏伟",
    "翠萍",
    "学军",
    "素芳",
    "俊峰",
    "月娥",
    "长江",
    "爱玲",
)
COMPANIES = ("安阳县宏达建筑劳务有限公司", "安阳县顺通路桥工程有限公司", "安阳县鑫源家具厂")


@dataclass(frozen=True)
class _Template:
    category: str
    title: str
    description: str
    people: tuple[int, int]
    amount: tuple[int, int] = (0, 0)
    risks: tuple[tuple[str, float], ...] = ()  # (risk, probability)
    respondent: str | None = None  # a fixed respondent (company, village committee)
    kin: bool = False  # the parties share a surname (brothers, a family)
    weight: int = 2


TEMPLATES = (
    _Template(
        "marriage_family",
        "{a}与{b}离婚财产分割纠纷",
        "{a}与丈夫{b}长期分居，双方对共同购置的农用车和存款如何分割意见不一，{a}多次到村委会反映。",
        (2, 3),
        (20000, 80000),
        weight=4,
    ),
    _Template(
        "marriage_family",
        "{a}兄弟赡养老人纠纷",
        "{a}与{b}等兄弟三人对母亲的赡养费分担和轮流照料安排发生争执，老人独居，生活困难。",
        (3, 5),
        (0, 6000),
        (("vulnerable_party", 0.8),),
        kin=True,
        weight=5,
    ),
    _Template(
        "marriage_family",
        "{a}与{b}彩礼返还纠纷",
        "{a}之子与{b}之女订婚后解除婚约，{a}家要求返还彩礼，{b}家称已用于置办嫁妆，双方争执不下。",
        (4, 8),
        (30000, 120000),
        weight=3,
    ),
    _Template(
        "neighbor",
        "{a}与{b}房檐滴水纠纷",
        "{a}反映邻居{b}新盖平房的房檐伸出，雨水滴入其院内，双方多次争吵。",
        (2, 2),
        (0, 2000),
        weight=5,
    ),
    _Template(
        "neighbor",
        "{a}与{b}排水沟堵塞纠纷",
        "{b}在两家之间的排水沟上垫土修路，雨后{a}家院内积水，双方发生口角。",
        (2, 3),
        (0, 1500),
        weight=5,
    ),
    _Template(
        "neighbor",
        "{a}与{b}因琐事打架纠纷",
        "{a}与{b}因门前堆放柴草发生争执并互相推搡，{a}轻微受伤，双方家属情绪激动。",
        (2, 4),
        (500, 5000),
        (("violence", 0.7),),
        weight=4,
    ),
    _Template(
        "neighbor",
        "{a}与{b}树木遮挡采光纠纷",
        "{b}在院墙外种植的杨树遮挡{a}家蔬菜大棚的采光，{a}要求砍伐，{b}不同意。",
        (2, 2),
        (0, 3000),
        weight=3,
    ),
    _Template(
        "housing_homestead",
        "{a}与{b}宅基地界址纠纷",
        "{a}翻建房屋时与邻居{b}就宅基地东侧界址发生争议，双方各执一词，施工已停工。",
        (2, 4),
        (0, 20000),
        weight=5,
    ),
    _Template(
        "housing_homestead",
        "{a}与{b}通行道路纠纷",
        "{b}在自家宅基地上砌墙，堵住了{a}家多年使用的出行通道，{a}要求拆除。",
        (2, 3),
        (0, 5000),
        weight=4,
    ),
    _Template(
        "housing_homestead",
        "{a}兄弟分家房产纠纷",
        "{a}与兄长{b}对父母遗留老宅的分割意见不一，双方已多年不来往。",
        (2, 5),
        (50000, 200000),
        kin=True,
        weight=2,
    ),
    _Template(
        "contract",
        "{a}与{b}土地流转租金纠纷",
        "{b}承包{a}等农户的土地种植果树，今年以来拖欠租金，{a}多次索要未果。",
        (2, 12),
        (8000, 90000),
        weight=3,
    ),
    _Template(
        "contract",
        "{a}与{b}小麦货款纠纷",
        "{a}将收获的小麦卖给粮食经纪人{b}，{b}以粮价下跌为由拖欠部分货款。",
        (2, 2),
        (5000, 40000),
        weight=3,
    ),
    _Template(
        "contract",
        "{a}与{b}房屋装修合同纠纷",
        "{a}请{b}装修新房，完工后发现墙面开裂，双方就返工和尾款发生争议。",
        (2, 2),
        (3000, 25000),
        weight=2,
    ),
    _Template(
        "business",
        "{a}与{b}合伙养殖分红纠纷",
        "{a}与{b}合伙养羊，因账目不清对分红发生争议，要求村里出面算账。",
        (2, 3),
        (10000, 80000),
        weight=2,
    ),
    _Template(
        "business",
        "{a}与{b}大棚蔬菜收购纠纷",
        "{b}与{a}口头约定收购其大棚西红柿，后以品相不好为由压价拒收，造成损失。",
        (2, 4),
        (3000, 30000),
        weight=2,
    ),
    _Template(
        "damages",
        "{a}家狗咬伤{b}赔偿纠纷",
        "{a}家散养的狗将路过的{b}咬伤，{b}要求赔偿医药费和误工费，双方对金额分歧较大。",
        (2, 2),
        (800, 6000),
        weight=3,
    ),
    _Template(
        "damages",
        "{b}家羊群啃食{a}家麦苗赔偿纠纷",
        "{b}放羊时羊群进入{a}家麦田，啃食麦苗约两亩，{a}要求赔偿。",
        (2, 2),
        (500, 4000),
        weight=2,
    ),
    _Template(
        "damages",
        "{a}家房屋被{b}施工损坏纠纷",
        "{b}家挖地基时导致{a}家后墙出现裂缝，{a}要求赔偿修复费用。",
        (2, 3),
        (5000, 60000),
        weight=2,
    ),
    _Template(
        "land_forest",
        "{a}与{b}承包地边界纠纷",
        "{a}与{b}两家承包地相邻，{b}耕种时越界约半垄，双方为此多次争吵。",
        (2, 4),
        (0, 5000),
        weight=3,
    ),
    _Template(
        "land_forest",
        "{village}两个村民小组林地权属纠纷",
        "{village}三组与五组对村西一片杨树林的权属各执一词，{a}等部分群众情绪激动。",
        (8, 25),
        (30000, 150000),
        (("group_incident", 0.6),),
        weight=1,
    ),
    _Template(
        "land_acquisition",
        "{a}等户征地补偿款分配纠纷",
        "省道改扩建征用{village}部分耕地，{a}等农户对补偿款在组内的分配方案有异议，多次聚集到村委会。",
        (6, 25),
        (80000, 450000),
        (("petition", 0.6), ("group_incident", 0.3)),
        weight=1,
    ),
    _Template(
        "land_acquisition",
        "{a}房屋拆迁安置纠纷",
        "{a}对其房屋拆迁的评估面积和安置方案不认可，拒绝签订协议，扬言要去上访。",
        (3, 6),
        (100000, 400000),
        (("petition", 0.8),),
        weight=1,
    ),
    _Template(
        "environment",
        "{b}养殖场异味扰民纠纷",
        "{b}在村东经营的生猪养殖场粪污处理不到位，{a}等十余户群众反映异味严重，要求整改。",
        (5, 20),
        (0, 20000),
        (("group_incident", 0.4), ("multi_village", 0.2)),
        weight=2,
    ),
    _Template(
        "environment",
        "石料加工点粉尘污染纠纷",
        "村北一处石料加工点生产时粉尘较大，{a}等村民反映影响庄稼和日常生活，与经营者{b}协商未果。",
        (4, 12),
        (0, 30000),
        weight=1,
    ),
    _Template(
        "labor",
        "{a}等农民工追讨工程欠薪纠纷",
        "{a}等人在{b}承包的建筑工地务工，工程完工后工资迟迟未结清，多次讨要无果。",
        (6, 20),
        (60000, 280000),
        (("group_incident", 0.5),),
        respondent=COMPANIES[0],
        weight=2,
    ),
    _Template(
        "labor",
        "{a}务工受伤赔偿纠纷",
        "{a}在{b}务工时右手受伤，双方对医疗费和误工费的赔偿金额分歧较大。",
        (2, 2),
        (10000, 60000),
        respondent=COMPANIES[2],
        weight=2,
    ),
    _Template(
        "consumer",
        "{a}购买化肥质量纠纷",
        "{a}从{b}的农资店购买复合肥，施用后玉米出苗率低，要求赔偿损失。",
        (2, 5),
        (2000, 15000),
        weight=1,
    ),
    _Template(
        "consumer",
        "{a}购买电动三轮车质量纠纷",
        "{a}在{b}处购买的电动三轮车多次出现故障，要求退货遭拒。",
        (2, 2),
        (3000, 8000),
        weight=1,
    ),
    _Template(
        "medical",
        "{a}在村卫生室输液后不适引发纠纷",
        "{a}在村卫生室输液后出现过敏反应并转院治疗，家属要求卫生室负责人{b}承担医疗费用。",
        (2, 4),
        (5000, 30000),
        (("vulnerable_party", 0.5),),
        weight=1,
    ),
    _Template(
        "traffic",
        "{a}与{b}电动车碰撞赔偿纠纷",
        "{a}骑电动车与{b}驾驶的三轮车在村口相撞，{a}腿部骨折，双方对责任和赔偿有争议。",
        (2, 3),
        (5000, 60000),
        weight=3,
    ),
    _Template(
        "traffic",
        "农用车撞倒{a}家院墙赔偿纠纷",
        "{b}驾驶拖拉机倒车时撞倒{a}家院墙，双方对修复费用意见不一。",
        (2, 2),
        (1500, 8000),
        weight=2,
    ),
    _Template(
        "property_mgmt",
        "安置小区物业费收缴纠纷",
        "{village}安置小区部分住户以服务不到位为由拒交物业费，物业公司停止保洁，{a}等住户意见很大。",
        (6, 30),
        (20000, 80000),
        respondent="安阳县安居物业服务有限公司",
        weight=1,
    ),
    _Template(
        "village_affairs",
        "{a}对低保评定结果有异议",
        "{a}认为自家符合低保条件却未被评上，对村里的评议程序有意见，多次到村委会反映。",
        (1, 2),
        (0, 0),
        (("vulnerable_party", 0.7),),
        respondent="{village}村民委员会",
        weight=2,
    ),
    _Template(
        "village_affairs",
        "村集体机动地承包费分配纠纷",
        "{a}等村民对{village}集体机动地承包费的使用和分配有疑问，要求公开账目。",
        (5, 18),
        (20000, 90000),
        respondent="{village}村民委员会",
        weight=1,
    ),
    _Template(
        "other",
        "{a}与{b}民间借贷纠纷",
        "{b}向{a}借款用于做生意，约定年底归还，到期后以资金紧张为由一再拖延。",
        (2, 2),
        (5000, 50000),
        weight=2,
    ),
    _Template(
        "other",
        "{a}与{b}迁坟纠纷",
        "{b}家欲在{a}家承包地边缘迁入祖坟，{a}坚决反对，双方家族出面，矛盾有激化苗头。",
        (4, 12),
        (0, 0),
        (("violence", 0.5),),
        weight=1,
    ),
)

# A few major cases (重大), placed at fixed points of the history: (template, days ago, who
# registers it).
MAJOR_TEMPLATES = (
    (
        _Template(
            "land_acquisition",
            "{township}工业园区征地补偿群体性纠纷",
            "工业园区扩建涉及{village}等村四百余亩耕地，{a}等四十余户群众对补偿标准不满，"
            "聚集到镇政府反映，并扬言越级上访。",
            (40, 60),
            (800000, 1500000),
            (("group_incident", 1), ("petition", 1), ("multi_village", 1)),
        ),
        95,
        "county",
    ),
    (
        _Template(
            "land_forest",
            "{village}与邻村争水浇地纠纷",
            "{village}与相邻村因浇地轮灌顺序发生冲突，{a}等双方数十名群众在水渠边对峙，"
            "有人手持农具，存在民转刑风险。",
            (20, 35),
            (0, 20000),
            (("violence", 1), ("group_incident", 1), ("multi_village", 1)),
        ),
        40,
        "village",
    ),
    (
        _Template(
            "labor",
            "{b}拖欠农民工工资群体性纠纷",
            "{b}承建的乡村道路工程完工后，拖欠{a}等三十余名农民工工资，农民工多次聚集讨薪。",
            (32, 45),
            (520000, 900000),
            (("group_incident", 1), ("petition", 1)),
            respondent=COMPANIES[1],
        ),
        6,
        "township",
    ),
)

VILLAGE_SOURCES = (
    ("party_application", 50),
    ("own_initiative", 18),
    ("grid_report", 15),
    ("police_referral", 8),
    ("court_commission", 5),
    ("government_assignment", 4),
)
OFFICER_SOURCES = (
    ("hotline", 40),
    ("petition_office", 30),
    ("government_assignment", 15),
    ("police_referral", 10),
    ("court_commission", 5),
)

NOTES = {
    "accept_village": (
        "已受理，约双方到村委会调解室面谈。",
        "已受理，安排入户了解情况。",
        "已受理，分别听取双方陈述。",
    ),
    "accept_township": ("镇综治中心已签收，指定司法所专人调处。", "已签收，约双方到镇调解室调解。"),
    "accept_county": (
        "县矛调中心已签收，组织相关部门联合调处。",
        "已签收，由县人民调解中心牵头调处。",
    ),
    "escalate_township": (
        "双方分歧较大，村级调解未果，上报镇综治中心。",
        "涉及人数较多，属较大纠纷，报镇里处理。",
    ),
    "escalate_county": (
        "涉及多个部门，镇级难以协调，报县矛调中心。",
        "双方分歧较大，镇级调解未果，报县矛调中心。",
    ),
    "escalate_major": ("重大纠纷，按规定立即上报。",),
    "resolve": ("经调解达成协议，双方签字确认。", "双方互谅互让，达成一致。"),
    "follow_up": ("回访：协议已履行，双方满意。", "回访：款项已付清，未发现反复。"),
    "withdraw": ("当事人自行和解，申请撤回。", "申请人撤回调解申请。"),
}
PAUSES = (  # (why the clock stops, why it starts again)
    ("等待伤情鉴定结果，暂停调解。", "鉴定结果已出，恢复调解。"),
    ("一方当事人住院治疗，暂缓调解。", "当事人已出院，恢复调解。"),
    ("等待土地测量结果。", "测量结果已出，继续调解。"),
    ("当事人外出务工，待返乡后再调。", "当事人已返乡，恢复调解。"),
)
REFERRALS = {
    "labor": ("arbitration", "属劳动争议，引导当事人申请劳动仲裁。"),
    "traffic": ("police", "涉及交通事故责任认定，移交交警部门处理。"),
    "land_acquisition": ("administrative", "涉及补偿政策，移交县自然资源局处理。"),
}
DEFAULT_REFERRAL = ("court", "调解不成，引导当事人向人民法院起诉。")


# ---------------------------------------------------------------------------------------------
# Planning: what each case is, when it arrived, and how far its life has come by ``now``.


@dataclass
class _Plan:
    template: _Template
    received_at: dt.datetime
    village_code: str
    registrar: str  # "village", "township" or "county"
    final: CaseStatus


@dataclass
class _World:
    units: dict[str, Unit]
    users_by_unit: dict[str, User]  # the acting user of each unit: mediator or officer


_FINAL_WEIGHTS = (  # by the case's age in days: where it stands now
    (2, {"registered": 5, "in_mediation": 4, "paused": 1, "withdrawn": 0.3}),
    (
        10,
        {
            "registered": 1,
            "in_mediation": 5,
            "paused": 1.5,
            "resolved": 3,
            "referred": 0.5,
            "withdrawn": 0.5,
            "closed": 0.3,
        },
    ),
    (
        25,
        {
            "registered": 0.2,
            "in_mediation": 2.5,
            "paused": 1,
            "resolved": 3.5,
            "closed": 3,
            "referred": 0.8,
            "withdrawn": 0.6,
        },
    ),
    (
        None,
        {
            "in_mediation": 0.8,
            "paused": 0.5,
            "resolved": 1,
            "closed": 9,
            "referred": 1,
            "withdrawn": 0.8,
        },
    ),
)


def _plan_cases(rng: random.Random, now: dt.datetime, count: int) -> list[_Plan]:
    tz = runtime.tz()
    villages = [v[0] for t in TOWNSHIPS for v in t[4]]
    plans = []
    for template, days_ago, registrar in MAJOR_TEMPLATES:
        received_at = _office_hours(rng, now - dt.timedelta(days=days_ago), now, tz)
        plans.append(
            _Plan(
                template,
                received_at,
                rng.choice(villages),
                registrar,
                _final_for(rng, now - received_at),
            )
        )
    weights = [template.weight for template in TEMPLATES]
    while len(plans) < count:
        template = rng.choices(TEMPLATES, weights)[0]
        days_ago = DEMO_DAYS * rng.random() ** 1.3  # more of them lately: the office grows busy
        received_at = _office_hours(rng, now - dt.timedelta(days=days_ago), now, tz)
        registrar = rng.choices(("village", "township", "county"), (88, 9, 3))[0]
        plans.append(
            _Plan(
                template,
                received_at,
                rng.choice(villages),
                registrar,
                _final_for(rng, now - received_at),
            )
        )
    # Every state appears at least once, whatever the dice said: a missing open state goes to
    # the youngest case of a common state, a missing concluded one to the oldest.
    ordinary = sorted(plans[len(MAJOR_TEMPLATES) :], key=lambda plan: plan.received_at)
    for status in CaseStatus:
        if status is CaseStatus.merged:
            continue  # only an officer's merge makes a duplicate
        counts = {s: sum(p.final is s for p in plans) for s in CaseStatus}
        if counts[status]:
            continue
        candidates = reversed(ordinary) if status.is_open else iter(ordinary)
        donor = next(p for p in candidates if counts[p.final] > 2)
        donor.final = status
    return plans


def _final_for(rng: random.Random, age: dt.timedelta) -> CaseStatus:
    days = age / dt.timedelta(days=1)
    for limit, weights in _FINAL_WEIGHTS:
        if limit is None or days < limit:
            return CaseStatus(rng.choices(list(weights), list(weights.values()))[0])
    raise AssertionError("unreachable")


def _office_hours(rng: random.Random, day: dt.datetime, now: dt.datetime, tz) -> dt.datetime:
    """An instant on ``day``'s local date during the working day, and never after ``now``."""
    local = day.astimezone(tz)
    moment = local.replace(
        hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=0, microsecond=0
    ).astimezone(dt.UTC)
    latest = now - dt.timedelta(minutes=20)
    if moment > latest:
        moment = latest - dt.timedelta(minutes=rng.randint(0, 240))
    return moment


# ---------------------------------------------------------------------------------------------
# Intake through the real service, then the later steps.


def _register_and_progress(rng: random.Random, world: _World, plan: _Plan, now: dt.datetime):
    policy, tz = runtime.policy(), runtime.tz()
    village = world.units[plan.village_code]
    township = world.units[village.parent_code]
    registrar_unit = {"village": village, "township": township, "county": world.units[COUNTY_CODE]}[
        plan.registrar
    ]
    actor = world.users_by_unit[registrar_unit.code]

    raw = _raw_case(rng, plan, village, township, officer=plan.registrar != "village")
    # Paper intake: written down a little after the dispute arrived (never beyond the policy's
    # back-dating limit, never after now).
    delay = dt.timedelta(minutes=rng.randint(5, 90))
    delay = min(
        delay, dt.timedelta(days=policy.intake.max_backdate_days), (now - plan.received_at) / 2
    )
    registered_at = plan.received_at + delay
    raw["received_at"] = plan.received_at.isoformat()
    draft = parse_case(raw, now=registered_at, tz=tz, policy=policy.intake)
    case = register_case(actor, draft, now=registered_at, policy=policy, tz=tz)

    steps = _script(rng, plan, case)
    _schedule(steps, start=registered_at, end=now - dt.timedelta(minutes=1))
    for action, at, note, data in steps:
        _act(case, world, action, at, note, data)


def _raw_case(rng, plan: _Plan, village: Unit, township: Unit, *, officer: bool) -> dict:
    template = plan.template
    surname = rng.choice(SURNAMES)
    a = surname + rng.choice(GIVEN_NAMES)
    b_surname = surname if template.kin else rng.choice(SURNAMES)
    b = b_surname + rng.choice([name for name in GIVEN_NAMES if surname + name != a])
    if template.respondent:
        b = template.respondent.format(village=village.name)
    places = {"village": village.name, "township": township.name}
    people = rng.randint(*template.people)
    amount = rng.randint(*template.amount) if template.amount[1] else 0
    if amount >= 1000:
        amount = round(amount, -2)
    risks = [risk for risk, chance in template.risks if rng.random() < chance]
    if rng.random() < 0.04 and "vulnerable_party" not in risks:
        risks.append("vulnerable_party")

    parties = [_party(rng, a, "applicant", village, township, id_chance=0.65, phone_chance=0.85)]
    if template.respondent:
        parties.append(
            {"name": b, "role": "respondent", "phone": f"0372-55{rng.randint(10000, 99999)}"}
        )
    else:
        parties.append(
            _party(rng, b, "respondent", village, township, id_chance=0.35, phone_chance=0.5)
        )
    if people >= 3 and rng.random() < 0.35:
        other = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        parties.append(
            _party(rng, other, "other", village, township, id_chance=0.2, phone_chance=0.4)
        )

    sources = OFFICER_SOURCES if officer else VILLAGE_SOURCES
    return {
        "village_code": village.code,
        "category": template.category,
        "source": rng.choices([s for s, _ in sources], [w for _, w in sources])[0],
        "title": template.title.format(a=a, b=b, **places),
        "description": template.description.format(a=a, b=b, **places),
        "people_involved": max(people, len(parties)),
        "amount_yuan": str(Decimal(amount)),
        "risks": risks,
        "parties": parties,
    }


def _party(
    rng,
    name: str,
    role: str,
    village: Unit,
    township: Unit,
    *,
    id_chance: float,
    phone_chance: float,
) -> dict:
    party = {
        "name": name,
        "role": role,
        "address": f"{township.name}{village.name}{rng.randint(1, 9)}组",
    }
    if rng.random() < id_chance:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 50 * 365))
        first17 = f"410522{born:%Y%m%d}{rng.randint(0, 999):03d}"
        party["id_number"] = first17 + id_check_char(first17)
    if rng.random() < phone_chance:
        party["phone"] = f"1{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}"
    return party


def _climbs(rng: random.Random, plan: _Plan, case: Case) -> list[Level]:
    """The levels a case is escalated to, in order: a major case goes to the county at once,
    a big village case often to its township, a few further."""
    level = case.level
    if plan.final is CaseStatus.withdrawn:
        return []
    if case.scale is Scale.major:
        return [lv for lv in (Level.township, Level.county) if lv.rank > level.rank]
    if level is Level.village:
        if rng.random() < (0.55 if case.scale is Scale.big else 0.07):
            climbs = [Level.township]
            if rng.random() < (0.1 if case.scale is Scale.big else 0.2):
                climbs.append(Level.county)
            return climbs
    elif level is Level.township and case.scale is Scale.big and rng.random() < 0.1:
        return [Level.county]
    return []


def _agreement(rng: random.Random, case: Case) -> dict:
    """A written agreement paying part of the amount in dispute, or an oral or written one
    restoring things when nothing is paid."""
    settled = (case.amount_yuan * Decimal(rng.choice((50, 60, 70, 80, 100))) / 100).quantize(
        Decimal(1)
    )
    return {
        "form": "written" if settled or rng.random() < 0.6 else "oral",
        "terms": (
            f"被申请人于协议签订后十日内支付{settled}元，双方不再追究。"
            if settled
            else "双方互谅互让，被申请人一周内恢复原状，今后和睦相处。"
        ),
        "amount_yuan": str(settled),
        "points_in_dispute": (
            "双方对损失数额及赔偿责任存在争议。"
            if settled
            else "双方对相邻通行、排水及恢复原状存在争议。"
        ),
        "responsibilities": (
            "被申请人承担主要责任，申请人承担次要责任。"
            if settled
            else "双方各自承担相应责任，被申请人负责恢复原状。"
        ),
    }


def _script(rng: random.Random, plan: _Plan, case: Case) -> list[list]:
    """The actions that bring a just-registered case to its planned state, as
    [action, delay in hours, note, data] (the delays are fitted into the time available later)."""
    final = plan.final
    climbs = _climbs(rng, plan, case)
    quick = case.scale is Scale.major  # a major case is reported up within hours

    def accept(at_level: Level) -> list:
        return ["accept", rng.uniform(0.5, 20), rng.choice(NOTES[f"accept_{at_level.value}"]), {}]

    steps = []
    if final is CaseStatus.registered and not climbs:
        return steps
    if final is CaseStatus.withdrawn:
        if rng.random() < 0.6:
            steps.append(accept(case.level))
        steps.append(["withdraw", rng.uniform(4, 100), rng.choice(NOTES["withdraw"]), {}])
        return steps

    steps.append(accept(case.level))
    for target in climbs:
        if quick:
            steps.append(["escalate", rng.uniform(1, 8), NOTES["escalate_major"][0], {}])
        else:
            note = rng.choice(NOTES[f"escalate_{target.value}"])
            steps.append(["escalate", rng.uniform(24, 150), note, {}])
        steps.append(accept(target))
    if final is CaseStatus.registered:
        steps.pop()  # escalated, and not yet taken up at the new level
        return steps

    if final is CaseStatus.paused or rng.random() < 0.15:
        why, resumed = rng.choice(PAUSES)
        steps.append(["pause", rng.uniform(24, 72), why, {}])
        if final is not CaseStatus.paused:
            steps.append(["resume", rng.uniform(48, 240), resumed, {}])
    if final is CaseStatus.referred:
        to, note = REFERRALS.get(case.category.value, DEFAULT_REFERRAL)
        steps.append(["refer", rng.uniform(24, 150), note, {"to": to}])
    if final in (CaseStatus.resolved, CaseStatus.closed):
        agreement = _agreement(rng, case)
        delay, note = rng.uniform(24, 200), rng.choice(NOTES["resolve"])
        steps.append(["resolve", delay, note, {"agreement": agreement}])
    if final is CaseStatus.closed:
        follow_up = {
            "performed": True,
            "satisfied": rng.random() < 0.9,
            "relapse_risk": rng.random() < 0.05,
        }
        steps.append(["follow_up", rng.uniform(72, 340), rng.choice(NOTES["follow_up"]), follow_up])
    return steps


def _schedule(steps: list[list], *, start: dt.datetime, end: dt.datetime):
    """Turn the steps' delays into instants between ``start`` and ``end``, squeezing them when
    the case is younger than its history would take."""
    total = sum(step[1] for step in steps)
    budget = max((end - start) / dt.timedelta(hours=1), 0.01) * 0.95
    factor = min(1.0, budget / total) if total else 1.0
    at = start
    for step in steps:
        at = at + dt.timedelta(hours=step[1] * factor)
        step[1] = at


def _act(case: Case, world: _World, action: str, at: dt.datetime, note: str, data: dict) -> None:
    """One step of a case's life at instant ``at``, taken through the workflow service by the
    user of the unit holding the case: the state machine, the clocks and the history are the
    real ones. A step the rules refuse is a bug in the script, and stops the seeding."""
    ctx = Context.build(at, runtime.policy(), runtime.tz())
    bring_up_to_date(case, ctx)  # the case may have gone up by itself meanwhile
    record_changes(case, ctx)
    actor = world.users_by_unit[case.holder.code]
    if refusal(Action(action), state_of(case), actor_for(actor)) is not None:
        return  # the step no longer fits the case (an escalation already happened by itself)
    perform(actor, case, Action(action), {**data, "note": note}, version=None, ctx=ctx)


# ---------------------------------------------------------------------------------------------
# The rest of a real month: the big cases the levels above act on, the screening reports (some
# late, some missing) and the incidents that break 三零. Each through its real service at the
# instant it happened.


def _cases_above_the_village(world: _World, now: dt.datetime) -> None:
    """A big case a village registered and its township took over (提级) the next morning, and
    a major wage case the village keeps but reported to the county within hours."""
    tz, policy = runtime.tz(), runtime.policy()
    for code, days_ago, raw, steps in (
        (
            "410522100204",
            6,
            {
                "category": "land_forest",
                "title": "南田村与东岗村山林界址纠纷",
                "description": "两村村民对一片百余亩山林的界址各执一词，十二户群众多次到林地对峙。",
                "people_involved": 12,
                "amount_yuan": "30000",
                "risks": ["multi_village"],
            },
            (
                ("take_over", 18, "涉及两村十二户，由镇综治中心直接调处", "410522100000"),
                ("accept", 20, "镇综治中心已受理，约两村村委会共同勘界", "410522100000"),
            ),
        ),
        (
            "410522101203",
            2,
            {
                "category": "labor",
                "title": "东蒋村建筑工地拖欠三十五名农民工工资纠纷",
                "description": "某建筑公司拖欠本村三十五名农民工工资共计四十余万元，工人情绪激动。",
                "people_involved": 35,
                "amount_yuan": "420000",
                "risks": ["group_incident"],
            },
            (
                ("report", 3, "已电话报告县矛调中心，村调委会继续稳控调处", "410522101203"),
                ("accept", 4, "村调委会已受理，约施工方负责人面谈", "410522101203"),
            ),
        ),
    ):
        actor = world.users_by_unit[code]
        received_at = _office_hours(
            random.Random(days_ago), now - dt.timedelta(days=days_ago), now, tz
        )
        body = {
            "village_code": code,
            "source": "party_application",
            "received_at": received_at.isoformat(),
            "parties": [{"name": "群众代表", "role": "applicant"}],
            **raw,
        }
        draft = parse_case(body, now=received_at, tz=tz, policy=policy.intake)
        case = register_case(actor, draft, now=received_at, policy=policy, tz=tz)
        for action, hours, note, unit_code in steps:
            at = min(received_at + dt.timedelta(hours=hours), now - dt.timedelta(minutes=5))
            ctx = Context.build(at, policy, tz)
            perform(
                world.users_by_unit[unit_code],
                case,
                Action(action),
                {"note": note},
                version=None,
                ctx=ctx,
            )


def _screenings(rng: random.Random, world: _World, now: dt.datetime) -> None:
    """Each village's monthly screening report (排查) for every month of the demo: most filed
    before the 25th, a few late, a few never; this month's by those who already did."""
    tz, due_day = runtime.tz(), runtime.policy().scorecard.screening_due_day
    current = Month.of(now, tz)
    month = Month.of(now - dt.timedelta(days=DEMO_DAYS), tz)
    villages = [v[0] for t in TOWNSHIPS for v in t[4]]
    # Fixed misses, so the last months always show some: (months back, village index).
    late = {(1, 2), (1, 9), (2, 13)}
    missing = {(1, 7), (2, 11), (3, 4)}
    while True:
        back = (current.year - month.year) * 12 + current.month - month.month
        due_at = screening_due_at(month, due_day, tz)
        for index, code in enumerate(villages):
            if (back, index) in missing or (back > 3 and rng.random() < 0.05):
                continue
            day = rng.randint(12, due_day - 1)
            moment = month.end_of_day(day, tz) - dt.timedelta(hours=12)  # noon of that day
            if (back, index) in late:
                moment = due_at + dt.timedelta(days=rng.randint(1, 4), hours=12)
            if moment >= now - dt.timedelta(hours=1) or (back == 0 and index % 3 == 0):
                continue  # not yet: still to do this month
            filed_at = _office_hours(rng, moment, now, tz)
            found = rng.random() < 0.3
            raw = {
                "village_code": code,
                "month": str(month),
                "visited_at": filed_at.astimezone(tz).date().isoformat(),
                "households": rng.randint(20, 90),
                "risks_found": int(found) * rng.randint(1, 2),
                "disputes_found": int(found),
                "zero_report": not found,
                "note": "逐户走访，重点排查邻里、婚姻家庭矛盾。"
                if found
                else "本月未发现矛盾纠纷。",
            }
            draft = parse_screening(raw, now=filed_at, tz=tz)
            file_screening(world.users_by_unit[code], draft, filed_at, due_at=due_at)
        if month == current:
            break
        month = month.next()


FOUND_NOTE = "逐户走访，重点排查邻里、婚姻家庭矛盾。"
ZERO_NOTE = "本月未发现矛盾纠纷。"

INCIDENTS = (  # (days ago, village, kind, fields, summary)
    (
        3,
        "410522100202",
        "petition",
        {"petition_level": "township"},
        "村民因宅基地审批问题到镇政府上访。",
    ),
    (
        12,
        "410522101205",
        "accident",
        {"injured": 2},
        "村内砖厂传送带伤人，两名工人受伤送医。",
    ),
    (
        20,
        "410522102203",
        "petition",
        {"petition_level": "county", "collective": True, "people": 6},
        "六名村民就土地流转租金问题到县信访局集体上访。",
    ),
    (
        40,
        "410522100203",
        "petition",
        {"petition_level": "city"},
        "村民因征地补偿问题到市信访局上访。",
    ),
    (47, "410522102204", "criminal", {}, "村民酒后斗殴致人轻伤，已由公安机关立案。"),
    (70, "410522101202", "accident", {"injured": 1, "dead": 0}, "农用三轮车侧翻，一人受伤。"),
    (85, "410522102201", "public_order", {}, "两家族在婚宴上聚众斗殴，派出所已处置。"),
)


def _incidents(rng: random.Random, world: _World, now: dt.datetime) -> None:
    """Petitions, accidents and criminal cases recorded by the township's officer the day
    after they happened: the villages they touch are not 三零 that month."""
    tz = runtime.tz()
    for days_ago, code, kind, fields, summary in INCIDENTS:
        occurred_at = _office_hours(rng, now - dt.timedelta(days=days_ago), now, tz)
        recorded_at = min(occurred_at + dt.timedelta(hours=20), now - dt.timedelta(minutes=5))
        township = world.units[code].parent_code
        officer = world.users_by_unit[
            COUNTY_CODE
            if kind == "petition" and fields.get("petition_level") == "city"
            else township
        ]
        raw = {
            "village_code": code,
            "kind": kind,
            "occurred_at": occurred_at.isoformat(),
            "summary": summary,
            **fields,
        }
        record_incident(officer, parse_incident(raw, now=recorded_at, tz=tz), recorded_at)
