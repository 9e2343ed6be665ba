"""bench/vocoder_regions.py: each substitution puts back exactly its region of the reference."""

from __future__ import annotations

import numpy as np
import pytest

from bench.vocoder_regions import HOP, substitutions


def signals():
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    reference = (0.3 * sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 20))).astype(np.float32)
    hum = np.fft.irfft(np.fft.rfft(rng.standard_normal(16000)) * (np.fft.rfftfreq(16000, 1 / 16000) < 400), 16000)
    return reference, (reference + 0.2 * hum).astype(np.float32)  # the "output" errs below 400 Hz only


def error(a, b):
    core = slice(1024, -1024)  # away from the edges the STFT pads
    return float(np.abs(a[core] - b[core]).max())


def test_a_band_swap_repairs_only_its_band():
    reference, output = signals()
    voiced = np.ones(len(reference) // HOP + 1, dtype=bool)
    mixed = substitutions(reference, output, voiced)
    assert all(len(audio) == len(reference) for audio in mixed.values())
    assert error(mixed["band 0-500 Hz"], reference) < 1e-3 < error(output, reference)
    assert error(mixed["band 4000-8000 Hz"], output) < 1e-3
    assert error(mixed["voiced frames"], reference) < 1e-3  # every frame voiced here
    assert error(mixed["unvoiced loud frames"], output) < 1e-3
    assert error(mixed["envelope per band and frame"], reference) < error(output, reference)


def test_magnitude_and_phase_of_a_perfect_output_change_nothing():
    reference, _ = signals()
    voiced = np.zeros(len(reference) // HOP + 1, dtype=bool)
    for audio in substitutions(reference, reference.copy(), voiced).values():
        assert error(audio, reference) < 1e-3


def test_score_clip_scores_the_output_and_every_region():
    pytest.importorskip("pesq")
    pytest.importorskip("pystoi")
    from bench.vocoder_regions import score_clip
    from tts_moe.audio import MelConfig

    reference, output = signals()

    class Fake:  # a "vocoder" that returns the distorted signal whatever the mel
        config = type("C", (), {"mel_config": MelConfig()})()

        def synthesize(self, mel):
            return np.concatenate([output, np.zeros(HOP, dtype=np.float32)])

    scores = score_clip(Fake(), reference)
    assert scores["band 0-500 Hz"] > scores["output"] + 0.5 and scores["band 4000-8000 Hz"] < scores["output"] + 0.3
    assert len(scores) == 1 + len(substitutions(reference, output, np.ones(126, dtype=bool)))
