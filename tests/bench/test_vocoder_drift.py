"""bench/vocoder_drift.py: the F0-nudged renderings and their PESQ against the plain output."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vocoder.config import preset
from vocoder.model import Generator

pytest.importorskip("pesq")
pytest.importorskip("pystoi")


def _clip() -> np.ndarray:
    t = np.arange(16000) / 16000
    phase = 2 * np.pi * np.cumsum(110 + 20 * np.sin(2 * np.pi * 1.5 * t)) / 16000
    return (0.2 * sum(np.sin(k * phase) / k for k in range(1, 12))).astype(np.float32)


def test_self_scores_compare_with_the_unscaled_output_and_the_fit_is_nudged_too():
    from bench.vocoder_ceiling import with_phase_terms
    from bench.vocoder_drift import drift_clip

    torch.manual_seed(0)
    generator = with_phase_terms(Generator(preset("hn-tiny")).eval(), 2, 2)
    row = drift_clip(generator, _clip(), (1e-9, 0.02), fit=True, iterations=2, lr=0.05)
    assert set(row) == {"network", "self 1e-09", "ref 1e-09", "self 0.02", "ref 0.02", "fitted",
                        "fitted 1e-09", "fitted 0.02"}
    assert row["self 1e-09"] == pytest.approx(4.644, abs=0.01)  # the same output: PESQ's maximum
    assert row["self 0.02"] < 4.5  # 34 cents moves every later pulse
    assert row["ref 1e-09"] == pytest.approx(row["network"], abs=0.01)
    assert row["fitted 1e-09"] == pytest.approx(row["fitted"], abs=0.01)  # the fit, not the network, is nudged
    assert all(math.isfinite(value) for value in row.values())


def test_nudges_must_be_small_positive_fractions():
    from bench.vocoder_drift import parse_nudges

    assert parse_nudges("0.001,0.01") == (0.001, 0.01)
    for bad in ("", "0", "-0.1", "0.7", "a,b"):
        with pytest.raises(SystemExit):
            parse_nudges(bad)


def test_loss_resolutions_come_from_the_card_when_recorded():
    from bench.vocoder_drift import trained_resolutions
    from vocoder.losses import MEL_RESOLUTIONS

    card = {"training": {"options": {"loss_resolutions": [[128, 32, 16], [512, 128, 40]]}}}
    assert trained_resolutions(card) == ((128, 32, 16), (512, 128, 40))
    assert trained_resolutions({}) == MEL_RESOLUTIONS


def test_median_cents_between_two_pitches():
    from bench.vocoder_drift import _median_cents

    t = np.arange(16000) / 16000
    tone = lambda f0: (0.2 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 12))).astype(np.float32)
    assert _median_cents(tone(120.0), tone(121.0)) == pytest.approx(1200 * np.log2(121 / 120), abs=2.0)
    noise = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.05  # nothing voiced
    assert math.isnan(_median_cents(noise, tone(121.0)))
