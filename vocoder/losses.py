"""Training losses: multi-resolution log-mel L1 and STFT (:class:`SpectralLoss`), adversarial
(hinge or least squares) and feature matching. Audio arguments are ``(batch, samples)``.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch.nn import functional as F

from tts_moe.audio import MelConfig, mel_filterbank
from tts_moe.errors import InputError

# (n_fft, hop, n_mels) of the mel loss; the middle one is the vocoder's own analysis. The
# STFT loss uses the same (n_fft, hop) pairs, so each resolution needs one STFT per signal.
# Training can replace them (``TrainOptions.loss_resolutions``, ``--loss-resolutions``).
MEL_RESOLUTIONS = ((512, 128, 40), (1024, 256, 80), (2048, 512, 128))


def mel_configs(base: MelConfig, resolutions=MEL_RESOLUTIONS) -> list[MelConfig]:
    return [replace(base, n_fft=n, win_length=n, hop_length=h, n_mels=m) for n, h, m in resolutions]


def parse_resolutions(text: str) -> tuple[tuple[int, int, int], ...]:
    """``"128:32:16,512:128:40"`` -> ``((128, 32, 16), (512, 128, 40))``, each ``n_fft:hop:n_mels``
    checked (even ``n_fft`` from 64, ``0 < hop <= n_fft``, ``1 <= n_mels <= n_fft // 4``: at 16 kHz
    no mel filter is then empty); a clear :class:`InputError` otherwise."""
    resolutions = []
    for item in text.split(","):
        parts = item.strip().split(":")
        try:
            n_fft, hop, n_mels = (int(part) for part in parts)
        except ValueError:
            raise InputError(f"loss resolution {item.strip()!r} is not n_fft:hop:n_mels (three integers)") from None
        if n_fft < 64 or n_fft % 2 or not 0 < hop <= n_fft or not 1 <= n_mels <= n_fft // 4:
            raise InputError(f"loss resolution {item.strip()!r}: need an even n_fft >= 64, 0 < hop <= n_fft and "
                             "1 <= n_mels <= n_fft / 4")
        resolutions.append((n_fft, hop, n_mels))
    return tuple(resolutions)


class SpectralLoss:
    """Multi-resolution log-mel L1 and multi-resolution STFT loss (spectral convergence + L1
    of log magnitudes) from one magnitude STFT per resolution and signal.

    The log-mels equal :func:`tts_moe.audio.log_mel` of each config (same window, centring,
    filters and floor), so the mel term is the mean over resolutions of the L1 distance of
    natural-log mels. Audio ``(batch, samples)``, float32.
    """

    def __init__(self, configs: list[MelConfig]):
        self.configs = list(configs)
        self.filterbanks = [mel_filterbank(c).T.contiguous() for c in self.configs]  # (n_mels, bins)
        self.windows = [torch.hann_window(c.win_length) for c in self.configs]

    def __call__(self, fake: torch.Tensor, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mel_loss, stft_loss)``, both scalars; gradients flow into ``fake`` only."""
        fake, real = fake.float(), real.detach().float()
        mel_terms, stft_terms = [], []
        for config, filterbank, window in zip(self.configs, self.filterbanks, self.windows):
            filterbank, window = filterbank.to(fake.device), window.to(fake.device)
            magnitude_fake = self._magnitude(fake, config, window)
            with torch.no_grad():
                magnitude_real = self._magnitude(real, config, window)
            floor = config.log_floor
            mel_fake = torch.log(torch.clamp(filterbank @ magnitude_fake, min=floor))
            mel_real = torch.log(torch.clamp(filterbank @ magnitude_real, min=floor))
            mel_terms.append(F.l1_loss(mel_fake, mel_real))
            magnitude_fake, magnitude_real = magnitude_fake.clamp(min=1e-5), magnitude_real.clamp(min=1e-5)
            convergence = torch.linalg.norm(magnitude_real - magnitude_fake) / torch.linalg.norm(magnitude_real).clamp(min=1e-5)
            stft_terms.append(convergence + F.l1_loss(magnitude_fake.log(), magnitude_real.log()))
        return torch.stack(mel_terms).mean(), torch.stack(stft_terms).mean()

    @staticmethod
    def _magnitude(audio: torch.Tensor, config: MelConfig, window: torch.Tensor) -> torch.Tensor:
        """``(batch, bins, frames)`` magnitude, centred frames with reflect padding."""
        spectrum = torch.stft(audio, config.n_fft, config.hop_length, config.win_length, window=window,
                              center=True, pad_mode="reflect", return_complex=True)
        return spectrum.abs()


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
