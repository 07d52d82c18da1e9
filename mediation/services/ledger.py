"""Importing an old village ledger (台账): one case a row, all rows or none (docs/import.md).

Each row is read by :mod:`mediation.domain.ledger`, checked by the intake's own rules
(:func:`parse_case`, and the resolve action's for an agreement) and registered through
:func:`register_case`, the one intake. The key is (village, ledger number): a row already
imported with the same content is ``unchanged``; the same key with other content is an error
of that row. Any error anywhere: nothing is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_

from ..domain import ledger as rules
from ..domain.enums import Action
from ..domain.i18n import N_, Message
from ..domain.intake import CaseDraft, InvalidInput, parse_case
from ..domain.policy import Policy
from ..domain.workflow import parse_action_input
from ..extensions import db
from ..models import Case, User
from ..platform.database import chunks
from . import access
from .cases import LedgerRow, register_case

MAX_ROWS = 20_000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    field: str  # a column key, or "file"
    message: Message


@dataclass(frozen=True)
class RowPreview:
    row: int
    village_code: str
    ledger_no: str
    title: str
    received_at: dt.datetime
    resolved_at: dt.datetime | None
    is_unchanged: bool


@dataclass
class LedgerResult:
    imported: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: list[RowPreview] = field(default_factory=list)
    encoding: str = ""

    def as_dict(self, render=lambda message: message.render()) -> dict:
        return {
            "imported": self.imported,
            "unchanged": self.unchanged,
            "errors": [
                {"row": error.row, "field": error.field, "message": render(error.message)}
                for error in self.errors
            ],
        }


class LedgerFileError(ValueError):
    """The file is not a ledger that can be read at all."""

    def __init__(self, message: Message):
        super().__init__(message.msgid)
        self.message = message


def read_table(raw: bytes) -> tuple[list[list], str]:
    """The rows of an .xlsx (its first sheet) or a CSV file (UTF-8 with or without a BOM, or
    GB 18030), header first; and the file's kind ("xlsx", "utf-8" or "gb18030")."""
    if raw.startswith(b"PK\x03\x04"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise LedgerFileError(
                Message(N_("The file is not a readable .xlsx workbook."))
            ) from None
        sheet = book.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows, "xlsx"
    for encoding, codec in (("utf-8", "utf-8-sig"), ("gb18030", "gb18030")):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return [row for row in csv.reader(io.StringIO(text))], encoding
    raise LedgerFileError(Message(N_("Send an .xlsx workbook or a CSV file in UTF-8 or GB 18030.")))


def import_file(
    user: User, raw: bytes, *, now: dt.datetime, policy: Policy, tz: ZoneInfo, dry_run: bool
) -> LedgerResult:
    """Read a ledger file and import it (or check it, ``dry_run``): a file that cannot be read
    at all is one error on the field ``file``; the caller commits when there is no error."""
    try:
        table, encoding = read_table(raw)
    except LedgerFileError as error:
        result = LedgerResult()
        result.errors.append(RowError(0, "file", error.message))
        return result
    result = import_ledger(user, table, now=now, policy=policy, tz=tz, dry_run=dry_run)
    result.encoding = encoding
    return result


def import_ledger(
    actor: User,
    table: list[list],
    *,
    now: dt.datetime,
    policy: Policy,
    tz: ZoneInfo,
    dry_run: bool = False,
) -> LedgerResult:
    """Check every row, then (unless ``dry_run`` or any error) register the new ones. Flushes;
    the caller commits once, or rolls back."""
    result = LedgerResult()
    if not table:
        result.errors.append(RowError(1, "file", Message(N_("The file holds no rows."))))
        return result
    try:
        keys = rules.column_keys(table[0])
    except rules.HeaderProblem as problem:
        result.errors += [RowError(1, key, message) for key, message in problem.fields.items()]
        return result
    if len(table) - 1 > MAX_ROWS:
        result.errors.append(
            RowError(
                MAX_ROWS + 2,
                "file",
                Message(N_("At most %(n)s rows in one import."), {"n": MAX_ROWS}),
            )
        )
        return result

    villages = {unit.code: unit for unit in access.villages(actor)}
    checked: list[tuple[int, dict, CaseDraft, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, cells in enumerate(table[1:], start=2):
        values = rules.row_values(keys, cells)
        if rules.is_blank(values):
            continue
        raw, problems = rules.case_input(values)
        draft = None
        try:
            draft = parse_case(
                raw, now=now, tz=tz, policy=policy.intake, naive_is_local=True, from_ledger=True
            )
            if draft.agreement is not None:
                parse_action_input(Action.resolve, {"agreement": dict(draft.agreement)})
        except InvalidInput as error:
            for key, message in error.fields.items():
                problems.setdefault(rules.column_of(key), message)
        code = values.get("village_code", "")
        if code and code not in villages and "village_code" not in problems:
            problems["village_code"] = Message(N_("Choose a village in your area."))
        key = (code, values.get("ledger_no", ""))
        if all(key) and key in seen and "ledger_no" not in problems:
            problems["ledger_no"] = Message(
                N_("The same ledger number appears in row %(row)s of this village."),
                {"row": seen[key]},
            )
        seen.setdefault(key, number)
        if problems:
            result.errors += [
                RowError(number, key, message)
                for key, message in sorted(problems.items(), key=lambda item: _order(item[0]))
            ]
            continue
        checked.append((number, values, draft, rules.digest(values)))

    known = _imported_digests(
        [(villages[values["village_code"]].id, values["ledger_no"]) for _, values, _, _ in checked]
    )
    fresh = []
    for number, values, draft, digest in checked:
        village = villages[values["village_code"]]
        previous = known.get((village.id, values["ledger_no"]))
        if previous is not None and previous != digest:
            result.errors.append(
                RowError(
                    number,
                    "ledger_no",
                    Message(
                        N_(
                            "This village's ledger number was imported before with other "
                            "content; correct the case itself instead."
                        )
                    ),
                )
            )
            continue
        result.rows.append(
            RowPreview(
                number,
                values["village_code"],
                values["ledger_no"],
                draft.title,
                draft.received_at,
                draft.resolved_at,
                is_unchanged=previous is not None,
            )
        )
        if previous is None:
            fresh.append((values, draft, digest, village))
        else:
            result.unchanged += 1
    result.errors.sort(key=lambda error: (error.row, _order(error.field)))
    if result.errors:
        result.rows = []
        result.unchanged = 0
        return result
    result.imported = len(fresh)
    if dry_run:
        return result
    for values, draft, digest, village in fresh:
        register_case(
            actor,
            draft,
            now=now,
            policy=policy,
            tz=tz,
            ledger=LedgerRow(values["ledger_no"], digest, village),
        )
    return result


def _order(key: str) -> int:
    return rules.KEYS.index(key) if key in rules.KEYS else len(rules.KEYS)


def _imported_digests(keys: list[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """The digest of each (village id, ledger number) already imported (a set-based lookup)."""
    found: dict[tuple[int, str], str] = {}
    for chunk in chunks(sorted(set(keys)), 400):
        for village_id, ledger_no, digest in db.session.execute(
            select(Case.village_id, Case.ledger_no, Case.ledger_digest).where(
                tuple_(Case.village_id, Case.ledger_no).in_(chunk)
            )
        ):
            found[(village_id, ledger_no)] = digest
    return found


def template_bytes() -> bytes:
    """The ledger template (in Chinese, as the ledgers are): the headers, one example row,
    and a second sheet that explains the columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "台账"
    sheet.append([column.header for column in rules.COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append([column.example for column in rules.COLUMNS])
    for index, column in enumerate(rules.COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
            12, min(40, len(column.example) * 2)
        )
        sheet.cell(row=2, column=index).number_format = "@"
    about = book.create_sheet("说明")
    about.append(["列名", "字段", "必填", "示例"])
    for column in rules.COLUMNS:
        about.append([column.header, column.key, "是" if column.required else "", column.example])
    for line in rules.TEMPLATE_NOTES:
        about.append([])
        about.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
