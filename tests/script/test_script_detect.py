"""Format detection by content and by file name."""

from __future__ import annotations

import pytest

from tts_moe.script import detect_format, format_for_path


@pytest.mark.parametrize(("text", "expected"), [
    ("<speak>Hi</speak>", "ssml"),
    ('\ufeff  <?xml version="1.0"?>\n<!-- c -->\n<speak version="1.1">x</speak>', "ssml"),
    ("<!DOCTYPE speak><speak/>", "ssml"),
    ("# Title\n\ntext", "markdown"),
    ("Some **bold** text", "markdown"),
    ("see [the docs](http://x.y)", "markdown"),
    ("```\ncode\n```", "markdown"),
    ("- one\n- two", "markdown"),
    ("| a | b |\n|---|---|", "markdown"),
    ("Just a story.\n\n#hashtag and 2 * 3 and - a dash", "text"),
    ("- only one bullet line", "text"),
    ("<b>not ssml</b>", "text"),
    ("[voice=a] Hello", "text"),
])
def test_detect_format(text: str, expected: str) -> None:
    assert detect_format(text) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("a.txt", "text"), ("b.MD", "markdown"), ("c.markdown", "markdown"), ("d.ssml", "ssml"),
    ("e.xml", "ssml"), ("f.rst", "auto"), ("-", "auto"), ("noext", "auto"),
])
def test_format_for_path(path: str, expected: str) -> None:
    assert format_for_path(path) == expected
