"""Helpers shared by the script-parser tests."""

from __future__ import annotations

import pytest

from tts_moe.script import ScriptError, parse_script


def error_at(text: str, format: str) -> ScriptError:
    """Parse ``text`` expecting a ScriptError and return it."""
    with pytest.raises(ScriptError) as info:
        parse_script(text, format)
    return info.value


def texts(text: str, format: str = "auto") -> list[str]:
    """The text of every segment of ``text``."""
    return [s.text for s in parse_script(text, format).segments]
