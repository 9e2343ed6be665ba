"""bench/vocoder_ceiling.py: the free fit of the harmonic head's inputs lowers the loss."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vocoder.config import preset
from vocoder.model import Generator

pytest.importorskip("pesq")
pytest.importorskip("pystoi")


def test_free_fit_beats_an_untrained_network_on_its_clip():
    from bench.vocoder_ceiling import fit_clip, with_phase_terms

    torch.manual_seed(0)
    generator = Generator(preset("hn-tiny")).eval()
    t = np.arange(16000) / 16000
    phase = 2 * np.pi * np.cumsum(120 + 30 * np.sin(2 * np.pi * 2 * t)) / 16000
    audio = (0.2 * sum(np.sin(k * phase) / k for k in range(1, 10))).astype(np.float32)
    wide = with_phase_terms(generator, 2, 3)
    assert (wide.config.phase_terms, wide.config.mel_phase_terms) == (2, 3)
    assert with_phase_terms(wide, 1, 3) is wide
    wide = with_phase_terms(wide, 4)  # keeps the mel-warped terms it has
    assert (wide.config.phase_terms, wide.config.mel_phase_terms) == (4, 3)
    mel = torch.randn(1, 80, 30)
    with torch.no_grad():
        assert torch.allclose(wide(mel), generator(mel), atol=1e-6)  # zero terms: the same vocoder
    row = fit_clip(wide, audio, iterations=30, lr=0.05)
    for source in ("network_f0", "oracle_f0"):
        assert row[f"fitted_{source}_loss"] < 0.8 * row["network_loss"]
    assert row["fitted_phase_loss"] < row["network_loss"]
    assert all(math.isfinite(row[key]) for key in ("network", "oracle_f0", "fitted_network_f0", "fitted_oracle_f0",
                                                    "fitted_phase"))


def test_phase_only_fit_uses_the_given_loss_resolutions():
    from bench.vocoder_ceiling import fit_clip, with_phase_terms

    torch.manual_seed(0)
    generator = with_phase_terms(Generator(preset("hn-tiny")).eval(), 2, 2)
    t = np.arange(8000) / 16000
    audio = (0.2 * sum(np.sin(2 * np.pi * 110 * k * t + k * k) / k for k in range(1, 12))).astype(np.float32)
    default = fit_clip(generator, audio, iterations=1, lr=0.0, phase_only=True)
    short = fit_clip(generator, audio, iterations=1, lr=0.0, resolutions=((128, 32, 16),), phase_only=True)
    assert "fitted_network_f0" not in short and "fitted_oracle_f0" not in short
    assert short["network"] == pytest.approx(default["network"])  # the same output, scored alike
    assert short["network_loss"] != pytest.approx(default["network_loss"], rel=1e-3)  # another loss


def test_clip_line_leaves_out_fits_that_did_not_run():
    from bench.vocoder_ceiling import describe_clip

    phase_only = {"network": 3.0, "oracle_f0": 2.9, "fitted_phase": 3.5}
    assert describe_clip(phase_only) == "network 3.000, oracle F0 2.900, phase only 3.500"
    full = {**phase_only, "fitted_network_f0": 3.9, "fitted_oracle_f0": 3.8}
    assert "fitted 3.900 / 3.800 (network / oracle F0)" in describe_clip(full)
