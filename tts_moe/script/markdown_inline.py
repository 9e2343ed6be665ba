"""Markdown inline markup -> the words to speak.

``render_inline(raw)`` reads a paragraph's inline Markdown the way a listener expects:

* emphasis ``*x*``, ``_x_``, ``**x**``, ``__x__`` and strikethrough ``~~x~~``: the words,
  markers removed (``snake_case`` and ``2 * 3`` keep their characters);
* links ``[text](url)`` / ``[text][ref]``: the text; images ``![alt](src)``: the alt text;
  autolinks ``<https://...>``: the address (the front end spells it out); footnote
  references ``[^1]``: nothing;
* code spans `` `x` ``: the content, literally; inline HTML tags: nothing (``<br>``: a
  space); entities
  (``&amp;``, ``&#8212;``): the character; backslash escapes: the character.

With ``emphasis=True`` each piece carries an emphasis level (0 none, 1 ``*x*``/``_x_``,
2 ``**x**``) so the caller can raise its volume a little. Runs in linear time (code-span
closers are found through an index of backtick runs, never by rescanning).
"""

from __future__ import annotations

import html
import re
from collections import defaultdict

_TOKEN_RE = re.compile(
    r"(?P<esc>\\[!-/:-@\[-`{-~\n])"
    r"|(?P<code>`+)"
    r"|(?P<link>!?\[)"
    r"|(?P<angle><)"
    r"|(?P<delim>\*+|_+|~~+)"
    r"|(?P<ent>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
)
_BRACKET_TEXT = r"(?:\\[\s\S]|[^\[\]\\]|\[(?:\\[\s\S]|[^\[\]\\])*\])*"
_LINK_RE = re.compile(
    r"(!?)\[(" + _BRACKET_TEXT + r")\]"
    r"(\([ \t\n]*(?:<[^<>\n]*>|(?:[^()\s]|\([^()\s]*\))*)"
    r"(?:[ \t\n]+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?[ \t\n]*\)|\[[^\[\]]*\])?"
)
_AUTOLINK_RE = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+)>")
_HTML_TAG_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>")
_BACKTICKS_RE = re.compile(r"`+")

Piece = tuple[str, int]


def _is_punct(char: str) -> bool:
    return not char.isalnum() and not char.isspace()


class _Delim:
    """A run of ``*``, ``_`` or ``~`` that may open and/or close emphasis."""

    __slots__ = ("can_close", "can_open", "char", "count", "level", "opens")

    def __init__(self, char: str, count: int, can_open: bool, can_close: bool) -> None:
        self.char, self.count = char, count
        self.can_open, self.can_close = can_open, can_close
        self.level = 0  # emphasis level when paired
        self.opens: bool | None = None  # True opener, False closer, None unpaired


def _delim(raw: str, start: int, end: int) -> _Delim | None:
    before = raw[start - 1] if start > 0 else " "
    after = raw[end] if end < len(raw) else " "
    left = not after.isspace() and (not _is_punct(after) or before.isspace() or _is_punct(before))
    right = not before.isspace() and (not _is_punct(before) or after.isspace() or _is_punct(after))
    char = raw[start]
    if char == "_":
        can_open = left and (not right or _is_punct(before))
        can_close = right and (not left or _is_punct(after))
    else:
        can_open, can_close = left, right
    if not (can_open or can_close):
        return None
    return _Delim(char, end - start, can_open, can_close)


class _CodeIndex:
    """Backtick runs of one string, to find a code span's closer in amortised O(1)."""

    def __init__(self, raw: str) -> None:
        self.runs: dict[int, list[int]] = defaultdict(list)
        for m in _BACKTICKS_RE.finditer(raw):
            self.runs[m.end() - m.start()].append(m.start())
        self.next: dict[int, int] = defaultdict(int)

    def closer(self, length: int, after: int) -> int | None:
        starts = self.runs.get(length, [])
        i = self.next[length]
        while i < len(starts) and starts[i] < after:
            i += 1
        self.next[length] = i
        return starts[i] if i < len(starts) else None


def _tokens(raw: str) -> list[str | _Delim]:
    """Literal text strings and emphasis delimiter runs, in order."""
    out: list[str | _Delim] = []
    code = _CodeIndex(raw) if "`" in raw else None
    pos = text_from = 0
    while True:
        m = _TOKEN_RE.search(raw, pos)
        if m is None:
            break
        start, end, kind = m.start(), m.end(), m.lastgroup
        replacement: list[str | _Delim] | None = None
        if kind == "esc":
            replacement = [raw[start + 1]]
        elif kind == "code" and code is not None:
            close = code.closer(end - start, end)
            if close is not None:
                content = raw[end:close].replace("\n", " ")
                if content.strip() and content.startswith(" ") and content.endswith(" "):
                    content = content[1:-1]
                replacement, end = [content], close + (end - start)
        elif kind == "link":
            link = _LINK_RE.match(raw, start)
            if link is not None and link.group(3):
                replacement, end = _tokens(link.group(2)), link.end()
            elif link is not None and link.group(2).startswith("^"):
                replacement, end = [], link.end()  # footnote reference
        elif kind == "angle":
            auto = _AUTOLINK_RE.match(raw, start)
            tag = None if auto else _HTML_TAG_RE.match(raw, start)
            if auto is not None:
                replacement, end = [auto.group(1)], auto.end()
            elif tag is not None:
                replacement, end = [" " if tag.group(1).lower() == "br" else ""], tag.end()
        elif kind == "delim":
            delim = _delim(raw, start, end)
            replacement = [delim] if delim is not None else None
        elif kind == "ent":
            replacement = [html.unescape(m.group())]
        if replacement is None:
            pos = start + 1 if kind in ("link", "angle") else end
            continue
        if start > text_from:
            out.append(raw[text_from:start])
        out.extend(replacement)
        pos = text_from = end
    if text_from < len(raw):
        out.append(raw[text_from:])
    return out


def _pair(tokens: list[str | _Delim]) -> None:
    """Pair openers and closers of the same character (innermost first, no crossing check)."""
    stacks: dict[str, list[_Delim]] = {"*": [], "_": [], "~": []}
    for token in tokens:
        if isinstance(token, str):
            continue
        stack = stacks[token.char]
        if token.can_close and stack:
            opener = stack.pop()
            level = 0 if token.char == "~" else (2 if min(opener.count, token.count) >= 2 else 1)
            opener.opens, token.opens = True, False
            opener.level = token.level = level
        elif token.can_open:
            stack.append(token)


def render_inline(raw: str, *, emphasis: bool = False) -> list[Piece]:
    """Spoken text of one block's inline Markdown as ``[(text, emphasis level), ...]``.

    Without ``emphasis`` the result is a single piece at level 0 (or none for empty text).
    """
    tokens = _tokens(raw)
    if not emphasis:
        text = "".join(t for t in tokens if isinstance(t, str))
        return [(text, 0)] if text else []
    _pair(tokens)
    active = {1: 0, 2: 0}
    pieces: list[Piece] = []
    for token in tokens:
        if isinstance(token, _Delim):
            if token.opens is not None and token.level:
                active[token.level] += 1 if token.opens else -1
            continue
        level = 2 if active[2] > 0 else (1 if active[1] > 0 else 0)
        if pieces and pieces[-1][1] == level:
            pieces[-1] = (pieces[-1][0] + token, level)
        elif token:
            pieces.append((token, level))
    return pieces
