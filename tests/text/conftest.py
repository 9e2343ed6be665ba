"""Shared fixtures for the text front-end tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """``../shared/data`` beside the repository, or ``$TTS_MOE_SHARED/data``."""
    shared = Path(os.environ.get("TTS_MOE_SHARED", REPO_ROOT.parent / "shared"))
    return shared / "data"


@pytest.fixture(scope="session")
def phonemizer():
    from tts_moe.text import Phonemizer

    return Phonemizer("en-us")


@pytest.fixture(scope="session")
def frontend():
    from tts_moe.text import TextFrontend

    return TextFrontend("en-us")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return shared_data_dir()
