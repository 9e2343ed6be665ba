"""Training losses of the watermark: imperceptibility, detection and payload decoding.

Shapes: audio ``(batch, time)``; detector outputs as in :mod:`watermark.model`
(marked logit ``(batch, time)``, bit logits ``(batch, nbits, time)``).
"""

from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F

from tts_moe.audio import MelConfig, log_mel

MEL_SCALES = ((256, 32), (512, 64), (1024, 80), (2048, 128))  # (n_fft, n_mels)
STFT_SCALES = (256, 512, 1024, 2048)


@lru_cache(maxsize=1)
def mel_configs() -> tuple[MelConfig, ...]:
    return tuple(MelConfig(n_fft=n, win_length=n, hop_length=n // 4, n_mels=m) for n, m in MEL_SCALES)


def multiscale_mel_loss(marked: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """Mean L1 between log-mels (``tts_moe.audio.log_mel``) at four resolutions."""
    total = marked.new_zeros(())
    configs = [c for c in mel_configs() if marked.shape[-1] > c.n_fft // 2]
    for config in configs:
        total = total + (log_mel(marked, config) - log_mel(original, config)).abs().mean()
    return total / max(1, len(configs))


def _magnitude(audio: torch.Tensor, n_fft: int) -> torch.Tensor:
    window = torch.hann_window(n_fft, device=audio.device)
    spec = torch.stft(audio, n_fft, hop_length=n_fft // 4, window=window, return_complex=True)
    return spec.abs().clamp_min(1e-7)


def multiscale_stft_loss(marked: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """Spectral convergence + log-magnitude L1, averaged over four FFT sizes."""
    total = marked.new_zeros(())
    sizes = [n for n in STFT_SCALES if marked.shape[-1] > n // 2]
    for n_fft in sizes:
        a, b = _magnitude(marked, n_fft), _magnitude(original, n_fft)
        convergence = torch.linalg.norm(a - b) / torch.linalg.norm(b).clamp_min(1e-7)
        total = total + convergence + (a.log() - b.log()).abs().mean()
    return total / max(1, len(sizes))


def loudness_loss(watermark: torch.Tensor, original: torch.Tensor, *, n_fft: int = 512,
                  bands: int = 8, segment_frames: int = 16) -> torch.Tensor:
    """Time-frequency loudness of the watermark relative to the audio.

    Both are cut into ``bands`` frequency bands x segments of ``segment_frames`` STFT frames;
    in each tile the loudness difference ``d = dB(watermark) - dB(audio)`` is taken, and the
    loss is ``sum(softmax(d) * d)`` per item: it concentrates on the tiles where the watermark
    is loudest relative to what masks it, so the mark hides under the speech.
    """
    def tiles(audio: torch.Tensor) -> torch.Tensor:
        power = _magnitude(audio, n_fft).pow(2)  # (batch, bins, frames)
        bins, frames = power.shape[1], power.shape[2]
        usable_bins, usable_frames = bins - bins % bands, max(segment_frames, frames - frames % segment_frames)
        power = F.pad(power, (0, max(0, usable_frames - frames)))[:, :usable_bins, :usable_frames]
        power = power.reshape(power.shape[0], bands, usable_bins // bands, -1, segment_frames)
        return 10 * torch.log10(power.mean(dim=(2, 4)) + 1e-9)  # (batch, bands, segments)

    difference = (tiles(watermark) - tiles(original)).flatten(1)
    return (torch.softmax(difference, dim=-1) * difference).sum(-1).mean()


def detection_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample BCE: ``logits (batch, time)`` vs ``target (batch, time)`` in {0, 1}."""
    return F.binary_cross_entropy_with_logits(logits, target)


def message_loss(bit_logits: torch.Tensor, bits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """BCE of ``bit_logits (batch, nbits, time)`` against ``bits (batch, nbits)`` over the
    samples where ``mask (batch, time)`` is 1 (marked audio)."""
    target = bits.float().unsqueeze(-1).expand_as(bit_logits)
    per_sample = F.binary_cross_entropy_with_logits(bit_logits, target, reduction="none").mean(1)
    return (per_sample * mask).sum() / mask.sum().clamp_min(1.0)


def pooled_logits(bit_logits: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Bit logits averaged over the marked samples of each item: ``(batch, nbits)``, and
    which items have any marked sample ``(batch,)`` (bool)."""
    weights = mask.unsqueeze(1)
    counts = weights.sum(-1)  # (batch, 1)
    return (bit_logits * weights).sum(-1) / counts.clamp_min(1.0), counts[:, 0] > 0


def pooled_message_loss(bit_logits: torch.Tensor, bits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """BCE of the bit logits averaged over each item's marked samples (the way
    ``Watermarker.detect`` decodes) against ``bits (batch, nbits)``; items with no marked
    sample are left out. Weak per-sample evidence adds up over a segment, so this learns
    much sooner than the per-sample :func:`message_loss`."""
    pooled, present = pooled_logits(bit_logits, mask)
    if not bool(present.any()):
        return pooled.sum() * 0.0
    return F.binary_cross_entropy_with_logits(pooled[present], bits[present].float())


def bit_accuracy(bit_logits: torch.Tensor, bits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Fraction of bits right when logits are averaged over the marked samples of each item."""
    pooled, _ = pooled_logits(bit_logits, mask)
    return ((pooled > 0).long() == bits.long()).float().mean()


def snr_db(marked: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """Signal-to-watermark ratio in dB per item ``(batch,)``: ``original`` power over the
    power of ``marked - original`` (both ``(batch, time)``)."""
    mark_power = (marked - original).pow(2).mean(-1).clamp_min(1e-20)
    return 10 * torch.log10(original.pow(2).mean(-1).clamp_min(1e-20) / mark_power)
