"""Reaching people off the site: when a notice may be sent, how long to wait after a failed
attempt, which notices cannot wait, and what a person's phone and e-mail must look like.

Pure rules: the clock, the calendar and the time zone are arguments."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .enums import CaseNews, Risk, Scale
from .i18n import N_, Message

UTC = dt.UTC

# Risks that make a notice about the case go out at once, quiet hours or not.
URGENT_RISKS = frozenset({Risk.violence, Risk.group_incident})
# How far ahead :func:`send_after` looks for a working morning (a calendar with no working
# day for a year is a broken calendar; the notice then goes at once rather than never).
LOOKAHEAD_DAYS = 400


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours in which a notice that is not urgent waits: [start, end), across midnight
    when start > end (``20:00-08:00``). ``None`` (an empty setting) means no quiet hours."""

    start: dt.time
    end: dt.time

    def is_quiet(self, at: dt.time) -> bool:
        if self.start <= self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end


def parse_quiet_hours(text: str) -> QuietHours | None:
    """``HH:MM-HH:MM`` (24-hour, local), or ``none`` (or an empty string) for no quiet
    hours. Raises ValueError."""
    text = (text or "").strip()
    if not text or text.lower() == "none":
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", text)
    if not match:
        raise ValueError(f"expected HH:MM-HH:MM or none, got {text!r}")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"expected HH:MM-HH:MM with hours 0-23 and minutes 0-59, got {text!r}")
    start, end = dt.time(h1, m1), dt.time(h2, m2)
    if start == end:
        raise ValueError(f"the quiet hours start and end at the same time: {text!r}")
    return QuietHours(start, end)


def send_after(
    created_at: dt.datetime,
    *,
    is_urgent: bool,
    quiet: QuietHours | None,
    is_workday: Callable[[dt.date], bool],
    tz: ZoneInfo,
) -> dt.datetime:
    """The earliest instant (UTC) a notice created at ``created_at`` may leave by a channel
    other than the inbox: at once if urgent or if there are no quiet hours; otherwise the
    earliest instant at or after ``created_at`` that falls on a working day (``is_workday``,
    local date) outside the quiet hours (local time): a notice of Friday 21:00 goes on Monday
    at the quiet hours' end, one of a holiday's afternoon on the next working day's morning."""
    if created_at.tzinfo is None:
        raise ValueError("created_at must carry its offset")
    if is_urgent or quiet is None:
        return created_at.astimezone(UTC)
    local = created_at.astimezone(tz)
    day = local.date()
    for offset in range(LOOKAHEAD_DAYS):
        current = day + dt.timedelta(days=offset)
        if not is_workday(current):
            continue
        if offset == 0:
            candidates = [local.timetz().replace(tzinfo=None), quiet.end]
        else:
            candidates = [dt.time(0), quiet.end]
        for at in sorted(candidates):
            instant = dt.datetime.combine(current, at, tzinfo=tz)
            if instant < local or quiet.is_quiet(at):
                continue
            return instant.astimezone(UTC)
    return created_at.astimezone(UTC)


# The morning of a daily digest when no quiet hours are set.
DIGEST_MORNING = dt.time(8, 0)


def digest_at(
    created_at: dt.datetime,
    *,
    quiet: QuietHours | None,
    is_workday: Callable[[dt.date], bool],
    tz: ZoneInfo,
) -> dt.datetime:
    """When a notice that is not urgent, created at ``created_at``, goes in its recipient's
    daily digest (UTC): the first working morning after it, at the quiet hours' end (08:00
    without quiet hours). A notice of Monday 10:00 goes on Tuesday at 08:00, one of Monday
    07:00 on Monday at 08:00, one of Friday afternoon on Monday morning."""
    if created_at.tzinfo is None:
        raise ValueError("created_at must carry its offset")
    local = created_at.astimezone(tz)
    morning = quiet.end if quiet is not None else DIGEST_MORNING
    for offset in range(LOOKAHEAD_DAYS):
        day = local.date() + dt.timedelta(days=offset)
        instant = dt.datetime.combine(day, morning, tzinfo=tz)
        if instant > local and is_workday(day):
            return instant.astimezone(UTC)
    return created_at.astimezone(UTC)


def is_urgent(kind: str, scale: Scale | None, risks: Iterable[Risk]) -> bool:
    """A notice goes at once, quiet hours or not, when it is about a major case (its
    registration or report, or any flag of it), or a case marked with a risk of violence or
    of a group incident."""
    if kind in (CaseNews.major_case_registered.value, CaseNews.major_case_reported.value):
        return True
    if scale is Scale.major:
        return True
    return any(risk in URGENT_RISKS for risk in risks)


BACKOFF_BASE_SECONDS = 60
BACKOFF_CAP_SECONDS = 6 * 3600


def retry_at(failed_at: dt.datetime, attempts: int) -> dt.datetime:
    """When to try again after the ``attempts``-th failed attempt: 1, 2, 4, 8 … minutes after
    it, at most six hours."""
    if attempts < 1:
        raise ValueError("attempts counts the failed attempts so far, from 1")
    seconds = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** min(attempts - 1, 30))
    return failed_at + dt.timedelta(seconds=seconds)


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"\+?\d[\d\- ]{5,19}")


def check_contact(email: str, phone: str) -> dict[str, Message]:
    """Errors of a person's contact details by field: an e-mail address ``name@host.domain``,
    a phone number of digits (spaces, dashes and a leading + allowed), both optional."""
    errors: dict[str, Message] = {}
    if email and (len(email) > 254 or not EMAIL.fullmatch(email)):
        errors["email"] = Message(N_("Not a valid e-mail address."))
    if phone and not PHONE.fullmatch(phone):
        errors["phone"] = Message(N_("Not a valid phone number."))
    return errors
