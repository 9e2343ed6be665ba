"""Edits of rate and timing: resampling round trip, speed change, cropping, splicing.

Shapes: ``audio``/``mask`` ``(batch, time)``. ``speed`` and ``crop`` change the length and
move the mask with the audio; ``splice`` replaces audio by unmarked audio (mask 0 there).
"""

from __future__ import annotations

import torch

from tts_moe.audio import resample

SAMPLE_RATE = 16_000


def straight_through(audio: torch.Tensor, edited: torch.Tensor) -> torch.Tensor:
    """Forward ``edited``; backward passes the gradient to ``audio`` as if unedited."""
    return audio + (edited.to(audio) - audio).detach()


def fit_length(audio: torch.Tensor, length: int) -> torch.Tensor:
    """Crop or zero-pad the last axis to ``length``."""
    if audio.shape[-1] >= length:
        return audio[..., :length]
    return torch.nn.functional.pad(audio, (0, length - audio.shape[-1]))


def resample_round_trip(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None = None,
                        *, rate: int = 8000) -> tuple[torch.Tensor, torch.Tensor]:
    """Resample to ``rate`` and back to 16 kHz (``tts_moe.audio.resample``; straight-through)."""
    array = audio.detach().cpu().float().numpy()
    there = resample(array, SAMPLE_RATE, rate)
    back = torch.from_numpy(resample(there, rate, SAMPLE_RATE)).to(audio.device)
    return straight_through(audio, fit_length(back, audio.shape[-1])), mask


def speed(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator | None = None, *,
          factor: float = 1.1) -> tuple[torch.Tensor, torch.Tensor]:
    """Play ``factor`` times faster (pitch moves too); the length becomes ``time / factor``.
    Linear interpolation (differentiable); the mask follows (nearest sample)."""
    length = max(1, int(round(audio.shape[-1] / factor)))
    out = torch.nn.functional.interpolate(audio.unsqueeze(1), size=length, mode="linear",
                                          align_corners=False)[:, 0]
    new_mask = torch.nn.functional.interpolate(mask.unsqueeze(1), size=length, mode="nearest")[:, 0]
    return out, new_mask


def crop(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator, *,
         seconds: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep a random window of ``seconds`` (one start per item); shorter audio is kept whole."""
    length = min(audio.shape[-1], max(1, int(round(seconds * SAMPLE_RATE))))
    span = audio.shape[-1] - length + 1
    starts = torch.randint(0, span, (audio.shape[0],), generator=generator).to(audio.device)
    index = starts[:, None] + torch.arange(length, device=audio.device)[None]
    return audio.gather(-1, index), mask.gather(-1, index)


def splice(audio: torch.Tensor, mask: torch.Tensor, generator: torch.Generator, *,
           unmarked: torch.Tensor, fraction: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep one random window of ``fraction`` of each item; the rest becomes ``unmarked``
    audio ``(batch, time)`` of the same shape (mask 0 there). Teaches localisation."""
    if unmarked.shape != audio.shape:
        raise ValueError(f"splice: unmarked audio {tuple(unmarked.shape)} must match {tuple(audio.shape)}")
    time = audio.shape[-1]
    length = min(time, max(1, int(round(fraction * time))))
    starts = torch.randint(0, time - length + 1, (audio.shape[0],), generator=generator).to(audio.device)
    positions = torch.arange(time, device=audio.device)[None]
    keep = ((positions >= starts[:, None]) & (positions < starts[:, None] + length)).to(audio.dtype)
    return audio * keep + unmarked * (1 - keep), mask * keep
