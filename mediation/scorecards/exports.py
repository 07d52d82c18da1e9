"""The scorecard as files and text: CSV, XLSX and the CLI's table, all from :mod:`.layout`.

Each takes the scorecard as :func:`mediation.services.scorecard.view` shows it (live, or a
snapshot) and renders in the current language (Chinese by default). They need an app context
for the translations, never the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from .layout import (
    NUMBER_FORMATS,
    ROLLUP_COLUMNS,
    VILLAGE_COLUMNS,
    WEIGHT_LABELS,
    WORKBOOK_VILLAGE_COLUMNS,
    Column,
    number,
    text,
)

BOM = "\ufeff"

# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(…), @SUM(…),
# +cmd|…): text from users (unit names) must never start a formula in someone's Excel.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d[\d,]*(\.\d+)?%?")


def inert(value):
    """A CSV cell as text a spreadsheet will not run: text starting a formula gets a leading
    apostrophe (OWASP's advice for CSV injection); numbers and other values pass unchanged."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def _as_text(book) -> None:
    """Every string cell of the workbook stays a string: openpyxl would store "=…" as a
    formula. Text that starts like a formula is also marked as text (Excel's quote prefix)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def rollup_rows(data: dict) -> list[dict]:
    """The townships, then the unit's own total (unless it is one of them, or a village)."""
    rows = list(data.get("townships") or [])
    rollup = data.get("rollup") or {}
    if (
        rollup
        and rollup.get("level") != "village"
        and rollup.get("code") not in {row["code"] for row in rows}
    ):
        rows.append(rollup)
    return rows


def status_line(data: dict) -> str:
    if data.get("frozen"):
        return _("Frozen, revision %(revision)s", revision=data["revision"])
    return _("Live figures (not frozen)")


def csv_bytes(data: dict) -> bytes:
    """UTF-8 with a BOM (so Excel reads the Chinese): the villages' table, an empty line, and
    the rollups' table, each under its header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.title for column in VILLAGE_COLUMNS])
    for row in data.get("villages") or []:
        writer.writerow([inert(text(column, row)) for column in VILLAGE_COLUMNS])
    writer.writerow([])
    writer.writerow([column.title for column in ROLLUP_COLUMNS])
    for row in rollup_rows(data):
        writer.writerow([inert(text(column, row)) for column in ROLLUP_COLUMNS])
    return (BOM + out.getvalue()).encode("utf-8")


def xlsx_bytes(data: dict, weights: Mapping[str, int], tz: ZoneInfo) -> bytes:
    """A workbook: the villages (each with its township), the rollups, and what the figures
    are (month, unit, revision and when it was frozen, local time to the minute, weights).
    Header rows frozen; counts, shares and amounts stored as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    villages = book.active
    villages.title = _("Villages")[:31]
    rollups = book.create_sheet(_("Rollup")[:31])
    townships = {row["code"]: row.get("name", "") for row in data.get("townships") or []}
    village_rows = [
        {**row, "township_name": townships.get(row.get("township_code"), "")}
        for row in data.get("villages") or []
    ]
    for sheet, columns, rows in (
        (villages, WORKBOOK_VILLAGE_COLUMNS, village_rows),
        (rollups, ROLLUP_COLUMNS, rollup_rows(data)),
    ):
        _sheet(sheet, columns, rows, Font, Alignment, get_column_letter)

    about = book.create_sheet(_("About")[:31])
    lines = [
        (_("Month"), data["month"]),
        (_("Unit"), f"{data.get('unit_name', '')} ({data['unit_code']})"),
        (_("Status"), status_line(data)),
    ]
    if data.get("frozen_at"):
        lines.append((_("Frozen at"), local_minute(data["frozen_at"], tz)))
    lines.append((_("Score"), _("100 minus the weighted deductions below, never below 0")))
    lines += [(str(WEIGHT_LABELS.get(kind, kind)), weight) for kind, weight in weights.items()]
    for line in lines:
        about.append([_storable(value) for value in line])
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 40
    _as_text(book)

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def local_minute(instant: str, tz: ZoneInfo) -> str:
    """An ISO instant as local time to the minute: "2026-12-05 00:10"."""
    return dt.datetime.fromisoformat(instant).astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _storable(value):
    """A cell value a workbook can hold: control characters (in a name stored before names
    were checked) would make openpyxl refuse the whole file."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _sheet(
    sheet, columns: list[Column], rows: list[dict], Font, Alignment, get_column_letter
) -> None:
    sheet.append([column.title for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([_storable(number(column, row)) for column in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        number_format = NUMBER_FORMATS.get(column.kind)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        sheet.column_dimensions[letter].width = 14 if column.kind != "deductions" else 36
    names = sum(1 for column in columns if column.group == "unit")
    sheet.freeze_panes = sheet.cell(row=2, column=names + 1)  # the header row and the names


def table_text(data: dict) -> str:
    """A plain-text table of the brief columns, aligned for a terminal (Chinese is two wide)."""
    lines = [
        f"{data['month']} {data.get('unit_name', '')} ({data['unit_code']}) · {status_line(data)}",
        "",
    ]
    for columns, rows in (
        ([c for c in VILLAGE_COLUMNS if c.brief], data.get("villages") or []),
        ([c for c in ROLLUP_COLUMNS if c.brief], rollup_rows(data)),
    ):
        if not rows:
            continue
        table = [[column.title for column in columns]] + [
            [text(column, row) for column in columns] for row in rows
        ]
        widths = [max(_width(line[index]) for line in table) for index in range(len(columns))]
        for position, line in enumerate(table):
            cells = [
                _pad(value, width, left=column.kind == "text")
                for value, width, column in zip(line, widths, columns)
            ]
            lines.append("  ".join(cells).rstrip())
            if position == 0:
                lines.append("  ".join("-" * width for width in widths))
        lines.append("")
    return "\n".join(lines)


def _width(value: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in value)


def _pad(value: str, width: int, *, left: bool) -> str:
    space = " " * (width - _width(value))
    return value + space if left else space + value
