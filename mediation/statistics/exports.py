"""The statistical report as files and text: CSV, XLSX and the CLI's table, all laid out by
:func:`tables` in the current language (Chinese by default). They need an app context for the
translations, never the database."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import Response
from flask_babel import gettext as _

from ..domain.enums import AgreementForm, Category, Source
from ..domain.statistics import SETTLED_LEVELS, Outcome, Prevented
from ..platform.web import attachment
from ..scorecards.exports import BOM, _as_text, _pad, _storable, _width, inert


@dataclass(frozen=True)
class Table:
    """One block of the report: a title, its header row and rows of a label and numbers."""

    title: str
    header: list[str]
    rows: list[list]


def header_lines(document: dict, tz: ZoneInfo) -> list[tuple[str, str]]:
    """Unit, period and time of export (local time to the minute)."""
    exported = dt.datetime.fromisoformat(document["generated_at"]).astimezone(tz)
    period = (
        document["from"]
        if document["from"] == document["to"]
        else (f"{document['from']} – {document['to']}")
    )
    return [
        (_("Unit"), f"{document.get('unit_name', '')} ({document['unit_code']})"),
        (_("Period"), period),
        (_("Exported at"), exported.strftime("%Y-%m-%d %H:%M") + " " + _("Beijing time")),
    ]


def tables(document: dict) -> list[Table]:
    """Categories × outcomes with a total row, sources × outcomes with a total row, levels
    settled, agreements and amount, and the prevented counts."""
    outcome_header = [_("Received")] + [_(outcome.label) for outcome in Outcome]

    def by(key: str, enum_type, rows: list[dict]) -> list[list]:
        lines = [
            [_(enum_type(row[key]).label), row["received"], *(row[o.value] for o in Outcome)]
            for row in rows
        ]
        totals = [sum(line[index] for line in lines) for index in range(1, len(Outcome) + 2)]
        return [*lines, [_("Total"), *totals]]

    return [
        Table(
            _("Cases by category"),
            [_("Category"), *outcome_header],
            by("category", Category, document["by_category"]),
        ),
        Table(
            _("Cases by source"),
            [_("Source"), *outcome_header],
            by("source", Source, document["by_source"]),
        ),
        Table(
            _("Cases resolved by the level that settled them"),
            [_("Level"), _("Cases")],
            [
                [_(level.label), document["by_level_settled"][level.value]]
                for level in SETTLED_LEVELS
            ],
        ),
        Table(
            _("Agreements"),
            [_("Agreement"), _("Count")],
            [
                [_(form.label), document["agreements"][form.value]]
                for form in (AgreementForm.oral, AgreementForm.written)
            ]
            + [[_("Amount settled (yuan)"), document["amount_settled_yuan"]]],
        ),
        Table(
            _("Prevented"),
            [_("Prevented"), _("Cases"), _("People")],
            [
                [
                    _(kind.label),
                    document["prevented"][kind.value]["cases"],
                    document["prevented"][kind.value]["people"],
                ]
                for kind in Prevented
            ],
        ),
    ]


def csv_bytes(document: dict, tz: ZoneInfo) -> bytes:
    """UTF-8 with a BOM (so Excel reads the Chinese): the header lines, then each table
    under its title, separated by empty lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for label, value in header_lines(document, tz):
        writer.writerow([label, inert(value)])
    for table in tables(document):
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.header)
        for row in table.rows:
            writer.writerow([inert(value) for value in row])
    return (BOM + out.getvalue()).encode("utf-8")


def xlsx_bytes(document: dict, tz: ZoneInfo) -> bytes:
    """One sheet: the title and header lines, then the tables one under another, titles and
    header rows in bold; counts and the amount stored as numbers."""
    from decimal import Decimal

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Statistics")[:31]
    sheet.append([_("People's mediation statistical report")])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in header_lines(document, tz):
        sheet.append([label, _storable(value)])
    for table in tables(document):
        sheet.append([])
        sheet.append([table.title])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        sheet.append(table.header)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            values = [
                Decimal(value) if isinstance(value, str) and _is_amount(value) else value
                for value in row
            ]
            sheet.append([_storable(value) for value in values])
            if row[0] == _("Total"):
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
            if any(isinstance(value, Decimal) for value in values):
                sheet.cell(row=sheet.max_row, column=2).number_format = "#,##0.00"
    sheet.column_dimensions["A"].width = 34
    for letter in "BCDEFG":
        sheet.column_dimensions[letter].width = 14
    _as_text(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _is_amount(value: str) -> bool:
    head, _, tail = value.partition(".")
    return head.isdigit() and tail.isdigit() and len(tail) == 2


def table_text(document: dict, tz: ZoneInfo) -> str:
    """The tables aligned for a terminal (Chinese is two columns wide)."""
    lines = [f"{label}: {value}" for label, value in header_lines(document, tz)]
    for table in tables(document):
        lines += ["", table.title]
        grid = [table.header] + [[str(value) for value in row] for row in table.rows]
        widths = [max(_width(line[i]) for line in grid) for i in range(len(table.header))]
        for position, line in enumerate(grid):
            lines.append(
                "  ".join(
                    _pad(value, width, left=index == 0)
                    for index, (value, width) in enumerate(zip(line, widths))
                ).rstrip()
            )
            if position == 0:
                lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines) + "\n"


def download(document: dict, output_format: str) -> Response:
    """The report as a CSV or XLSX download, in the request's language."""
    from ..platform import runtime

    tz = runtime.tz()
    name = f"statistics-{document['unit_code']}-{document['from']}-{document['to']}"
    if output_format == "csv":
        body, mimetype = csv_bytes(document, tz), "text/csv; charset=utf-8"
    else:
        body = xlsx_bytes(document, tz)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": attachment(f"{name}.{output_format}")},
    )
