"""Markdown scripts: headings/chapters, lists, tables, code, comments, pauses, errors."""

from __future__ import annotations

import pytest

from tts_moe.script import parse_script
from tts_moe.script.pauses import (
    AFTER_HEADING_PAUSE,
    HEADING_PAUSES,
    LIST_ITEM_PAUSE,
    PARAGRAPH_PAUSE,
    SCENE_BREAK_PAUSE,
)

from .conftest import error_at, texts

DOC = """\
---
title: Front matter is skipped
---
# Chapter *One* {#one}

Some **bold** text with a [link](http://x.com) and `code`.
A second line of the same paragraph.

## Section two ##

- item one
- [x] item two
  continued lazily
1. first
2) second

| Name | Age |
|------|----:|
| Bob  | 42  |

```python
print("skipped")
```

<!-- a comment
over two lines --> After the comment.

Setext title
============

> Quoted text.

***

[id]: http://example.com
Last words.
"""


def test_document_structure() -> None:
    script = parse_script(DOC, "markdown")
    got = [(s.text, s.pause_before, s.chapter) for s in script.segments]
    assert got == [
        ("Chapter One", 0.0, "Chapter One"),
        ("Some bold text with a link and code. A second line of the same paragraph.", AFTER_HEADING_PAUSE, None),
        ("Section two", HEADING_PAUSES[1], "Section two"),
        ("item one", AFTER_HEADING_PAUSE, None),
        ("item two continued lazily", LIST_ITEM_PAUSE, None),
        ("1. first", LIST_ITEM_PAUSE, None),
        ("2. second", LIST_ITEM_PAUSE, None),
        ("Name, Age", PARAGRAPH_PAUSE, None),
        ("Bob, 42", LIST_ITEM_PAUSE, None),
        ("After the comment.", PARAGRAPH_PAUSE, None),
        ("Setext title", HEADING_PAUSES[0], "Setext title"),
        ("Quoted text.", AFTER_HEADING_PAUSE, None),
        ("Last words.", SCENE_BREAK_PAUSE, None),
    ]
    assert [(c.title, c.level, c.segment, c.line, c.column) for c in script.chapters] == [
        ("Chapter One", 1, 0, 4, 3), ("Section two", 2, 2, 9, 4), ("Setext title", 1, 10, 28, 1),
    ]


def test_positions_point_at_content() -> None:
    segs = parse_script(DOC, "markdown").segments
    assert [(s.line, s.column) for s in segs[:6]] == [(4, 3), (6, 1), (9, 4), (11, 3), (12, 7), (14, 1)]
    assert (segs[9].line, segs[9].column) == (26, 20)


def test_headings_need_a_space_and_empty_heading_is_skipped() -> None:
    script = parse_script("#hashtag text\n\n#\n\nbody", "markdown")
    assert [s.text for s in script.segments] == ["#hashtag text", "body"] and script.chapters == []


def test_heading_levels_pauses() -> None:
    segs = parse_script("intro\n\n### three\n\n###### six", "markdown").segments
    assert [s.pause_before for s in segs] == [0.0, HEADING_PAUSES[2], HEADING_PAUSES[5]]


def test_unspeakable_heading_gives_no_chapter_but_next_text_still_read() -> None:
    script = parse_script("# 🎉\n\ntext", "markdown")
    assert [s.text for s in script.segments] == ["text"]


def test_emphasis_option_raises_volume() -> None:
    segs = parse_script("A *little* and **much** louder.", "markdown", emphasis_db=2.0).segments
    assert [(s.text, s.volume) for s in segs] == [("A", None), ("little", 2.0), ("and", None), ("much", 4.0), ("louder.", None)]
    assert texts("A *little* and **much** louder.", "markdown") == ["A little and much louder."]


def test_tilde_fence_and_backtick_info_string_rules() -> None:
    assert texts("a\n\n~~~\ncode\n~~~~\n\nb", "markdown") == ["a", "b"]
    assert texts("``` not a fence ` here\n\nb", "markdown") == ["``` not a fence ` here", "b"]


def test_inline_comment_and_html_tags() -> None:
    assert texts("keep <!-- drop --> this <b>bold</b>", "markdown") == ["keep this bold"]


def test_table_without_outer_pipes_and_empty_cells() -> None:
    assert texts("a | b\n--|--\n1 |\n", "markdown") == ["a, b", "1"]


@pytest.mark.parametrize(("script", "line", "column", "words"), [
    ("# Title\n\nText\n\n  ```python\ncode\n", 5, 3, "never closed"),
    ("Text <!-- start\nmore\n", 1, 6, "HTML comment"),
])
def test_errors(script: str, line: int, column: int, words: str) -> None:
    error = error_at(script, "markdown")
    assert (error.line, error.column) == (line, column) and words in str(error)
