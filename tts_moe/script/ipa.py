"""Check an SSML ``<phoneme alphabet="ipa" ph="...">`` string against the symbol table.

The string is tidied first, then every character must be in the default
:class:`~tts_moe.text.symbols.SymbolTable` (one code point = one symbol):

* white space runs become one space (a word boundary);
* tie bars (``t͡ʃ``) are removed: the table writes affricates as two symbols;
* common ASCII stand-ins are mapped: ``g`` -> ``ɡ``, ``'`` -> ``ˈ`` (stress), ``:`` -> ``ː``
  (length);
* a precomposed character missing from the table (``ã``) is decomposed (``a`` + combining
  tilde) when all its parts are in the table.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from tts_moe.text.symbols import SymbolTable

ASCII_STAND_INS = {"g": "ɡ", "'": "ˈ", ":": "ː", "\u0361": "", "\u035c": ""}


@lru_cache(maxsize=1)
def _table() -> SymbolTable:
    return SymbolTable()


def clean_ipa(ph: str) -> str:
    """Tidy ``ph`` and check it; raises ``ValueError`` naming the first unknown symbol."""
    table = _table()
    out: list[str] = []
    for index, char in enumerate(" ".join(ph.split())):
        char = ASCII_STAND_INS.get(char, char)
        if not char or char in table:
            out.append(char)
            continue
        parts = unicodedata.normalize("NFD", char)
        if len(parts) > 1 and all(p in table for p in parts):
            out.append(parts)
            continue
        name = unicodedata.name(char, "unnamed")
        raise ValueError(
            f"phoneme symbol {char!r} (U+{ord(char):04X} {name}) at position {index + 1} of "
            f"ph={ph!r} is not in the phoneme table {table.version!r}"
        )
    cleaned = "".join(out)
    if not cleaned.strip():
        raise ValueError("<phoneme> has an empty ph attribute: give the IPA to speak")
    return cleaned
