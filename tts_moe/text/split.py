"""Sentence and clause splitting for long-form synthesis (linear time).

Sentences end at ``. ! ? …`` (plus closing quotes/brackets) followed by white space and
anything but a lower-case letter, or at a blank line. No split after titles and
common abbreviations (Dr., Mr., St., e.g., No., vs.), after initials (J. F. Kennedy, U.S.),
inside numbers (3.5, 1,000 have no space) or inside URLs/e-mail addresses.

Sentences longer than ``max_chars`` are cut at clause boundaries, best first:
``; :`` and dashes, then commas, then conjunctions, then (last resort) any space; each cut is
placed as near the middle as possible, recursively, until every piece fits.
"""

from __future__ import annotations

import re

from tts_moe.errors import TextError
from tts_moe.text.spoken import EMAIL_RE, URL_RE

#: Default maximum length of one piece, in characters (≈ phonemes for English).
DEFAULT_MAX_CHARS = 400

_NO_SPLIT_AFTER = {
    "mr", "mrs", "ms", "dr", "drs", "st", "prof", "gen", "capt", "lt", "col", "sgt", "maj",
    "rev", "hon", "gov", "sen", "rep", "messrs", "mme", "jr", "sr", "mt", "ft", "no", "nos",
    "vs", "v", "e.g", "i.e", "cf", "viz", "al", "approx", "dept", "fig", "vol", "ch", "pp",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "a.m", "p.m", "ca", "inc", "co", "corp", "bros", "ltd", "det", "insp", "supt",
}
_BOUNDARY_RE = re.compile(
    r"(?:(?<![.!?…])[.!?…]+[\"'”’)\]]*)(?=\s+(?![a-zß-öø-ÿ])\S)|\n[ \t]*\n\s*"
)
_WORD_BEFORE_RE = re.compile(r"([\w.]+)$")
_SPACE_RE = re.compile(r"\s+")
_CLAUSE_LEVELS = (
    re.compile(r"[;:](?=\s)|\s[—–]\s?|—(?=\s)|\s--?\s"),
    re.compile(r",(?=\s)"),
    re.compile(r"\s(?=(?:and|but|or|nor|so|yet|because|which|while|although|though|whereas|when|where|that)\s)"),
    re.compile(r"\s"),
)


def _protected(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in URL_RE.finditer(text)]
    spans += [m.span() for m in EMAIL_RE.finditer(text)]
    return sorted(spans)


def _is_abbreviation(text: str, end: int) -> bool:
    """Is the '.' at ``text[end]`` the end of an abbreviation or initial?"""
    m = _WORD_BEFORE_RE.search(text, max(0, end - 24), end)
    if not m:
        return False
    word = m.group(1)
    low = word.lower().strip(".")
    if low in _NO_SPLIT_AFTER:
        return True
    if len(word) == 1 and word.isalpha() and word.isupper():
        return True  # initial: "Lee H. Oswald"
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", word))  # U.S / e.g inner dots


def split_sentences(text: str, max_chars: int | None = DEFAULT_MAX_CHARS) -> list[str]:
    """Split ``text`` into sentences (and clauses when longer than ``max_chars``).

    Returns stripped, non-empty strings with single spaces. Raises :class:`TextError` when
    there is no text at all. ``max_chars=None`` disables clause splitting.
    """
    if not isinstance(text, str):
        raise TextError(f"text must be a string, got {type(text).__name__}")
    if not text.strip():
        raise TextError("the text is empty: give at least one sentence to split")
    if max_chars is not None and max_chars < 8:
        raise TextError(f"max_chars must be at least 8, got {max_chars}")
    protected = _protected(text)
    pieces: list[str] = []
    start = 0
    p = 0
    for m in _BOUNDARY_RE.finditer(text):
        cut = m.end()
        while p < len(protected) and protected[p][1] <= m.start():
            p += 1
        if p < len(protected) and protected[p][0] <= m.start() < protected[p][1] - 1:
            continue
        mark = m.group()
        if mark.startswith(".") and not mark.startswith("..") and _is_abbreviation(text, m.start()):
            continue
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    out: list[str] = []
    for piece in pieces:
        sentence = _SPACE_RE.sub(" ", piece).strip()
        if not sentence:
            continue
        if max_chars is not None and len(sentence) > max_chars:
            out.extend(split_clauses(sentence, max_chars))
        else:
            out.append(sentence)
    return out


def split_clauses(sentence: str, max_chars: int) -> list[str]:
    """Cut one long sentence at clause boundaries until every piece is ≤ ``max_chars``."""
    if len(sentence) <= max_chars:
        return [sentence]
    middle = len(sentence) // 2
    for level in _CLAUSE_LEVELS:
        best = None
        for m in level.finditer(sentence):
            cut = m.end() if not m.group().isspace() or level is not _CLAUSE_LEVELS[-1] else m.start()
            if 0 < cut < len(sentence) and (best is None or abs(cut - middle) < abs(best - middle)):
                best = cut
            if m.start() > middle and best is not None and abs(cut - middle) > abs(best - middle):
                break
        if best is not None:
            left, right = sentence[:best].strip(), sentence[best:].strip()
            if left and right and len(left) < len(sentence) and len(right) < len(sentence):
                # a cut that leaves a tiny piece is only worth it at the weakest level
                if min(len(left), len(right)) >= max_chars // 4 or level is _CLAUSE_LEVELS[-1]:
                    return split_clauses(left, max_chars) + split_clauses(right, max_chars)
    # no space at all: hard cut
    return [sentence[i : i + max_chars] for i in range(0, len(sentence), max_chars)]
