"""Validation of a new case: one set of rules behind both the intake form and the JSON API.

:func:`parse_case` takes what the user sent (strings from a form, or JSON values) and returns a
:class:`CaseDraft` or raises :class:`InvalidInput` with one message per bad field. Whether the
village lies in the user's area is the caller's question (it needs the database).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from .enums import Category, PartyRole, Risk, Source
from .i18n import N_, Message
from .identity import id_number_problem, is_valid_phone, normalize_id_number, normalize_phone
from .policy import IntakePolicy

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
NAME_MAX = 50
ADDRESS_MAX = 200
MAX_PEOPLE = 100_000
MAX_AMOUNT_YUAN = Decimal("1000000000000")  # a trillion yuan: beyond that it is a typo
MAX_PARTIES = 50
# Old village ledgers (台账) are imported from this local day on (docs/rules.md "A case").
LEDGER_EARLIEST = dt.date(2000, 1, 1)


class InvalidInput(ValueError):
    """Bad input: ``fields`` maps each bad field (``parties.0.name`` for nested) to a Message."""

    def __init__(self, fields: Mapping[str, Message]):
        super().__init__(", ".join(fields))
        self.fields = dict(fields)


@dataclass(frozen=True)
class PartyDraft:
    name: str
    role: PartyRole
    id_number: str | None
    phone: str | None
    address: str | None


@dataclass(frozen=True)
class CaseDraft:
    village_code: str
    category: Category
    source: Source
    title: str
    description: str
    received_at: dt.datetime  # aware, UTC
    people_involved: int
    amount_yuan: Decimal
    risks: tuple[Risk, ...]
    parties: tuple[PartyDraft, ...]
    # A dispute already settled on the spot (当场调解): when, and the agreement as sent (the
    # resolve action checks it).
    resolved_at: dt.datetime | None = None
    agreement: Mapping[str, Any] | None = None


REQUIRED = Message(N_("This field is required."))
TOO_MANY_PARTIES = Message(N_("Expected a list of at most %(n)s parties."), {"n": MAX_PARTIES})
CONTROL_CHARACTERS = Message(N_("Contains invisible control characters; please retype it."))
_CONTROL = {chr(code) for code in range(32)} - {"\t", "\n", "\r"}


def has_control_characters(text: str) -> bool:
    """NUL and the other C0 controls (tabs and line breaks allowed): no database stores NUL in
    text, and nothing a person types contains them."""
    return any(char in _CONTROL for char in text)


def parse_case(
    raw: Mapping[str, Any],
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    policy: IntakePolicy,
    naive_is_local: bool = False,
    from_ledger: bool = False,
) -> CaseDraft:
    """Validate a new case. ``now`` is aware; naive times count as local only if asked to.

    ``from_ledger``: a row of an old village ledger (台账). Settled, it may have been received
    any time from LEDGER_EARLIEST on; still open, it obeys the back-dating limit as any paper
    intake does."""
    errors: dict[str, Message] = {}
    get = FieldReader(raw, errors)

    village_code = get.text("village_code", max_length=32)
    category = get.choice("category", Category)
    source = get.choice("source", Source)
    title = get.text("title", max_length=TITLE_MAX)
    description = get.text("description", max_length=DESCRIPTION_MAX)
    people = get.whole("people_involved", minimum=1, maximum=MAX_PEOPLE)
    amount = get.amount("amount_yuan")
    risks = get.choices("risks", Risk)

    received_at = now
    if _present(raw.get("received_at")):
        received_at = _parse_instant(raw["received_at"], "received_at", tz, naive_is_local, errors)
        if received_at is not None:
            if received_at > now + dt.timedelta(minutes=5):  # a phone's clock may run ahead
                errors["received_at"] = Message(N_("The time received cannot be in the future."))
            elif from_ledger and received_at.astimezone(tz).date() < LEDGER_EARLIEST:
                errors["received_at"] = Message(
                    N_("A ledger's cases were received on %(date)s or later."),
                    {"date": LEDGER_EARLIEST.isoformat()},
                )
            elif from_ledger and _present(raw.get("resolved_at")):
                pass  # a settled ledger row: any time since LEDGER_EARLIEST
            elif received_at < now - dt.timedelta(days=policy.max_backdate_days):
                errors["received_at"] = Message(
                    N_("The time received may be at most %(days)s days ago."),
                    {"days": policy.max_backdate_days},
                )

    parties = _parse_parties(raw.get("parties"), now.astimezone(tz).date(), errors)

    resolved_at, agreement = None, None
    if _present(raw.get("resolved_at")) or _present(raw.get("agreement")):
        agreement = raw.get("agreement")
        if not isinstance(agreement, Mapping):
            errors["agreement"] = Message(N_("Record the agreement: its form and terms."))
        if not _present(raw.get("resolved_at")):
            errors["resolved_at"] = Message(N_("Give the time the dispute was settled."))
        else:
            resolved_at = _parse_instant(
                raw["resolved_at"], "resolved_at", tz, naive_is_local, errors
            )
            if resolved_at is not None and received_at is not None:
                if resolved_at > now + dt.timedelta(minutes=5):
                    errors["resolved_at"] = Message(N_("The time settled cannot be in the future."))
                elif resolved_at < received_at:
                    errors["resolved_at"] = Message(
                        N_("The time settled cannot be before the time received.")
                    )

    if errors:
        raise InvalidInput(errors)
    return CaseDraft(
        village_code=village_code,
        category=category,
        source=source,
        title=title,
        description=description,
        received_at=received_at.astimezone(dt.UTC),
        people_involved=people,
        amount_yuan=amount,
        risks=risks,
        parties=parties,
        resolved_at=resolved_at.astimezone(dt.UTC) if resolved_at is not None else None,
        agreement=agreement,
    )


def _parse_parties(raw: Any, today: dt.date, errors: dict[str, Message]) -> tuple[PartyDraft, ...]:
    if raw is None or raw == []:
        errors["parties"] = Message(N_("Add at least one party."))
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_PARTIES:
        errors["parties"] = TOO_MANY_PARTIES
        return ()
    parties = []
    for index, item in enumerate(raw):
        prefix = f"parties.{index}."
        if not isinstance(item, Mapping):
            errors[f"parties.{index}"] = Message(N_("Expected a party object."))
            continue
        get = FieldReader(item, errors, prefix)
        name = get.text("name", max_length=NAME_MAX)
        role = get.choice("role", PartyRole)
        address = get.text("address", max_length=ADDRESS_MAX, required=False)

        id_number = get.text("id_number", max_length=32, required=False)
        if id_number:
            id_number = normalize_id_number(id_number)
            problem = id_number_problem(id_number, today=today)
            if problem:
                errors[prefix + "id_number"] = _ID_MESSAGES[problem]

        phone = get.text("phone", max_length=32, required=False)
        if phone:
            phone = normalize_phone(phone)
            if not is_valid_phone(phone):
                errors[prefix + "phone"] = Message(
                    N_("Enter an 11-digit mobile number or a landline with its area code.")
                )
        parties.append(PartyDraft(name, role, id_number or None, phone or None, address or None))
    return tuple(parties)


_ID_MESSAGES = {
    "length": Message(N_("An ID number has 18 characters: 17 digits and a digit or X.")),
    "checksum": Message(N_("This ID number's check digit is wrong; please check it.")),
    "birth_date": Message(N_("This ID number holds an impossible birth date.")),
}


class FieldReader:
    """Reads typed fields out of a mapping, recording a message for each bad one."""

    def __init__(self, raw: Mapping[str, Any], errors: dict[str, Message], prefix: str = ""):
        self.raw = raw
        self.errors = errors
        self.prefix = prefix

    def _fail(self, key: str, message: Message) -> None:
        self.errors[self.prefix + key] = message

    def text(self, key: str, *, max_length: int, required: bool = True) -> str:
        value = self.raw.get(key)
        if value is None or value == "":
            if required:
                self._fail(key, REQUIRED)
            return ""
        if not isinstance(value, str):
            self._fail(key, Message(N_("Expected text.")))
            return ""
        value = value.strip()
        if required and not value:
            self._fail(key, REQUIRED)
        elif has_control_characters(value):
            self._fail(key, CONTROL_CHARACTERS)
        elif len(value) > max_length:
            self._fail(key, Message(N_("At most %(n)s characters, please."), {"n": max_length}))
        return value

    def choice(self, key: str, enum_type):
        value = self.raw.get(key)
        if not _present(value):
            self._fail(key, REQUIRED)
            return None
        member = enum_type.parse(value) if isinstance(value, str) else None
        if member is None:
            self._fail(key, Message(N_("Not a valid choice.")))
        return member

    def choices(self, key: str, enum_type) -> tuple:
        value = self.raw.get(key)
        if value is None:
            return ()
        if not isinstance(value, (list, tuple)):
            self._fail(key, Message(N_("Expected a list.")))
            return ()
        members = []
        for item in value:
            member = enum_type.parse(item) if isinstance(item, str) else None
            if member is None:
                self._fail(key, Message(N_("Not a valid choice: %(value)s"), {"value": item}))
                return ()
            if member not in members:
                members.append(member)
        return tuple(members)

    def whole(self, key: str, *, minimum: int, maximum: int) -> int:
        value = self.raw.get(key)
        if not _present(value):
            self._fail(key, REQUIRED)
            return minimum
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            self._fail(key, Message(N_("Enter a whole number.")))
            return minimum
        if not minimum <= value <= maximum:
            self._fail(
                key,
                Message(
                    N_("Enter a whole number from %(min)s to %(max)s."),
                    {"min": minimum, "max": maximum},
                ),
            )
        return value

    def amount(self, key: str) -> Decimal:
        """Yuan as a Decimal with at most two decimals (fen); missing means zero."""
        value = self.raw.get(key)
        if not _present(value):
            return Decimal("0")
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            self._fail(key, Message(N_("Enter an amount in yuan, such as 1200.50.")))
            return Decimal("0")
        text = str(value).strip().replace(",", "")
        if isinstance(value, str) and not _DECIMAL.fullmatch(text):
            # Digits 0-9 and a point only: Decimal would also take "1e10", "１２" and "NaN".
            self._fail(key, Message(N_("Enter an amount in yuan, such as 1200.50.")))
            return Decimal("0")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            self._fail(key, Message(N_("Enter an amount in yuan, such as 1200.50.")))
            return Decimal("0")
        if not amount.is_finite():
            self._fail(key, Message(N_("Enter an amount in yuan, such as 1200.50.")))
        elif amount < 0:
            self._fail(key, Message(N_("The amount cannot be negative.")))
        elif amount > MAX_AMOUNT_YUAN:
            self._fail(key, Message(N_("The amount is too large.")))
        elif amount != amount.quantize(Decimal("0.01")):
            self._fail(key, Message(N_("At most two decimals (fen), please.")))
        else:
            return amount.quantize(Decimal("0.01"))
        return Decimal("0")


_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def parse_instant(value: Any, key: str, errors: dict[str, Message]) -> dt.datetime | None:
    """A required aware instant (ISO 8601 with its UTC offset), in UTC; records an error
    under ``key`` and returns None otherwise."""
    if not _present(value):
        errors[key] = REQUIRED
        return None
    parsed = _parse_instant(value, key, dt.UTC, False, errors)
    return parsed.astimezone(dt.UTC) if parsed is not None else None


def _parse_instant(
    value: Any, key: str, tz: ZoneInfo, naive_is_local: bool, errors: dict[str, Message]
) -> dt.datetime | None:
    """An aware datetime from ISO 8601 text (or a datetime)."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            errors[key] = Message(N_("Enter a date and time such as 2026-11-26T09:30+08:00."))
            return None
    else:
        errors[key] = Message(N_("Enter a date and time such as 2026-11-26T09:30+08:00."))
        return None
    if parsed.tzinfo is None:
        if not naive_is_local:
            errors[key] = Message(N_("Give the time with its UTC offset, such as +08:00."))
            return None
        parsed = parsed.replace(tzinfo=tz)
    try:
        parsed.astimezone(dt.UTC)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it: no such instant
        errors[key] = Message(N_("Enter a date and time such as 2026-11-26T09:30+08:00."))
        return None
    return parsed
