"""Word error rate with the toolkit's own text normaliser.

Both texts go through :func:`tts_moe.text.normalize.normalize_text` (numbers, dates,
currency, abbreviations and Roman numerals become words, so "3" and "three" match), then
are lower-cased, hyphens and dashes become spaces, and everything but letters, digits and
word-internal apostrophes is dropped. The word sequences are compared by Levenshtein
distance (:func:`bench._dtw.edit_operations`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

from bench._dtw import edit_operations
from tts_moe.errors import InputError, TextError
from tts_moe.text.errors import TextWarning
from tts_moe.text.normalize import normalize_text

_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_HYPHENS_RE = re.compile(r"[-\u2010-\u2015]")


def wer_words(text: str) -> list[str]:
    """The words WER compares: ``"Dr. Smith paid $3!"`` -> ``['doctor', 'smith', 'paid',
    'three', 'dollars']``. Text with nothing speakable gives ``[]``."""
    if not isinstance(text, str):
        raise InputError(f"WER needs text strings, got {type(text).__name__}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TextWarning)
        try:
            spoken = normalize_text(text)
        except TextError:
            return []
    return _WORD_RE.findall(_HYPHENS_RE.sub(" ", spoken.lower()))


def word_error_rate(reference_text: str, hypothesis_text: str) -> dict:
    """WER of one hypothesis against its reference.

    Returns ``{"wer", "edits", "substitutions", "deletions", "insertions", "hits",
    "reference_words", "hypothesis_words", "reference", "hypothesis"}``; ``wer`` is
    edits / reference words (it can exceed 1 with many insertions); ``reference`` and
    ``hypothesis`` are the normalised word strings that were compared. Raises
    :class:`InputError` when the reference has no words.
    """
    reference, hypothesis = wer_words(reference_text), wer_words(hypothesis_text)
    if not reference:
        raise InputError(
            f"the WER reference {reference_text[:60]!r} has no words: WER is undefined"
        )
    counts = edit_operations(reference, hypothesis)
    return {
        "wer": counts["edits"] / len(reference),
        **counts,
        "reference_words": len(reference),
        "hypothesis_words": len(hypothesis),
        "reference": " ".join(reference),
        "hypothesis": " ".join(hypothesis),
    }


def corpus_wer(pairs: Iterable[tuple[str, str]]) -> dict:
    """Corpus WER over ``(reference_text, hypothesis_text)`` pairs: total edits / total
    reference words (not the mean of sentence WERs), plus the edit counts, the number of
    sentences and the sentence error rate (share of sentences with any edit)."""
    totals = {"edits": 0, "substitutions": 0, "deletions": 0, "insertions": 0, "hits": 0,
              "reference_words": 0, "hypothesis_words": 0}
    sentences = wrong = 0
    for reference_text, hypothesis_text in pairs:
        result = word_error_rate(reference_text, hypothesis_text)
        for key in totals:
            totals[key] += result[key]
        sentences += 1
        wrong += result["edits"] > 0
    if sentences == 0:
        raise InputError("corpus WER needs at least one (reference, hypothesis) pair")
    return {
        "wer": totals["edits"] / totals["reference_words"],
        **totals,
        "sentences": sentences,
        "sentence_error_rate": wrong / sentences,
    }
