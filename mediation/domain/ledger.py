"""Old village ledgers (台账) as rows of cases: the column layout, its Chinese aliases, and
turning one row into what :func:`mediation.domain.intake.parse_case` checks, so a ledger row
is judged by the very rules (and messages) of the intake form.

One case a row. ``parties`` is ``name/role[/id_number[/phone]]``, parties joined by ``;``.
Category, source, role and agreement form are given by their codes (``neighbor``) or by the
standard's Chinese names (邻里). Times are local (Asia/Shanghai); a day without a time is
taken as 12:00 that day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .enums import AgreementForm, Category, PartyRole, Source
from .i18n import N_, Message

LEDGER_NO_MAX = 40
# A day without a time of day: noon, so that it is counted in that day (00:00 would be 24:00
# of the day before).
DAY_TIME = dt.time(12, 0)


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the template's Chinese header, also accepted as an alias
    required: bool
    example: str


COLUMNS = (
    Column("ledger_no", "台账编号", True, "2019-017"),
    Column("village_code", "村（社区）代码", True, "410522100201"),
    Column("received_at", "受理时间", True, "2019-03-05 09:30"),
    Column("category", "纠纷类别", True, "邻里"),
    Column("source", "纠纷来源", True, "当事人申请"),
    Column("title", "纠纷简题", True, "张李两家排水沟纠纷"),
    Column("description", "纠纷简要情况", True, "张家修排水沟占用李家宅基地边角。"),
    Column("people_involved", "涉及人数", True, "2"),
    Column("amount_yuan", "涉及金额（元）", False, "1200.00"),
    Column("parties", "当事人", True, "张三/申请人/410522198503121233/13803720001;李四/被申请人"),
    Column("resolved_at", "调结时间", False, "2019-03-06"),
    Column("agreement_form", "协议形式", False, "口头"),
    Column("agreement_terms", "协议内容", False, "张家改道排水沟，李家不再追究。"),
)
KEYS = tuple(column.key for column in COLUMNS)

# Other spellings of the headers seen in county ledgers.
EXTRA_ALIASES = {
    "编号": "ledger_no",
    "村代码": "village_code",
    "村(社区)代码": "village_code",
    "登记时间": "received_at",
    "类别": "category",
    "来源": "source",
    "标题": "title",
    "简要情况": "description",
    "人数": "people_involved",
    "涉及金额(元)": "amount_yuan",
    "金额": "amount_yuan",
    "调结日期": "resolved_at",
    "办结时间": "resolved_at",
}

# The statistics standard's names (docs/rules.md "A case"): what a ledger says.
CATEGORY_NAMES = {
    "婚姻家庭": Category.marriage_family,
    "邻里": Category.neighbor,
    "房屋宅基地": Category.housing_homestead,
    "合同": Category.contract,
    "生产经营": Category.business,
    "损害赔偿": Category.damages,
    "山林土地": Category.land_forest,
    "征地拆迁": Category.land_acquisition,
    "环境污染": Category.environment,
    "劳动争议": Category.labor,
    "消费": Category.consumer,
    "医疗": Category.medical,
    "道路交通事故": Category.traffic,
    "物业": Category.property_mgmt,
    "村务管理": Category.village_affairs,
    "其他": Category.other,
}
SOURCE_NAMES = {
    "当事人申请": Source.party_application,
    "主动排查": Source.own_initiative,
    "公安移交": Source.police_referral,
    "法院委托": Source.court_commission,
    "部门交办": Source.government_assignment,
    "12345热线": Source.hotline,
    "网格员上报": Source.grid_report,
    "信访转办": Source.petition_office,
}
ROLE_NAMES = {
    "申请人": PartyRole.applicant,
    "被申请人": PartyRole.respondent,
    "其他": PartyRole.other,
    "其他当事人": PartyRole.other,
}
FORM_NAMES = {"口头": AgreementForm.oral, "书面": AgreementForm.written}


TEMPLATE_NOTES = (
    "一行一件纠纷；第一行为列名，可用中文列名或英文字段名。",
    "村（社区）代码：12位行政区划代码，须在导入人所辖范围内。台账编号与村代码一起识别一件纠纷，"
    "同一台账再次导入不会重复登记。",
    "时间按北京时间填写，如 2019-03-05 09:30；只填日期的按当日12:00计。",
    "纠纷类别、纠纷来源可填中文名称（如 邻里、当事人申请）或英文代码。",
    "当事人：姓名/角色[/身份证号[/手机号]]，多人用分号;隔开；角色为 申请人、被申请人 或 其他。",
    "已调结的纠纷填调结时间、协议形式（口头或书面）和协议内容；未调结的不填这三列，"
    "且受理时间不得早于补录期限。",
    "受理时间不得早于2000-01-01。任何一行有误，整个文件都不导入。",
)


def column_of(intake_key: str) -> str:
    """The ledger column of an intake field's error: ``parties.0.name`` is in ``parties``,
    ``agreement.form`` in ``agreement_form``."""
    head, _, rest = intake_key.partition(".")
    if head == "agreement":
        sub = rest.partition(".")[0]
        return {"form": "agreement_form", "amount_yuan": "amount_yuan"}.get(sub, "agreement_terms")
    return head if head in KEYS else "parties" if head == "parties" else head


class HeaderProblem(ValueError):
    """The header row is not a ledger's: ``fields`` maps a column to its message."""

    def __init__(self, fields: Mapping[str, Message]):
        super().__init__(", ".join(fields))
        self.fields = dict(fields)


