"""Text sources of the teacher corpus: LJ Speech transcripts and the web sentences.

Splits: ``train`` = LJ Speech ``train.txt`` + filtered web sentences; ``val`` = LJ ``val.txt``;
``test`` = LJ ``test.txt`` (held out: it never enters a train build, see
:func:`assert_no_test_text`).

Shared data lives at ``<repo>/../shared/data`` (override the ``shared`` folder with
``TTS_MOE_SHARED``).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tts_moe.errors import InputError
from tts_moe.paths import data_dir

SPLITS = ("train", "val", "test")
CMUDICT = Path("/usr/share/festival/dicts/cmu/cmudict-0.4.out")
_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class TextItem:
    """One sentence: ``id`` (``LJ050-0234`` or ``web-00017``), raw ``text``, ``source`` file."""

    id: str
    text: str
    source: str


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read text source {path}: {error.strerror}") from error


def load_lj(split: str) -> list[TextItem]:
    """LJ Speech transcripts of one split, ``ID|text`` per line."""
    path = data_dir() / "ljspeech-text" / f"{split}.txt"
    items = []
    for number, line in enumerate(_read(path).splitlines(), 1):
        if not line.strip():
            continue
        if "|" not in line:
            raise InputError(f"{path}:{number}: expected 'ID|text', got {line[:60]!r}")
        clip_id, text = line.split("|", 1)
        if text.strip():
            items.append(TextItem(clip_id.strip(), text.strip(), f"ljspeech-text/{split}.txt"))
    return items


@lru_cache(maxsize=1)
def _lexicon_words() -> frozenset[str]:
    """Words of festival's CMU dictionary (empty when festival's dictionary is absent)."""
    if not CMUDICT.is_file():
        return frozenset()
    words = set()
    with CMUDICT.open(encoding="latin-1") as handle:
        for line in handle:
            if line.startswith('("'):
                words.add(line[2 : line.index('"', 2)].lower())
    return frozenset(words)


def glitch_words(sentences: list[str], lexicon: frozenset[str] | None = None) -> set[str]:
    """Words that look like two words joined by a missing space ("Godcreated").

    Heuristic: a word of 5+ letters that is rare in the collection (at most 2 times), is not
    in the lexicon (festival's CMU dictionary, when installed) and splits into two parts that
    are both common words in the same collection (20+ times each). On the web sentences this
    flags 85 of 27,983 sentences, nearly all real glitches ("anddeath", "cubitswas");
    dropping a few genuine rare compounds ("topmost") costs nothing.
    """
    lexicon = _lexicon_words() if lexicon is None else lexicon
    counts = Counter(word.lower() for line in sentences for word in _WORD.findall(line))
    bad = set()
    for word, count in counts.items():
        if count > 2 or len(word) < 5 or word in lexicon:
            continue
        if any(
            counts[word[:i]] >= 20 and counts[word[i:]] >= 20 for i in range(2, len(word) - 1)
        ):
            bad.add(word)
    return bad


def load_web() -> tuple[list[TextItem], int]:
    """Web sentences without joined-word glitches, and how many were dropped."""
    path = data_dir() / "web-sentences" / "sentences.txt"
    lines = _read(path).splitlines()
    bad = glitch_words(lines)
    items, dropped = [], 0
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        if any(word.lower() in bad for word in _WORD.findall(text)):
            dropped += 1
            continue
        items.append(TextItem(f"web-{number:05d}", text, "web-sentences/sentences.txt"))
    return items, dropped


def canonical(text: str) -> str:
    """Case- and punctuation-insensitive key used to detect held-out sentences."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def load_texts(split: str) -> tuple[list[TextItem], dict]:
    """The sentences of a split and a description of the sources for the manifest."""
    if split not in SPLITS:
        raise InputError(f"unknown text split {split!r}: choose from {', '.join(SPLITS)}")
    sources: dict = {}
    if split == "train":
        lj = load_lj("train")
        web, dropped = load_web()
        # a few train transcripts repeat a test sentence word for word (chapter headers): drop them
        test_keys = {canonical(item.text) for item in load_lj("test")}
        kept = [item for item in lj if canonical(item.text) not in test_keys]
        items = kept + web
        sources["ljspeech-text/train.txt"] = {
            "sentences": len(kept),
            "dropped_test_duplicates": len(lj) - len(kept),
        }
        sources["web-sentences/sentences.txt"] = {
            "sentences": len(web),
            "dropped_glitches": dropped,
            "filter": "joined-word heuristic"
            + (" + festival cmudict" if _lexicon_words() else " (no cmudict found)"),
        }
        assert_no_test_text(items)
    else:
        items = load_lj(split)
        sources[f"ljspeech-text/{split}.txt"] = {"sentences": len(items)}
    for name in sources:
        sources[name]["sha256"] = hashlib.sha256((data_dir() / name).read_bytes()).hexdigest()
    return items, sources


def assert_no_test_text(items: list[TextItem]) -> None:
    """Raise if any held-out LJ Speech test sentence (by id or by text) is among ``items``."""
    test = load_lj("test")
    test_ids = {item.id for item in test}
    test_keys = {canonical(item.text) for item in test}
    leaks = [item.id for item in items if item.id in test_ids or canonical(item.text) in test_keys]
    if leaks:
        raise InputError(
            f"held-out test sentences found in a training text set: {', '.join(leaks[:5])}"
            f"{' ...' if len(leaks) > 5 else ''} ({len(leaks)} in all)"
        )
