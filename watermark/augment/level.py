"""Level edits: white and pink noise at a signal-to-noise ratio, volume change, echo.

Shapes: ``(batch, time)``; the SNR is per item (signal power of that item). Differentiable.
"""

from __future__ import annotations

import torch


def _noise_at_snr(audio: torch.Tensor, noise: torch.Tensor, snr_db: float) -> torch.Tensor:
    signal_power = audio.detach().pow(2).mean(-1, keepdim=True).clamp_min(1e-10)
    noise_power = noise.pow(2).mean(-1, keepdim=True).clamp_min(1e-20)
    return noise * torch.sqrt(signal_power / noise_power / 10 ** (snr_db / 10))


def white_noise(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator, *,
                snr_db: float = 20.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Add Gaussian white noise at ``snr_db`` dB below each item's power."""
    noise = torch.randn(audio.shape, generator=generator, device=audio.device, dtype=audio.dtype)
    return audio + _noise_at_snr(audio, noise, snr_db), mask


def pink_noise(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator, *,
               snr_db: float = 20.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Add pink (1/f power) noise at ``snr_db`` dB below each item's power."""
    white = torch.randn(audio.shape, generator=generator, device=audio.device, dtype=audio.dtype)
    spectrum = torch.fft.rfft(white, dim=-1)
    freqs = torch.arange(spectrum.shape[-1], device=audio.device, dtype=audio.dtype)
    spectrum = spectrum / freqs.clamp_min(1.0).sqrt()
    spectrum[..., 0] = 0
    noise = torch.fft.irfft(spectrum, n=audio.shape[-1], dim=-1)
    return audio + _noise_at_snr(audio, noise, snr_db), mask


def volume(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None = None, *,
           gain_db: float = 6.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Multiply by ``gain_db`` decibels (no clipping: float audio)."""
    return audio * 10 ** (gain_db / 20), mask


def echo(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None = None, *,
         delay_s: float = 0.1, decay: float = 0.4, sample_rate: int = 16_000) -> tuple[torch.Tensor, torch.Tensor]:
    """Add one reflection ``decay`` times as loud, ``delay_s`` later; rescaled to the
    original peak so the level stays comparable."""
    delay = max(1, int(round(delay_s * sample_rate)))
    delayed = torch.nn.functional.pad(audio, (delay, 0))[..., : audio.shape[-1]]
    out = audio + decay * delayed
    peak_in = audio.detach().abs().amax(-1, keepdim=True)
    peak_out = out.detach().abs().amax(-1, keepdim=True).clamp_min(1e-8)
    return out * (peak_in / peak_out).clamp(max=1.0), mask
