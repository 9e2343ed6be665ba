"""Learned phoneme-to-frame alignment (no external timings needed).

A small aligner embeds phonemes and mel frames separately and scores every (frame, phoneme)
pair by negative squared distance; a beta-binomial prior keeps early alignments near the
diagonal. Training uses the forward-sum (CTC) likelihood of all monotonic paths; durations
come from the single best monotonic path (monotonic alignment search, MAS), so the same
recipe works on any dataset with transcripts and audio.

Shapes: ``ids`` ``(batch, phonemes)``, ``mel`` ``(batch, frames, n_mels)``; attention
log-probabilities ``(batch, frames, phonemes)``; durations ``(batch, phonemes)`` int64
summing to each clip's frame count.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

NEG_INF = -1e9


class Aligner(nn.Module):
    """Phoneme and frame encoders whose distances give soft alignments."""

    def __init__(self, n_symbols: int, n_mels: int, dim: int = 80, temperature: float = 0.0005) -> None:
        super().__init__()
        self.temperature = temperature
        self.embedding = nn.Embedding(n_symbols, dim, padding_idx=0)
        self.text = nn.Sequential(nn.Conv1d(dim, 2 * dim, 3, padding=1), nn.ReLU(), nn.Conv1d(2 * dim, dim, 1))
        self.frames = nn.Sequential(nn.Conv1d(n_mels, 2 * dim, 3, padding=1), nn.ReLU(),
                                    nn.Conv1d(2 * dim, dim, 1), nn.ReLU(), nn.Conv1d(dim, dim, 1))

    def forward(self, ids: torch.Tensor, mel: torch.Tensor, id_mask: torch.Tensor,
                log_prior: torch.Tensor | None = None) -> torch.Tensor:
        """Soft alignment log-probabilities over phonemes, ``(batch, frames, phonemes)``."""
        keys = self.text(self.embedding(ids).transpose(1, 2)).transpose(1, 2)  # (B, P, D)
        queries = self.frames(mel.transpose(1, 2)).transpose(1, 2)  # (B, T, D)
        distance = torch.cdist(queries.float(), keys.float()).pow(2)  # (B, T, P)
        scores = -self.temperature * distance
        scores = scores.masked_fill(~id_mask[:, None, :], NEG_INF)
        log_probs = scores.log_softmax(dim=-1)
        if log_prior is not None:
            log_probs = (log_probs + log_prior).masked_fill(~id_mask[:, None, :], NEG_INF)
        return log_probs


def beta_binomial_log_prior(phoneme_lengths: torch.Tensor, frame_lengths: torch.Tensor,
                            max_phonemes: int, max_frames: int, scale: float = 1.0) -> torch.Tensor:
    """Log beta-binomial prior ``(batch, frames, phonemes)`` favouring the diagonal: frame ``t``
    of ``T`` expects phoneme ``k`` of ``P`` with BetaBinomial(P-1, scale*t, scale*(T+1-t));
    padded cells are 0 (no effect; they are masked elsewhere)."""
    P = phoneme_lengths.double()[:, None, None]
    T = frame_lengths.double()[:, None, None]
    device = phoneme_lengths.device
    k = torch.arange(max_phonemes, dtype=torch.float64, device=device)[None, None, :]
    t = torch.arange(1, max_frames + 1, dtype=torch.float64, device=device)[None, :, None]
    n = P - 1
    a, b = scale * t, scale * (T + 1 - t)
    valid = (k <= n) & (t <= T)
    k_, a_, b_ = k.clamp(max=n), a.clamp(min=1e-3), b.clamp(min=1e-3)
    log_choose = torch.lgamma(n + 1) - torch.lgamma(k_ + 1) - torch.lgamma(n - k_ + 1)
    log_beta = (torch.lgamma(k_ + a_) + torch.lgamma(n - k_ + b_) - torch.lgamma(n + a_ + b_)
                - (torch.lgamma(a_) + torch.lgamma(b_) - torch.lgamma(a_ + b_)))
    return torch.where(valid, log_choose + log_beta, torch.zeros(())).float()


def forward_sum_loss(log_probs: torch.Tensor, phoneme_lengths: torch.Tensor, frame_lengths: torch.Tensor,
                     blank_log_prob: float = -1.0) -> torch.Tensor:
    """CTC likelihood of all monotonic alignments of each clip's phonemes to its frames."""
    batch, frames, phonemes = log_probs.shape
    padded = F.pad(log_probs, (1, 0), value=blank_log_prob)  # column 0 = blank
    padded = padded.log_softmax(dim=-1).transpose(0, 1)  # (T, B, P + 1)
    targets = torch.arange(1, phonemes + 1, device=log_probs.device)[None, :].expand(batch, -1)
    return F.ctc_loss(padded, targets, frame_lengths, phoneme_lengths, blank=0,
                      reduction="mean", zero_infinity=True)


