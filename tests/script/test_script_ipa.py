"""IPA strings for <phoneme>: tidying and symbol-table checks."""

from __future__ import annotations

import re

import pytest

from tts_moe.script.ipa import clean_ipa
from tts_moe.text import SymbolTable


@pytest.mark.parametrize(("ph", "expected"), [
    ("təˈmɑːtoʊ", "təˈmɑːtoʊ"),
    ("  ˈhɛ  loʊ ", "ˈhɛ loʊ"),
    ("t͡ʃɪps", "tʃɪps"),
    ("'ga:", "ˈɡaː"),
    ("ã", "a\u0303"),
    ("çə", "çə"),
])
def test_clean_ipa_encodes(ph: str, expected: str) -> None:
    cleaned = clean_ipa(ph)
    assert cleaned == expected
    SymbolTable().encode(cleaned)


@pytest.mark.parametrize(("ph", "words"), [("tə#", "'#' (U+0023"), ("ab😀", "position 3"), ("   ", "empty")])
def test_clean_ipa_rejects(ph: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        clean_ipa(ph)
