"""Trim, loudness normalisation and F0 measurement on synthetic signals."""

from __future__ import annotations

import numpy as np
import pytest

from tts_moe.corpus.signal import (PEAK_LIMIT_DBFS, SAMPLE_RATE, TARGET_ACTIVE_DBFS, count_phones,
                                   measure, process_clip)


def tone(freq: float, seconds: float, amplitude: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_trim_removes_leading_and_trailing_silence():
    silence = np.zeros(int(0.2 * SAMPLE_RATE), dtype=np.float32)
    clip = np.concatenate([silence, tone(150, 1.0), silence])
    processed = process_clip(clip)
    # 30 ms of silence is kept at each end; 20 ms analysis frames blur the edge a little
    assert 0.14 <= processed.trim_start_s <= 0.175
    assert 1.05 <= processed.audio.size / SAMPLE_RATE <= 1.11


def test_loudness_target_and_no_clipping():
    quiet = process_clip(tone(200, 1.0, amplitude=0.01))
    rms_db = 20 * np.log10(np.sqrt(np.mean(quiet.audio.astype(np.float64) ** 2)))
    assert rms_db == pytest.approx(TARGET_ACTIVE_DBFS, abs=0.5)
    # a very peaky signal: the gain is lowered instead of clipping
    spiky = tone(200, 1.0, amplitude=0.001)
    spiky[::800] = 0.9
    out = process_clip(spiky)
    assert out.peak_limited
    assert np.max(np.abs(out.audio)) <= 10 ** (PEAK_LIMIT_DBFS / 20)


def test_f0_of_a_tone_and_phone_count():
    result = measure(tone(150, 1.0), "həlˈoʊ")
    assert result["f0_median"] == pytest.approx(150, rel=0.02)
    assert result["f0_spread_st"] < 0.2
    assert result["voiced_fraction"] > 0.9
    assert count_phones("həlˈoʊ, wˈɜːld.") == 9
    noise = np.random.default_rng(0).normal(0, 0.1, SAMPLE_RATE).astype(np.float32)
    assert measure(noise, "a")["voiced_fraction"] < 0.2


def test_f0_track_accuracy_across_the_range_and_no_voicing_in_noise():
    import numpy as np

    from tts_moe.corpus.signal import f0_track

    t = np.arange(32000) / 16000
    for hz in (55, 90, 140, 210, 330, 480):
        tone = (np.sin(2 * np.pi * hz * t) + 0.5 * np.sin(2 * np.pi * 2 * hz * t)).astype(np.float32)
        f0, voiced = f0_track(tone)
        assert voiced.mean() > 0.9
        assert abs(np.median(f0[voiced]) - hz) < 0.01 * hz
    noise = np.random.default_rng(0).normal(scale=0.1, size=32000).astype(np.float32)
    assert f0_track(noise)[1].mean() < 0.05
    # a tone in the first half only: voicing follows it
    half = np.where(t < 1.0, np.sin(2 * np.pi * 150 * t), 0.0).astype(np.float32)
    _, voiced = f0_track(half)
    assert voiced[10:90].all() and not voiced[115:190].any()
