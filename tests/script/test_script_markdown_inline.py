"""Inline Markdown -> spoken words."""

from __future__ import annotations

import pytest

from tts_moe.script.markdown_inline import render_inline


def spoken(raw: str) -> str:
    return "".join(text for text, _ in render_inline(raw))


@pytest.mark.parametrize(("raw", "expected"), [
    ("*em* and **strong** and ***both***", "em and strong and both"),
    ("_em_ and __strong__ and ~~gone~~", "em and strong and gone"),
    ("snake_case_name and 2 * 3 * 4", "snake_case_name and 2 * 3 * 4"),
    ("a [link](http://x.com/a_(b) \"title\") here", "a link here"),
    ("a [ref link][id] and [short] one", "a ref link and [short] one"),
    ("![alt text](img.png) pic", "alt text pic"),
    ("[![badge](b.svg)](https://ci)", "badge"),
    ("note[^1].", "note."),
    ("`code_with *stars*` ok", "code_with *stars* ok"),
    ("``a ` b``", "a ` b"),
    ("unmatched `tick", "unmatched `tick"),
    ("<https://example.com> and <me@example.org>", "https://example.com and me@example.org"),
    ("x<br/>y <span class=\"a\">z</span>, un<b>believ</b>able", "x y z, unbelievable"),
    ("&amp; &#8212; &copy; &bogus;", "& — © &bogus;"),
    (r"\*not em\* \[x\] \\", "*not em* [x] \\"),
    ("a < b > c", "a < b > c"),
])
def test_inline_markup_is_read_as_words(raw: str, expected: str) -> None:
    assert spoken(raw) == expected


def test_emphasis_levels() -> None:
    pieces = render_inline("plain *em* **strong** _u_ end", emphasis=True)
    assert pieces == [("plain ", 0), ("em", 1), (" ", 0), ("strong", 2), (" ", 0), ("u", 1), (" end", 0)]


def test_unpaired_delimiters_are_dropped_without_emphasis() -> None:
    assert render_inline("a *b c", emphasis=True) == [("a b c", 0)]


def test_empty_gives_no_pieces() -> None:
    assert render_inline("") == [] and render_inline("", emphasis=True) == []
    assert render_inline("**", emphasis=True) == [("**", 0)]  # not flanking: literal
