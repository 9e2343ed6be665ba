"""Text front end: normalisation, sentence splitting, phonemisation, symbol encoding.

Public API::

    normalize_text(text) -> str
    split_sentences(text, max_chars=...) -> list[str]
    Phonemizer(language="en-us", lexicon=None).phonemize(texts) -> list[str]
    SymbolTable().encode(phonemes) -> list[int]
    Lexicon.from_file(path)
    TextFrontend(language="en-us", lexicon=None, max_phonemes=...).prepare(text) -> list[Utterance]
    TextWarning  (warning category for dropped characters)
"""

from __future__ import annotations

from tts_moe.errors import TextError
from tts_moe.text.errors import TextWarning
from tts_moe.text.frontend import TextFrontend, Utterance
from tts_moe.text.lexicon import Lexicon
from tts_moe.text.normalize import normalize_text
from tts_moe.text.phonemize import Phonemizer
from tts_moe.text.split import split_sentences
from tts_moe.text.symbols import SymbolTable

__all__ = [
    "Lexicon",
    "Phonemizer",
    "SymbolTable",
    "TextError",
    "TextFrontend",
    "TextWarning",
    "Utterance",
    "normalize_text",
    "split_sentences",
]
