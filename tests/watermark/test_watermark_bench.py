"""Pieces of bench/watermark.py: threshold calibration, edits, figures (no timing asserted)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.watermark import SPLICE, bit_accuracy, edit_clip, si_snr, threshold_for_fpr
from watermark.augment import EDITS


def test_threshold_allows_at_most_the_target_false_positive_rate():
    negatives = list(np.linspace(0.0, 0.5, 2000))
    threshold = threshold_for_fpr(negatives, 1e-3)
    assert sum(n >= threshold for n in negatives) <= 2
    assert threshold <= negatives[-2]  # and no higher than needed
    small = [0.1, 0.2, 0.3]  # fewer than 1000 negatives: above the highest
    assert threshold_for_fpr(small, 1e-3) > 0.3


def test_every_benchmark_edit_runs_on_a_clip(speech):
    clip, other = speech(2.0, 0), speech(2.0, 1)
    for name in [n for n in EDITS if "mp3" not in n and "aac" not in n and "opus" not in n] + [SPLICE]:
        edited, mask = edit_clip(name, clip, seed=0, unmarked=other)
        assert edited.dtype == np.float32 and edited.shape == mask.shape and np.isfinite(edited).all()
    edited, mask = edit_clip(SPLICE, clip, seed=0, unmarked=other)
    assert mask.mean() == pytest.approx(0.5, abs=1e-3)


def test_bit_accuracy_counts_decoded_bits():
    payload = 0xA5A5
    truth = [(payload >> (15 - i)) & 1 for i in range(16)]
    assert bit_accuracy([0.9 if b else 0.1 for b in truth], payload) == 1.0
    assert bit_accuracy([0.1 if b else 0.9 for b in truth], payload) == 0.0
    flipped = [0.9 if b else 0.1 for b in truth]
    flipped[3] = 1 - flipped[3]
    assert bit_accuracy(flipped, payload) == 15 / 16
    assert bit_accuracy([], payload) == 0.5  # nothing decoded: chance


def test_si_snr():
    rng = np.random.default_rng(0)
    clean = rng.standard_normal(16_000)
    assert si_snr(clean, clean + 0.1 * rng.standard_normal(16_000)) == pytest.approx(20.0, abs=0.5)


def test_robustness_counts_detections_and_bits_per_edit(speech):
    from bench.watermark import robustness

    clips = [speech(1.0, seed) for seed in range(3)]
    payloads = [0x0F0F, 0x00FF, 0xFFFF]

    def score(audio, threshold=0.5):  # a fake detector: loud clips are "marked", bits all ones
        return (1.0 if np.abs(audio).max() > 0.05 else 0.0), [0.9] * 16

    results = robustness(["clean", "volume -6 dB"], clips, payloads, clips, 0.5, score)
    assert results["clean"][0] == 1.0
    expected_bits = np.mean([bin(p).count("1") / 16 for p in payloads])
    assert results["clean"][1] == pytest.approx(expected_bits)
