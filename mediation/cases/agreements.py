"""The written mediation agreement (人民调解协议书) as printed: the pieces People's Mediation
Law art. 29 asks for, taken from the case and the agreement. Pure."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..domain.clocks import JUDICIAL_CONFIRMATION_DAYS

# A line that opens the responsibilities section of the terms ("各方责任：…"), and a line that
# opens any other section (where the responsibilities end).
_RESPONSIBILITY_HEAD = re.compile(
    r"^\s*(?:各方责任|当事人责任|责任认定|责任划分|责任|responsibilit(?:y|ies))\s*[:：]\s*",
    re.IGNORECASE,
)
_OTHER_HEAD = re.compile(
    r"^\s*(?:协议内容|调解协议内容|协议条款|履行方式|履行期限|履行方式和期限|terms|performance)\s*[:：]\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TermsSections:
    responsibilities: str  # "" when the terms do not state them separately
    terms: str


def split_terms(text: str) -> TermsSections:
    """Take a "责任：" / "Responsibilities:" section out of the agreed terms, if there is one;
    the section runs until a blank line or the next heading."""
    lines = (text or "").splitlines()
    taken: list[str] = []
    rest: list[str] = []
    inside = False
    for line in lines:
        head = _RESPONSIBILITY_HEAD.match(line)
        if head:
            inside = True
            remainder = line[head.end() :].strip()
            if remainder:
                taken.append(remainder)
            continue
        if inside and (not line.strip() or _OTHER_HEAD.match(line)):
            inside = False
        (taken if inside else rest).append(line)
    return TermsSections("\n".join(taken).strip(), "\n".join(rest).strip())


def confirmation_deadline(agreed_at: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The last local day on which the parties may jointly apply to the people's court for
    judicial confirmation: 30 calendar days after the agreement (art. 33)."""
    return (agreed_at + dt.timedelta(days=JUDICIAL_CONFIRMATION_DAYS)).astimezone(tz).date()


def document_number(case_number: str, agreement_id: int, written_ids: list[int]) -> str:
    """410522-2026-000123-1: the case number and the agreement's place among the case's
    written agreements (a reopened case may reach a second one)."""
    position = written_ids.index(agreement_id) + 1 if agreement_id in written_ids else 1
    return f"{case_number}-{position}"


def date_parts(day: dt.date) -> dict[str, str]:
    """Year, month and day for a "%(year)s年%(month)s月%(day)s日" message."""
    return {"year": str(day.year), "month": f"{day.month:02d}", "day": f"{day.day:02d}"}
