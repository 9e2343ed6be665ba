"""SSML ``<say-as>``: turn the element's text into words the text front end reads right.

Uses the front end's own number words (:mod:`tts_moe.text.numbers`) and month names
(:mod:`tts_moe.text.tables`), so ``say-as`` and ordinary text sound the same.

=====================  ==========================================================
``interpret-as``       result
=====================  ==========================================================
``characters``,        each letter as a capital ("IBM" -> "I B M"), each digit as a
``spell-out``          word; other characters are dropped
``cardinal``,          "1,234" -> "one thousand two hundred thirty-four"; decimals
``number``             ("3.5") and a sign are allowed
``ordinal``            "3" or "3rd" -> "third"
``digits``             "007" -> "zero zero seven"
``date``               ``format`` = ``ymd`` (default for ``2024-03-05``), ``mdy``
                       (default otherwise), ``dmy``, ``ym``, ``my``, ``md``, ``dm``,
                       ``y``; parts separated by ``- / .`` or spaces; months as numbers
                       or names -> "March fifth, twenty twenty-four"
=====================  ==========================================================

Every function raises ``ValueError`` with a message for text it cannot read that way.
"""

from __future__ import annotations

import re

from tts_moe.text import numbers as num
from tts_moe.text.tables import MONTH_ABBREVIATIONS, MONTHS

INTERPRETATIONS = ("characters", "spell-out", "cardinal", "number", "ordinal", "digits", "date")
DATE_FORMATS = ("ymd", "mdy", "dmy", "ym", "my", "md", "dm", "y")

_NUMBER_RE = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")
_ORDINAL_RE = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th)?", re.IGNORECASE)
_DATE_SPLIT_RE = re.compile(r"[\s/.,-]+")
_MONTH_LOOKUP = {m.lower(): i + 1 for i, m in enumerate(MONTHS)}
_MONTH_LOOKUP.update({k.lower(): MONTHS.index(v) + 1 for k, v in MONTH_ABBREVIATIONS.items()})


def characters(text: str) -> str:
    """Spell ``text``: letters as capitals, digits as words ("R2d2" -> "R two D two")."""
    words = []
    for char in text:
        if char.isdigit() and char.isascii():
            words.append(num.digits_to_words(char))
        elif char.isalpha():
            words.append(char.upper())
    if not words:
        raise ValueError(f"say-as characters: {text!r} has no letters or digits to spell")
    return " ".join(words)


def cardinal(text: str) -> str:
    """A written number -> cardinal words."""
    value = text.strip().replace(" ", "")
    if not _NUMBER_RE.fullmatch(value):
        raise ValueError(f"say-as cardinal: {text!r} is not a number (write e.g. 1234 or 3.5)")
    value = value.replace(",", "")
    if "." in value:
        return num.decimal(value.lstrip("+"))
    return num.cardinal(value.lstrip("+"))


def ordinal(text: str) -> str:
    """"3", "3rd" or "1,000th" -> ordinal words."""
    m = _ORDINAL_RE.fullmatch(text.strip())
    if not m:
        raise ValueError(f"say-as ordinal: {text!r} is not a whole number (write e.g. 3 or 3rd)")
    return num.ordinal(m.group(1).replace(",", ""))


def digits(text: str) -> str:
    """Digits read one by one; other characters are dropped."""
    out = num.digits_to_words("".join(c for c in text if c.isascii() and c.isdigit()))
    if not out:
        raise ValueError(f"say-as digits: {text!r} has no digits")
    return out


def _year(part: str) -> int:
    if not part.isdigit() or len(part) not in (2, 4):
        raise ValueError(f"{part!r} is not a year (two or four digits)")
    year = int(part)
    if len(part) == 2:
        year += 2000 if year < 50 else 1900
    return year


def _month(part: str) -> int:
    if part.isdigit():
        month = int(part)
        if not 1 <= month <= 12:
            raise ValueError(f"{part!r} is not a month (1 to 12)")
        return month
    month = _MONTH_LOOKUP.get(part.lower().rstrip("."))
    if month is None:
        raise ValueError(f"{part!r} is not a month name")
    return month


def _day(part: str) -> int:
    m = _ORDINAL_RE.fullmatch(part)
    if not m or not 1 <= int(m.group(1)) <= 31:
        raise ValueError(f"{part!r} is not a day of the month (1 to 31)")
    return int(m.group(1))


def date(text: str, format: str | None = None) -> str:
    """A date in ``format`` (see module table) -> words."""
    parts = [p for p in _DATE_SPLIT_RE.split(text.strip()) if p]
    if format is None:
        format = "ymd" if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text.strip()) else "mdy"
    format = format.lower()
    if format not in DATE_FORMATS:
        raise ValueError(f"say-as date format {format!r} is not one of {', '.join(DATE_FORMATS)}")
    if len(parts) != len(format):
        raise ValueError(f"say-as date: {text!r} does not have the {len(format)} parts of format {format!r}")
    try:
        values = {key: part for key, part in zip(format, parts)}
        year = _year(values["y"]) if "y" in values else None
        month = _month(values["m"]) if "m" in values else None
        day = _day(values["d"]) if "d" in values else None
    except ValueError as error:
        raise ValueError(f"say-as date {text!r} (format {format}): {error}") from None
    year_words = num.year(year) if year is not None else ""
    if month is None:
        return year_words
    month_name = MONTHS[month - 1]
    if day is None:
        return f"{month_name} {year_words}".strip()
    if format.index("d") < format.index("m"):
        words = f"the {num.ordinal(day)} of {month_name}"
    else:
        words = f"{month_name} {num.ordinal(day)}"
    return f"{words}, {year_words}" if year_words else words


def say_as(interpret_as: str, text: str, format: str | None = None) -> str:
    """Words for ``text`` read as ``interpret_as`` (one of :data:`INTERPRETATIONS`)."""
    kind = interpret_as.strip().lower()
    if kind in ("characters", "spell-out"):
        return characters(text)
    if kind in ("cardinal", "number"):
        return cardinal(text)
    if kind == "ordinal":
        return ordinal(text)
    if kind == "digits":
        return digits(text)
    if kind == "date":
        return date(text, format)
    raise ValueError(f"say-as interpret-as={interpret_as!r} is not supported: use one of {', '.join(INTERPRETATIONS)}")
