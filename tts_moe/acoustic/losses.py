"""Training losses of the acoustic model and its routing statistics."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from tts_moe.acoustic.alignment import binarization_loss, forward_sum_loss
from tts_moe.acoustic.dataset import Batch
from tts_moe.acoustic.model import AcousticOutput

DEFAULT_WEIGHTS = {"mel": 1.0, "duration": 0.1, "pitch": 0.1, "energy": 0.1, "align": 1.0, "binarize": 0.1,
                   "moe": 1.0}


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    mask = mask.to(values.dtype)
    while mask.ndim < values.ndim:
        mask = mask[..., None]
    return (values * mask).sum() / (mask.sum() * (values.numel() / mask.numel())).clamp(min=1)


def loss_terms(out: AcousticOutput, batch: Batch, *, binarize: bool) -> dict[str, torch.Tensor]:
    """Unweighted loss terms (scalars)."""
    mel = masked_mean((out.mel.float() - batch.mel).abs(), batch.mel_mask)
    log_target = torch.log1p(out.durations.float())
    terms = {
        "mel": mel,
        "duration": masked_mean(F.mse_loss(out.log_duration.float(), log_target, reduction="none"), batch.id_mask),
        "pitch": masked_mean(F.mse_loss(out.pitch.float(), out.pitch_target, reduction="none"), batch.id_mask),
        "energy": masked_mean(F.mse_loss(out.energy.float(), out.energy_target, reduction="none"), batch.id_mask),
        "align": forward_sum_loss(out.alignment, batch.id_mask.sum(1), batch.mel_mask.sum(1)),
        "moe": sum((r.aux_loss for r in out.routing), torch.zeros(())),
    }
    terms["binarize"] = binarization_loss(out.durations, out.alignment) if binarize else torch.zeros(())
    return terms


def routing_statistics(out: AcousticOutput, mask: torch.Tensor) -> dict[str, float]:
    """Per MoE block: lowest and highest expert share relative to the fair share, routing
    entropy (nats, mean over phonemes) and the dropped-slot fraction."""
    stats = {}
    for layer, routing in enumerate(out.routing):
        share = routing.expert_share(mask)
        fair = 1.0 / share.numel()
        probs = routing.probs[mask]
        entropy = -(probs * probs.clamp(min=1e-9).log()).sum(-1).mean()
        stats[f"moe{layer}_min_share"] = float(share.min() / fair)
        stats[f"moe{layer}_max_share"] = float(share.max() / fair)
        stats[f"moe{layer}_entropy"] = float(entropy.detach())
        stats[f"moe{layer}_dropped"] = float(routing.dropped[mask].float().mean())
    return stats
