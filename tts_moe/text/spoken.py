"""Word-level expansions for the normaliser: URLs, e-mails, abbreviations, Roman numerals,
acronyms. Each function takes and returns the whole text (one linear regex pass)."""

from __future__ import annotations

import re

from tts_moe.text import numbers as num
from tts_moe.text.tables import (
    ABBREVIATIONS,
    COMMON_CAPS,
    DOTTED,
    READ_ACRONYMS,
    REGNAL_NAMES,
    ROMAN_CARDINAL_CONTEXT,
)

# ---- URLs and e-mail addresses -------------------------------------------------------------
_TLDS = "com|org|net|edu|gov|mil|int|io|co|uk|us|de|fr|nl|eu|info|biz|ai|dev|app|ca|au|me|tv"
# Matches start only at the beginning of a token (look-behind) and label lengths are bounded,
# so a long run like "a.a.a.a..." costs linear, not quadratic, time.
URL_RE = re.compile(
    r"(?:\b(?:https?|ftp)://|(?<![\w.@-])www\.)[^\s<>\"]+"
    r"|(?<![\w.@/-])[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63}){0,6}\.(?:" + _TLDS + r")\b"
    r"(?:/[^\s<>\"]*)?"
)
EMAIL_RE = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,6}\b")
_TRAILING = ".,;:!?)]'\""
_URL_SYMBOLS = {
    ".": "dot", "/": "slash", "-": "dash", "_": "underscore", ":": "colon", "?": "question mark",
    "=": "equals", "&": "and", "#": "hash", "%": "percent", "~": "tilde", "+": "plus", "@": "at",
}
_URL_TOKEN_RE = re.compile(r"[A-Za-z]+|\d+|.")
_VOWEL_RE = re.compile(r"[aeiouy]", re.IGNORECASE)


def _speak_address(address: str) -> str:
    words = []
    for token in _URL_TOKEN_RE.findall(address):
        if token.isdigit():
            words.append(num.cardinal(token) if len(token) <= 2 else num.digits_to_words(token))
        elif token.isalpha() and token.isascii():
            low = token.lower()
            if low == "www" or (len(low) <= 3 and not _VOWEL_RE.search(low)):
                words.append(" ".join(low))
            else:
                words.append(low)
        elif token in _URL_SYMBOLS:
            words.append(_URL_SYMBOLS[token])
    return " ".join(words)


def _split_trailing(match: str) -> tuple[str, str]:
    core = match.rstrip(_TRAILING)
    return core, match[len(core) :]


def speak_url(text: str) -> str:
    """"see www.example.com/a." -> "see w w w dot example dot com slash a."."""

    def repl(m: re.Match[str]) -> str:
        core, tail = _split_trailing(m.group())
        core = re.sub(r"^(?:https?|ftp)://", "", core)
        return f" {_speak_address(core)} {tail}"

    return URL_RE.sub(repl, text)


def speak_email(text: str) -> str:
    """"mail jo.doe@example.org" -> "mail jo dot doe at example dot org"."""
    return EMAIL_RE.sub(lambda m: f" {_speak_address(m.group())} ", text)


# ---- abbreviations ---------------------------------------------------------------------------
_FINAL_RE = re.compile(r"[\s\"')\]]*$")
_DOTTED_RE = re.compile(
    r"(?<![\w.])(?:" + "|".join(re.escape(k) for k in sorted(DOTTED, key=len, reverse=True)) + r")",
    re.IGNORECASE,
)
_DOTTED_LOWER = {k.lower(): v for k, v in DOTTED.items()}
_ABBR_RE = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")\.(?!\w)"
)
_TITLE_NO_DOT_RE = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Messrs|Prof)\b(?=\s+[A-Z])")
_DR_ST_RE = re.compile(r"\b(Dr|St)\.(?!\w)")
_NO_RE = re.compile(r"\b(No|no)\.(?!\w)")
_INITIALS_RE = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_INITIAL_RE = re.compile(r"\b([A-Z])\.(?=\s*[A-Z(\"'])")
_TITLES = {"Mr": "mister", "Mrs": "missus", "Ms": "miz", "Messrs": "messieurs", "Prof": "professor"}
_PREV_WORD_RE = re.compile(r"([A-Za-z]+)[\s,]*$")
_NEXT_WORD_RE = re.compile(r"\s*([A-Za-z]+)")


def _at_end(m: re.Match[str]) -> bool:
    return _FINAL_RE.fullmatch(m.string, m.end()) is not None


def _dot_if_final(m: re.Match[str], words: str) -> str:
    return words + ("." if _at_end(m) else " ")


def _dr_st(m: re.Match[str]) -> str:
    kind = m.group(1)
    before = _PREV_WORD_RE.search(m.string, max(0, m.start() - 40), m.start())
    after = _NEXT_WORD_RE.match(m.string, m.end())
    prev_cap = bool(before) and before.group(1)[0].isupper() and before.end() == m.start() or (
        bool(before) and m.string[before.end(1) : m.start()].strip() == "" and before.group(1)[0].isupper()
    )
    next_cap = bool(after) and after.group(1)[0].isupper()
    place, person = ("drive", "doctor") if kind == "Dr" else ("street", "saint")
    if prev_cap and (not next_cap or kind == "St" and _at_end(m)):
        return _dot_if_final(m, place)
    if next_cap or not before:
        return person + " "
    return _dot_if_final(m, place if prev_cap else person)


