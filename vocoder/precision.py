"""Numeric precision under mixed-precision training.

Training may run the generator's backbone under bf16 autocast (``--bf16``), and so may
inference (``Vocoder(..., precision="bf16")``, :func:`backbone_autocast`); the heads'
outputs are log gains and log-F0, where bf16's 8-bit mantissa would quantise F0 to ~5
cents, so the heads project and synthesise in float32 (:func:`fp32_linear`,
:func:`full_precision`). Outside autocast both are plain float32 calls.

bf16 only pays on hardware with native bf16 matrix units (AVX512-BF16 / AMX on x86 CPUs,
recent GPUs); elsewhere it is emulated and slower, which is what ``"auto"`` checks.
"""

from __future__ import annotations

import torch
from torch import nn

from tts_moe.errors import InputError

PRECISIONS = ("fp32", "bf16", "auto")
# What the synthesizer (and `tts-moe synth`, the demo) run unless told otherwise. Measured on the
# shipped hn-base weights (bench.vocoder --bf16, 55 held-out clips): PESQ-wb within 0.02 of
# float32 either way, and 1.6-1.8x faster at 1 thread on a CPU with AMX / AVX512-BF16.
SYNTHESIS_PRECISION = "auto"


def full_precision(x: torch.Tensor):
    """A context that switches autocast off on ``x``'s device."""
    return torch.autocast(device_type=x.device.type, enabled=False)


def fp32_linear(layer: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """``layer(x)`` computed in float32 even inside a bf16 autocast region."""
    with full_precision(x):
        return layer(x.float())


def native_bf16(device: str | torch.device = "cpu") -> bool:
    """Whether ``device`` multiplies bf16 matrices natively (so bf16 autocast is faster)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    try:  # bf16 dot products (AVX512-BF16) or tiles (AMX); private helpers, so guarded. oneDNN's
        # own "bf16 supported" also says yes on plain AVX-512, where bf16 is emulated and slower
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(precision: str, device: str | torch.device = "cpu") -> str:
    """``"fp32"``, ``"bf16"`` or ``"auto"`` (bf16 where :func:`native_bf16`) -> fp32 | bf16."""
    if precision not in PRECISIONS:
        raise InputError(f"unknown vocoder precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return precision


def backbone_autocast(precision: str, device: str | torch.device = "cpu"):
    """A context running the backbone (and discriminators) under bf16 autocast when
    ``precision`` is ``"bf16"``; a no-op for ``"fp32"``. The heads stay float32 inside it."""
    return torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16,
                          enabled=precision == "bf16")
