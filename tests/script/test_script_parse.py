"""parse_script: format choice, empty/too large scripts, and a fuzz test that only
TextError (never another exception) comes out of any input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tts_moe.errors import InputError, TextError
from tts_moe.script import ScriptError, parse_script
from tts_moe.script import parse as parse_module
from tts_moe.text import normalize_text


def test_auto_picks_each_format() -> None:
    assert parse_script("<speak>a</speak>").format == "ssml"
    assert parse_script("# T\n\nb").format == "markdown"
    assert parse_script("plain *text*").format == "text"
    assert parse_script("\ufeffplain").segments[0].text == "plain"


def test_explicit_format_overrides_content() -> None:
    assert parse_script("<speak>a</speak>", "text").segments[0].text == "<speak>a</speak>"
    assert parse_script("# not a heading", "text").chapters == []


@pytest.mark.parametrize("text", ["", "   \n\t\n", "...", "!!! ???", "😀 🎉", "* * *"])
@pytest.mark.parametrize("format", ["auto", "text", "markdown"])
def test_nothing_to_speak_is_a_clear_error(text: str, format: str) -> None:
    with pytest.raises(ScriptError, match="empty|nothing to speak") as info:
        parse_script(text, format)
    assert info.value.line is None and isinstance(info.value, TextError)


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="unknown script format"):
        parse_script("a", "rtf")
    with pytest.raises(InputError, match="must be text"):
        parse_script(b"a")  # type: ignore[arg-type]


def test_size_floor_matches_the_synth_limit() -> None:
    from tts_moe.limits import MAX_SCRIPT_BYTES

    assert parse_module.max_script_bytes() == MAX_SCRIPT_BYTES
    assert 4 * parse_module.ALWAYS_SMALL_CHARS <= MAX_SCRIPT_BYTES


def test_too_large_script_is_refused_in_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    limit = 2 * parse_module.ALWAYS_SMALL_CHARS
    monkeypatch.setattr(parse_module, "max_script_bytes", lambda: limit)
    with pytest.raises(ScriptError, match="limited to 2 MiB"):
        parse_script("a" * (limit + 1))
    with pytest.raises(ScriptError, match="split it into parts"):
        parse_script("é" * (limit // 2 + 1))  # fewer characters than the limit, more bytes
    assert parse_script("é" * (limit // 2)).segments


def test_segments_go_through_the_text_normaliser() -> None:
    script = "# Part 1\n\n- 3 items at $4.50\n- **Dr.** Smith on 5 March 2024\n\n| a | b |\n|--|--|\n| 1 | 2 |"
    for segment in parse_script(script).segments:
        assert normalize_text(segment.text)


MARKUP = st.sampled_from([
    "<speak>", "</speak>", "<p>", "</p>", "<s>", "<break time='1s'/>", "<prosody rate='fast'>",
    "</prosody>", "<voice name='a'>", "</voice>", "<say-as interpret-as='date'>", "</say-as>",
    "<phoneme ph='a'>", "</phoneme>", "<sub alias='x'>", "</sub>", "&amp;", "&", "<", ">", "<!--", "-->",
    "<!DOCTYPE x>", "# ", "## ", "\n", "\n\n", "**", "*", "_", "`", "```", "~~~", "- ", "1. ", "> ", "|",
    "|---|", "[", "]", "(", ")", "![", "[voice=a]", "[voice=", "[style=b] ", "{style=w}", "{/style}",
    "{", "}", "{pause=1s}", "{rate=zz}", "\\", "\\[", "word", "Hello world.", "42", " ", "\t", "😀", "\r",
])
SCRIPTS = st.lists(st.one_of(MARKUP, st.text(max_size=8)), max_size=40).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=SCRIPTS, format=st.sampled_from(["auto", "text", "markdown", "ssml"]))
def test_fuzz_only_text_errors(text: str, format: str) -> None:
    try:
        script = parse_script(text, format)
    except TextError as error:
        if isinstance(error, ScriptError) and error.line is not None:
            assert error.line >= 1 and error.column >= 1
        return
    for segment in script.segments:
        assert segment.phonemes is not None or any(c.isalnum() for c in segment.text)
        assert segment.pause_before >= 0 and segment.line >= 1 and segment.column >= 1
    for chapter in script.chapters:
        assert 0 <= chapter.segment < len(script.segments)
