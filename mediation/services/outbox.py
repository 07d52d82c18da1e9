"""The notification outbox (docs/delivery.md): every inbox entry is also queued, in the same
transaction, for each channel besides the inbox that its recipient chose and the server has
(NOTIFY_CHANNELS); :func:`deliver` sends what is due.

At least once: a row is claimed (committed) before it is sent and recorded (committed) after;
a deliverer that dies in between leaves a claim that expires, and the row is sent again with
the same ``uid``. Without a crash nothing is sent twice: a claimed row is nobody else's."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import Select, exists, func, insert, or_, select, update

from ..domain.enums import Risk, Scale
from ..domain.reach import digest_at, is_urgent, parse_quiet_hours, retry_at, send_after
from ..extensions import db
from ..models import Case, Delivery, DeliveryAttempt, Flag, Notification, User
from ..models.outbox import FAILED, PENDING, SENT
from ..platform import runtime
from ..platform.database import chunks, insert_rows
from .calendar import work_calendar
from .channels import Channel, ChannelError, Outgoing, load_channel, outbox_channels

log = logging.getLogger("mediation.deliver")

MAX_ATTEMPTS = 8  # 1+2+4+…+64 minutes: about two hours of retries, then shown as failed
CLAIM_SECONDS = 300  # a claim older than this is a crashed deliverer's
ERROR_CHARS = 1000


def enqueue(rows: list[dict[str, Any]], now: dt.datetime) -> int:
    """Queue the inbox entries just inserted (``rows``: user_id, kind, flag_id, case_id,
    created_at = ``now``) for each outbox channel their recipient chose. Returns how many
    deliveries were queued. One query when nobody chose a channel."""
    names = outbox_channels(current_app.config)
    if not names or not rows:
        return 0
    wanted: dict[int, list[str]] = {}
    once_a_day: set[int] = set()  # who takes the notices that are not urgent in a digest
    user_ids = sorted({row["user_id"] for row in rows})
    for chunk in chunks(user_ids):
        for user_id, chosen, email, wants_digest in db.session.execute(
            select(User.id, User.notify_channels, User.email, User.notify_digest).where(
                User.id.in_(chunk), User.notify_channels != ""
            )
        ):
            channels = [
                name
                for name in (chosen or "").split(",")
                if name in names and (name != "email" or email)
            ]
            if channels:
                wanted[user_id] = channels
            if wants_digest:
                once_a_day.add(user_id)
    if not wanted:
        return 0
    keys = {
        (row["user_id"], row["kind"], row["flag_id"], row["case_id"])
        for row in rows
        if row["user_id"] in wanted
    }
    already = exists().where(Delivery.notification_id == Notification.id)
    found = db.session.execute(
        select(
            Notification.id,
            Notification.user_id,
            Notification.kind,
            Notification.flag_id,
            Notification.case_id,
            func.coalesce(Notification.case_id, Flag.case_id),
        )
        .outerjoin(Flag, Notification.flag_id == Flag.id)
        .where(
            Notification.user_id.in_(list(wanted)),
            Notification.created_at == now,
            ~already,
        )
    ).all()
    found = [row for row in found if tuple(row[1:5]) in keys]
    case_ids = sorted({row[5] for row in found if row[5] is not None})
    cases: dict[int, tuple[Scale, list[Risk]]] = {}
    for chunk in chunks(case_ids):
        for case in db.session.scalars(select(Case).where(Case.id.in_(chunk))):
            cases[case.id] = (case.scale, case.risks)
    quiet = parse_quiet_hours(current_app.config["NOTIFY_QUIET_HOURS"] or "")
    calendar, tz = work_calendar(runtime.policy()), runtime.tz()
    deliveries = []
    for note_id, user_id, kind, _flag_id, _case_id, case_id in found:
        scale, risks = cases.get(case_id, (None, []))
        urgent = is_urgent(kind, scale, risks)
        in_digest = not urgent and user_id in once_a_day
        if in_digest:
            after = digest_at(now, quiet=quiet, is_workday=calendar.is_workday, tz=tz)
        else:
            after = send_after(
                now, is_urgent=urgent, quiet=quiet, is_workday=calendar.is_workday, tz=tz
            )
        for channel in wanted[user_id]:
            deliveries.append(
                {
                    "uid": uuid.uuid4().hex,
                    "notification_id": note_id,
                    "user_id": user_id,
                    "channel": channel,
                    "is_urgent": urgent,
                    "is_digest": in_digest,
                    "status": PENDING,
                    "created_at": now,
                    "send_after": after,
                    "next_attempt_at": after,
                    "attempts": 0,
                }
            )
    insert_rows(Delivery.__table__, deliveries)
    return len(deliveries)


@dataclass
class DeliverResult:
    sent: int = 0
    failed: int = 0
    waiting: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def deliver(
    now: dt.datetime, *, holder: str, channels: dict[str, Channel] | None = None
) -> DeliverResult:
    """Send every pending delivery due at ``now``, one at a time: claim it (commit), send it,
    record the attempt (commit). A daily digest goes as one message: the deliveries of one
    person, channel and morning are claimed, sent and recorded together. A failed attempt is
    tried again after a backoff (1, 2, 4 … minutes), and after MAX_ATTEMPTS the delivery is
    marked failed for the admin to see. ``sent``: deliveries sent in this run; ``failed``:
    deliveries whose attempt failed in this run; ``waiting``: deliveries still pending
    afterwards (quiet hours, backoff, or claimed)."""
    result = DeliverResult()
    names = outbox_channels(current_app.config)
    loaded: dict[str, Channel] = dict(channels or {})
    due = db.session.execute(
        select(Delivery.id, Delivery.is_digest)
        .where(
            Delivery.status == PENDING,
            Delivery.next_attempt_at <= now,
            or_(Delivery.claimed_until.is_(None), Delivery.claimed_until <= now),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
    ).all()
    db.session.commit()
    handled: set[int] = set()  # the rows of a digest already sent or tried in this run
    for delivery_id, is_digest in due:
        if delivery_id in handled:
            continue
        if is_digest:
            group = _claim_digest(delivery_id, holder, now)
        else:
            group = [delivery_id] if _claim(delivery_id, holder, now) else []
        handled.update(group)
        if not group:
            continue
        deliveries = [db.session.get(Delivery, member) for member in group]
        first = deliveries[0]
        error = None
        try:
            if first.channel not in names:
                raise ChannelError(f"channel {first.channel} is not in NOTIFY_CHANNELS")
            if first.channel not in loaded:
                loaded[first.channel] = load_channel(first.channel, current_app.config)
            message = digest(deliveries) if first.is_digest else outgoing(first)
            loaded[first.channel].send(message)
        except Exception as exc:  # any failure of a channel is recorded and retried
            error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
            log.warning("delivery %s by %s failed: %s", first.uid, first.channel, error)
        for delivery in deliveries:
            _record(delivery, holder, now, error)
        db.session.commit()
        if error is None:
            result.sent += len(deliveries)
        else:
            result.failed += len(deliveries)
    result.waiting = (
        db.session.scalar(select(func.count(Delivery.id)).where(Delivery.status == PENDING)) or 0
    )
    db.session.commit()
    return result


def _claim(delivery_id: int, holder: str, now: dt.datetime) -> bool:
    """Claim one delivery (one UPDATE) and commit; False if another deliverer holds it or it
    has gone."""
    taken = db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, *_claimable(now))
        .values(claimed_by=holder, claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return taken == 1


def _claim_digest(delivery_id: int, holder: str, now: dt.datetime) -> list[int]:
    """Claim the whole digest the delivery belongs to (its recipient's due deliveries by the
    same channel for the same morning) and commit. Returns the ids claimed, in order (the
    first one's ``uid`` is the message's id); none if another deliverer holds them."""
    delivery = db.session.execute(
        select(Delivery.user_id, Delivery.channel, Delivery.send_after).where(
            Delivery.id == delivery_id, *_claimable(now)
        )
    ).first()
    if delivery is None:
        db.session.commit()
        return []
    user_id, channel, morning = delivery
    members = (
        Delivery.user_id == user_id,
        Delivery.channel == channel,
        Delivery.send_after == morning,
        Delivery.is_digest.is_(True),
    )
    until = now + dt.timedelta(seconds=CLAIM_SECONDS)
    db.session.execute(
        update(Delivery)
        .where(*members, *_claimable(now))
        .values(claimed_by=holder, claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    # What this deliverer holds now (another may have claimed a part of the digest first).
    return list(
        db.session.scalars(
            select(Delivery.id)
            .where(*members, Delivery.status == PENDING)
            .where(Delivery.claimed_by == holder, Delivery.claimed_until == until)
            .order_by(Delivery.id)
        )
    )


def _claimable(now: dt.datetime) -> tuple:
    return (
        Delivery.status == PENDING,
        Delivery.next_attempt_at <= now,
        or_(Delivery.claimed_until.is_(None), Delivery.claimed_until <= now),
    )


def _record(delivery: Delivery, holder: str, now: dt.datetime, error: str | None) -> None:
    attempts = delivery.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "claimed_by": None, "claimed_until": None}
    if error is None:
        values.update(status=SENT, sent_at=now, last_error=None)
    else:
        values["last_error"] = error
        if attempts >= MAX_ATTEMPTS:
            values["status"] = FAILED
        else:
            values["next_attempt_at"] = retry_at(now, attempts)
    db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.claimed_by == holder)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        insert(DeliveryAttempt).values(
            delivery_id=delivery.id, attempted_at=now, is_ok=error is None, error=error
        )
    )


def outgoing(delivery: Delivery) -> Outgoing:
    """The notice in its recipient's language (theirs, else the default)."""
    from ..inbox.text import text, unit_code
    from ..platform.i18n import gettext

    note, user = delivery.notification, delivery.user
    case = note.case or (note.flag.case if note.flag is not None else None)
    occurred = _occurred_at(note)
    with force_locale(_locale(user)):
        line = text(note)
        subject = gettext("[Fengqiao] %(text)s", text=line)
        body = "\n".join(
            [
                gettext("Dear %(name)s,", name=user.name),
                line,
                gettext("Case number: %(number)s", number=case.number) if case else "",
                gettext("Notice id: %(id)s", id=delivery.uid),
            ]
        ).replace("\n\n", "\n")
    return Outgoing(
        id=delivery.uid,
        kind=note.kind,
        case_id=case.id if case else None,
        case_number=case.number if case else None,
        unit_code=unit_code(note),
        occurred_at=occurred.isoformat(),
        text=line,
        subject=subject,
        body=body,
        recipient_name=user.name,
        email=user.email,
        phone=user.phone,
    )


