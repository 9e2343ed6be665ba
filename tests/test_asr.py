"""The toolkit's speech recogniser (tts_moe/asr.py): input checks and a missing dependency
(real recognition: tests/voices/test_enroll.py and tests/bench/test_speech_metrics.py)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tts_moe import asr
from tts_moe.errors import AudioError, MissingDependencyError


@pytest.mark.parametrize("audio, words", [
    (np.zeros((2, 1600), np.float32), "mono clip"),
    (np.zeros(0, np.float32), "non-empty"),
    (np.array([0.1, np.nan, 0.2] * 800, np.float32), "NaN"),
])
def test_unusable_arrays_are_refused(audio, words):
    with pytest.raises(AudioError, match=words):
        asr.transcribe(audio)


def test_missing_pocketsphinx_names_the_pip_package_and_extra(monkeypatch):
    asr._decoder.cache_clear()
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)  # import now fails
    try:
        with pytest.raises(MissingDependencyError, match=r"pip install pocketsphinx.*\.\[asr\]"):
            asr.transcribe(np.full(1600, 0.1, np.float32))
    finally:
        asr._decoder.cache_clear()

