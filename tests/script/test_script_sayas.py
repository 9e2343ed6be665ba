"""say-as conversions reuse the front end's number words."""

from __future__ import annotations

import pytest

from tts_moe.script.sayas import say_as


@pytest.mark.parametrize(("kind", "text", "fmt", "expected"), [
    ("characters", "IBM", None, "I B M"),
    ("spell-out", "r2-d2", None, "R two D two"),
    ("cardinal", "12,345", None, "twelve thousand three hundred forty-five"),
    ("number", "-3.5", None, "minus three point five"),
    ("ordinal", "3", None, "third"),
    ("ordinal", "21st", None, "twenty-first"),
    ("digits", "007", None, "zero zero seven"),
    ("date", "2024-03-05", None, "March fifth, twenty twenty-four"),
    ("date", "3/5/2024", None, "March fifth, twenty twenty-four"),
    ("date", "5.3.99", "dmy", "the fifth of March, nineteen ninety-nine"),
    ("date", "March 2024", "my", "March twenty twenty-four"),
    ("date", "Dec 25", "md", "December twenty-fifth"),
    ("date", "1984", "y", "nineteen eighty-four"),
])
def test_say_as(kind: str, text: str, fmt: str | None, expected: str) -> None:
    assert say_as(kind, text, fmt) == expected


@pytest.mark.parametrize(("kind", "text", "fmt", "words"), [
    ("characters", "!!", None, "no letters"),
    ("cardinal", "abc", None, "not a number"),
    ("ordinal", "third", None, "not a whole number"),
    ("digits", "abc", None, "no digits"),
    ("date", "2024-13-01", None, "not a month"),
    ("date", "2024-02-40", None, "not a day"),
    ("date", "2024-02", "ymd", "3 parts"),
    ("date", "2024", "q", "format"),
    ("telephone", "1", None, "not supported"),
])
def test_say_as_errors(kind: str, text: str, fmt: str | None, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        say_as(kind, text, fmt)
