"""``parse_script``: any supported script format -> :class:`~tts_moe.script.model.Script`."""

from __future__ import annotations

from tts_moe.errors import InputError
from tts_moe.script.detect import FORMATS, detect_format
from tts_moe.script.errors import ScriptError
from tts_moe.script.markdown import parse_markdown
from tts_moe.script.model import Script
from tts_moe.script.plain import parse_plain
from tts_moe.script.ssml import parse_ssml

#: Scripts up to this many characters are under the size limit whatever their encoding
#: (UTF-8 needs at most 4 bytes per character), so the limit is only looked up above it.
#: ``tests/script`` checks that ``4 * ALWAYS_SMALL_CHARS <= limits.MAX_SCRIPT_BYTES``.
ALWAYS_SMALL_CHARS = 1 << 20


def max_script_bytes() -> int:
    """The script size limit, shared with ``tts-moe synth`` (:data:`tts_moe.limits.MAX_SCRIPT_BYTES`)."""
    from tts_moe.limits import MAX_SCRIPT_BYTES

    return MAX_SCRIPT_BYTES


def check_size(text: str) -> None:
    """Raise :class:`ScriptError` if ``text`` is over the script size limit (UTF-8 bytes)."""
    if len(text) <= ALWAYS_SMALL_CHARS:
        return
    limit = max_script_bytes()
    size = len(text) if len(text) > limit else len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise ScriptError(
            f"the script is {size / 2**20:.1f} MiB; scripts are limited to {limit // 2**20} MiB: "
            "split it into parts"
        )


def parse_script(text: str, format: str = "auto", *, emphasis_db: float = 0.0) -> Script:
    """Parse a script into segments and chapters.

    ``format`` is ``"text"``, ``"markdown"``, ``"ssml"`` or ``"auto"`` (decided from the
    content by :func:`~tts_moe.script.detect.detect_format`; use
    :func:`~tts_moe.script.detect.format_for_path` for files). ``emphasis_db`` (Markdown
    only) reads ``*emphasis*`` that many dB louder; 0 (default) reads it as plain words.

    Raises :class:`ScriptError` (a :class:`~tts_moe.errors.TextError`) with line and column
    for malformed markup, and without a position for an empty, unspeakable or too large
    script. Time is linear in the length of the script.
    """
    if not isinstance(text, str):
        raise InputError(f"a script must be text (str), got {type(text).__name__}")
    if format not in FORMATS and format != "auto":
        raise InputError(f"unknown script format {format!r}: use auto, {', '.join(FORMATS)}")
    check_size(text)
    if not text.strip():
        raise ScriptError("the script is empty: give at least one word to speak")
    text = text.removeprefix("\ufeff")
    if format == "auto":
        format = detect_format(text)
    if format == "ssml":
        script = parse_ssml(text)
    elif format == "markdown":
        script = parse_markdown(text, emphasis_db=emphasis_db)
    else:
        script = parse_plain(text)
    if not script.segments:
        raise ScriptError(
            f"the script ({format}) has nothing to speak: no words or numbers outside markup "
            "(only punctuation, symbols, emoji, tags or skipped code)"
        )
    return script
