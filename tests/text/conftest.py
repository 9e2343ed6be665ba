"""Shared fixtures for the text front-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tts_moe.paths import shared_dir


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
    return shared_dir() / "data"
