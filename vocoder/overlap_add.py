"""Overlap-add of windowed frames centred on multiples of the hop (shared by both heads)."""

from __future__ import annotations

import torch
from torch.nn import functional as F


def overlap_add(frames: torch.Tensor, hop: int, window: torch.Tensor) -> torch.Tensor:
    """Overlap-add windowed frames ``(batch, n_fft, count)`` centred on ``t * hop``.

    Returns ``(batch, count * hop)``: sample ``n`` of the result is position ``n`` of the
    signal whose frame ``t`` is centred on ``t * hop``; normalised by the squared-window sum.
    """
    n_fft, count = frames.shape[1], frames.shape[2]
    full = (count - 1) * hop + n_fft
    audio = F.fold(frames, output_size=(1, full), kernel_size=(1, n_fft), stride=(1, hop))
    envelope = F.fold(
        (window**2)[None, :, None].expand(1, n_fft, count).to(frames.dtype),
        output_size=(1, full), kernel_size=(1, n_fft), stride=(1, hop),
    )
    start = n_fft // 2
    audio = audio[:, 0, 0, start : start + count * hop]
    envelope = envelope[:, 0, 0, start : start + count * hop]
    return audio / envelope.clamp(min=1e-8)
