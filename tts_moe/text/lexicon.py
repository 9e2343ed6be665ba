"""User pronunciation lexicon: word -> IPA, overriding espeak-ng.

File format (UTF-8 TSV)::

    # comment lines and blank lines are ignored
    tts-moe<TAB>tˌiːtˌiːˈɛsmˈoʊ
    Nguyen<TAB>ŋwˈɪn

Words are matched case-insensitively as whole words (letters, digits, inner ``'`` or ``-``).
The IPA is validated against the :class:`~tts_moe.text.symbols.SymbolTable`; a few ASCII
look-alikes are normalised first (``g`` -> ``ɡ``, ``:`` -> ``ː``, ``'`` -> ``ˈ``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from tts_moe.errors import TextError
from tts_moe.text.symbols import PUNCTUATION, SymbolTable

#: What counts as one word for lexicon look-up (also used by the phonemiser).
WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_ASCII_FIXES = str.maketrans({"g": "ɡ", ":": "ː", "'": "ˈ", "’": "ˈ"})


def _normalise_ipa(ipa: str) -> str:
    return " ".join(ipa.translate(_ASCII_FIXES).split())


class Lexicon(Mapping[str, str]):
    """Case-insensitive word -> IPA mapping. Behaves like a read-only dict."""

    def __init__(self, entries: Mapping[str, str] | None = None, symbols: SymbolTable | None = None) -> None:
        self.symbols = symbols or SymbolTable()
        self._entries: dict[str, str] = {}
        for word, ipa in (entries or {}).items():
            self.add(word, ipa)

    def add(self, word: str, ipa: str, *, where: str = "") -> None:
        """Add or replace one entry; raises :class:`TextError` for a bad word or IPA."""
        word = word.strip()
        prefix = f"{where}: " if where else ""
        if not WORD_RE.fullmatch(word):
            raise TextError(
                f"{prefix}lexicon word {word!r} is not a single word "
                "(letters/digits with optional inner ' or -)"
            )
        ipa = _normalise_ipa(ipa)
        if not ipa:
            raise TextError(f"{prefix}lexicon entry {word!r} has an empty pronunciation")
        bad = [(i, ch) for i, ch in self.symbols.unknown(ipa)]
        bad += [(i, ch) for i, ch in enumerate(ipa) if ch in PUNCTUATION and (i, ch) not in bad]
        if bad:
            pos, sym = bad[0]
            raise TextError(
                f"{prefix}pronunciation {ipa!r} of {word!r} has symbol {sym!r} (U+{ord(sym):04X}) "
                f"at position {pos}, which is not a phoneme of table {self.symbols.version!r}"
            )
        self._entries[word.casefold()] = ipa

    @classmethod
    def from_file(cls, path: str | Path, symbols: SymbolTable | None = None) -> Lexicon:
        """Load a TSV lexicon; errors name the file and line number."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TextError(f"lexicon file {str(path)!r} does not exist") from None
        except UnicodeDecodeError as error:
            raise TextError(f"lexicon file {str(path)!r} is not UTF-8 ({error.reason} at byte {error.start})") from None
        except OSError as error:
            raise TextError(f"cannot read lexicon file {str(path)!r}: {error.strerror}") from None
        return cls.from_text(text, symbols, source=str(path))

    @classmethod
    def from_text(cls, text: str, symbols: SymbolTable | None = None, *, source: str = "<lexicon>") -> Lexicon:
        """Parse TSV lexicon text (see module docstring)."""
        lexicon = cls(symbols=symbols)
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) != 2:
                raise TextError(
                    f"{source}:{number}: expected 'word<TAB>ipa', got {len(parts)} tab-separated "
                    f"field(s) in {line!r}"
                )
            lexicon.add(parts[0], parts[1], where=f"{source}:{number}")
        return lexicon

    def __getitem__(self, word: str) -> str:
        return self._entries[word.casefold()]

    def get(self, word: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return self._entries.get(word.casefold(), default)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.casefold() in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Lexicon({len(self)} entries)"