def _locale(user: User) -> str:
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def _occurred_at(note: Notification) -> dt.datetime:
    """When the notice's fact happened: its flag's instant, else the notice's own."""
    return note.flag.occurred_at if note.flag is not None else note.created_at


def digest(deliveries: list[Delivery]) -> Outgoing:
    """A recipient's daily digest: one message listing the notices, oldest first, each with
    its local time; its id is the first delivery's ``uid``, so a repeat after
    a crash carries the same id."""
    from ..inbox.text import text, unit_code
    from ..platform.i18n import gettext

    first, user = deliveries[0], deliveries[0].user
    tz = runtime.tz()
    lines = []
    with force_locale(_locale(user)):
        for delivery in deliveries:
            note = delivery.notification
            when = _occurred_at(note).astimezone(tz).strftime("%Y-%m-%d %H:%M")
            lines.append(f"- {when} {text(note)}")  # the text names the case or village
        morning = first.send_after.astimezone(tz).date().isoformat()
        summary = gettext(
            "Daily digest of %(date)s: %(count)s notices", date=morning, count=len(deliveries)
        )
        subject = gettext("[Fengqiao] %(text)s", text=summary)
        body = "\n".join(
            [
                gettext("Dear %(name)s,", name=user.name),
                summary,
                *lines,
                gettext("Notice id: %(id)s", id=first.uid),
            ]
        )
    return Outgoing(
        id=first.uid,
        kind="digest",
        case_id=None,
        case_number=None,
        unit_code=unit_code(first.notification),
        occurred_at=first.send_after.astimezone(tz).isoformat(),
        text="\n".join([summary, *lines]),
        subject=subject,
        body=body,
        recipient_name=user.name,
        email=user.email,
        phone=user.phone,
    )


def pending_and_failed(query: Select, limit: int = 200) -> list[Delivery]:
    """What the admin looks at (``query``: the deliveries in his area): failed deliveries,
    then pending ones that failed before, then the others pending, newest first."""
    return list(
        db.session.scalars(
            query.where(
                or_(
                    Delivery.status == FAILED,
                    Delivery.status == PENDING,
                )
            )
            .order_by(
                (Delivery.status == FAILED).desc(),
                Delivery.last_error.is_(None),
                Delivery.id.desc(),
            )
            .limit(limit)
        )
    )


def counts(query: Select) -> dict[str, int]:
    rows = db.session.execute(
        query.with_only_columns(Delivery.status, func.count(Delivery.id)).group_by(Delivery.status)
    ).all()
    return {PENDING: 0, SENT: 0, FAILED: 0} | {status: n for status, n in rows}


def retry(delivery: Delivery, now: dt.datetime) -> None:
    """Send a failed (or waiting) delivery at the next run, with a fresh count of attempts;
    its id stays the same."""
    delivery.status = PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.claimed_by = delivery.claimed_until = None
