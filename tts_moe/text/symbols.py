"""A fixed, versioned phoneme symbol table shared by every model.

Tokenisation decision: **one Unicode code point is one symbol**. Diphthongs and affricates
(``aɪ``, ``oʊ``, ``tʃ``, ``dʒ``) are therefore two symbols each, as are stress + vowel and
vowel + length mark. This keeps encoding a plain dict lookup per character, never needs a
longest-match tokenizer, and can represent every string espeak-ng emits without ambiguity
(espeak itself writes ``tʃ`` both as an affricate and as ``t`` + ``ʃ`` across word parts).
Models learn the pairs from context.

The inventory is every symbol espeak-ng 1.51 produced for English voices (en-us, en-gb,
en-gb-x-rp, en-029, en-gb-scotland, en-us-nyc, en-gb-x-gbclan, en-gb-x-gbcwmd) on LJ Speech
and the web sentences, plus the rest of the pulmonic IPA letters and the diacritics espeak uses,
so a rare word does not produce an unknown symbol. Changing the list means a new version.

Layout (ids): 0 pad ``_``, 1 bos ``^``, 2 eos ``$``, 3 word boundary (space), then
punctuation, prosody marks, IPA letters, diacritics.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from tts_moe.errors import TextError

VERSION = "en-ipa-1"
PAD = "_"
BOS = "^"
EOS = "$"
SPACE = " "
#: Punctuation kept through phonemisation (the normaliser maps other marks onto these).
PUNCTUATION = "!\"(),.:;?—…"
#: Stress and length marks.
PROSODY = "ˈˌːˑ"
_IPA_LETTERS = (
    # ASCII letters that are IPA symbols
    "abcdefhijklmnopqrstuvwxyz"
    # vowels
    "æɐɑɒɔəɘɚɛɜɝɞɤɨɪʉʊʌʏøœɶɵᵻᵿ"
    # consonants
    "ðŋɡɣɬɮɭɲɳɴɸɹɺɻɽɾʀʁʂʃʄʈʍʎʏʐʑʒʔʕʝʟβçθχħɦɥɰɱɕʋɓɗɠʛʜʡʢǀǁǂǃ"
)
#: Modifier letters and combining diacritics espeak-ng (or a lexicon) may use.
_DIACRITICS = "ʰʲʷˠˤⁿˡ̩̪̯̥̬̹̜̟̠̤̰̝̞̘̙̺̻̼̃̆̈̊̚"


def _unique(chars: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for char in chars:
        seen.setdefault(char, None)
    return list(seen)


DEFAULT_SYMBOLS: tuple[str, ...] = tuple(
    _unique([PAD, BOS, EOS, SPACE, *PUNCTUATION, *PROSODY, *_IPA_LETTERS, *_DIACRITICS])
)


class SymbolTable:
    """Maps phoneme strings to integer ids and back.

    ``SymbolTable()`` is the default English table (version :data:`VERSION`). Save it with
    every model via :meth:`to_dict` and compare with :meth:`check_compatible` when loading.
    """

    def __init__(self, symbols: Sequence[str] = DEFAULT_SYMBOLS, version: str = VERSION) -> None:
        symbols = tuple(symbols)
        if len(set(symbols)) != len(symbols):
            dupes = sorted({s for s in symbols if symbols.count(s) > 1})
            raise TextError(f"symbol table {version!r} lists these symbols twice: {dupes}")
        bad = [s for s in symbols if len(s) != 1]
        if bad:
            raise TextError(f"symbol table {version!r}: symbols must be single characters, got {bad}")
        if not symbols or symbols[0] != PAD:
            raise TextError(f"symbol table {version!r}: the first symbol must be the pad {PAD!r}")
        self.symbols = symbols
        self.version = version
        self._ids = {s: i for i, s in enumerate(symbols)}
        self._lookup = np.full(0x3000, -1, dtype=np.int64)
        for i, s in enumerate(symbols):
            if ord(s) < len(self._lookup):
                self._lookup[ord(s)] = i

    # ---- basic properties -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._ids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SymbolTable) and (self.version, self.symbols) == (
            other.version,
            other.symbols,
        )

    def __hash__(self) -> int:
        return hash((self.version, self.symbols))

    def __repr__(self) -> str:
        return f"SymbolTable(version={self.version!r}, size={len(self)})"

    @property
    def pad_id(self) -> int:
        return self._ids[PAD]

    @property
    def bos_id(self) -> int:
        return self._ids[BOS]

    @property
    def eos_id(self) -> int:
        return self._ids[EOS]

    @property
    def space_id(self) -> int:
        return self._ids[SPACE]

    # ---- encoding ----------------------------------------------------------------------
    def unknown(self, phonemes: str) -> list[tuple[int, str]]:
        """(position, symbol) of every character of ``phonemes`` not in the table."""
        ids = self._ids
        return [(i, ch) for i, ch in enumerate(phonemes) if ch not in ids]

    def encode(self, phonemes: str, *, add_bos_eos: bool = False) -> list[int]:
        """Phoneme string -> ids ``(len(phonemes) [+2],)``.

        Raises :class:`TextError` naming the first unknown symbol and its position.
        """
        codes = np.frombuffer(phonemes.encode("utf-32-le"), dtype=np.uint32)
        inside = codes < len(self._lookup)
        ids = self._lookup[np.where(inside, codes, 0)]
        bad = (~inside) | (ids < 0)
        if bad.any():
            pos = int(np.argmax(bad))
            sym = phonemes[pos]
            raise TextError(
                f"unknown phoneme symbol {sym!r} (U+{ord(sym):04X}) at position {pos} of "
                f"{phonemes!r}: not in symbol table {self.version!r}"
            )
        out = ids.tolist()
        if add_bos_eos:
            out = [self.bos_id, *out, self.eos_id]
        return out

    def encode_batch(self, batch: Iterable[str], *, add_bos_eos: bool = False) -> list[list[int]]:
        """Encode several phoneme strings; see :meth:`encode`."""
        return [self.encode(p, add_bos_eos=add_bos_eos) for p in batch]

    def decode(self, ids: Iterable[int], *, strip_special: bool = True) -> str:
        """Ids -> phoneme string. Pad/bos/eos are dropped unless ``strip_special`` is False."""
        special = {PAD, BOS, EOS} if strip_special else set()
        out = []
        for n, i in enumerate(ids):
            i = int(i)
            if not 0 <= i < len(self.symbols):
                raise TextError(f"phoneme id {i} at position {n} is outside table {self.version!r} (size {len(self)})")
            if self.symbols[i] not in special:
                out.append(self.symbols[i])
        return "".join(out)

    # ---- persistence -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable description: ``{"version": ..., "symbols": [...]}``."""
        return {"version": self.version, "symbols": list(self.symbols)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SymbolTable:
        """Inverse of :meth:`to_dict`; raises :class:`TextError` on a malformed dict."""
        if not isinstance(data, dict) or "symbols" not in data or "version" not in data:
            raise TextError("a symbol table dict needs the keys 'version' and 'symbols'")
        symbols = data["symbols"]
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            raise TextError("symbol table 'symbols' must be a list of strings")
        return cls(symbols, str(data["version"]))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SymbolTable:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise TextError(f"symbol table JSON is invalid: {error}") from None
        return cls.from_dict(data)

    def check_compatible(self, other: SymbolTable) -> None:
        """Raise :class:`TextError` unless ``other`` maps every symbol to the same id.

        The message names the versions and the symbols that differ (missing on either side
        or at different ids), so a model trained with one table is never fed another's ids.
        """
        if self == other:
            return
        mine, theirs = set(self.symbols), set(other.symbols)
        only_self = [s for s in self.symbols if s not in theirs]
        only_other = [s for s in other.symbols if s not in mine]
        moved = [
            f"{s!r}: {self._ids[s]} vs {other._ids[s]}"
            for s in self.symbols
            if s in other._ids and self._ids[s] != other._ids[s]
        ]
        parts = [f"symbol tables differ ({self.version!r} vs {other.version!r})"]
        if only_self:
            parts.append(f"only in {self.version!r}: {only_self}")
        if only_other:
            parts.append(f"only in {other.version!r}: {only_other}")
        if moved:
            shown = ", ".join(moved[:10]) + (f" and {len(moved) - 10} more" if len(moved) > 10 else "")
            parts.append(f"different ids: {shown}")
        if not (only_self or only_other or moved):
            parts.append("same symbols and ids, different version string")
        raise TextError("; ".join(parts) + ". Use the symbol table the model was trained with.")
