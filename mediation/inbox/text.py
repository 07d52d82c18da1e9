"""An inbox entry in one line, the same on the page and in the API: what happened, and to
which case, or to which village and month."""

from __future__ import annotations

from ..domain.enums import FlagKind
from ..models import Notification
from ..platform.i18n import gettext, label
from ..services.inbox import kind_of


def subject(notification: Notification) -> str:
    """The case (number and title), or the unit and, for a monthly flag, the month."""
    flag = notification.flag
    case = notification.case or (flag.case if flag is not None else None)
    if case is not None:
        return f"{case.number} {case.title} · {case.village.full_name}"
    if flag.period:
        year, month = flag.period.split("-")
        when = gettext("%(year)s-%(month)02d", year=year, month=int(month))
        return f"{flag.unit.full_name} · {when}"
    return flag.unit.full_name


def unit_code(notification: Notification) -> str:
    if notification.flag is not None:
        return notification.flag.unit.code
    return notification.case.village.code


def text(notification: Notification) -> str:
    """'月度排查未报 · 白壁镇西裴村 · 2026年11月', '较大纠纷登记 · 410523-2026-000123 …'."""
    kind = kind_of(notification)
    line = f"{label(kind)} · {subject(notification)}"
    if kind is FlagKind.screening_missing and notification.flag.cleared_at is not None:
        line += " · " + gettext("filed late")
    return line
