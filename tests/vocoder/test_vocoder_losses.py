"""Training losses: the shared-STFT spectral loss against its definitions."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from tts_moe.audio import MelConfig, log_mel
from tts_moe.errors import InputError
from vocoder.losses import SpectralLoss, mel_configs, parse_resolutions


def reference_stft_loss(fake, real, n_fft, hop):
    window = torch.hann_window(n_fft)
    mag_f = torch.stft(fake, n_fft, hop, window=window, return_complex=True).abs().clamp(min=1e-5)
    mag_r = torch.stft(real, n_fft, hop, window=window, return_complex=True).abs().clamp(min=1e-5)
    return torch.linalg.norm(mag_r - mag_f) / torch.linalg.norm(mag_r) + F.l1_loss(mag_f.log(), mag_r.log())


def test_spectral_loss_matches_log_mel_and_stft_definitions():
    torch.manual_seed(0)
    real = torch.randn(3, 6000) * 0.1
    fake = (real + 0.03 * torch.randn_like(real)).requires_grad_(True)
    configs = mel_configs(MelConfig())
    mel_loss, stft_loss = SpectralLoss(configs)(fake, real)
    expected_mel = torch.stack([F.l1_loss(log_mel(fake, c), log_mel(real, c)) for c in configs]).mean()
    expected_stft = torch.stack([reference_stft_loss(fake, real, c.n_fft, c.hop_length) for c in configs]).mean()
    assert torch.allclose(mel_loss, expected_mel, rtol=1e-5)
    assert torch.allclose(stft_loss, expected_stft, rtol=1e-5)
    (gradient,) = torch.autograd.grad(45 * mel_loss + stft_loss, fake)
    (expected_gradient,) = torch.autograd.grad(45 * expected_mel + expected_stft, fake)
    assert torch.allclose(gradient, expected_gradient, atol=1e-7, rtol=1e-4)


def test_spectral_loss_is_zero_on_identical_audio_and_grows_with_error():
    real = torch.randn(2, 5000) * 0.1
    loss = SpectralLoss(mel_configs(MelConfig()))
    mel_same, stft_same = loss(real.clone(), real)
    assert float(mel_same) == 0.0 and float(stft_same) == 0.0
    mel_small, _ = loss(real + 0.01 * torch.randn_like(real), real)
    mel_large, _ = loss(real + 0.1 * torch.randn_like(real), real)
    assert 0 < float(mel_small) < float(mel_large)


def test_a_short_window_sees_the_harmonics_relative_phase():
    """The same 40 harmonics of 120 Hz, once in cosine phase and once with scrambled phases:
    the default resolutions (windows of 3-17 pitch periods) barely tell them apart, a 128-sample
    window (about one period) does."""
    import math

    t = torch.arange(16000) / 16000
    scrambled = torch.rand(40, generator=torch.Generator().manual_seed(0)) * 2 * math.pi
    aligned = sum(torch.cos(2 * math.pi * 120 * k * t) / k for k in range(1, 41)) * 0.1
    turned = sum(torch.cos(2 * math.pi * 120 * k * t + scrambled[k - 1]) / k for k in range(1, 41)) * 0.1
    default_mel, _ = SpectralLoss(mel_configs(MelConfig()))(turned[None], aligned[None])
    short_mel, _ = SpectralLoss(mel_configs(MelConfig(), parse_resolutions("128:32:16")))(turned[None], aligned[None])
    assert float(short_mel) > 4 * float(default_mel)


def test_loss_resolutions_are_parsed_and_checked():
    assert parse_resolutions("128:32:16, 512:128:40") == ((128, 32, 16), (512, 128, 40))
    for bad, message in (("128:32", "three integers"), ("128:x:16", "three integers"), ("99:32:16", "even"), ("32:8:4", "even"),
                         ("128:0:16", "hop"), ("128:32:64", "n_mels")):
        with pytest.raises(InputError, match=message):
            parse_resolutions(bad)
