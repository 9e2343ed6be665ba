"""Numeric precision under mixed-precision training.

Training may run the generator's backbone under bf16 autocast (``--bf16``); the heads'
outputs are log gains and log-F0, where bf16's 8-bit mantissa would quantise F0 to ~5
cents, so the heads project and synthesise in float32 (:func:`fp32_linear`,
:func:`full_precision`). Outside autocast both are plain float32 calls.
"""

from __future__ import annotations

import torch
from torch import nn


def full_precision(x: torch.Tensor):
    """A context that switches autocast off on ``x``'s device."""
    return torch.autocast(device_type=x.device.type, enabled=False)


def fp32_linear(layer: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """``layer(x)`` computed in float32 even inside a bf16 autocast region."""
    with full_precision(x):
        return layer(x.float())
