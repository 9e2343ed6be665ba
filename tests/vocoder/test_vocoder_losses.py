"""Training losses: the shared-STFT spectral loss against its definitions."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from tts_moe.audio import MelConfig, log_mel
from vocoder.losses import SpectralLoss, mel_configs


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
