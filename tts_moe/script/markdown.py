"""Markdown scripts: block structure -> segments, chapters and pauses.

What is read and how (pause lengths in :mod:`tts_moe.script.pauses`):

* ATX (``# Title``) and setext (``Title`` over ``===``/``---``) headings start a chapter:
  the heading is spoken, with :data:`HEADING_PAUSES` before it and
  :data:`AFTER_HEADING_PAUSE` after it; a trailing ``{#id}`` is dropped;
* paragraphs (blank-line separated) get :data:`PARAGRAPH_PAUSE`; block quotes (``>``) are
  read like paragraphs;
* list items (``-``, ``*``, ``+``, ``1.``, ``1)``) are read one by one with
  :data:`LIST_ITEM_PAUSE` between them; ordered items keep their number ("1. Mix...");
  task boxes (``[ ]``, ``[x]``) are not read;
* tables are read row by row (header row included), cells joined by commas, with
  :data:`LIST_ITEM_PAUSE` between rows; the ``|---|`` row is skipped;
* fenced code blocks (````` ``` ````` or ``~~~``) are **skipped** (code read aloud is noise; use
  inline code or plain text for what should be spoken); an unclosed fence is an error,
  so a stray fence cannot silently swallow the rest of a script; indented text is
  read as ordinary text;
* HTML comments ``<!-- ... -->`` (also over several lines) are skipped, an unclosed one is
  an error; other HTML tags are dropped and their text read;
* thematic breaks (``---``, ``***``) become :data:`SCENE_BREAK_PAUSE`; link reference
  definitions (``[id]: url``) and a leading YAML front-matter block are skipped;
* inline markup: see :mod:`tts_moe.script.markdown_inline`;
* dialogue tags (:mod:`tts_moe.script.dialogue`) work after a list or quote marker too;
  they are recognised before Markdown, so write ``\\{`` inside code spans.
"""

from __future__ import annotations

import re

from tts_moe.script.builder import SegmentBuilder
from tts_moe.script.dialogue import DialogueState, Pause, SourceLine, block_events
from tts_moe.script.errors import ScriptError, split_lines
from tts_moe.script.markdown_inline import render_inline
from tts_moe.script.model import Script
from tts_moe.script.pauses import (
    AFTER_HEADING_PAUSE,
    HEADING_PAUSES,
    LIST_ITEM_PAUSE,
    PARAGRAPH_PAUSE,
    SCENE_BREAK_PAUSE,
    TURN_PAUSE,
)

_FENCE_RE = re.compile(r"( {0,3})(`{3,}|~{3,})")
_ATX_RE = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
_SETEXT_RE = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_HR_RE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM_RE = re.compile(r"( {0,3})([-+*]|(\d{1,9})[.)])(?:[ \t]+|$)")
_TASK_RE = re.compile(r"\[[ xX]\][ \t]+")
_QUOTE_RE = re.compile(r" {0,3}>[ \t]?")
_REFDEF_RE = re.compile(r" {0,3}\[[^\]=]+\]:[ \t]*\S")
_DELIM_ROW_RE = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*")
_DELIM_CHARS = frozenset("|-: \t")
_PIPE_RE = re.compile(r"(?<!\\)\|")
_HEADING_ID_RE = re.compile(r"\{#[^{}]*\}$")
_ROW_COMMAS_RE = re.compile(r"(?:\s*,)+")
_FRONT_MATTER_KEY_RE = re.compile(r"[A-Za-z_][\w-]*[ \t]*:")


def _lstrip(line: str, column: int) -> tuple[str, int]:
    stripped = line.lstrip(" \t")
    return stripped, column + len(line) - len(stripped)


def _heading_text(rest: str) -> str:
    """Heading content without the optional closing ``#`` sequence or ``{#id}``."""
    text = rest.rstrip()
    if text.endswith("#"):
        core = text.rstrip("#")
        if not core or core[-1] in " \t":
            text = core.rstrip()
    if text.endswith("}"):
        text = _HEADING_ID_RE.sub("", text).rstrip()
    return text


def _table_row(line: str) -> str:
    """A table row with the outer pipes blanked and inner pipes turned into commas
    (one character for one, so columns stay right for error messages)."""
    stripped = line.rstrip()
    if stripped.endswith("|") and not stripped.endswith("\\|"):
        stripped = stripped[:-1]
    body = stripped.lstrip()
    if body.startswith("|"):
        stripped = stripped[: len(stripped) - len(body)] + " " + body[1:]
    return _PIPE_RE.sub(",", stripped)


def _front_matter_end(lines: list[str]) -> int:
    """Number of leading lines that are a YAML front-matter block (0 if none)."""
    if len(lines) < 3 or lines[0].strip() != "---" or not _FRONT_MATTER_KEY_RE.match(lines[1]):
        return 0
    for i in range(1, min(len(lines), 200)):
        if lines[i].strip() in ("---", "..."):
            return i + 1
    return 0


