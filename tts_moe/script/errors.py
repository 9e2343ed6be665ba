"""``ScriptError`` (bad script markup, with line and column) and source-position helpers."""

from __future__ import annotations

import bisect
import re

from tts_moe.errors import TextError

_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


class ScriptError(TextError):
    """A script that cannot be parsed: malformed markup, a bad tag value, an unknown tag.

    ``line`` and ``column`` are 1-based and count characters (a tab is one column); both
    are ``None`` for problems with the whole script (empty, too large). ``str(error)``
    starts with ``"line L, column C: "`` when the position is known.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        self.detail = message
        where = f"line {line}, column {column}: " if line is not None and column is not None else ""
        super().__init__(where + message)


def split_lines(text: str) -> list[str]:
    """Split on ``\\r\\n``, ``\\r`` or ``\\n`` (the line breaks XML and editors count).

    Unlike :meth:`str.splitlines` it does not break at form feeds or U+2028, so line
    numbers agree with what an editor (and the SSML parser) shows.
    """
    return _NEWLINE_RE.split(text)


class LineIndex:
    """Maps character offsets in a text to 1-based (line, column) in ``O(log lines)``."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in _NEWLINE_RE.finditer(text)]

    def position(self, offset: int) -> tuple[int, int]:
        """``(line, column)`` of the character at ``offset`` (both 1-based)."""
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1

    def offset(self, line: int, column: int) -> int:
        """Character offset of 1-based ``line``/``column`` (inverse of :meth:`position`)."""
        return self._starts[min(max(line, 1), len(self._starts)) - 1] + column - 1
