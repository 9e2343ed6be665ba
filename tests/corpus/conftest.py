"""Shared fixtures of the corpus tests: which teacher engines are installed."""

from __future__ import annotations

import shutil

import pytest

from tts_moe.corpus.dependencies import PROGRAMS, VOICE_FILES


def engine_missing(engine: str, voice: str | None = None) -> str | None:
    """Why ``engine`` cannot run here (None when it can)."""
    for program, package in PROGRAMS[engine]:
        if shutil.which(program) is None:
            return f"{program} not installed (apt-get install {package})"
    if voice in VOICE_FILES and not VOICE_FILES[voice][0].is_file():
        return f"festival voice {voice} not installed (apt-get install {VOICE_FILES[voice][1]})"
    return None


def _require(engine: str, voice: str | None = None) -> None:
    reason = engine_missing(engine, voice)
    if reason:
        pytest.skip(f"teacher engine unavailable: {reason}")


@pytest.fixture(scope="session")
def require_engine():
    """``require_engine(engine, voice=None)`` skips the test when that teacher is missing."""
    return _require


