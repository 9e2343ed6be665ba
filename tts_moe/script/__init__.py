"""Scripts for long-form synthesis: plain text, Markdown, SSML and dialogue tags -> segments.

Public API::

    parse_script(text, format="auto", *, emphasis_db=0.0) -> Script
    format_for_path(path) -> "text" | "markdown" | "ssml" | "auto"
    detect_format(text) -> "text" | "markdown" | "ssml"
    Script(segments, chapters, format, trailing_pause)
    Segment(text, phonemes, voice, style, rate, pitch, volume, pause_before, chapter, line, column)
    Chapter(title, level, segment, line, column)
    ScriptError(TextError)  # .line, .column

Modules: :mod:`~tts_moe.script.model` (data model), :mod:`~tts_moe.script.plain`,
:mod:`~tts_moe.script.markdown` (+ ``markdown_inline``), :mod:`~tts_moe.script.ssml`
(+ ``sayas``, ``ipa``), :mod:`~tts_moe.script.dialogue` (voice/style tags),
:mod:`~tts_moe.script.prosody` (values), :mod:`~tts_moe.script.pauses` (pause lengths),
:mod:`~tts_moe.script.builder` (segments from parser events), :mod:`~tts_moe.script.detect`.
"""

from __future__ import annotations

from tts_moe.script.detect import FORMATS, detect_format, format_for_path
from tts_moe.script.errors import ScriptError
from tts_moe.script.model import Chapter, Script, Segment, Voicing
from tts_moe.script.parse import parse_script

__all__ = [
    "FORMATS",
    "Chapter",
    "Script",
    "ScriptError",
    "Segment",
    "Voicing",
    "detect_format",
    "format_for_path",
    "parse_script",
]
