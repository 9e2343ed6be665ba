"""Number-to-words helpers."""

from __future__ import annotations

import pytest

from tts_moe.text import numbers as num
from tts_moe.text.spoken import int_to_roman, roman_to_int


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"), (1, "one"), (10, "ten"), (15, "fifteen"), (20, "twenty"), (45, "forty-five"),
        (100, "one hundred"), (110, "one hundred ten"), (1000, "one thousand"),
        (1001, "one thousand one"), (1_000_000, "one million"), (-7, "minus seven"),
        (10**12, "one trillion"), ("000", "zero"), ("-12", "minus twelve"),
        (123_456_789, "one hundred twenty-three million four hundred fifty-six thousand seven hundred eighty-nine"),
    ],
)
def test_cardinal(n: int | str, words: str) -> None:
    assert num.cardinal(n) == words


def test_cardinal_beyond_scales_reads_digits() -> None:
    assert num.cardinal("1" + "0" * 40).split() == ["one"] + ["zero"] * 40


@pytest.mark.parametrize(
    ("n", "words"),
    [(1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (8, "eighth"), (9, "ninth"),
     (12, "twelfth"), (20, "twentieth"), (21, "twenty-first"), (100, "one hundredth"),
     (1000000, "one millionth"), (111, "one hundred eleventh")],
)
def test_ordinal(n: int, words: str) -> None:
    assert num.ordinal(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [(1984, "nineteen eighty-four"), (1900, "nineteen hundred"), (2000, "two thousand"),
     (2005, "two thousand five"), (2010, "twenty ten"), (2024, "twenty twenty-four"),
     (1805, "eighteen oh five"), (1066, "ten sixty-six"), (999, "nine hundred ninety-nine"),
     (3000, "three thousand")],
)
def test_year(n: int, words: str) -> None:
    assert num.year(n) == words


@pytest.mark.parametrize(
    ("text", "words"),
    [("3.14", "three point one four"), ("0.5", "zero point five"), (".5", "point five"),
     ("-2.25", "minus two point two five"), ("1,000.5", "one thousand point five")],
)
def test_decimal(text: str, words: str) -> None:
    assert num.decimal(text) == words


def test_invalid_cardinal_string() -> None:
    with pytest.raises(ValueError):
        num.cardinal("12a")


@pytest.mark.parametrize(("roman", "value"), [("I", 1), ("IV", 4), ("VIII", 8), ("XIV", 14), ("XLII", 42), ("MCMLXXXIV", 1984)])
def test_roman(roman: str, value: int) -> None:
    assert roman_to_int(roman) == value
    assert int_to_roman(value) == roman


@pytest.mark.parametrize("bad", ["IIII", "VV", "IC", "ABC", ""])
def test_non_canonical_roman(bad: str) -> None:
    assert roman_to_int(bad) is None
