"""``TextFrontend``: normalise -> split -> phonemise -> encode, in one object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tts_moe.errors import TextError
from tts_moe.text.lexicon import Lexicon
from tts_moe.text.normalize import normalize_text
from tts_moe.text.phonemize import DEFAULT_LANGUAGE, Phonemizer
from tts_moe.text.split import split_clauses, split_sentences
from tts_moe.text.symbols import SymbolTable

#: Default maximum phonemes per utterance (about 20-25 s of speech).
DEFAULT_MAX_PHONEMES = 400


@dataclass
class Utterance:
    """One synthesis unit: the source text, its normalised words, phonemes and ids ``(n,)``."""

    text: str
    normalized: str
    phonemes: str
    ids: list[int] = field(repr=False)


class TextFrontend:
    """The whole text pipeline for one language.

    ``TextFrontend(language="en-us", lexicon=None, max_phonemes=400)``; ``lexicon`` may be a
    :class:`Lexicon`, a mapping or a TSV path. Every phoneme string it returns encodes with
    :attr:`symbols`.
    """

    def __init__(
        self,
        language: str = DEFAULT_LANGUAGE,
        lexicon: Lexicon | Mapping[str, str] | str | Path | None = None,
        max_phonemes: int = DEFAULT_MAX_PHONEMES,
        symbols: SymbolTable | None = None,
    ) -> None:
        if max_phonemes < 16:
            raise TextError(f"max_phonemes must be at least 16, got {max_phonemes}")
        self.language = language
        self.max_phonemes = max_phonemes
        self.symbols = symbols or SymbolTable()
        self.phonemizer = Phonemizer(language, lexicon, symbols=self.symbols)
        # lexicon words are not spelled out by the normaliser ("FBI" keeps its entry)
        self._keep_words = frozenset(self.phonemizer.lexicon)

    def normalize(self, text: str) -> str:
        """Written text -> speakable words (see :func:`normalize_text`); all-capital words in
        the lexicon are kept as written so their entry applies."""
        return normalize_text(text, keep_words=self._keep_words)

    def split(self, text: str) -> list[str]:
        """Raw text -> sentences/clauses short enough for ``max_phonemes``.

        Lengths are estimated from characters here; :meth:`prepare` checks the real phoneme
        counts and cuts further when needed.
        """
        return split_sentences(text, max_chars=self.max_phonemes)

    def phonemize(self, sentences: Sequence[str]) -> list[str]:
        """Normalised sentences -> phoneme strings (one batched espeak-ng call)."""
        return self.phonemizer.phonemize(list(sentences))

    def encode(self, phonemes: str) -> list[int]:
        """Phoneme string -> symbol ids ``(len(phonemes),)``."""
        return self.symbols.encode(phonemes)

    def prepare(self, text: str) -> list[Utterance]:
        """Raw text -> utterances, each at most ``max_phonemes`` phonemes long.

        Sentences with nothing speakable (e.g. a lone emoji between real sentences) are
        skipped; if nothing at all is left, :class:`TextError` is raised.
        """
        sources: list[str] = []
        normalized: list[str] = []
        for sentence in self.split(text):
            try:
                norm = self.normalize(sentence)
            except TextError:
                continue
            for piece in split_clauses(norm, self.max_phonemes):
                sources.append(sentence)
                normalized.append(piece)
        if not normalized:
            raise TextError(f"nothing to speak in {text[:60]!r}: no words after normalisation")
        phonemes = self._phonemize_lenient(normalized)
        out: list[Utterance] = []
        for source, norm, phon in zip(sources, normalized, phonemes):
            if phon is None:
                continue
            if len(phon) > self.max_phonemes:
                out.extend(self._cut_long(source, norm, len(phon)))
            else:
                out.append(Utterance(source, norm, phon, self.encode(phon)))
        if not out:
            raise TextError(f"nothing to speak in {text[:60]!r}: no phonemes")
        return out

    def _phonemize_lenient(self, texts: list[str]) -> list[str | None]:
        try:
            return list(self.phonemize(texts))
        except TextError:
            result: list[str | None] = []
            for t in texts:
                try:
                    result.append(self.phonemize([t])[0])
                except TextError:
                    result.append(None)
            return result

    def _cut_long(self, source: str, norm: str, n_phonemes: int) -> list[Utterance]:
        # Phonemes outnumber characters here; shrink the character budget proportionally.
        budget = max(8, int(self.max_phonemes * len(norm) / n_phonemes * 0.9))
        out = []
        for piece in split_clauses(norm, budget):
            phon = self._phonemize_lenient([piece])[0]
            if phon is None:
                continue
            if len(phon) > self.max_phonemes and budget > 8 and len(piece) > 8:
                out.extend(self._cut_long(source, piece, len(phon)))
            else:
                out.append(Utterance(source, piece, phon, self.encode(phon)))
        return out
