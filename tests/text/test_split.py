"""Sentence and clause splitting."""

from __future__ import annotations

import pytest

from tts_moe.errors import TextError
from tts_moe.text import split_sentences
from tts_moe.text.split import split_clauses

CASES = [
    ("One. Two.", ["One.", "Two."]),
    ("Is it? Yes! Good.", ["Is it?", "Yes!", "Good."]),
    ("Dr. Smith arrived. He sat.", ["Dr. Smith arrived.", "He sat."]),
    ("Mr. and Mrs. Smith came home.", ["Mr. and Mrs. Smith came home."]),
    ("We met at St. Paul's today.", ["We met at St. Paul's today."]),
    ("Fruit, e.g. Apples, is good.", ["Fruit, e.g. Apples, is good."]),
    ("It costs 3.5 dollars. Cheap.", ["It costs 3.5 dollars.", "Cheap."]),
    ("About 1,000 men. Then more.", ["About 1,000 men.", "Then more."]),
    ("Visit www.example.com. It is good.", ["Visit www.example.com.", "It is good."]),
    ("Mail a.b@example.org. Now.", ["Mail a.b@example.org.", "Now."]),
    ("Lee H. Oswald left. He ran.", ["Lee H. Oswald left.", "He ran."]),
    ("The U.S. Army won. Hurray.", ["The U.S. Army won.", "Hurray."]),
    ("See No. 5 Main St. Later.", ["See No. 5 Main St. Later."]),
    ('He said "Stop." Then he went.', ['He said "Stop."', "Then he went."]),
    ("Para one\n\npara two", ["Para one", "para two"]),
    ("line one\nline two.", ["line one line two."]),
    ("the acts. Too much was left", ["the acts.", "Too much was left"]),
    ("Wait... What?", ["Wait...", "What?"]),
    ("at 5 p.m. on Monday.", ["at 5 p.m. on Monday."]),
    ("cats vs. dogs. Birds.", ["cats vs. dogs.", "Birds."]),
    ("no final stop", ["no final stop"]),
    ("(First.) Second.", ["(First.)", "Second."]),
    ("Hi. 😀 Bye.", ["Hi.", "😀 Bye."]),
    ("It was 1865. Lincoln died.", ["It was 1865.", "Lincoln died."]),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_split(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_raises(text: str) -> None:
    with pytest.raises(TextError, match="empty"):
        split_sentences(text)


def test_long_sentence_split_at_clause_boundaries() -> None:
    sentence = (
        "The committee examined the records of the agency in great detail; it found several "
        "problems with the procedures, and it recommended a number of changes to the rules, "
        "but the agency was slow to act on them, which caused further delays in the end."
    )
    pieces = split_sentences(sentence, max_chars=100)
    assert all(len(p) <= 100 for p in pieces)
    assert " ".join(pieces) == sentence
    assert pieces[0].endswith(";")


def test_clause_split_prefers_semicolon_over_comma() -> None:
    s = "alpha beta gamma, delta epsilon; zeta eta theta iota, kappa lambda mu nu xi omicron"
    left, *_ = split_clauses(s, 60)
    assert left.endswith(";")


def test_unbreakable_text_is_hard_cut() -> None:
    pieces = split_clauses("x" * 250, 100)
    assert [len(p) for p in pieces] == [100, 100, 50]


def test_conjunction_used_when_no_punctuation() -> None:
    s = "he walked to the old market in the town and he bought some bread for the long journey home"
    pieces = split_clauses(s, 60)
    assert all(len(p) <= 60 for p in pieces)
    assert any(p.startswith("and ") for p in pieces)


def test_huge_text_splits() -> None:
    text = "Dr. Smith met Mr. Jones at 3.5 p.m. in the U.S. army. They talked, and left. " * 15000
    sentences = split_sentences(text)
    assert len(sentences) == 30000


@pytest.mark.parametrize("unit", ["a.a.", "a-a-", "..", "a   ", "x.com/", "a@a.", "A. "])
def test_adversarial_runs_split(unit: str) -> None:
    """Long runs that made the boundary/URL regexes quadratic now split in linear time."""
    assert split_sentences(unit * (200_000 // len(unit)), max_chars=None)
