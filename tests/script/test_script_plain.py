"""Plain-text scripts: paragraphs, pauses, positions, line endings."""

from __future__ import annotations

from tts_moe.script import parse_script
from tts_moe.script.pauses import PARAGRAPH_PAUSE

from .conftest import texts


def test_paragraphs_become_segments_with_paragraph_pauses() -> None:
    script = parse_script("First line\nsame paragraph.\n\n\n  Second paragraph. Two sentences.\n", "text")
    assert [(s.text, s.pause_before, s.line, s.column) for s in script.segments] == [
        ("First line same paragraph.", 0.0, 1, 1),
        ("Second paragraph. Two sentences.", PARAGRAPH_PAUSE, 5, 3),
    ]
    assert script.format == "text" and script.chapters == [] and script.trailing_pause == 0.0


def test_text_is_kept_raw_for_the_front_end() -> None:
    raw = "Dr. Smith paid $3.50 on 5 March 2024 — *really* # not markdown."
    assert texts(raw, "text") == [raw]


def test_windows_and_old_mac_line_endings_count_lines_like_an_editor() -> None:
    segs = parse_script("a\r\n\r\nb\rc\r\rd", "text").segments
    assert [(s.text, s.line) for s in segs] == [("a", 1), ("b c", 3), ("d", 6)]


def test_unspeakable_paragraph_is_dropped_and_pause_carries() -> None:
    segs = parse_script("One.\n\n* * *\n\nTwo.", "text").segments
    assert [(s.text, s.pause_before) for s in segs] == [("One.", 0.0), ("Two.", PARAGRAPH_PAUSE)]