class _MarkdownParser:
    def __init__(self, emphasis_db: float) -> None:
        self.builder = SegmentBuilder("markdown")
        self.state = DialogueState()
        self.emphasis_db = emphasis_db
        self.block: list[SourceLine] = []
        self.kind = "para"
        self.previous = ""

    # ---- block emission -------------------------------------------------------------------
    def flush(self) -> None:
        if self.block:
            self.emit(self.kind, self.block)
        self.block, self.kind = [], "para"

    def emit(self, kind: str, lines: list[SourceLine], level: int = 0) -> None:
        builder = self.builder
        if kind == "heading":
            builder.pause(HEADING_PAUSES[level - 1])
        elif kind in ("item", "row") and self.previous == kind:
            builder.pause(LIST_ITEM_PAUSE)
        else:
            builder.pause(PARAGRAPH_PAUSE)
        self.previous = kind
        rendered: list[tuple[str, object, int, int] | Pause] = []
        for event in block_events(lines, self.state):
            if isinstance(event, Pause):
                rendered.append(event)
                continue
            for text, emphasis in render_inline(event.raw, emphasis=self.emphasis_db > 0):
                voicing = event.voicing
                if emphasis:
                    voicing = voicing.compose("volume", emphasis * self.emphasis_db)
                if kind == "row":
                    text = _ROW_COMMAS_RE.sub(",", text).strip().strip(",")
                rendered.append((text, voicing, event.line, event.column))
        if kind == "heading":
            title = " ".join(" ".join(r[0] for r in rendered if not isinstance(r, Pause)).split())
            if title:
                builder.chapter(title, level, lines[0].number, lines[0].column)
        for item in rendered:
            if isinstance(item, Pause):
                if item.turn:
                    builder.pause(TURN_PAUSE)
                else:
                    builder.explicit_pause(item.seconds)
            else:
                builder.text(*item)  # type: ignore[arg-type]
        if kind == "heading":
            builder.pause(AFTER_HEADING_PAUSE)

    # ---- line loop ------------------------------------------------------------------------
    def parse(self, text: str) -> Script:
        lines = split_lines(text)
        fence: tuple[str, int, int, int] | None = None  # char, length, line, column
        comment: tuple[int, int] | None = None  # where an unclosed <!-- started
        table = False
        for index in range(_front_matter_end(lines), len(lines)):
            number, line, column = index + 1, lines[index], 1
            if fence is not None:
                stripped = line.strip()
                if stripped.startswith(fence[0] * fence[1]) and not stripped.strip(fence[0]):
                    fence = None
                continue
            if comment is not None or "<!--" in line:
                line, comment = self.strip_comments(line, number, comment)
            if not line.strip():
                self.flush()
                table = False
                continue
            m = _FENCE_RE.match(line)
            if m and not (m.group(2)[0] == "`" and "`" in line[m.end():]):
                self.flush()
                fence = (m.group(2)[0], len(m.group(2)), number, len(m.group(1)) + 1)
                continue
            while True:
                quote = _QUOTE_RE.match(line)
                if not quote:
                    break
                line, column = line[quote.end():], column + quote.end()
            if not line.strip():
                self.flush()
                continue
            if table:
                if "|" in line:
                    self.emit("row", [SourceLine(number, column, _table_row(line))])
                    continue
                table = False
            if self.block and self.kind == "para" and _SETEXT_RE.match(line):
                heading, self.block = self.block, []
                self.emit("heading", heading, 1 if line.strip()[0] == "=" else 2)
                continue
            if _HR_RE.match(line):
                self.flush()
                self.builder.pause(SCENE_BREAK_PAUSE)
                self.previous = "hr"
                continue
            atx = _ATX_RE.match(line)
            if atx:
                self.flush()
                content, content_column = _lstrip(line[atx.end():], column + atx.end())
                heading_line = SourceLine(number, content_column, _heading_text(content))
                self.emit("heading", [heading_line], len(atx.group(1)))
                continue
            if (len(self.block) == 1 and self.kind == "para" and "|" in self.block[0].content
                    and "|" in line and set(line) <= _DELIM_CHARS and _DELIM_ROW_RE.fullmatch(line)):
                header, self.block = self.block[0], []
                self.emit("row", [SourceLine(header.number, header.column, _table_row(header.content))])
                table = True
                continue
            if _REFDEF_RE.match(line):
                continue
            item = _ITEM_RE.match(line)
            if item:
                self.flush()
                self.kind = "item"
                content, content_column = _lstrip(line[item.end():], column + item.end())
                task = _TASK_RE.match(content)
                if task:
                    content, content_column = content[task.end():], content_column + task.end()
                if item.group(3) is not None:  # ordered: keep the number, spoken
                    content, content_column = f"{item.group(3)}. {content}", column + len(item.group(1))
                self.block.append(SourceLine(number, content_column, content))
                continue
            content, content_column = _lstrip(line, column)
            self.block.append(SourceLine(number, content_column, content))
        if fence is not None:
            raise ScriptError(
                f"code block opened with {fence[0] * fence[1]} is never closed: close it with "
                f"{fence[0] * fence[1]} on its own line (everything after it would be skipped)",
                fence[2], fence[3],
            )
        if comment is not None:
            raise ScriptError("HTML comment <!-- is never closed with -->", *comment)
        self.flush()
        return self.builder.finish()

    @staticmethod
    def strip_comments(line: str, number: int,
                       comment: tuple[int, int] | None) -> tuple[str, tuple[int, int] | None]:
        """Blank out HTML comments (keeping columns); returns the line and an open comment."""
        pos = 0
        if comment is not None:
            end = line.find("-->")
            if end < 0:
                return "", comment
            line, pos, comment = " " * (end + 3) + line[end + 3:], end + 3, None
        while True:
            start = line.find("<!--", pos)
            if start < 0:
                return line, None
            end = line.find("-->", start + 4)
            if end < 0:
                return line[:start], (number, start + 1)
            line = line[:start] + " " * (end + 3 - start) + line[end + 3:]
            pos = end + 3


def parse_markdown(text: str, *, emphasis_db: float = 0.0) -> Script:
    """Parse a Markdown script (see module docstring).

    ``emphasis_db`` > 0 reads ``*emphasis*`` that many dB louder and ``**strong**`` twice
    that; the default 0 reads emphasis as plain words, because splitting a sentence into
    separately voiced pieces costs more naturalness than the emphasis gains.
    """
    return _MarkdownParser(emphasis_db).parse(text)
