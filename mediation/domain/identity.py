"""Resident ID numbers (GB 11643-1999) and Chinese phone numbers."""

from __future__ import annotations

import datetime as dt
import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalize_id_number(raw: str) -> str:
    return raw.strip().replace(" ", "").upper()


def id_check_char(first17: str) -> str:
    """The mod 11-2 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK_CHARS[total % 11]


def id_number_problem(number: str, *, today: dt.date) -> str | None:
    """Why ``number`` is not a valid 18-digit resident ID, or None when it is.

    The answer is one of ``"length"``, ``"checksum"``, ``"birth_date"``.
    """
    if not _ID_SHAPE.match(number):
        return "length"
    if id_check_char(number[:17]) != number[17]:
        return "checksum"
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "birth_date"
    if born > today or born.year < 1890:
        return "birth_date"
    return None


def mask_id_number(number: str | None) -> str:
    """4105**********1234: region prefix and last four only."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def normalize_phone(raw: str) -> str:
    return re.sub(r"[\s()]", "", raw.strip()).removeprefix("+86")


def is_valid_phone(number: str) -> bool:
    """A mainland mobile (11 digits, 1[3-9]…) or a landline with area code (0371-12345678)."""
    return bool(MOBILE.match(number) or LANDLINE.match(number))
