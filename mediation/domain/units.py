"""What a unit's code and name may be (docs/rules.md, units and roles: codes are the statistical
division code, 6, 9 or 12 digits; names are printable text). One check, used by
the CLI's import, the admin's import page and the admin's single-unit form alike."""

from __future__ import annotations

import unicodedata

from .i18n import N_, Message

UNIT_CODE_LENGTHS = (6, 9, 12)
UNIT_NAME_MAX = 100

BAD_UNIT_CODE = Message(N_("A unit code is the statistical division code: 6, 9 or 12 digits."))
BAD_UNIT_NAME = Message(
    N_("A unit name is printable text of at most %(n)s characters."), {"n": UNIT_NAME_MAX}
)
# Control, format (RTL marks, zero-width), surrogate, private-use and unassigned characters,
# and line or paragraph separators: nothing a unit's name is written with, and some of them
# (C0 controls) no spreadsheet can hold.
_NOT_PRINTABLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def unit_code_problem(code: str) -> Message | None:
    """None if ``code`` is 6, 9 or 12 ASCII digits, else what is wrong."""
    if len(code) in UNIT_CODE_LENGTHS and code.isascii() and code.isdigit():
        return None
    return BAD_UNIT_CODE


def unit_name_problem(name: str) -> Message | None:
    """None if ``name`` is printable text (spaces allowed inside) of 1 to 100 characters."""
    if not name.strip() or name != name.strip() or len(name) > UNIT_NAME_MAX:
        return BAD_UNIT_NAME
    if any(unicodedata.category(char) in _NOT_PRINTABLE for char in name):
        return BAD_UNIT_NAME
    return None
