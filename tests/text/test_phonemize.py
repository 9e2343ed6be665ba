"""Phonemizer (espeak-ng, batched) and the user lexicon."""

from __future__ import annotations

from pathlib import Path

import pytest

from tts_moe.errors import TextError
from tts_moe.text import Lexicon, Phonemizer, SymbolTable

CASES = [
    ("hello world", "həlˈoʊ wˈɜːld"),
    ("Hello, world!", "həlˈoʊ, wˈɜːld!"),
    ("the cat sat", "ðə kˈæt sˈæt"),
    ("Is it?", "ɪz ɪt?"),
    ("wait — what", "wˈeɪt — wˌʌt"),
    ('he said "yes"', 'hiː sˈɛd "jˈɛs"'),
    ("the (small) dog", "ðə (smˈɔːl) dˈɑːɡ"),
    ("one; two: three", "wˈʌn; tˈuː: θɹˈiː"),
    ("church judge", "tʃˈɜːtʃ dʒˈʌdʒ"),
    ("thing", "θˈɪŋ"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_phonemize_cases(phonemizer: Phonemizer, text: str, expected: str) -> None:
    assert phonemizer.phonemize([text]) == [expected]


def test_batch_matches_single(phonemizer: Phonemizer) -> None:
    texts = [t for t, _ in CASES]
    assert phonemizer.phonemize(texts) == [phonemizer.phonemize([t])[0] for t in texts]


def test_output_encodes(phonemizer: Phonemizer) -> None:
    table = SymbolTable()
    for out in phonemizer.phonemize(["café naïve Zürich", "Loch Ness, Llanelli", "ugh, hmm."]):
        table.encode(out)


@pytest.mark.parametrize("language", ["en-us", "en-gb", "en-gb-x-rp", "en-029", "en-gb-scotland", "en-us-nyc", "en-gb-x-gbclan", "en-gb-x-gbcwmd"])
def test_accents_produce_table_symbols(language: str) -> None:
    table = SymbolTable()
    out = Phonemizer(language).phonemize(["The father of the bride spoke at length, rather bravely.", "What a spa!"])
    for phonemes in out:
        table.encode(phonemes)
        assert ":" not in phonemes.replace(": ", "")  # espeak's ASCII length colon is converted


def test_scottish_colon_becomes_length_mark() -> None:
    (out,) = Phonemizer("en-gb-scotland").phonemize(["spa"])
    assert "ː" in out and ":" not in out


def test_unknown_language() -> None:
    with pytest.raises(TextError, match="en-us"):
        Phonemizer("xx-nope")


@pytest.mark.parametrize("text", ["", "...", " , "])
def test_nothing_to_pronounce(phonemizer: Phonemizer, text: str) -> None:
    with pytest.raises(TextError, match="#0"):
        phonemizer.phonemize([text])


def test_single_string_rejected(phonemizer: Phonemizer) -> None:
    with pytest.raises(TextError, match="list"):
        phonemizer.phonemize("hello")  # type: ignore[arg-type]


# ---- lexicon ----------------------------------------------------------------------------
LEXICON_TSV = """# test lexicon
tts-moe\ttˌiːtˌiːˈɛsmˈoʊ
Nguyen\tŋwˈɪn

tomato\ttəmˈɑːtoʊ
"""


@pytest.fixture()
def lexicon_file(tmp_path: Path) -> Path:
    path = tmp_path / "lex.tsv"
    path.write_text(LEXICON_TSV, encoding="utf-8")
    return path


def test_lexicon_loads(lexicon_file: Path) -> None:
    lex = Lexicon.from_file(lexicon_file)
    assert len(lex) == 3
    assert lex["NGUYEN"] == "ŋwˈɪn" and "Tomato" in lex


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I like tomato soup", "aɪ lˈaɪk təmˈɑːtoʊ sˈuːp"),
        ("Tomato, tomato!", "təmˈɑːtoʊ, təmˈɑːtoʊ!"),
        ("Mr Nguyen uses tts-moe.", "mˈɪstɚ ŋwˈɪn jˈuːsᵻz tˌiːtˌiːˈɛsmˈoʊ."),
        ("tomatoes are red", "təmˈeɪɾoʊz ɑːɹ ɹˈɛd"),
    ],
)
def test_lexicon_overrides_in_batch(lexicon_file: Path, text: str, expected: str) -> None:
    ph = Phonemizer("en-us", lexicon=lexicon_file)
    batch = ph.phonemize(["plain words", text, "another tomato"])
    assert batch[1] == expected
    assert batch[2].endswith("təmˈɑːtoʊ")


def test_lexicon_mapping_argument() -> None:
    ph = Phonemizer(lexicon={"cat": "dˈɔːɡ"})
    assert ph.phonemize(["the cat"]) == ["ðə dˈɔːɡ"]


def test_lexicon_ascii_lookalikes_normalised() -> None:
    lex = Lexicon({"gig": "g'ig"})
    assert lex["gig"] == "ɡˈiɡ"


@pytest.mark.parametrize(
    ("tsv", "match"),
    [
        ("word\n", r"lex.tsv:1: expected 'word<TAB>ipa'"),
        ("# c\nok\tˈoʊkeɪ\nbad\thɛ😀\n", r"lex.tsv:3: .*'😀'.*position 2"),
        ("two words\tabc\n", r"lex.tsv:1: .*not a single word"),
        ("x\t \n", r"lex.tsv:1: .*empty"),
        ("x\ta,b\n", r"lex.tsv:1: .*','"),
        ("a\tb\tc\n", r"lex.tsv:1: .*3 tab-separated"),
    ],
)
def test_lexicon_errors_name_line(tmp_path: Path, tsv: str, match: str) -> None:
    path = tmp_path / "lex.tsv"
    path.write_text(tsv, encoding="utf-8")
    with pytest.raises(TextError, match=match):
        Lexicon.from_file(path)


def test_lexicon_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TextError, match="does not exist"):
        Lexicon.from_file(tmp_path / "nope.tsv")


def test_lexicon_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "lex.tsv"
    path.write_bytes(b"caf\xe9\tkafe\n")
    with pytest.raises(TextError, match="not UTF-8"):
        Lexicon.from_file(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("U S A", "jˈuː ˈɛs ˈeɪ"), ("A J Hidell", "ˈeɪ dʒˈeɪ hˈaɪdəl"), ("A man", "ɐ mˈæn")],
)
def test_spelled_letter_a(phonemizer: Phonemizer, text: str, expected: str) -> None:
    assert phonemizer.phonemize([text]) == [expected]
