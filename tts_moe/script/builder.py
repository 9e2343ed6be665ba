"""``SegmentBuilder``: the one place that turns parser events into :class:`Segment` objects.

Parsers call :meth:`text`, :meth:`phonemes`, :meth:`pause`, :meth:`explicit_pause`,
:meth:`boundary` and :meth:`chapter` in reading order. Consecutive text with the same
voicing and no boundary in between joins into one segment; white space runs collapse to
one space; punctuation left at the start of a segment by a mid-sentence split
(", and then") is removed; text segments with no letter or digit (``"* * *"``, a lone emoji) are dropped
and their pause carries over to the next segment. Pause rules are in
:mod:`tts_moe.script.pauses`.
"""

from __future__ import annotations

import re

from tts_moe.script.model import Chapter, Script, Segment, Voicing

_SPEAKABLE_RE = re.compile(r"[^\W_]")
# punctuation left at the start of a segment by a split in mid-sentence ("{/style}, and")
_LEADING_PUNCT_RE = re.compile(r"[,.;:]+\s+")


class SegmentBuilder:
    """Accumulates parser events into a :class:`Script` (linear in the text length)."""

    def __init__(self, format: str) -> None:
        self.format = format
        self.segments: list[Segment] = []
        self.chapters: list[Chapter] = []
        self._pieces: list[str] = []
        self._voicing: Voicing | None = None
        self._where = (1, 1)
        self._located = False  # has the open segment seen non-space text (and its position)?
        self._structural = 0.0
        self._explicit: float | None = None
        self._chapter: tuple[str, int, int, int] | None = None

    # ---- events ------------------------------------------------------------------------
    def text(self, text: str, voicing: Voicing, line: int, column: int) -> None:
        """Text to speak with ``voicing``, starting at ``line``/``column``."""
        if not text:
            return
        if self._voicing is not None and voicing != self._voicing:
            self._close()
        if self._voicing is None:
            self._voicing = voicing
            self._where = (line, column)
            self._located = False
        if not self._located and not text.isspace():
            self._where = (line, column)
            self._located = True
        self._pieces.append(text)

    def phonemes(self, phonemes: str, text: str, voicing: Voicing, line: int, column: int) -> None:
        """An IPA string spoken as is (its own segment); ``text`` is shown in subtitles."""
        self._close()
        self._emit(Segment(text=" ".join(text.split()), phonemes=phonemes), voicing, line, column)

    def boundary(self) -> None:
        """End the current segment without a pause (e.g. an SSML ``<s>`` with no gap)."""
        self._close()

    def pause(self, seconds: float) -> None:
        """A structural pause (paragraph, heading, list item): the longest one wins."""
        self._close()
        self._structural = max(self._structural, seconds)

    def explicit_pause(self, seconds: float) -> None:
        """An explicit pause (``<break>``): replaces structural pauses, adds to other explicit
        ones. A zero-length explicit pause does not split the text (SSML ``strength="none"``)."""
        if seconds > 0:
            self._close()
        self._explicit = (self._explicit or 0.0) + seconds

    def chapter(self, title: str, level: int, line: int, column: int) -> None:
        """A chapter starts with the next segment."""
        self._close()
        self._chapter = (" ".join(title.split()), level, line, column)

    def finish(self) -> Script:
        """Close the last segment and return the :class:`Script`."""
        self._close()
        trailing = self._explicit or 0.0
        return Script(self.segments, self.chapters, self.format, trailing)

    # ---- internals ---------------------------------------------------------------------
    def _close(self) -> None:
        if self._voicing is None:
            return
        voicing, (line, column) = self._voicing, self._where
        text = " ".join("".join(self._pieces).split())
        lead = _LEADING_PUNCT_RE.match(text)
        if lead:
            text = text[lead.end():]
        self._pieces = []
        self._voicing = None
        if _SPEAKABLE_RE.search(text):
            self._emit(Segment(text=text), voicing, line, column)

    def _emit(self, segment: Segment, voicing: Voicing, line: int, column: int) -> None:
        if self._explicit is not None:
            pause = self._explicit
        else:
            pause = self._structural if self.segments else 0.0
        segment.voice, segment.style = voicing.voice, voicing.style
        segment.rate, segment.pitch, segment.volume = voicing.rate, voicing.pitch, voicing.volume
        segment.pause_before = round(pause, 6)
        segment.line, segment.column = line, column
        if self._chapter is not None:
            title, level, c_line, c_column = self._chapter
            segment.chapter = title
            self.chapters.append(Chapter(title, level, len(self.segments), c_line, c_column))
            self._chapter = None
        self.segments.append(segment)
        self._structural = 0.0
        self._explicit = None
