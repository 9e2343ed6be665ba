"""Written English -> speakable words.

``normalize_text(text)`` runs a fixed sequence of regex passes (each linear in the text
length, so 5 MB of text is fine): character clean-up, URLs/e-mails, currency, percentages,
dates, times, decades, ranges, ordinals, units, numbers, abbreviations, Roman numerals,
acronyms and symbols. Emoji and control characters are dropped with a
:class:`~tts_moe.text.errors.TextWarning`; text with nothing to say raises
:class:`~tts_moe.errors.TextError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from tts_moe.errors import TextError
from tts_moe.text import numbers as num
from tts_moe.text.errors import warn
from tts_moe.text.spoken import (
    expand_abbreviations,
    expand_acronyms,
    expand_romans,
    speak_email,
    speak_url,
)
from tts_moe.text.tables import CURRENCIES, MONTH_ABBREVIATIONS, MONTHS, SCALES, UNITS

Sub = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

# ---- character clean-up ----------------------------------------------------------------
_CHAR_MAP = {
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "″": '"',
    "—": "—", "–": "—", "―": "—", "‒": "—", "−": "-", "‐": "-", "‑": "-", "⁄": "/", "…": "...",
    "×": " times ", "÷": " divided by ", "±": " plus or minus ", "·": " ", "•": " ",
    "\u00a0": " ", "\t": " ", "\n": " ", "\r": " ", "\u2028": " ", "\u2029": " ",
    "½": " 1/2", "¼": " 1/4", "¾": " 3/4", "⅓": " 1/3", "⅔": " 2/3",
}
_char_cache: dict[str, str] = {}
_NON_ASCII_RE = re.compile(r"[^\x20-\x7e]")


def _clean_char(char: str, dropped: dict[str, int]) -> str:
    out = _char_cache.get(char)
    if out is None:
        out = _classify(char)
        _char_cache[char] = out
    if out == "\x00":
        dropped[char] = dropped.get(char, 0) + 1
        return " "
    return out


def _classify(char: str) -> str:
    if char in _CHAR_MAP:
        return _CHAR_MAP[char]
    if char in CURRENCIES or char in "°§¶©®™":
        return {"§": " section ", "¶": " paragraph ", "©": " copyright ", "®": " ", "™": " "}.get(char, char)
    cat = unicodedata.category(char)
    if cat[0] == "L":
        folded = unicodedata.normalize("NFKC", char)
        if folded != char and folded.isascii():
            return folded
        name = unicodedata.name(char, "")
        if "LATIN" in name or "GREEK" in name:
            return char
        return "\x00"
    if cat[0] == "M":
        return char  # combining mark; recomposed by NFC below
    if cat == "Nd":
        value = unicodedata.digit(char, None)
        return str(value) if value is not None else "\x00"
    if cat[0] == "N":
        folded = unicodedata.normalize("NFKC", char)
        return f" {folded} " if folded.isascii() else "\x00"
    if cat == "Zs":
        return " "
    if cat[0] == "P":
        folded = unicodedata.normalize("NFKC", char)
        return folded if folded.isascii() else " "
    return "\x00"  # emoji, symbols, control, private use, unassigned


def clean_characters(text: str) -> str:
    """NFC, canonical quotes/dashes, drop emoji/control/unsupported scripts (with a warning)."""
    text = unicodedata.normalize("NFC", text)
    dropped: dict[str, int] = {}
    if not text.isascii() or _NON_ASCII_RE.search(text):
        text = _NON_ASCII_RE.sub(lambda m: _clean_char(m.group(), dropped), text)
        text = unicodedata.normalize("NFC", text)
    if dropped:
        shown = ", ".join(f"U+{ord(c):04X}" + (f" {c!r}" if c.isprintable() else "") for c in list(dropped)[:8])
        more = f" and {len(dropped) - 8} more kinds" if len(dropped) > 8 else ""
        warn(f"dropped {sum(dropped.values())} unsupported character(s) (emoji/control/other script): {shown}{more}")
    return text


# ---- numbers in context ------------------------------------------------------------------
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_MONTH = "|".join(MONTHS)
_MONTH_ABBR = "|".join(MONTH_ABBREVIATIONS)


def _number(text: str) -> str:
    """Any plain number string (separators, decimals, sign) -> words."""
    text = text.replace(",", "")
    if "." in text:
        return num.decimal(text)
    digits = text.lstrip("+-")
    if len(digits) > 1 and digits.startswith("0"):
        return num.digits_to_words(digits)
    return num.cardinal(text)


def _is_one(text: str) -> bool:
    return text.replace(",", "") in {"1", "1.0", "1.00", "-1"}


def _currency(m: re.Match[str]) -> str:
    sign, amount, scale = m.group("sign"), m.group("amount"), m.group("scale")
    major1, major, minor1, minor = CURRENCIES[sign]
    neg = "minus " if m.group("neg") else ""
    if scale:
        return f" {neg}{_number(amount)} {SCALES[scale]} {major} "
    whole, _, cents = amount.replace(",", "").partition(".")
    whole = whole or "0"
    parts = []
    if int(whole) or not cents:
        parts.append(f"{num.cardinal(whole)} {major1 if whole == '1' else major}")
    if cents and len(cents) <= 2 and int(cents):
        cents = cents.ljust(2, "0")
        parts.append(f"{num.cardinal(cents)} {minor1 if int(cents) == 1 else minor}")
    elif cents and len(cents) > 2:
        return f" {neg}{num.decimal(amount)} {major} "
    return " " + neg + " ".join(parts) + " "


def _percent(m: re.Match[str]) -> str:
    return f" {'minus ' if m.group(1) else ''}{_number(m.group(2))} percent "


def _day(day: str) -> str | None:
    d = int(day)
    return num.ordinal(d) if 1 <= d <= 31 else None


def _date_ymd(m: re.Match[str]) -> str:
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return m.group()
    return f" {MONTHS[mo - 1]} {num.ordinal(d)}, {num.year(y)} "


def _date_us(m: re.Match[str]) -> str:
    mo, d, y = int(m.group(1)), int(m.group(2)), m.group(3)
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return m.group()
    year = int(y) if len(y) == 4 else (2000 + int(y) if int(y) < 50 else 1900 + int(y))
    return f" {MONTHS[mo - 1]} {num.ordinal(d)}, {num.year(year)} "


def _month_name(name: str) -> str:
    return MONTH_ABBREVIATIONS.get(name.rstrip("."), name.rstrip("."))


def _date_dmy(m: re.Match[str]) -> str:
    day = _day(m.group("d"))
    if day is None:
        return m.group()
    out = f" {m.group('the') or 'the'} {day} of {_month_name(m.group('m'))}"
    if m.group("y"):
        out += f", {num.year(m.group('y'))}"
    return out + " "


def _date_mdy(m: re.Match[str]) -> str:
    day = _day(m.group("d"))
    if day is None:
        return m.group()
    out = f" {_month_name(m.group('m'))} {day}"
    if m.group("y"):
        out += f", {num.year(m.group('y'))}"
    return out + " "


def _month_year(m: re.Match[str]) -> str:
    return f"{_month_name(m.group(1))} {num.year(m.group(2))}"


def _time(m: re.Match[str]) -> str:
    h, mi, sec, ampm = int(m.group("h")), m.group("m"), m.group("s"), m.group("ap")
    if h > 24 or (mi and int(mi) > 59) or (sec and int(sec) > 59):
        return m.group()
    words = num.cardinal(h)
    if mi is not None:
        minutes = int(mi)
        if minutes == 0:
            words += "" if ampm else (" hundred" if h > 12 or m.group("h").startswith("0") else " o'clock")
        elif minutes < 10:
            words += f" oh {num.cardinal(minutes)}"
        else:
            words += f" {num.cardinal(minutes)}"
    if sec is not None and int(sec):
        words += f" and {num.cardinal(int(sec))} seconds"
    if ampm:
        words += f" {ampm.lower()} m"
    return f" {words} "


def _decade(m: re.Match[str]) -> str:
    century, decade = m.group(1), m.group(2)
    if century is None:  # '90s
        return " " + num.plural_word(num.cardinal(int(decade))) + " "
    full = int(century + decade)
    if full % 100 == 0:
        return " " + num.plural_word(num.year(full) if full % 1000 else num.cardinal(full).removeprefix("one ")) + " "
    return " " + num.plural_word(num.year(full)) + " "


def _range(m: re.Match[str]) -> str:
    a, b = m.group(1), m.group(2)
    if len(a) == 3 and len(b) == 4 or len(a) > 4 or len(b) > 4:  # phone-like: 555-1234
        return f" {num.digits_to_words(a)}, {num.digits_to_words(b)} "
    if len(a) == 4 and len(b) == 4 and a[:2] in {"1" + str(i) for i in range(1, 10)} | {"20"}:
        return f" {num.year(a)} to {num.year(b)} "
    if len(a) == 4 and len(b) == 2 and a[:2] in {"18", "19", "20", "17", "16"}:
        return f" {num.year(a)} to {num.year(a[:2] + b)} "
    return f" {_number(a)} to {_number(b)} "


def _ordinal(m: re.Match[str]) -> str:
    return " " + num.ordinal(m.group(1).replace(",", "")) + " "


def _fraction(m: re.Match[str]) -> str:
    a, b = int(m.group(1)), int(m.group(2))
    is_fraction = 2 <= b <= 10 and a <= 2 * b or (a < b and b in (12, 16, 20, 32, 64, 100))
    if not is_fraction:  # "24/7", "50/50", "9/11"
        return f" {_number(m.group(1))} {_number(m.group(2))} "
    if b == 2:
        den = "half" if a == 1 else "halves"
    elif b == 4:
        den = "quarter" if a == 1 else "quarters"
    elif b == 1:
        return f" {num.cardinal(a)} over one "
    else:
        den = num.ordinal(b) + ("" if a == 1 else "s")
    return f" {num.cardinal(a)} {den} "


_YEAR_CONTEXT = re.compile(
    r"(?:\b(?:in|of|since|by|from|until|till|to|year|years|before|after|during|circa|c\.|early|"
    r"late|mid|spring|summer|autumn|fall|winter|AD|A\.D\.|" + _MONTH + r")\s+|[,(]\s*)$",
    re.IGNORECASE,
)


def _integer(m: re.Match[str], text: str, neg: str | None) -> str:
    if neg:
        return f"minus {_number(text)}"
    digits = text.replace(",", "")
    if "," not in text and "." not in text and len(digits) == 4 and digits[0] != "0":
        n = int(digits)
        after = m.string[m.end() : m.end() + 4]
        if 1100 <= n <= 1999 or re.match(r"\s*(?:AD|BC|BCE|CE)\b", after):
            return num.year(n)
        if (1000 <= n <= 1099 or 2010 <= n <= 2099) and _YEAR_CONTEXT.search(m.string[max(0, m.start() - 12) : m.start()]):
            return num.year(n)
    if "," not in text and "." not in text and len(digits) >= 10:
        return num.digits_to_words(digits)
    return _number(text)


_SYMBOL_WORDS = {
    "&": " and ", "+": " plus ", "@": " at ", "=": " equals ", "%": " percent ", "°": " degrees ",
    "#": " hash ", "*": " ", "_": " ", "|": " ", "\\": " ", "^": " ", "~": " ", "<": " ",
    ">": " ", "/": " ", "{": "(", "}": ")", "[": "(", "]": ")", "$": " dollars ", "£": " pounds ",
    "€": " euros ", "¥": " yen ", "₹": " rupees ",
}

_SCALE_RE = "|".join(sorted(SCALES, key=len, reverse=True))
_CUR_RE = "|".join(re.escape(c) for c in sorted(CURRENCIES, key=len, reverse=True))
_UNIT_RE = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))

PASSES: list[Sub] = [
    (re.compile(r"(?P<neg>-)?(?P<sign>" + _CUR_RE + r")\s?(?P<amount>" + _NUM + r")(?:\s?(?P<scale>" + _SCALE_RE + r")\b)?"), _currency),
    (re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?[-–]\s?(\d+(?:\.\d+)?)\s?%"), lambda m: f" {_number(m.group(1))} to {_number(m.group(2))} percent "),
    (re.compile(r"(?<![\w.])(-)?(" + _NUM + r")\s?%"), _percent),
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), _date_ymd),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b"), _date_us),
    (re.compile(r"(?:\b(?P<the>[Tt]he)\s+)?\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>" + _MONTH + "|(?:" + _MONTH_ABBR + r")\.?)(?:,?\s+(?P<y>\d{4})\b)?"), _date_dmy),
    (re.compile(r"\b(?P<m>" + _MONTH + "|(?:" + _MONTH_ABBR + r")\.)\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?!:)(?:,?\s+(?P<y>\d{4})\b)?"), _date_mdy),
    (re.compile(r"\b(" + _MONTH + r")\s+(\d{4})\b"), _month_year),
    (re.compile(r"(?<![\d:.])\b(?P<h>\d{1,2})(?:[:.](?P<m>\d{2})(?::(?P<s>\d{2}))?)?\s?(?P<ap>[AaPp])\.?[Mm]\b(?:\.(?![\s\"')\]]*$))?"), _time),
    (re.compile(r"(?<![\d:.])\b(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?P<ap>)\b(?![:.]\d)"), _time),
    (re.compile(r"(?:\b(1\d|20)(\d0)|'(\d0))s\b"), lambda m: _decade(m) if m.group(1) else " " + num.plural_word(num.cardinal(m.group(3))) + " "),
    (re.compile(r"\b(\d{1,3}(?:,\d{3})*|\d+)['’]?s\b"), lambda m: " " + num.plural_word(_number(m.group(1)).removeprefix("one ")) + " "),
    (re.compile(r"(?<![\w.])~\s?(?=\d)"), lambda m: " about "),
    (re.compile(r"(?<![<>=])\s?([<>])=?\s?(?=-?\d)"), lambda m: " greater than " if m.group(1) == ">" else " less than "),
    (re.compile(r"\bc\.\s?(?=\d{3,4}\b)"), lambda m: " circa "),
    (re.compile(r"(?<![\w.,/-])(\d+)\s?[-—]\s?(\d+)\b(?![.,/]\d)"), _range),
    (re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th)\b"), _ordinal),
    (re.compile(r"(?<![\w.])(?P<neg>-)?(" + _NUM + r")\s?(" + _UNIT_RE + r")(?![\w°])"), lambda m: _unit_groups(m)),
    (re.compile(r"(?<![\w./])(\d+)/(\d+)\b(?![/.]\d)"), _fraction),
    (re.compile(r"(?<![\w.:])(\d+):(\d+)\b(?![:.]\d)"), lambda m: f" {_number(m.group(1))} to {_number(m.group(2))} "),
    (re.compile(r"\b(?:No|no|Nos|nos)\.\s*(?=\d)|#(?=\d)"), lambda m: " numbers " if m.group().lower().startswith("nos") else " number "),
]


def _unit_groups(m: re.Match[str]) -> str:
    value, unit = m.group(2), m.group(3)
    if unit == "m" and "." in value:  # "1.5m people": million, not meters
        return f" {'minus ' if m.group('neg') else ''}{_number(value)} million "
    singular, plural = UNITS[unit]
    sign = "minus " if m.group("neg") else ""
    return f" {sign}{_number(value)} {singular if _is_one(value) else plural} "


_INTEGER_RE = re.compile(r"(?:(?<=^)|(?<=[\s(\"'\[{/]))(?P<neg>-)?(" + _NUM + r")|(" + _NUM + r")")
_LETTER_DIGIT_RE = re.compile(r"(?<=[^\W\d_])-?(?=\d)|(?<=\d)-?(?=[^\W\d_])")
_LEADING_HYPHEN_RE = re.compile(r"(?<![^\s(\"])-+(?=[^\W\d_])")
_WORD_DOT_RE = re.compile(r"(?<=[^\W\d_])\.(?=[^\W\d_])|(?<![\w.])\.(?=[^\W\d_]{2})")
_SYMBOL_RE = re.compile(r"[&+@=%°#*_|\\^~<>/{}\[\]$£€¥₹]")
_SPACE_RE = re.compile(r"[ \t]+")
_ANY_SPACE_RE = re.compile(r"\s+")
_DIGIT_RE = re.compile(r"\d")
_PLUS_MINUS_RE = re.compile(r"\+/-|\+-(?=\s?\d)")
_SPACE_BEFORE_PUNCT_RE = re.compile(r" +([,.;:!?)]|'s\b)")
_WORD_COLON_RE = re.compile(r"(?<=[^\W\d_]):(?=[^\W\d_])")
_DASHES_RE = re.compile(r"\s*(?:—|--+)\s*|\s+-\s+")
_LETTER_RE = re.compile(r"[^\W\d_]")


def _integers(m: re.Match[str]) -> str:
    if m.group(2) is not None:
        return " " + _integer(m, m.group(2), m.group("neg")) + " "
    text = m.group(3)
    return " " + _number(text) + " "


def normalize_text(text: str, *, keep_words: frozenset[str] | set[str] = frozenset()) -> str:
    """Turn written English into words a phonemiser can read.

    >>> normalize_text("Dr. Smith paid $3.50 on 5 March 2024.")
    'doctor Smith paid three dollars fifty cents on the fifth of March, twenty twenty-four.'

    ``keep_words`` (case-folded) are all-capital words not to spell out or re-case, e.g. the
    words of a user lexicon ("FBI" with its own pronunciation).

    Raises :class:`TextError` when nothing speakable is left (empty, only punctuation,
    only emoji). Runs in time linear in ``len(text)``.
    """
    if not isinstance(text, str):
        raise TextError(f"text must be a string, got {type(text).__name__}")
    if not text.strip():
        raise TextError("the text is empty: give at least one word to speak")
    original = text
    text = clean_characters(text)
    text = _ANY_SPACE_RE.sub(" ", text)  # short space runs keep every later pass linear
    text = speak_url(speak_email(text))
    text = _PLUS_MINUS_RE.sub(" plus or minus ", text)
    if _DIGIT_RE.search(text):  # every pass in PASSES needs a digit
        for pattern, fn in PASSES:
            text = pattern.sub(fn, text)
    text = expand_romans(text)
    text = _LETTER_DIGIT_RE.sub(" ", text)
    text = _INTEGER_RE.sub(_integers, text)
    text = expand_abbreviations(text)
    text = _WORD_DOT_RE.sub(" dot ", text)
    text = expand_acronyms(text, frozenset(keep_words))
    text = _LEADING_HYPHEN_RE.sub("", text)
    text = _DASHES_RE.sub(" — ", text)
    text = _WORD_COLON_RE.sub(" ", text)
    text = _SYMBOL_RE.sub(lambda m: _SYMBOL_WORDS[m.group()], text)
    text = _SPACE_RE.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text).strip()
    if not _LETTER_RE.search(text):
        raise TextError(
            f"nothing to speak in {original[:60]!r}: the text has no words or numbers "
            "(only punctuation, symbols or emoji)"
        )
    return text
