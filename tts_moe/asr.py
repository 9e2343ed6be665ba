"""Speech recognition with pocketsphinx's bundled US English model (no download at run time).

One recogniser for the whole toolkit: voice enrollment uses it to transcribe reference clips
that come without a transcript, and the benchmarks (:mod:`bench._judges`) to measure word
error rates. pocketsphinx is an optional dependency; without it :func:`transcribe` raises
:class:`~tts_moe.errors.MissingDependencyError` saying what to install. The decoder is
loaded once per process and reused (not thread-safe: one recognition at a time).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tts_moe.errors import AudioError, MissingDependencyError

SAMPLE_RATE = 16_000  # the bundled acoustic model's rate (tts_moe.audio.SAMPLE_RATE too)
INSTALL_HINT = "run `pip install pocketsphinx` (or `pip install -e '.[asr]'`)"


@lru_cache(maxsize=1)
def _decoder():
    try:
        from pocketsphinx import Decoder
    except ImportError:
        raise MissingDependencyError(
            f"speech recognition needs the Python package 'pocketsphinx', which is not installed: {INSTALL_HINT}"
        ) from None
    # the wheel's bundled US English acoustic model, language model and dictionary
    return Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")


def transcribe(audio: np.ndarray) -> str:
    """The words spoken in ``audio``: a mono clip ``(time,)`` float at 16 kHz, full scale
    +-1. Returns lower-case words separated by single spaces, ``""`` when nothing is
    recognised. Raises AudioError for an array that is not 1-D, empty or not finite.
    Single-threaded, roughly 0.1-0.2x real time on one core."""
    clip = np.asarray(audio, dtype=np.float32)
    if clip.ndim != 1 or clip.size == 0:
        raise AudioError(f"transcribe() needs a non-empty mono clip (time,), got shape {clip.shape}")
    if not np.isfinite(clip).all():
        raise AudioError("transcribe() got a clip with NaN or infinite samples")
    decoder = _decoder()
    pcm = (np.clip(clip, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()
    decoder.start_utt()
    decoder.process_raw(pcm, no_search=False, full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return " ".join(hypothesis.hypstr.split()) if hypothesis is not None else ""
