"""Training losses: multi-resolution log-mel L1, multi-resolution STFT, adversarial (hinge or
least squares) and feature matching. Audio arguments are ``(batch, samples)``.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch.nn import functional as F

from tts_moe.audio import MelConfig, log_mel

# (n_fft, hop, n_mels) of the mel loss; the middle one is the vocoder's own analysis.
MEL_RESOLUTIONS = ((512, 128, 40), (1024, 256, 80), (2048, 512, 128))
STFT_RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))


def mel_configs(base: MelConfig, resolutions=MEL_RESOLUTIONS) -> list[MelConfig]:
    return [replace(base, n_fft=n, win_length=n, hop_length=h, n_mels=m) for n, h, m in resolutions]


def multi_resolution_mel_loss(fake: torch.Tensor, real: torch.Tensor,
                              configs: list[MelConfig]) -> torch.Tensor:
    """Mean over resolutions of the L1 distance between natural-log mels (via
    :func:`tts_moe.audio.log_mel`)."""
    fake, real = fake.float(), real.float()
    losses = [F.l1_loss(log_mel(fake, c), log_mel(real, c)) for c in configs]
    return torch.stack(losses).mean()


def multi_resolution_stft_loss(fake: torch.Tensor, real: torch.Tensor,
                               resolutions=STFT_RESOLUTIONS) -> torch.Tensor:
    """Mean over resolutions of spectral convergence + L1 of log magnitudes."""
    fake, real = fake.float(), real.float()
    total = fake.new_zeros(())
    for n_fft, hop in resolutions:
        window = torch.hann_window(n_fft, device=fake.device)
        mag_f = torch.stft(fake, n_fft, hop, window=window, return_complex=True).abs()
        mag_r = torch.stft(real, n_fft, hop, window=window, return_complex=True).abs()
        mag_f, mag_r = mag_f.clamp(min=1e-5), mag_r.clamp(min=1e-5)
        convergence = torch.linalg.norm(mag_r - mag_f) / torch.linalg.norm(mag_r).clamp(min=1e-5)
        total = total + convergence + F.l1_loss(mag_f.log(), mag_r.log())
    return total / len(resolutions)


def discriminator_loss(real_scores: list[torch.Tensor], fake_scores: list[torch.Tensor],
                       kind: str = "hinge") -> torch.Tensor:
    """Sum over sub-discriminators; real should score high, fake low."""
    total = real_scores[0].new_zeros(())
    for real, fake in zip(real_scores, fake_scores):
        if kind == "hinge":
            total = total + F.relu(1 - real).mean() + F.relu(1 + fake).mean()
        else:  # least squares
            total = total + ((1 - real) ** 2).mean() + (fake**2).mean()
    return total


def generator_adversarial_loss(fake_scores: list[torch.Tensor], kind: str = "hinge") -> torch.Tensor:
    total = fake_scores[0].new_zeros(())
    for fake in fake_scores:
        total = total + (F.relu(1 - fake).mean() if kind == "hinge" else ((1 - fake) ** 2).mean())
    return total


def feature_matching_loss(real_features: list[list[torch.Tensor]],
                          fake_features: list[list[torch.Tensor]]) -> torch.Tensor:
    """Mean over sub-discriminators (summed over their layers) of L1 between activations;
    the real activations are treated as constants."""
    total = fake_features[0][0].new_zeros(())
    for reals, fakes in zip(real_features, fake_features):
        for real, fake in zip(reals, fakes):
            total = total + F.l1_loss(fake, real.detach())
    return total / len(real_features)
