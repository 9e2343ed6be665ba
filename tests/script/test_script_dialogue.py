"""Dialogue tags in plain text and Markdown: line tags, state tags, spans, pauses, errors."""

from __future__ import annotations

import pytest

from tts_moe.script import parse_script
from tts_moe.script.pauses import PARAGRAPH_PAUSE, TURN_PAUSE

from .conftest import error_at


def voiced(text: str, format: str = "text") -> list[tuple[str, str | None, str | None]]:
    return [(s.text, s.voice, s.style) for s in parse_script(text, format).segments]


def test_line_tag_applies_to_its_line_only() -> None:
    script = "[voice=flite-slt style=fast] Hello there.\nAnd back to the default."
    assert voiced(script) == [("Hello there.", "flite-slt", "fast"), ("And back to the default.", None, None)]


def test_standalone_tag_lasts_across_paragraphs_until_changed() -> None:
    script = "[voice=alice]\nHi Bob.\n\nStill Alice.\n\n[voice=bob style=whisper]\nHi.\n[voice=default]\nNarrator."
    assert voiced(script) == [
        ("Hi Bob.", "alice", None), ("Still Alice.", "alice", None), ("Hi.", "bob", "whisper"),
        ("Narrator.", None, "whisper"),
    ]


def test_dialogue_turns_get_a_turn_pause_and_keep_positions() -> None:
    script = "Intro.\n\n[voice=a] One.\n[voice=b] Two.\n[voice=b] Three."
    segs = parse_script(script, "text").segments
    assert [(s.text, s.pause_before) for s in segs] == [
        ("Intro.", 0.0), ("One.", PARAGRAPH_PAUSE), ("Two. Three.", TURN_PAUSE),
    ]  # the same speaker's next line continues the segment
    assert (segs[1].line, segs[1].column) == (3, 11)


def test_inline_spans_nest_and_compose() -> None:
    script = "[rate=0.8] a {style=whisper}b {rate=x-fast}c{/rate}{/style} d"
    segs = parse_script(script, "text").segments
    assert [(s.text, s.style, s.rate) for s in segs] == [
        ("a", None, 0.8), ("b", "whisper", 0.8), ("c", "whisper", pytest.approx(0.8 * 1.6)), ("d", None, 0.8),
    ]
    assert [s.column for s in segs] == [12, 29, 44, 61]


def test_span_may_cross_lines_of_one_paragraph() -> None:
    assert voiced("{voice=x}one\ntwo{/voice} three") == [("one two", "x", None), ("three", None, None)]


def test_quoted_values_and_reset_with_default() -> None:
    assert voiced('[voice="my voice" style=calm] a\n[style=default] b') == [("a", "my voice", "calm"), ("b", None, None)]


def test_prosody_keys_and_pauses() -> None:
    script = "[pitch=+2st volume=-3dB] high\n\n[pause=2s]\nafter {pause=500ms} gap"
    segs = parse_script(script, "text").segments
    assert [(s.text, s.pitch, s.volume, s.pause_before) for s in segs] == [
        ("high", 2.0, -3.0, 0.0), ("after", None, None, 2.0), ("gap", None, None, 0.5),
    ]


@pytest.mark.parametrize("literal", ["[1] see the note", "[Applause] thank you", "a {name} here", "x = {y}"])
def test_brackets_without_key_value_are_text(literal: str) -> None:
    assert voiced(literal) == [(literal, None, None)]


def test_escapes_make_tags_literal() -> None:
    assert voiced(r"\[voice=a] and \{style=b\} and a \\ backslash") == [
        ("[voice=a] and {style=b} and a \\ backslash", None, None)
    ]


def test_tags_work_in_markdown_after_list_and_quote_markers() -> None:
    script = "- [voice=a] first\n- [voice=b] **second**\n\n> [voice=c] quoted {style=s}x{/style}"
    assert voiced(script, "markdown") == [("first", "a", None), ("second", "b", None), ("quoted", "c", None), ("x", "c", "s")]


@pytest.mark.parametrize(("script", "line", "column", "words"), [
    ("Hello\n[voice=alice", 2, 1, "not closed with ']'"),
    ("a\n\n  [voice=] x", 3, 10, "voice= has no value"),
    ("[voice=a speed=3] hi", 1, 10, "unknown tag key 'speed'"),
    ("[voice=a voice=b] hi", 1, 10, "set twice"),
    ("[voice=a, style=b] hi", 1, 9, "expected key=value"),
    ('[voice="a] hi', 1, 8, "quoted value of voice is not closed"),
    ("[rate=zoom] hi", 1, 7, "rate 'zoom'"),
    ("ok {style=whisper}quiet", 1, 4, "{style=...} is not closed"),
    ("one\n\nok {style=whisper quiet", 3, 4, "'{' is not closed with '}'"),
    ("ok {/style} x", 1, 4, "closes nothing"),
    ("ok {style=a}{voice=b}x{/style}{/voice}", 1, 23, "does not match {voice=...} opened at line 1, column 13"),
    ("ok {style=a b}x{/style}", 1, 4, "one {key=value} per tag"),
    ("ok {/style x}", 1, 4, "malformed closing tag"),
    ("ok {rate=abc}x{/rate}", 1, 10, "rate 'abc'"),
    ("ok {pause=1s}x{/pause}", 1, 15, "takes no {/pause}"),
    ("ok {foo=1}x", 1, 5, "unknown tag key 'foo'"),
    ("ok {/foo}", 1, 6, "unknown tag key 'foo'"),
    ("{style=a}one\n\ntwo{/style}", 1, 1, "before the end of the paragraph"),
])
@pytest.mark.parametrize("format", ["text", "markdown"])
def test_malformed_tags_report_line_and_column(script: str, line: int, column: int, words: str, format: str) -> None:
    error = error_at(script, format)
    assert (error.line, error.column) == (line, column)
    assert words in str(error) and str(error).startswith(f"line {line}, column {column}: ")
