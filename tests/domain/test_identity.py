import datetime as dt

import pytest

from mediation.domain.identity import (
    id_check_char,
    id_number_problem,
    is_valid_phone,
    mask_id_number,
    normalize_phone,
)

TODAY = dt.date(2026, 11, 26)


def make_id(birth: str, seq: str = "123") -> str:
    first17 = "410522" + birth + seq
    return first17 + id_check_char(first17)


def test_the_published_example_checks():
    # GB 11643-1999's own example number.
    assert id_check_char("11010519491231002") == "X"
    assert id_number_problem("11010519491231002X", today=TODAY) is None


@pytest.mark.parametrize(
    "number, problem",
    [
        (make_id("19850312")[:-1] + ("0" if make_id("19850312")[-1] != "0" else "1"), "checksum"),
        (make_id("19850312")[:17], "length"),
        (make_id("19850312") + "1", "length"),
        ("41052219850312123A", "length"),
        (make_id("19850230"), "birth_date"),
        (make_id("20300101"), "birth_date"),
        (make_id("18500101"), "birth_date"),
    ],
)
def test_bad_numbers_say_why(number, problem):
    assert id_number_problem(number, today=TODAY) == problem


def test_masking_keeps_region_and_last_four():
    assert mask_id_number("410522198503121233") == "4105**********1233"
    assert mask_id_number(None) == ""


@pytest.mark.parametrize("raw", ["13800138000", "+86 138 0013 8000", "0372-5123456", "03725123456"])
def test_valid_phones(raw):
    assert is_valid_phone(normalize_phone(raw))


@pytest.mark.parametrize("raw", ["12345", "1380013800", "23800138000", "abc"])
def test_invalid_phones(raw):
    assert not is_valid_phone(normalize_phone(raw))
