"""The public watermark API: :class:`Watermarker` embeds a 16-bit payload and detects it.

>>> wm = Watermarker.from_pretrained()            # watermark/weights/ (ours)
>>> marked = wm.embed(audio, payload=1234)        # audio (time,) or (batch, time), 16 kHz
>>> found = wm.detect(marked)                     # Detection: probability, segments, payload

Long audio is processed in chunks (``chunk_seconds``, default 10 s) that overlap by
``overlap_seconds`` (1 s) and are cross-faded, so memory stays flat and chunk borders carry
the mark like anywhere else. Detection is pooled to 20 ms frames (see :mod:`watermark.localise`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from tts_moe.errors import AudioError, InputError
from watermark.localise import FRAME_SECONDS, Detection, summarise
from watermark.model import (
    Networks,
    WatermarkConfig,
    build_networks,
    detector_logits,
    message_bits,
    official_config,
    watermark_signal,
)
from watermark.weights import (
    find_official_pair,
    load_official,
    load_weights,
    read_card,
    resolve,
    save_weights,
)

MIN_SAMPLES = 320  # one 20 ms frame
BUCKET = 16_000  # chunks are zero-padded to whole seconds: few distinct shapes, so oneDNN's
#                  per-shape set-up (LSTM, convolutions) is paid once per length, not per clip
DEFAULT_THRESHOLD = 0.5


def as_batch(audio: torch.Tensor | np.ndarray, *, what: str = "audio") -> tuple[torch.Tensor, bool]:
    """Validate audio ``(time,)`` or ``(batch, time)``; returns float32 ``(batch, time)`` and
    whether the input was a single clip. Raises :class:`AudioError` for bad input."""
    if isinstance(audio, np.ndarray):
        if not np.issubdtype(audio.dtype, np.floating):
            raise AudioError(f"{what}: expected floating-point samples in [-1, 1], got {audio.dtype}")
        tensor = torch.from_numpy(np.ascontiguousarray(audio))
    elif torch.is_tensor(audio):
        if not audio.is_floating_point():
            raise AudioError(f"{what}: expected floating-point samples in [-1, 1], got {audio.dtype}")
        tensor = audio.detach()
    else:
        raise AudioError(f"{what}: expected a numpy array or torch tensor, got {type(audio).__name__}")
    if tensor.ndim not in (1, 2):
        raise AudioError(f"{what}: expected shape (time,) or (batch, time), got {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        raise AudioError(f"{what} is empty (shape {tuple(tensor.shape)})")
    if tensor.shape[-1] < MIN_SAMPLES:
        raise AudioError(f"{what} is too short: {tensor.shape[-1]} samples, need at least "
                         f"{MIN_SAMPLES} (20 ms at 16 kHz)")
    finite = torch.isfinite(tensor)
    if not bool(finite.all()):
        raise AudioError(f"{what}: {int((~finite).sum())} samples are NaN or infinite")
    single = tensor.ndim == 1
    return tensor.float().reshape(-1, tensor.shape[-1]), single


def check_payload(payload: int, nbits: int = 16) -> int:
    if isinstance(payload, bool) or not isinstance(payload, (int, np.integer)):
        raise InputError(f"payload must be an integer 0..{2**nbits - 1}, got {type(payload).__name__}")
    if not 0 <= int(payload) < 2**nbits:
        raise InputError(f"payload {payload} is out of range: it must be 0..{2**nbits - 1} ({nbits} bits)")
    return int(payload)


def chunk_spans(length: int, chunk: int, overlap: int) -> list[tuple[int, int]]:
    """``(start, end)`` sample spans of chunks covering ``length`` with ``overlap`` shared."""
    if length <= chunk:
        return [(0, length)]
    step = chunk - overlap
    spans, start = [], 0
    while True:
        end = min(start + chunk, length)
        spans.append((start, end))
        if end == length:
            return spans
        start += step


def crossfade_weights(start: int, end: int, length: int, overlap: int) -> torch.Tensor:
    """Weights ``(end - start,)`` for a chunk: linear ramps over the overlaps it shares with
    its neighbours, so the weights of all chunks sum to 1 at every sample."""
    weights = torch.ones(end - start)
    ramp = (torch.arange(overlap) + 0.5) / overlap
    if start > 0:
        weights[:overlap] = ramp[: end - start]
    if end < length:
        weights[-overlap:] = torch.minimum(weights[-overlap:], 1 - ramp)
    return weights


def _bucketed(piece: torch.Tensor) -> torch.Tensor:
    """Zero-pad ``(batch, time)`` to a whole number of ``BUCKET`` samples."""
    return torch.nn.functional.pad(piece, (0, -piece.shape[-1] % BUCKET))


class Watermarker:
    """A trained generator/detector pair (AudioSeal architecture, 16 kHz, 16-bit payload)."""

    sample_rate = 16_000

    def __init__(self, networks: Networks, card: dict | None = None, *,
                 chunk_seconds: float = 10.0, overlap_seconds: float = 1.0) -> None:
        self.networks = networks
        self.config: WatermarkConfig = networks.config
        self.card = dict(card or {})
        self.threshold = float(self.card.get("detection_threshold", DEFAULT_THRESHOLD))
        hop = self.config.hop
        self.chunk = max(hop, int(chunk_seconds * self.sample_rate) // hop * hop)
        self.overlap = min(self.chunk // 2, max(hop, int(overlap_seconds * self.sample_rate) // hop * hop))
        self.frame = int(round(FRAME_SECONDS * self.sample_rate))
        networks.generator.eval()
        networks.detector.eval()

    # ------------------------------------------------------------------------- embedding
    def embed(self, audio: torch.Tensor | np.ndarray, payload: int) -> torch.Tensor | np.ndarray:
        """Return ``audio`` with ``payload`` (0..65535) embedded; same shape and type
        (numpy in, numpy out), float32."""
        batch, single = as_batch(audio)
        bits = message_bits(torch.tensor([check_payload(payload, self.config.nbits)]),
                            self.config.nbits).expand(batch.shape[0], -1)
        length = batch.shape[-1]
        mark = torch.zeros_like(batch)
        with torch.inference_mode():
            for start, end in chunk_spans(length, self.chunk, self.overlap):
                piece = watermark_signal(self.networks.generator, _bucketed(batch[:, start:end]), bits)
                piece = piece[:, : end - start]
                mark[:, start:end] += piece * crossfade_weights(start, end, length, self.overlap)
        marked = (batch + mark).clamp(-1.0, 1.0)
        marked = marked[0] if single else marked
        return marked.numpy() if isinstance(audio, np.ndarray) else marked

    # ------------------------------------------------------------------------- detection
    def frame_outputs(self, audio: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame (20 ms) outputs: probabilities ``(batch, frames)`` and bit logits
        ``(batch, nbits, frames)``; ``frames = ceil(time / 320)``."""
        batch, _ = as_batch(audio)
        n, length = batch.shape
        frames = -(-length // self.frame)
        sums = torch.zeros(n, 1 + self.config.nbits, frames)
        counts = torch.zeros(frames)
        with torch.inference_mode():
            for start, end in chunk_spans(length, self.chunk, self.overlap):
                logit, bit_logits = detector_logits(self.networks.detector, _bucketed(batch[:, start:end]))
                logit, bit_logits = logit[:, : end - start], bit_logits[..., : end - start]
                values = torch.cat([torch.sigmoid(logit).unsqueeze(1), bit_logits], dim=1)
                weights = crossfade_weights(start, end, length, self.overlap)
                index = torch.arange(start, end) // self.frame
                sums.index_add_(2, index, values * weights)
                counts.index_add_(0, index, weights)
        means = (sums / counts.clamp_min(1e-8)).numpy()
        return means[:, 0], means[:, 1:]

    def detect(self, audio: torch.Tensor | np.ndarray, *, threshold: float | None = None
               ) -> Detection | list[Detection]:
        """Localised detection: one :class:`Detection` for ``(time,)``, a list for a batch."""
        _, single = as_batch(audio)
        threshold = self.threshold if threshold is None else float(threshold)
        if not 0.0 < threshold < 1.0:
            raise InputError(f"detection threshold must be between 0 and 1, got {threshold}")
        probs, bit_logits = self.frame_outputs(audio)
        duration = np.asarray(audio).shape[-1] / self.sample_rate if isinstance(audio, np.ndarray) \
            else audio.shape[-1] / self.sample_rate
        results = [summarise(p, b, threshold=threshold, duration=duration) for p, b in zip(probs, bit_logits)]
        return results[0] if single else results

    # ------------------------------------------------------------------------- loading
    @classmethod
    def from_pretrained(cls, path: str | os.PathLike | None = None, **chunking) -> Watermarker:
        """Our weights: a folder with watermark.safetensors + watermark.json, or the
        .safetensors file (default ``watermark/weights/``); or a folder holding official
        AudioSeal checkpoints (one ``*generator*`` and one ``*detector*`` .pth/.safetensors,
        see :meth:`from_audioseal_checkpoint`), so every ``--weights``/``--watermark`` option
        takes them. Raises ModelNotAvailableError when absent."""
        official = find_official_pair(path)
        if official is not None:
            return cls.from_audioseal_checkpoint(*official, **chunking)
        weights, card_path = resolve(path)
        card = read_card(card_path)
        networks = build_networks(WatermarkConfig.from_dict(card["config"]))
        load_weights(weights, {"generator": networks.generator, "detector": networks.detector})
        return cls(networks, card, **chunking)

    @classmethod
    def from_audioseal_checkpoint(cls, generator_path: str | os.PathLike, detector_path: str | os.PathLike,
                                  **chunking) -> Watermarker:
        """Official AudioSeal 16-bit checkpoints from disk (``.pth`` state dicts loaded with
        ``weights_only=True``, or ``.safetensors``), in the official full-size architecture.
        Nothing is downloaded."""
        networks = build_networks(official_config())
        load_official(networks.generator, generator_path, "generator")
        load_official(networks.detector, detector_path, "detector")
        card = {"source": "official AudioSeal checkpoint", "generator": str(Path(generator_path)),
                "detector": str(Path(detector_path)), "config": networks.config.to_dict()}
        return cls(networks, card, **chunking)

    def save_pretrained(self, folder: str | os.PathLike, card: dict | None = None) -> Path:
        """Write fp16 weights + model card into ``folder``; returns the weights path."""
        card = {**self.card, **(card or {}), "config": self.config.to_dict(),
                "detection_threshold": self.threshold}
        self.card = card
        return save_weights(folder, {"generator": self.networks.generator,
                                     "detector": self.networks.detector}, card)
