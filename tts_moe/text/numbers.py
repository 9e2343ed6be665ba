"""Number to English words: cardinals, ordinals, decimals, years, digit strings.

Small and deterministic; no dependency. All functions take ``int`` or digit strings and
return lower-case words separated by single spaces (hyphens inside 21..99: "twenty-one").
"""

from __future__ import annotations

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = (
    "",
    "thousand",
    "million",
    "billion",
    "trillion",
    "quadrillion",
    "quintillion",
    "sextillion",
    "septillion",
    "octillion",
    "nonillion",
    "decillion",
)
_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
# Above this many digits numbers are read digit by digit (no scale word exists).
MAX_CARDINAL_DIGITS = 3 * len(_SCALES)


def _under_thousand(n: int) -> str:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words.append(f"{_ONES[hundreds]} hundred")
    if rest:
        if rest < 20:
            words.append(_ONES[rest])
        else:
            tens, ones = divmod(rest, 10)
            words.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    return " ".join(words)


def digits_to_words(digits: str) -> str:
    """Read a digit string one digit at a time: "007" -> "zero zero seven"."""
    return " ".join(_ONES[int(d)] for d in digits if d.isdigit())


def cardinal(n: int | str) -> str:
    """Cardinal number: 1234567 -> "one million two hundred thirty-four thousand five hundred
    sixty-seven". Negative numbers get "minus". Numbers too large for a scale word are read
    digit by digit."""
    if isinstance(n, str):
        text = n.strip()
        negative = text.startswith("-")
        text = text.lstrip("-+")
        if not text.isdigit():
            raise ValueError(f"not an integer: {n!r}")
        if len(text.lstrip("0")) > MAX_CARDINAL_DIGITS:
            return ("minus " if negative else "") + digits_to_words(text)
        n = -int(text) if negative else int(text)
    if n < 0:
        return "minus " + cardinal(-n)
    if n == 0:
        return "zero"
    if len(str(n)) > MAX_CARDINAL_DIGITS:
        return digits_to_words(str(n))
    groups: list[str] = []
    scale = 0
    while n:
        n, chunk = divmod(n, 1000)
        if chunk:
            words = _under_thousand(chunk)
            groups.append(f"{words} {_SCALES[scale]}".strip())
        scale += 1
    return " ".join(reversed(groups))


def ordinal_word(words: str) -> str:
    """Turn the last word of a cardinal into its ordinal: "twenty-one" -> "twenty-first"."""
    head, sep, last = words.rpartition(" ")
    pre, hyphen, tail = last.rpartition("-")
    if tail in _ORDINAL_IRREGULAR:
        tail = _ORDINAL_IRREGULAR[tail]
    elif tail.endswith("y"):
        tail = tail[:-1] + "ieth"
    else:
        tail = tail + "th"
    return head + sep + pre + hyphen + tail


def ordinal(n: int | str) -> str:
    """Ordinal number: 1 -> "first", 22 -> "twenty-second", 100 -> "one hundredth"."""
    return ordinal_word(cardinal(n))


def decimal(text: str) -> str:
    """Decimal number written with a point: "3.14" -> "three point one four",
    "-0.5" -> "minus zero point five", ".5" -> "point five"."""
    text = text.replace(",", "")
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("+-").partition(".")
    parts = []
    if whole:
        parts.append(cardinal(whole))
    if frac or text.endswith("."):
        parts.append("point")
        if frac:
            parts.append(digits_to_words(frac))
    result = " ".join(parts)
    return ("minus " + result) if negative else result


def year(n: int | str) -> str:
    """Read a year the way people say it: 1984 -> "nineteen eighty-four", 1900 -> "nineteen
    hundred", 2005 -> "two thousand five", 2024 -> "twenty twenty-four", 1805 -> "eighteen oh
    five". Years outside 1000..9999 fall back to :func:`cardinal`."""
    n = int(n)
    if not 1000 <= n <= 9999:
        return cardinal(n)
    century, rest = divmod(n, 100)
    if 2000 <= n <= 2009 or n % 1000 == 0:
        return cardinal(n)
    if rest == 0:
        return f"{cardinal(century)} hundred"
    if rest < 10:
        return f"{cardinal(century)} oh {_ONES[rest]}"
    return f"{cardinal(century)} {cardinal(rest)}"


def plural_word(words: str) -> str:
    """Plural of a number's last word, for decades: "nineteen sixty" -> "nineteen sixties"."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith("x"):
        return words + "es"
    return words + "s"
