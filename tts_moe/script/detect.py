"""Which format a script is in: from its file name, or from its content."""

from __future__ import annotations

import os
import re
from pathlib import Path

#: Formats :func:`~tts_moe.script.parse_script` accepts (besides ``"auto"``).
FORMATS = ("text", "markdown", "ssml")
#: File extension -> format. Anything else is detected from the content.
EXTENSIONS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
              ".ssml": "ssml", ".xml": "ssml"}
#: How much of the start of a script the content check looks at.
DETECT_CHARS = 64 * 1024

_SSML_START_RE = re.compile(
    r"\ufeff?\s*(?:<\?xml[^>]{0,200}\?>\s*)?(?:<!--(?:(?!-->)[\s\S]){0,2000}-->\s*)*"
    r"(?:<speak[\s>/]|<!DOCTYPE)", re.IGNORECASE,
)
_MARKDOWN_RE = re.compile(
    r"^ {0,3}#{1,6}[ \t]+\S"  # ATX heading
    r"|^ {0,3}(?:```|~~~)"  # code fence
    r"|\*\*[^*\s][^*\n]*\*\*|__[^_\s][^_\n]*__"  # strong emphasis
    r"|!?\[[^\]\[\n]{1,500}\]\([^()\s]{1,2000}\)"  # link or image
    r"|^ {0,3}\|.*\|[ \t]*$",  # table row
    re.MULTILINE,
)
_BULLET_RE = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S", re.MULTILINE)


def detect_format(text: str) -> str:
    """``"ssml"`` if the script starts with ``<speak`` (after an optional XML declaration,
    comments or a DOCTYPE, which the SSML parser then refuses); ``"markdown"`` if its start
    has a Markdown heading, code fence, ``**strong**``, link, table row or at least two list
    items; otherwise ``"text"``."""
    head = text[:DETECT_CHARS]
    if _SSML_START_RE.match(head):
        return "ssml"
    if _MARKDOWN_RE.search(head):
        return "markdown"
    bullets = _BULLET_RE.finditer(head)
    if next(bullets, None) is not None and next(bullets, None) is not None:
        return "markdown"
    return "text"


def format_for_path(path: str | os.PathLike[str]) -> str:
    """Format for a script file by its extension (:data:`EXTENSIONS`), else ``"auto"``
    (standard input ``-`` included)."""
    return EXTENSIONS.get(Path(path).suffix.lower(), "auto")
