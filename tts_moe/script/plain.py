"""Plain-text scripts: paragraphs separated by blank lines, plus dialogue tags.

Lines of one paragraph join into one segment (the text front end splits sentences);
a blank line ends a paragraph and puts :data:`~tts_moe.script.pauses.PARAGRAPH_PAUSE`
before the next. Dialogue tags (:mod:`tts_moe.script.dialogue`) switch voice, style and
prosody; ``\\[ \\] \\{ \\} \\\\`` are the only escapes, every other character is spoken as
written.
"""

from __future__ import annotations

from tts_moe.script.builder import SegmentBuilder
from tts_moe.script.dialogue import (
    DialogueState,
    Pause,
    SourceLine,
    block_events,
    unescape,
)
from tts_moe.script.errors import split_lines
from tts_moe.script.model import Script
from tts_moe.script.pauses import PARAGRAPH_PAUSE, TURN_PAUSE


def emit_block(builder: SegmentBuilder, lines: list[SourceLine], state: DialogueState) -> None:
    """Feed one paragraph's dialogue events to ``builder`` as plain text."""
    for event in block_events(lines, state):
        if isinstance(event, Pause):
            if event.turn:
                builder.pause(TURN_PAUSE)
            else:
                builder.explicit_pause(event.seconds)
        else:
            builder.text(unescape(event.raw), event.voicing, event.line, event.column)


def parse_plain(text: str) -> Script:
    """Parse a plain-text script (see module docstring); raises ``ScriptError`` for
    malformed dialogue tags."""
    builder = SegmentBuilder("text")
    state = DialogueState()
    block: list[SourceLine] = []
    for number, line in enumerate(split_lines(text), 1):
        if line.strip():
            content = line.lstrip(" \t")
            block.append(SourceLine(number, 1 + len(line) - len(content), content))
        elif block:
            builder.pause(PARAGRAPH_PAUSE)
            emit_block(builder, block, state)
            block = []
    if block:
        builder.pause(PARAGRAPH_PAUSE)
        emit_block(builder, block, state)
    return builder.finish()
