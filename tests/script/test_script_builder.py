"""SegmentBuilder: joining, pause rules, dropped unspeakable text, chapters."""

from __future__ import annotations

from tts_moe.script.builder import SegmentBuilder
from tts_moe.script.model import Voicing

V = Voicing()
FAST = Voicing(rate=2.0)


def test_same_voicing_joins_and_whitespace_collapses() -> None:
    b = SegmentBuilder("text")
    b.text("Hello  ", V, 1, 1)
    b.text("\n world", V, 2, 1)
    script = b.finish()
    assert [s.text for s in script.segments] == ["Hello world"]
    assert (script.segments[0].line, script.segments[0].column) == (1, 1)


def test_voicing_change_splits() -> None:
    b = SegmentBuilder("text")
    b.text("a ", V, 1, 1)
    b.text("b", FAST, 1, 3)
    b.text(" c", V, 1, 4)
    segs = b.finish().segments
    assert [(s.text, s.rate) for s in segs] == [("a", None), ("b", 2.0), ("c", None)]


def test_structural_pauses_take_the_longest_explicit_replace_and_add() -> None:
    b = SegmentBuilder("text")
    b.text("one", V, 1, 1)
    b.pause(0.3)
    b.pause(0.7)
    b.text("two", V, 2, 1)
    b.pause(2.0)
    b.explicit_pause(0.2)
    b.explicit_pause(0.1)
    b.text("three", V, 3, 1)
    assert [s.pause_before for s in b.finish().segments] == [0.0, 0.7, 0.3]


def test_leading_structural_pause_dropped_explicit_kept_trailing_recorded() -> None:
    b = SegmentBuilder("ssml")
    b.pause(2.0)
    b.text("a", V, 1, 1)
    script = b.finish()
    assert script.segments[0].pause_before == 0.0
    b = SegmentBuilder("ssml")
    b.explicit_pause(1.0)
    b.text("a", V, 1, 1)
    b.explicit_pause(0.5)
    script = b.finish()
    assert script.segments[0].pause_before == 1.0 and script.trailing_pause == 0.5


def test_zero_explicit_pause_does_not_split_but_cancels_structural() -> None:
    b = SegmentBuilder("ssml")
    b.text("a", V, 1, 1)
    b.explicit_pause(0.0)
    b.text(" b", V, 1, 2)
    b.pause(0.7)
    b.explicit_pause(0.0)
    b.text("c", V, 2, 1)
    segs = b.finish().segments
    assert [(s.text, s.pause_before) for s in segs] == [("a b", 0.0), ("c", 0.0)]


def test_unspeakable_text_dropped_and_its_pause_carries_over() -> None:
    b = SegmentBuilder("text")
    b.text("a", V, 1, 1)
    b.pause(0.7)
    b.text("* * * 😀", V, 3, 1)
    b.pause(1.5)
    b.text("b", V, 5, 1)
    segs = b.finish().segments
    assert [(s.text, s.pause_before, s.line) for s in segs] == [("a", 0.0, 1), ("b", 1.5, 5)]


def test_position_is_first_non_space_text() -> None:
    b = SegmentBuilder("ssml")
    b.text("\n  ", V, 1, 8)
    b.text("Hello", V, 2, 3)
    seg = b.finish().segments[0]
    assert (seg.line, seg.column) == (2, 3)


def test_chapter_attaches_to_next_segment() -> None:
    b = SegmentBuilder("markdown")
    b.text("intro", V, 1, 1)
    b.chapter("  Part   One ", 1, 3, 3)
    b.text("Part One", V, 3, 3)
    script = b.finish()
    assert script.segments[1].chapter == "Part One" and script.segments[0].chapter is None
    chapter = script.chapters[0]
    assert (chapter.title, chapter.level, chapter.segment, chapter.line, chapter.column) == ("Part One", 1, 1, 3, 3)


def test_phoneme_segment_is_its_own() -> None:
    b = SegmentBuilder("ssml")
    b.text("say ", V, 1, 1)
    b.phonemes("təmˈɑːtoʊ", " tomato ", V, 1, 5)
    b.text(" now", V, 1, 20)
    segs = b.finish().segments
    assert [(s.text, s.phonemes) for s in segs] == [("say", None), ("tomato", "təmˈɑːtoʊ"), ("now", None)]


def test_leading_punctuation_from_a_split_is_removed() -> None:
    b = SegmentBuilder("text")
    b.text("a", FAST, 1, 1)
    b.text(", and then. ", V, 1, 2)
    b.text("b", FAST, 1, 14)
    b.text(". Wait ...", V, 1, 15)
    b.text("x", FAST, 1, 25)
    b.text("...really", V, 1, 26)
    assert [s.text for s in b.finish().segments] == ["a", "and then.", "b", "Wait ...", "x", "...really"]
