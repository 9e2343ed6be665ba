"""Pause lengths (seconds) the parsers insert between structural units.

Structural pauses before a segment combine by taking the longest; an explicit pause
(SSML ``<break>``, dialogue ``[pause=...]``/``{pause=...}``) replaces them, and several
explicit pauses in a row add up. Structural pauses before the first segment and after the
last are dropped (the audio does not start or end with silence unless asked to).
"""

from __future__ import annotations

#: Between SSML ``<s>`` sentences (sentences inside one segment get the synthesizer's own gap).
SENTENCE_PAUSE = 0.3
#: When the voice/style of a line changes inside a paragraph (a dialogue turn).
TURN_PAUSE = 0.3
#: Between Markdown list items and table rows.
LIST_ITEM_PAUSE = 0.4
#: Between paragraphs (blank line in text/Markdown, SSML ``<p>``).
PARAGRAPH_PAUSE = 0.7
#: At a Markdown thematic break (``---``, ``***``), the usual "scene break".
SCENE_BREAK_PAUSE = 1.5
#: Before a Markdown heading of level 1, 2, 3, 4, 5, 6.
HEADING_PAUSES = (2.0, 1.5, 1.2, 1.0, 1.0, 1.0)
#: After a heading, before the text under it.
AFTER_HEADING_PAUSE = 0.8
#: SSML ``<break strength="...">`` (and dialogue ``pause=strong``); ``<break/>`` is medium.
BREAK_STRENGTHS = {
    "none": 0.0,
    "x-weak": 0.1,
    "weak": 0.2,
    "medium": 0.4,
    "strong": 0.7,
    "x-strong": 1.2,
}
#: The longest single explicit pause accepted.
MAX_BREAK_SECONDS = 60.0