def expand_abbreviations(text: str) -> str:
    """Titles, Dr./St. by context, dotted abbreviations, initials ("U.S." -> "U S")."""
    text = _DOTTED_RE.sub(lambda m: _dot_if_final(m, " " + _DOTTED_LOWER[m.group().lower()]), text)
    text = _DR_ST_RE.sub(_dr_st, text)
    text = _NO_RE.sub(lambda m: _dot_if_final(m, m.group(1)), text)
    text = _ABBR_RE.sub(
        lambda m: (_TITLES[m.group(1)] + " ") if m.group(1) in _TITLES else _dot_if_final(m, ABBREVIATIONS[m.group(1)]),
        text,
    )
    text = _TITLE_NO_DOT_RE.sub(
        lambda m: {"Dr": "doctor", "St": "saint"}.get(m.group(1)) or _TITLES[m.group(1)], text
    )
    text = _INITIALS_RE.sub(lambda m: _dot_if_final(m, " " + " ".join(m.group().replace(".", "").upper())), text)
    text = _INITIAL_RE.sub(r"\1 ", text)
    return text


# ---- Roman numerals ------------------------------------------------------------------------
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_ROMAN_RE = re.compile(r"\b([A-Z][a-z]+)(\.?)\s+([IVXLC]+)\b(?!['’]|\.\s*[A-Z][a-z])|(?<![\w.])([IVX]{2,})\b(?!['’.-]\w)")


def roman_to_int(numeral: str) -> int | None:
    """Value of a canonical Roman numeral ("XIV" -> 14), or None if it is not one."""
    total, prev = 0, 0
    for char in reversed(numeral):
        value = _ROMAN_VALUES.get(char)
        if value is None:
            return None
        total += -value if value < prev else value
        prev = max(prev, value)
    return total if total > 0 and int_to_roman(total) == numeral else None


def int_to_roman(n: int) -> str:
    out = []
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def _roman(m: re.Match[str]) -> str:
    if m.group(4):  # standalone "II", "VIII"
        value = roman_to_int(m.group(4))
        return num.cardinal(value) if value else m.group()
    word, dot, numeral = m.group(1), m.group(2), m.group(3)
    value = roman_to_int(numeral)
    if value is None:
        return m.group()
    if word in REGNAL_NAMES and not dot:
        if numeral == "I" and not re.match(r"\s*(?:[,.;:!?)]|$|of\b|and\b)", m.string[m.end() : m.end() + 5]):
            return m.group()
        return f"{word} the {num.ordinal(value)}"
    if word.lower() in ROMAN_CARDINAL_CONTEXT:
        if numeral == "I" and not re.match(r"\s*(?:[,.;:!?)]|$)", m.string[m.end() : m.end() + 3]):
            return m.group()
        return f"{word}{dot} {num.cardinal(value)}"
    if len(numeral) >= 2 and set(numeral) <= set("IVX"):
        return f"{word}{dot} {num.cardinal(value)}" if word.lower() in {"world"} else m.group()
    return m.group()


def expand_romans(text: str) -> str:
    """"Henry VIII" -> "Henry the eighth", "Chapter IV" -> "Chapter four", "II" -> "two"."""
    return _ROMAN_RE.sub(_roman, text)


# ---- acronyms ------------------------------------------------------------------------------
_ACRONYM_RE = re.compile(r"\b([A-Z]{2,})(?:(['’]?)s)?\b")
_CAPS_NEIGHBOUR_BEFORE = re.compile(r"\b[A-Z]{2,}[\W]*$")
_CAPS_NEIGHBOUR_AFTER = re.compile(r"[\W]*[A-Z]{2,}\b")
_HARD_CLUSTER_RE = re.compile(r"[^AEIOUY]{4,}|^[^AEIOUY]{3}")


def _acronym(m: re.Match[str], keep: frozenset[str] = frozenset()) -> str:
    word, apostrophe, plural = m.group(1), m.group(2), m.group(0)[len(m.group(1)) :]
    if word.casefold() in keep:
        return m.group()
    if word in READ_ACRONYMS:
        return word.capitalize() + plural
    if word in COMMON_CAPS:
        return word.lower() + plural
    has_vowel = _VOWEL_RE.search(word) is not None
    shouting = _CAPS_NEIGHBOUR_BEFORE.search(m.string, max(0, m.start() - 30), m.start()) or (
        _CAPS_NEIGHBOUR_AFTER.match(m.string, m.end())
    )
    pronounceable = has_vowel and not _HARD_CLUSTER_RE.search(word)
    if pronounceable and (len(word) >= 5 or (shouting and len(word) >= 3)):
        return word.lower() + plural
    if plural and not apostrophe and not pronounceable and len(word) >= 2:
        return " ".join(word) + "'s"
    return " ".join(word) + plural


def expand_acronyms(text: str, keep: frozenset[str] = frozenset()) -> str:
    """"FBI" -> "F B I", "NASA" -> "Nasa", "THE KING" -> "the king".

    Words in ``keep`` (case-folded, e.g. the user lexicon's words) are left as written.
    """
    if keep:
        return _ACRONYM_RE.sub(lambda m: _acronym(m, keep), text)
    return _ACRONYM_RE.sub(_acronym, text)