def monotonic_alignment(log_probs: torch.Tensor, phoneme_lengths: torch.Tensor,
                        frame_lengths: torch.Tensor) -> torch.Tensor:
    """Best monotonic path durations ``(batch, phonemes)`` (each phoneme >= 1 frame).

    Dynamic programming over frames, vectorised over the batch and the phonemes; the
    back-track is vectorised over the batch. Needs ``frames >= phonemes`` per clip.
    """
    values = log_probs.detach().float().cpu().numpy()
    batch, frames, phonemes = values.shape
    p_len = phoneme_lengths.cpu().numpy()
    t_len = frame_lengths.cpu().numpy()
    if np.any(t_len < p_len):
        bad = int(np.argmax(t_len < p_len))
        raise ValueError(f"clip {bad} has {t_len[bad]} frames for {p_len[bad]} phonemes: MAS needs frames >= phonemes")
    came_diagonal = np.zeros((frames, batch, phonemes), dtype=bool)
    score = np.full((batch, phonemes), -np.inf, dtype=np.float32)
    score[:, 0] = values[:, 0, 0]
    for t in range(1, frames):
        shifted = np.concatenate([np.full((batch, 1), -np.inf, dtype=np.float32), score[:, :-1]], axis=1)
        came_diagonal[t] = shifted > score
        score = np.maximum(score, shifted) + values[:, t, :]
    durations = np.zeros((batch, phonemes), dtype=np.int64)
    position = p_len - 1
    rows = np.arange(batch)
    for t in range(frames - 1, -1, -1):
        active = t < t_len
        durations[rows[active], position[active]] += 1
        if t > 0:
            step = active & came_diagonal[t, rows, position] & (position > 0)
            position = position - step
    return torch.from_numpy(durations).to(log_probs.device)


def binarization_loss(hard_durations: torch.Tensor, log_probs: torch.Tensor) -> torch.Tensor:
    """Mean negative log-probability the soft alignment gives the hard (MAS) path."""
    hard = durations_to_alignment(hard_durations, log_probs.shape[1])  # (B, T, P)
    picked = log_probs.clamp(min=NEG_INF / 1e6) * hard
    return -picked.sum() / hard.sum().clamp(min=1)


def durations_to_alignment(durations: torch.Tensor, frames: int) -> torch.Tensor:
    """One-hot alignment ``(batch, frames, phonemes)`` from durations ``(batch, phonemes)``."""
    index = frame_to_phoneme(durations, frames)  # (B, T), -1 past the end
    one_hot = F.one_hot(index.clamp(min=0), durations.shape[1]).float()
    return one_hot * (index >= 0)[..., None]


def frame_to_phoneme(durations: torch.Tensor, frames: int) -> torch.Tensor:
    """Index of the phoneme each frame belongs to, ``(batch, frames)``; -1 past the clip end."""
    ends = durations.long().cumsum(dim=1)  # (B, P)
    t = torch.arange(frames, device=durations.device)[None, :].expand(durations.shape[0], -1).contiguous()
    index = torch.searchsorted(ends, t, right=True)
    return torch.where(index < durations.shape[1], index, torch.full_like(index, -1))
