"""Building blocks of the acoustic model: positional encoding, transformer blocks with a
convolutional or mixture-of-experts feed-forward, and the variance predictors.

Shapes: ``x`` ``(batch, length, dim)``, ``mask`` ``(batch, length)`` with True = valid.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from tts_moe.model.moe import DenseFeedForward, MoEConfig, MoEFeedForward, Routing


def positional_encoding(length: int, dim: int, device=None) -> torch.Tensor:
    """Sinusoidal positions ``(length, dim)``."""
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim, device=device)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


class ConvFeedForward(nn.Module):
    """Conv1d(kernel) -> GELU -> Conv1d(1), the FastSpeech feed-forward."""

    def __init__(self, dim: int, hidden: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.conv_in = nn.Conv1d(dim, hidden, kernel, padding=kernel // 2)
        self.conv_out = nn.Conv1d(hidden, dim, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x.masked_fill(~mask[..., None], 0.0).transpose(1, 2)
        return self.dropout(self.conv_out(F.gelu(self.conv_in(x))).transpose(1, 2))


class Block(nn.Module):
    """Pre-norm transformer block: self-attention, then a feed-forward that is a convolution,
    a dense position-wise MLP, or a per-position mixture of experts (``kind``)."""

    def __init__(self, dim: int, heads: int, kind: str, *, hidden: int, kernel: int = 3,
                 dropout: float = 0.0, moe: MoEConfig | None = None) -> None:
        super().__init__()
        self.heads, self.kind = heads, kind
        self.norm_attention = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm_ff = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)
        if kind == "conv":
            self.ff = ConvFeedForward(dim, hidden, kernel, dropout)
        elif kind == "dense":
            self.ff = DenseFeedForward(dim, hidden, dropout)
        elif kind == "moe":
            self.ff = MoEFeedForward(moe)
        else:
            raise ValueError(f"unknown feed-forward kind {kind!r}")

    def forward(self, x: torch.Tensor, mask: torch.Tensor, condition: torch.Tensor | None = None, *,
                expert_bias: torch.Tensor | None = None, dense: bool = False) -> tuple[torch.Tensor, Routing | None]:
        batch, length, dim = x.shape
        q, k, v = self.qkv(self.norm_attention(x)).view(batch, length, 3, self.heads, dim // self.heads).unbind(2)
        attention = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                                   attn_mask=mask[:, None, None, :])
        x = x + self.dropout(self.out(attention.transpose(1, 2).reshape(batch, length, dim)))
        h = self.norm_ff(x)
        routing = None
        if self.kind == "moe":
            h, routing = self.ff(h, mask, condition, expert_bias=expert_bias, dense=dense)
        elif self.kind == "dense":
            h = self.ff(h)
        else:
            h = self.ff(h, mask)
        x = (x + h).masked_fill(~mask[..., None], 0.0)
        return x, routing


class VariancePredictor(nn.Module):
    """Two conv layers (ReLU, LayerNorm, dropout) -> one value per position ``(batch, length)``."""

    def __init__(self, dim: int, hidden: int, kernel: int = 3, dropout: float = 0.1) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(dim, hidden, kernel, padding=kernel // 2)
        self.norm1 = nn.LayerNorm(hidden)
        self.conv2 = nn.Conv1d(hidden, hidden, kernel, padding=kernel // 2)
        self.norm2 = nn.LayerNorm(hidden)
        self.dropout = nn.Dropout(dropout)
        self.proj = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x.masked_fill(~mask[..., None], 0.0)
        x = self.dropout(self.norm1(F.relu(self.conv1(x.transpose(1, 2))).transpose(1, 2)))
        x = self.dropout(self.norm2(F.relu(self.conv2(x.transpose(1, 2))).transpose(1, 2)))
        return self.proj(x).squeeze(-1).masked_fill(~mask, 0.0)


class ValueEmbedding(nn.Module):
    """Embeds one scalar per position (pitch or energy) with a small convolution."""

    def __init__(self, dim: int, kernel: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, dim, kernel, padding=kernel // 2)

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        """``(batch, length)`` -> ``(batch, length, dim)``."""
        return self.conv(values[:, None, :]).transpose(1, 2)
