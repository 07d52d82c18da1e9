"""The unit tree: import from CSV (``code,name,kind,parent_code``), idempotently."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select

from ..domain.enums import Level
from ..domain.units import unit_code_problem, unit_name_problem
from ..extensions import db
from ..models import Case, Unit
from . import access

KIND_ALIASES = {
    "county": Level.county,
    "县": Level.county,
    "市": Level.county,
    "区": Level.county,
    "township": Level.township,
    "乡": Level.township,
    "镇": Level.township,
    "街道": Level.township,
    "乡镇": Level.township,
    "village": Level.village,
    "村": Level.village,
    "社区": Level.village,
}


class UnitImportError(ValueError):
    """Lines of a unit file that cannot be imported; nothing was changed."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class UnitRow:
    line: int
    code: str
    name: str
    kind: Level
    parent_code: str


def decode_units_file(raw: bytes) -> tuple[str, str]:
    """The text of a unit file and its encoding, "utf-8" (with or without a byte-order mark)
    or else "gb18030", which a Chinese Excel saves (GBK is a subset of it). The command and
    the admin's upload both read files through it; bytes that are neither raise
    UnitImportError."""
    for encoding, codec in (("utf-8", "utf-8-sig"), ("gb18030", "gb18030")):
        try:
            return raw.decode(codec), encoding
        except UnicodeDecodeError:
            continue
    raise UnitImportError(["the file is neither UTF-8 nor GB 18030 text"])


def read_units_csv(text: str) -> list[UnitRow]:
    """Parse and check the rows (header ``code,name,kind,parent_code``); raises UnitImportError."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    expected = ["code", "name", "kind", "parent_code"]
    if [name.strip() for name in reader.fieldnames or []] != expected:
        raise UnitImportError([f"line 1: the header must be {','.join(expected)}"])
    rows, problems, seen = [], [], set()
    for line, record in enumerate(reader, start=2):
        code = (record.get("code") or "").strip()
        name = (record.get("name") or "").strip()
        kind = KIND_ALIASES.get((record.get("kind") or "").strip().lower())
        parent_code = (record.get("parent_code") or "").strip()
        if unit_code_problem(code):
            problems.append(f"line {line}: code: {unit_code_problem(code).render()}")
        elif code in seen:
            problems.append(f"line {line}: code {code} appears twice")
        if unit_name_problem(name):
            problems.append(f"line {line}: name: {unit_name_problem(name).render()}")
        if parent_code and unit_code_problem(parent_code):
            problems.append(f"line {line}: parent_code: {unit_code_problem(parent_code).render()}")
        if kind is None:
            problems.append(f"line {line}: kind must be county, township or village")
        elif kind is Level.county and parent_code:
            problems.append(f"line {line}: a county has no parent_code")
        elif kind is not Level.county and not parent_code:
            problems.append(f"line {line}: parent_code is required for a {kind.value}")
        seen.add(code)
        if kind is not None:
            rows.append(UnitRow(line, code, name, kind, parent_code))
    if problems:
        raise UnitImportError(problems)
    return rows


def import_units(rows: list[UnitRow]) -> ImportResult:
    """Create or update units by code. All rows are checked first; on any problem nothing
    changes. Re-importing the same file changes nothing."""
    rows = sorted(rows, key=lambda row: -row.kind.rank)  # counties first, villages last
    codes = {row.code for row in rows} | {row.parent_code for row in rows if row.parent_code}
    existing = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    kinds = {code: unit.kind for code, unit in existing.items()}
    kinds.update({row.code: row.kind for row in rows})

    problems = []
    for row in rows:
        unit = existing.get(row.code)
        if row.parent_code:
            parent_kind = kinds.get(row.parent_code)
            if parent_kind is None:
                problems.append(f"line {row.line}: unknown parent_code {row.parent_code}")
            elif parent_kind is not row.kind.parent_level:
                problems.append(
                    f"line {row.line}: the parent of a {row.kind.value} must be a "
                    f"{row.kind.parent_level.value}, {row.parent_code} is a {parent_kind.value}"
                )
        if unit is not None and unit.kind is not row.kind:
            problems.append(
                f"line {row.line}: {row.code} is a {unit.kind.value}; kind cannot change"
            )
        elif (
            unit is not None and unit.parent_code != (row.parent_code or None) and _has_cases(unit)
        ):
            problems.append(
                f"line {row.line}: {row.code} has cases; it cannot move to another parent"
            )
    if problems:
        raise UnitImportError(problems)

    result = ImportResult()
    for row in rows:
        parent = existing.get(row.parent_code) if row.parent_code else None
        unit = existing.get(row.code)
        if unit is None:
            unit = Unit(code=row.code, name=row.name, kind=row.kind)
            db.session.add(unit)
            db.session.flush()  # the id is needed for the ancestor columns
            unit.place_under(parent)
            existing[row.code] = unit
            result.created += 1
        elif unit.name != row.name or unit.parent_code != (row.parent_code or None):
            unit.name = row.name
            unit.place_under(parent)
            result.updated += 1
        else:
            result.unchanged += 1
    db.session.flush()
    return result


def _has_cases(unit: Unit) -> bool:
    return db.session.scalar(select(Case.id).where(access.within(unit, Case)).limit(1)) is not None
