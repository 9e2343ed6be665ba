"""Frequency-band edits: low-, high- and band-pass filters (zero-phase, FFT domain).

The response is 1 in the pass band, 0 in the stop band, with a raised-cosine transition of
``transition_hz`` centred on each cutoff; differentiable. Shapes: ``(batch, time)``.
"""

from __future__ import annotations

import torch

SAMPLE_RATE = 16_000


def _apply_response(audio: torch.Tensor, response: torch.Tensor) -> torch.Tensor:
    spectrum = torch.fft.rfft(audio, dim=-1)
    return torch.fft.irfft(spectrum * response, n=audio.shape[-1], dim=-1)


def _edge(freqs: torch.Tensor, cutoff: float, transition: float) -> torch.Tensor:
    """0 below ``cutoff - transition/2``, 1 above ``cutoff + transition/2``, cosine between."""
    x = ((freqs - cutoff) / transition + 0.5).clamp(0.0, 1.0)
    return 0.5 - 0.5 * torch.cos(torch.pi * x)


def _freqs(audio: torch.Tensor) -> torch.Tensor:
    return torch.fft.rfftfreq(audio.shape[-1], d=1.0 / SAMPLE_RATE).to(audio.device)


def lowpass(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None = None, *,
            cutoff_hz: float = 3000.0, transition_hz: float = 200.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep frequencies below ``cutoff_hz``."""
    response = 1.0 - _edge(_freqs(audio), cutoff_hz, transition_hz)
    return _apply_response(audio, response), mask


def highpass(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None = None, *,
             cutoff_hz: float = 500.0, transition_hz: float = 100.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep frequencies above ``cutoff_hz``."""
    return _apply_response(audio, _edge(_freqs(audio), cutoff_hz, transition_hz)), mask


def bandpass(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None = None, *,
             low_hz: float = 300.0, high_hz: float = 4000.0,
             transition_hz: float = 100.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep frequencies between ``low_hz`` and ``high_hz`` (telephone-like by default)."""
    freqs = _freqs(audio)
    response = _edge(freqs, low_hz, transition_hz) * (1.0 - _edge(freqs, high_hz, transition_hz))
    return _apply_response(audio, response), mask
