"""Village ledgers (台账) as files: rows written with the template's Chinese headers."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import Workbook

HEADERS = {
    "ledger_no": "台账编号",
    "village_code": "村（社区）代码",
    "received_at": "受理时间",
    "category": "纠纷类别",
    "source": "纠纷来源",
    "title": "纠纷简题",
    "description": "纠纷简要情况",
    "people_involved": "涉及人数",
    "amount_yuan": "涉及金额（元）",
    "parties": "当事人",
    "resolved_at": "调结时间",
    "agreement_form": "协议形式",
    "agreement_terms": "协议内容",
}
KEYS = list(HEADERS)


def settled_row(number: int, village: str = "410522100201", **overrides) -> dict:
    """A dispute of 2019 settled the next day with an oral agreement."""
    row = {
        "ledger_no": f"2019-{number:03d}",
        "village_code": village,
        "received_at": f"2019-03-{1 + number % 28:02d} 09:30",
        "category": "邻里",
        "source": "当事人申请",
        "title": f"排水沟纠纷{number}",
        "description": "张家修排水沟占用李家宅基地边角。",
        "people_involved": "2",
        "amount_yuan": "1200.00",
        "parties": "张三/申请人/410522198503121233/13800138000;李四/被申请人",
        "resolved_at": f"2019-03-{2 + number % 28:02d}",
        "agreement_form": "口头",
        "agreement_terms": "张家改道排水沟，李家不再追究。",
    }
    row.update(overrides)
    return row


def open_row(number: int, received_at: dt.datetime, **overrides) -> dict:
    """A dispute received lately and still open (no settlement columns)."""
    return settled_row(
        number,
        received_at=received_at.strftime("%Y-%m-%d %H:%M"),
        resolved_at="",
        agreement_form="",
        agreement_terms="",
        ledger_no=f"OPEN-{number}",
        **overrides,
    )


def csv_bytes(rows: list[dict], *, encoding: str = "utf-8-sig", english: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(KEYS if english else [HEADERS[key] for key in KEYS])
    for row in rows:
        writer.writerow([row.get(key, "") for key in KEYS])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([HEADERS[key] for key in KEYS])
    for row in rows:
        values = [row.get(key, "") for key in KEYS]
        # Excel keeps numbers as numbers: the count and the amount arrive as int and float.
        values[KEYS.index("people_involved")] = int(row["people_involved"])
        values[KEYS.index("amount_yuan")] = float(row["amount_yuan"] or 0)
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