def column_keys(header: Sequence[Any]) -> list[str | None]:
    """Each header cell's column key (None for an empty cell). Raises HeaderProblem for an
    unknown or repeated header, or a required column missing."""
    aliases = {column.header: column.key for column in COLUMNS} | EXTRA_ALIASES
    keys: list[str | None] = []
    problems: dict[str, Message] = {}
    for cell in header:
        text = "" if cell is None else str(cell).strip().lstrip("\ufeff").strip()
        if not text:
            keys.append(None)
            continue
        key = text if text in KEYS else aliases.get(text.replace(" ", ""))
        if key is None:
            problems[text] = Message(
                N_("Not a column of the ledger template: %(name)s"), {"name": text}
            )
        elif key in keys:
            problems[key] = Message(N_("This column appears twice."))
        keys.append(key)
    for column in COLUMNS:
        if column.required and column.key not in keys and column.key not in problems:
            problems[column.key] = Message(
                N_("The ledger has no column %(name)s (%(header)s)."),
                {"name": column.key, "header": column.header},
            )
    if problems:
        raise HeaderProblem(problems)
    return keys


def cell_text(value: Any) -> str:
    """A cell as text: a spreadsheet's number 2 as "2", a time as ISO text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (float, Decimal)):
        return str(value)
    return str(value).strip()


def row_values(keys: Sequence[str | None], cells: Sequence[Any]) -> dict[str, str]:
    """The row's cells by column key, as text."""
    return {key: cell_text(cell) for key, cell in zip(keys, cells) if key is not None}


def is_blank(values: Mapping[str, str]) -> bool:
    return not any(values.values())


def digest(values: Mapping[str, str]) -> str:
    """What a row says, as a hash: the same row imported again is recognised as unchanged."""
    canonical = json.dumps({key: values.get(key, "") for key in KEYS}, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def case_input(values: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Message]]:
    """The row as intake input (parse_case's mapping, times local), and the problems only a
    ledger has (ledger number, the parties' notation)."""
    problems: dict[str, Message] = {}
    ledger_no = values.get("ledger_no", "")
    if not ledger_no:
        problems["ledger_no"] = Message(N_("This field is required."))
    elif len(ledger_no) > LEDGER_NO_MAX:
        problems["ledger_no"] = Message(
            N_("At most %(n)s characters, please."), {"n": LEDGER_NO_MAX}
        )
    raw: dict[str, Any] = {
        "village_code": values.get("village_code", ""),
        "category": _named(values.get("category", ""), CATEGORY_NAMES),
        "source": _named(values.get("source", ""), SOURCE_NAMES),
        "title": values.get("title", ""),
        "description": values.get("description", ""),
        "people_involved": values.get("people_involved", ""),
        "amount_yuan": values.get("amount_yuan", ""),
        "received_at": _instant(values.get("received_at", "")),
        "parties": _parties(values.get("parties", ""), problems),
    }
    if values.get("resolved_at") or values.get("agreement_form") or values.get("agreement_terms"):
        raw["resolved_at"] = _instant(values.get("resolved_at", ""))
        raw["agreement"] = {
            "form": _named(values.get("agreement_form", ""), FORM_NAMES),
            "terms": values.get("agreement_terms", ""),
            "amount_yuan": values.get("amount_yuan", ""),
        }
    return raw, problems


def _named(text: str, names: Mapping[str, Any]) -> str:
    member = names.get(text.replace(" ", ""))
    return member.value if member is not None else text


def _instant(text: str) -> str:
    """A day alone gets DAY_TIME; "2019/3/5" is read as 2019-03-05."""
    text = text.strip().replace("/", "-")
    day, _, time = text.partition(" ") if "T" not in text else text.partition("T")
    parts = day.split("-")
    if len(parts) == 3 and all(part.isdigit() for part in parts):
        day = f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    if day and not time.strip():
        return f"{day}T{DAY_TIME.isoformat(timespec='minutes')}"
    return f"{day}T{time.strip()}" if time.strip() else text


def _parties(text: str, problems: dict[str, Message]) -> list[dict[str, str]]:
    parties = []
    for chunk in text.replace("；", ";").split(";"):
        if not chunk.strip():
            continue
        fields = [field.strip() for field in chunk.split("/")]
        if len(fields) < 2 or len(fields) > 4:
            problems["parties"] = Message(
                N_("Write each party as name/role[/ID number[/phone]], parties joined by ;")
            )
            return []
        party = {"name": fields[0], "role": _named(fields[1], ROLE_NAMES)}
        if len(fields) > 2 and fields[2]:
            party["id_number"] = fields[2]
        if len(fields) > 3 and fields[3]:
            party["phone"] = fields[3]
        parties.append(party)
    return parties
