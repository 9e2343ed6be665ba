"""Batched grapheme-to-phoneme conversion with espeak-ng (through ``phonemizer``).

How it works (fast and correct with punctuation and lexicon overrides):

1. Each text is cut into pieces: kept punctuation marks, words found in the user
   :class:`~tts_moe.text.lexicon.Lexicon`, and the plain-text chunks in between.
2. All plain chunks of all texts go to espeak-ng in ONE ``phonemize`` call on a cached
   backend (creating ``EspeakBackend`` is slow; one per language per process).
3. The pieces are stitched back: chunk phonemes, lexicon IPA, punctuation with canonical
   spacing (``a, b.``, ``(a)``, ``"a"``, ``a — b``).

The output uses one space between words, stress marks ˈ ˌ and length ː, and only symbols of
the :class:`~tts_moe.text.symbols.SymbolTable` (anything else espeak might emit is dropped
with a :class:`~tts_moe.text.errors.TextWarning`). Input should be normalised text
(:func:`tts_moe.text.normalize.normalize_text`); raw text still works, but espeak then reads
digits and symbols its own way.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tts_moe.errors import MissingDependencyError, TextError
from tts_moe.text.errors import warn
from tts_moe.text.lexicon import WORD_RE, Lexicon
from tts_moe.text.symbols import SymbolTable

DEFAULT_LANGUAGE = "en-us"

_PUNCT_CANON = {
    "“": '"', "”": '"', "«": '"', "»": '"', "„": '"', "‟": '"',
    "[": "(", "]": ")", "{": "(", "}": ")",
    "–": "—", "―": "—", "--": "—", "...": "…",
}
_PIECE_RE = re.compile(r'(\.\.\.|--+|\s-\s|[!"(),.:;?—…“”«»„‟\[\]{}–―])')
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ATTACH_LEFT = set(",.!?;:)…")
#: "A" spelled as a letter: next to another single capital ("U S A", "A J Hidell") or last.
_SPELLED_A_RE = re.compile(r"(?<![\w'])A(?=\s+[A-Z](?![\w']))|(?<=(?<![\w'])[A-Z] )A(?![\w'])")

_BACKENDS: dict[tuple[str, bool], Any] = {}
_BACKEND_LOCK = threading.RLock()


def get_backend(language: str, with_stress: bool = True) -> Any:
    """The process-wide cached ``EspeakBackend`` for ``language``.

    Raises :class:`MissingDependencyError` when phonemizer/libespeak-ng are missing and
    :class:`TextError` for a language espeak-ng does not know.
    """
    key = (language, with_stress)
    with _BACKEND_LOCK:
        backend = _BACKENDS.get(key)
        if backend is not None:
            return backend
        try:
            from phonemizer.backend import EspeakBackend
        except ImportError:
            raise MissingDependencyError(
                "the 'phonemizer' package is not installed: pip install phonemizer "
                "(and apt install espeak-ng)"
            ) from None
        try:
            if not EspeakBackend.is_available():
                raise MissingDependencyError("libespeak-ng is not installed: apt install espeak-ng")
            if not EspeakBackend.is_supported_language(language):
                english = sorted(k for k in EspeakBackend.supported_languages() if k.startswith("en"))
                raise TextError(
                    f"espeak-ng does not know the language {language!r}; English codes it knows: "
                    + ", ".join(english)
                )
            backend = EspeakBackend(
                language,
                preserve_punctuation=False,
                with_stress=with_stress,
                language_switch="remove-flags",
                words_mismatch="ignore",
            )
        except RuntimeError as error:
            raise MissingDependencyError(f"espeak-ng backend failed to start: {error}") from None
        _BACKENDS[key] = backend
        return backend


class Phonemizer:
    """Batched text -> IPA phonemes for one espeak-ng language.

    ``Phonemizer(language="en-us", lexicon=None)``; ``lexicon`` may be a :class:`Lexicon`,
    a ``{word: ipa}`` mapping or the path of a TSV lexicon file.
    """

    def __init__(
        self,
        language: str = DEFAULT_LANGUAGE,
        lexicon: Lexicon | Mapping[str, str] | str | Path | None = None,
        *,
        symbols: SymbolTable | None = None,
        with_stress: bool = True,
    ) -> None:
        self.language = language
        self.symbols = symbols or SymbolTable()
        if lexicon is None or isinstance(lexicon, Lexicon):
            self.lexicon = lexicon or Lexicon(symbols=self.symbols)
        elif isinstance(lexicon, (str, Path)):
            self.lexicon = Lexicon.from_file(lexicon, self.symbols)
        else:
            self.lexicon = Lexicon(lexicon, self.symbols)
        self._backend = get_backend(language, with_stress)
        from phonemizer.separator import Separator

        self._separator = Separator(phone="", syllable="", word=" ")

    # ---- public -----------------------------------------------------------------------
    def phonemize(self, texts: Sequence[str]) -> list[str]:
        """Phonemise a batch; returns one phoneme string per input text.

        Raises :class:`TextError` (naming the item) when a text has nothing to pronounce.
        """
        if isinstance(texts, str):
            raise TextError("Phonemizer.phonemize expects a list of texts, not a single string")
        chunks: dict[str, int] = {}
        plans = [self._plan(text, chunks) for text in texts]
        phonemized = self._run(list(chunks)) if chunks else []
        results = []
        dropped: dict[str, int] = {}
        for index, plan in enumerate(plans):
            out = self._stitch(plan, phonemized, dropped)
            if not out.strip(" " + "".join(_ATTACH_LEFT) + '("—'):
                raise TextError(
                    f"text #{index} has nothing to pronounce: {texts[index][:60]!r} "
                    "(it is empty or only punctuation/symbols)"
                )
            results.append(out)
        if dropped:
            shown = ", ".join(f"{s!r} x{n}" for s, n in sorted(dropped.items()))
            warn(f"espeak-ng produced symbols outside table {self.symbols.version!r}; dropped: {shown}")
        return results

    def phonemize_one(self, text: str) -> str:
        """Convenience for a single text."""
        return self.phonemize([text])[0]

    # ---- internals --------------------------------------------------------------------
    def _plan(self, text: str, chunks: dict[str, int]) -> list[tuple[str, Any]]:
        """Cut ``text`` into ("p", mark) / ("c", chunk index) / ("l", ipa) pieces."""
        if not isinstance(text, str):
            raise TextError(f"texts must be strings, got {type(text).__name__}")
        text = _CONTROL_RE.sub(" ", text)
        plan: list[tuple[str, Any]] = []
        for n, piece in enumerate(_PIECE_RE.split(text)):
            if n % 2:  # punctuation
                mark = piece.strip()
                plan.append(("p", _PUNCT_CANON.get(mark, mark) if mark != "-" else "—"))
                continue
            piece = " ".join(piece.split())
            if not piece:
                continue
            overrides = self._overrides(piece)
            start = 0
            for begin, end, ipa in overrides:
                self._add_chunk(piece[start:begin], plan, chunks)
                plan.append(("l", ipa))
                start = end
            self._add_chunk(piece[start:], plan, chunks)
        return plan

    def _overrides(self, piece: str) -> list[tuple[int, int, str]]:
        """(start, end, ipa) spans replacing espeak: lexicon words and spelled letter "A"."""
        spans: list[tuple[int, int, str]] = []
        if self.lexicon:
            for match in WORD_RE.finditer(piece):
                ipa = self.lexicon.get(match.group())
                if ipa is not None:
                    spans.append((match.start(), match.end(), ipa))
        if "A" in piece:
            # espeak reads a lone "A" as the article; inside spelled letters it is the letter.
            taken = {s[0] for s in spans}
            for match in _SPELLED_A_RE.finditer(piece):
                if match.start() not in taken:
                    spans.append((match.start(), match.end(), "ˈeɪ"))
            spans.sort()
        return spans

    @staticmethod
    def _add_chunk(chunk: str, plan: list[tuple[str, Any]], chunks: dict[str, int]) -> None:
        chunk = chunk.strip()
        if chunk:
            plan.append(("c", chunks.setdefault(chunk, len(chunks))))

    def _run(self, chunks: list[str]) -> list[str]:
        with _BACKEND_LOCK:  # espeak-ng keeps global state: one call at a time per process
            out = self._backend.phonemize(chunks, separator=self._separator, strip=True, njobs=1)
        # Some voices (en-gb-scotland) write the length mark as an ASCII colon.
        return [" ".join(p.replace(":", "ː").split()) for p in out]

    def _stitch(self, plan: list[tuple[str, Any]], phonemized: list[str], dropped: dict[str, int]) -> str:
        parts: list[str] = []
        glue_next = False  # previous token was an opening mark
        quote_open = False
        for kind, value in plan:
            if kind == "p":
                if value in _ATTACH_LEFT:
                    if parts:
                        parts.append(value)
                    glue_next = False
                    continue
                if value == '"':
                    if quote_open:
                        parts.append(value)
                        quote_open = False
                        glue_next = False
                        continue
                    quote_open = True
                if value == "—":
                    parts.append(" — " if parts else "— ")
                    glue_next = True
                    continue
                parts.append((" " if parts and not glue_next else "") + value)
                glue_next = True
                continue
            token = phonemized[value] if kind == "c" else value
            if not token:
                continue
            parts.append((" " if parts and not glue_next else "") + token)
            glue_next = False
        out = "".join(parts)
        unknown = self.symbols.unknown(out)
        if unknown:
            for _, sym in unknown:
                dropped[sym] = dropped.get(sym, 0) + 1
            bad = {sym for _, sym in unknown}
            out = "".join(ch for ch in out if ch not in bad)
        return " ".join(out.split())
