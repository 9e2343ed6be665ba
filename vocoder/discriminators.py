"""Discriminators for adversarial training: multi-period (waveform) and multi-resolution
(complex STFT). Each returns, per sub-discriminator, a score map and its feature maps.

Input audio: ``(batch, samples)``. Output of each ``forward``: ``(scores, features)`` where
``scores`` is a list (one per sub-discriminator) of tensors ``(batch, ...)`` and
``features`` a list of lists of intermediate activations (for feature matching).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import weight_norm

LEAK = 0.1


@dataclass(frozen=True)
class DiscriminatorConfig:
    """Sizes of both discriminators.

    Much slimmer than HiFi-GAN's (32..1024 channels) and Vocos' (32-channel 2-D convs at full
    frequency resolution), because on CPU the discriminators otherwise cost ~10x the
    generator: measured on 16 x 1 s, 1 thread, forward+backward, the period stack at
    (16, 64, 256, 512) took 0.3-0.6 s per period and a 32-channel resolution stack
    1.5-1.8 s per resolution; these defaults take ~0.15 s and ~0.2 s (bench/vocoder.py).
    """

    periods: tuple[int, ...] = (2, 3, 5, 7, 11)
    period_channels: tuple[int, ...] = (8, 32, 128, 256)
    resolutions: tuple[tuple[int, int], ...] = ((1024, 256), (512, 128), (256, 64))  # (n_fft, hop)
    resolution_channels: int = 16

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "DiscriminatorConfig":
        return cls(
            periods=tuple(data["periods"]),
            period_channels=tuple(data["period_channels"]),
            resolutions=tuple(tuple(r) for r in data["resolutions"]),
            resolution_channels=int(data["resolution_channels"]),
        )


class PeriodDiscriminator(nn.Module):
    """Folds audio ``(batch, samples)`` into ``(batch, 1, samples / period, period)`` and
    applies strided 2-D convs along time (kernel 5, stride 3), one column per phase."""

    def __init__(self, period: int, channels: tuple[int, ...]):
        super().__init__()
        self.period = period
        layers, previous = [], 1
        for width in channels:
            layers.append(weight_norm(nn.Conv2d(previous, width, (5, 1), (3, 1), padding=(2, 0))))
            previous = width
        layers.append(weight_norm(nn.Conv2d(previous, previous, (5, 1), 1, padding=(2, 0))))
        self.convs = nn.ModuleList(layers)
        self.out = weight_norm(nn.Conv2d(previous, 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        batch, samples = audio.shape
        pad = (-samples) % self.period
        if pad:
            audio = F.pad(audio, (0, pad), mode="reflect")
        x = audio.view(batch, 1, -1, self.period)
        features = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), LEAK)
            features.append(x)
        x = self.out(x)
        features.append(x)
        return x.flatten(1), features


class ResolutionDiscriminator(nn.Module):
    """2-D convs over the complex STFT (real and imaginary parts as two channels, with the
    magnitude compressed by a power 0.3) at one ``(n_fft, hop)``; every conv but the last
    two halves the frequency axis (the first one too, which cuts the cost ~2.5x)."""

    def __init__(self, n_fft: int, hop: int, channels: int):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        c = channels
        self.convs = nn.ModuleList([
            weight_norm(nn.Conv2d(2, c, (3, 9), stride=(1, 2), padding=(1, 4))),
            weight_norm(nn.Conv2d(c, c, (3, 9), stride=(1, 2), padding=(1, 4))),
            weight_norm(nn.Conv2d(c, c, (3, 9), stride=(1, 2), padding=(1, 4))),
            weight_norm(nn.Conv2d(c, c, (3, 9), stride=(1, 2), padding=(1, 4))),
            weight_norm(nn.Conv2d(c, c, (3, 3), padding=(1, 1))),
        ])
        self.out = weight_norm(nn.Conv2d(c, 1, (3, 3), padding=(1, 1)))

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        spec = torch.stft(audio.float(), self.n_fft, self.hop, window=self.window,
                          center=True, return_complex=True)  # (batch, bins, frames)
        magnitude = spec.abs().clamp(min=1e-7)
        spec = spec * magnitude.pow(0.3 - 1.0)
        x = torch.stack([spec.real, spec.imag], dim=1).transpose(2, 3)  # (batch, 2, frames, bins)
        features = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), LEAK)
            features.append(x)
        x = self.out(x)
        features.append(x)
        return x.flatten(1), features


class Discriminators(nn.Module):
    """All sub-discriminators in one module; ``forward(audio)`` -> ``(scores, features)``."""

    def __init__(self, config: DiscriminatorConfig = DiscriminatorConfig()):
        super().__init__()
        self.config = config
        self.period = nn.ModuleList(
            PeriodDiscriminator(p, config.period_channels) for p in config.periods
        )
        self.resolution = nn.ModuleList(
            ResolutionDiscriminator(n, h, config.resolution_channels) for n, h in config.resolutions
        )

    def forward(self, audio: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        scores, features = [], []
        for disc in (*self.period, *self.resolution):
            score, feats = disc(audio)
            scores.append(score)
            features.append(feats)
        return scores, features
