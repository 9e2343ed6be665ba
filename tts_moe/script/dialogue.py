"""Dialogue tags for plain-text and Markdown scripts: voice, style and prosody per line or span.

Syntax (``key`` is one of :data:`KEYS`; values have no spaces; ``default`` resets a key):

* **Line tag** – a line whose first non-blank characters are ``[key=value ...]``:

  - followed by text: the settings apply to that line only
    (``[voice=flite-slt style=fast] Hello there.``);
  - alone on its line: the settings apply to every following line until changed
    (``[voice=flite-awb]``), across paragraphs.

* **Inline span** – ``{key=value}text{/key}`` inside a line, one key per tag; spans nest and
  may run over several lines but must close inside the same paragraph.
* **Pause** – ``pause=...`` (``500ms``, ``1.2s``, ``strong``) inserts silence:
  ``[pause=2s]`` on its own line, or inline ``{pause=1s}`` (no closing tag).

A ``[`` or ``{`` is only a tag when a name and ``=`` follow (``{/name}`` closes), so
``[1]``, ``[Applause]`` or ``{name}`` stay ordinary text. ``\\[``, ``\\]``, ``\\{``, ``\\}`` and
``\\\\`` write the character itself. Voice and style names are kept as written (the
synthesizer checks them); ``voice``/``style`` replace the outer setting, ``rate`` multiplies,
``pitch`` and ``volume`` add (like nested SSML ``<prosody>``). A line tag whose voicing
differs from the line before it in the same paragraph starts a new turn
(:data:`~tts_moe.script.pauses.TURN_PAUSE`).

Escapes are left in the text this module returns; each format removes them (Markdown
treats them as its own backslash escapes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tts_moe.script.errors import ScriptError
from tts_moe.script.model import Voicing
from tts_moe.script.prosody import PARSERS, parse_pause

#: Keys a dialogue tag may set.
KEYS = ("voice", "style", "rate", "pitch", "volume", "pause")

_LINE_TAG_RE = re.compile(r"[ \t]*\[(?=[ \t]*[A-Za-z][\w-]*[ \t]*=)")
_VALUE = r"(?:\"([^\"\[\]{}\n]*)\"|([^\s\[\]{}=,;\"']*))"
_PAIR_RE = re.compile(r"[ \t]*([A-Za-z][\w-]*)[ \t]*=[ \t]*" + _VALUE + r"[ \t]*")
_INLINE_RE = re.compile(r"\\[\s\S]|\{(?=/?[ \t]*[A-Za-z])")
_INLINE_HEAD_RE = re.compile(r"\{(/)?[ \t]*([A-Za-z][\w-]*)[ \t]*(=)?")
_INLINE_OPEN_RE = re.compile(r"\{[ \t]*([A-Za-z][\w-]*)[ \t]*=[ \t]*" + _VALUE + r"[ \t]*\}")
_INLINE_CLOSE_RE = re.compile(r"\{/[ \t]*([A-Za-z][\w-]*)[ \t]*\}")
_UNESCAPE_RE = re.compile(r"\\([\[\]{}\\])")


@dataclass
class SourceLine:
    """One line of a block: its 1-based ``number``, the 1-based ``column`` of
    ``content[0]`` in the script, and the ``content`` (block markers already removed)."""

    number: int
    column: int
    content: str


@dataclass
class TextRun:
    """Raw text (escapes kept, lines joined with ``\\n``) spoken with one voicing."""

    raw: str
    voicing: Voicing
    line: int
    column: int


@dataclass
class Pause:
    """Explicit silence (``pause=``), or a dialogue turn when ``turn`` is true."""

    seconds: float
    turn: bool = False


@dataclass
class DialogueState:
    """Settings made by stand-alone line tags; they last until changed."""

    voicing: Voicing = field(default_factory=Voicing)


def unescape(text: str) -> str:
    """Remove the dialogue escapes: ``\\[`` -> ``[`` (also ``] { } \\``)."""
    return _UNESCAPE_RE.sub(r"\1", text) if "\\" in text else text


def _check_key(key: str, line: int, column: int) -> None:
    if key not in KEYS:
        raise ScriptError(
            f"unknown tag key {key!r}: use one of {', '.join(KEYS)} (or write \\[ / \\{{ to "
            "keep a literal bracket)", line, column,
        )


def _value(key: str, value: str, line: int, column: int) -> str | float | None:
    """Check and convert one tag value; errors point at the value."""
    if not value.strip():
        raise ScriptError(f"{key}= has no value (write e.g. {key}=default to reset it)", line, column)
    value = value.strip()
    if key in ("voice", "style"):
        return None if value.lower() == "default" else value
    try:
        return parse_pause(value) if key == "pause" else PARSERS[key](value)
    except ValueError as error:
        raise ScriptError(str(error), line, column) from None


def _pair_value(match: re.Match[str], line: int, column: int) -> str | float | None:
    """Key and value of a ``key=value`` / ``key="value"`` match (groups 1-3) checked."""
    key = match.group(1)
    _check_key(key, line, column + match.start(1))
    quoted = match.group(2) is not None
    if not quoted and not match.group(3) and match.string[match.end():match.end() + 1] == '"':
        raise ScriptError(f'the quoted value of {key} is not closed with "', line, column + match.end())
    value = match.group(2) if quoted else match.group(3)
    return _value(key, value, line, column + match.start(2 if quoted else 3))


def _line_tag(src: SourceLine) -> tuple[list[tuple[str, str | float | None]], int] | None:
    """Parse a line tag at the start of ``src``; ``(settings, index after it)`` or ``None``."""
    m = _LINE_TAG_RE.match(src.content)
    if not m:
        return None
    open_at = m.end() - 1
    close_at = src.content.find("]", open_at)
    if close_at < 0:
        raise ScriptError(
            "line tag '[' is not closed with ']' (write \\[ for a literal bracket)",
            src.number, src.column + open_at,
        )
    settings: list[tuple[str, str | float | None]] = []
    pos = open_at + 1
    while pos < close_at:
        pair = _PAIR_RE.match(src.content, pos, close_at)
        if pair is None or not pair.group(0):
            if not src.content[pos:close_at].strip():
                break
            skip = len(src.content[pos:close_at]) - len(src.content[pos:close_at].lstrip())
            raise ScriptError(
                f"expected key=value in line tag, found {src.content[pos + skip:close_at]!r}",
                src.number, src.column + pos + skip,
            )
        key = pair.group(1)
        if any(k == key for k, _ in settings):
            raise ScriptError(f"{key} is set twice in one tag", src.number, src.column + pair.start(1))
        settings.append((key, _pair_value(pair, src.number, src.column)))
        pos = pair.end()
    return settings, close_at + 1


class _Spans:
    """Open inline spans of one block: ``(key, value, line, column)`` innermost last."""

    def __init__(self) -> None:
        self.stack: list[tuple[str, str | float | None, int, int]] = []

    def apply(self, voicing: Voicing) -> Voicing:
        for key, value, _, _ in self.stack:
            voicing = voicing.compose(key, value)
        return voicing


def block_events(lines: list[SourceLine], state: DialogueState) -> list[TextRun | Pause]:
    """Split one paragraph-like block into text runs and pauses, applying dialogue tags.

    Updates ``state`` for stand-alone line tags. Raises :class:`ScriptError` for a
    malformed tag or a span left open at the end of the block.
    """
    events: list[TextRun | Pause] = []
    spans = _Spans()
    previous_line_voicing: Voicing | None = None
    for src in lines:
        content, start = src.content, 0
        line_voicing = state.voicing
        tag = _line_tag(src) if "[" in content else None
        if tag is not None:
            settings, start = tag
            if not content[start:].strip():  # stand-alone: lasting settings
                for key, value in settings:
                    if key == "pause":
                        events.append(Pause(float(value or 0.0)))  # type: ignore[arg-type]
                    else:
                        state.voicing = state.voicing.override(key, value)
                continue
            for key, value in settings:
                if key == "pause":
                    events.append(Pause(float(value or 0.0)))  # type: ignore[arg-type]
                else:
                    line_voicing = line_voicing.compose(key, value)
            while start < len(content) and content[start] in " \t":
                start += 1
        if not content[start:].strip():
            continue
        if previous_line_voicing is not None and line_voicing != previous_line_voicing:
            events.append(Pause(0.0, turn=True))
        previous_line_voicing = line_voicing
        _inline(src, start, line_voicing, spans, events)
    if spans.stack:
        key, value, line, column = spans.stack[0]
        raise ScriptError(
            f"{{{key}=...}} is not closed: add {{/{key}}} before the end of the paragraph",
            line, column,
        )
    return events


def _add_text(events: list[TextRun | Pause], raw: str, voicing: Voicing, line: int, column: int,
              new_line: bool) -> None:
    if not raw:
        return
    last = events[-1] if events else None
    if isinstance(last, TextRun) and last.voicing == voicing:
        last.raw += ("\n" if new_line else "") + raw
    else:
        lead = len(raw) - len(raw.lstrip(" \t"))
        if lead < len(raw):
            column += lead
        events.append(TextRun(raw, voicing, line, column))


def _inline(src: SourceLine, start: int, line_voicing: Voicing, spans: _Spans,
            events: list[TextRun | Pause]) -> None:
    content = src.content
    voicing = spans.apply(line_voicing)
    if "{" not in content:
        _add_text(events, content[start:], voicing, src.number, src.column + start, True)
        return
    text_from, new_line = start, True
    for m in _INLINE_RE.finditer(content, start):
        if m.group().startswith("\\"):
            continue
        pos = m.start()
        head = _INLINE_HEAD_RE.match(content, pos)
        if head is None or not (head.group(1) or head.group(3)):
            continue  # "{name}" without "=" is ordinary text
        _add_text(events, content[text_from:pos], voicing, src.number, src.column + text_from, new_line)
        if content[text_from:pos]:
            new_line = False
        end = content.find("}", pos)
        if end < 0:
            raise ScriptError("inline tag '{' is not closed with '}' (write \\{ for a literal brace)",
                              src.number, src.column + pos)
        column = src.column + pos
        if head.group(1):
            close = _INLINE_CLOSE_RE.fullmatch(content, pos, end + 1)
            if close is None:
                raise ScriptError(f"malformed closing tag {content[pos:end + 1]!r}: write {{/key}}",
                                  src.number, column)
            _close_span(close.group(1), spans, src.number, column)
        else:
            tag = _INLINE_OPEN_RE.fullmatch(content, pos, end + 1)
            if tag is None:
                raise ScriptError(
                    f"malformed inline tag {content[pos:end + 1]!r}: write one {{key=value}} "
                    "per tag, value without spaces", src.number, column,
                )
            key = tag.group(1)
            value = _pair_value(tag, src.number, src.column)
            if key == "pause":
                events.append(Pause(float(value or 0.0)))  # type: ignore[arg-type]
            else:
                spans.stack.append((key, value, src.number, column))
        voicing = spans.apply(line_voicing)
        text_from = end + 1
    _add_text(events, content[text_from:], voicing, src.number, src.column + text_from, new_line)


def _close_span(key: str, spans: _Spans, line: int, column: int) -> None:
    _check_key(key, line, column + 2)
    if key == "pause":
        raise ScriptError("{pause=...} is a single tag: it takes no {/pause}", line, column)
    if not spans.stack:
        raise ScriptError(f"{{/{key}}} closes nothing: no {{{key}=...}} is open", line, column)
    open_key, _, open_line, open_column = spans.stack[-1]
    if open_key != key:
        raise ScriptError(
            f"{{/{key}}} does not match {{{open_key}=...}} opened at line {open_line}, "
            f"column {open_column}: close {{/{open_key}}} first", line, column,
        )
    spans.stack.pop()
