"""The public watermark API: :class:`Watermarker` embeds a 16-bit payload and detects it.

>>> wm = Watermarker.from_pretrained()            # watermark/weights/ (ours)
>>> marked = wm.embed(audio, payload=1234)        # audio (time,) or (batch, time), 16 kHz
>>> found = wm.detect(marked)                     # Detection: probability, segments, payload

Long audio is processed in chunks (``chunk_seconds``, default 10 s) that overlap by
``overlap_seconds`` (1 s) and are cross-faded, so memory stays flat and chunk borders carry
the mark like anywhere else. Detection is pooled to 20 ms frames (see :mod:`watermark.localise`).

The payload travels in two places: AudioSeal's own message path (the generator's message
embedding, the detector's bit channels; used by official checkpoints) and, for our weights,
the spread-spectrum channel of :mod:`watermark.payload` (``Watermarker.payload_channel``), which is
added to the SEANet mark and decoded over the whole clip (see watermark/README.md for why).
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
from watermark.payload import (
    WEIGHT_FLOOR,
    PayloadConfig,
    PayloadFold,
    PayloadReading,
    payload_mark,
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
DEFAULT_PAYLOAD = PayloadConfig()


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
                 payload: PayloadConfig | None = DEFAULT_PAYLOAD, speed_search: bool = True,
                 chunk_seconds: float = 10.0, overlap_seconds: float = 1.0) -> None:
        """``payload``: the spread-spectrum payload channel (None: the payload is only
        AudioSeal's own message path, as in official checkpoints). ``speed_search``: when the
        channel finds nothing, look for a sped-up or slowed-down copy (about 0.5 s per clip of
        up to 12 s on one thread; :mod:`watermark.payload_speed`)."""
        self.networks = networks
        self.payload_channel = payload
        self.speed_search = speed_search
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
    def embed(self, audio: torch.Tensor | np.ndarray, payload: int, *, offset: int = 0
              ) -> torch.Tensor | np.ndarray:
        """Return ``audio`` with ``payload`` (0..65535) embedded; same shape and type
        (numpy in, numpy out), float32. ``offset``: the position (in samples) of ``audio``'s
        first sample in the file it belongs to, when a long file is marked window by window:
        the payload pattern then runs on without a break at window borders."""
        if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) or offset < 0:
            raise InputError(f"offset must be a non-negative integer sample position, got {offset!r}")
        batch, single = as_batch(audio)
        bits = message_bits(torch.tensor([check_payload(payload, self.config.nbits)]),
                            self.config.nbits).expand(batch.shape[0], -1)
        length = batch.shape[-1]
        mark = torch.zeros_like(batch)
        with torch.inference_mode():
            for start, end in chunk_spans(length, self.chunk, self.overlap):
                padded = _bucketed(batch[:, start:end])
                piece = watermark_signal(self.networks.generator, padded, bits)
                if self.payload_channel is not None:
                    piece = piece + payload_mark(padded, bits, self.payload_channel, offset=int(offset) + start)
                piece = piece[:, : end - start]
                mark[:, start:end] += piece * crossfade_weights(start, end, length, self.overlap)
        marked = (batch + mark).clamp(-1.0, 1.0)
        marked = marked[0] if single else marked
        return marked.numpy() if isinstance(audio, np.ndarray) else marked

    # ------------------------------------------------------------------------- detection
    def frame_outputs(self, audio: torch.Tensor | np.ndarray, *, fold: PayloadFold | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame (20 ms) outputs: probabilities ``(batch, frames)`` and the detector's
        bit logits ``(batch, nbits, frames)``; ``frames = ceil(time / 320)``. With ``fold``,
        the audio is also folded into it for the payload channel, each sample weighted by its
        marked probability (at least ``WEIGHT_FLOOR``) and the chunk cross-fade."""
        batch, _ = as_batch(audio)
        n, length = batch.shape
        frames = -(-length // self.frame)
        sums = torch.zeros(n, 1 + self.config.nbits, frames)
        counts = torch.zeros(frames)
        with torch.inference_mode():
            for start, end in chunk_spans(length, self.chunk, self.overlap):
                logit, bit_logits = detector_logits(self.networks.detector, _bucketed(batch[:, start:end]))
                logit, bit_logits = logit[:, : end - start], bit_logits[..., : end - start]
                marked = torch.sigmoid(logit)
                values = torch.cat([marked.unsqueeze(1), bit_logits], dim=1)
                weights = crossfade_weights(start, end, length, self.overlap)
                if fold is not None:
                    fold.add(batch[:, start:end], start, marked.clamp_min(WEIGHT_FLOOR) * weights)
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
        probs, bit_logits, reading = self.analyse(audio)
        duration = np.asarray(audio).shape[-1] / self.sample_rate if isinstance(audio, np.ndarray) \
            else audio.shape[-1] / self.sample_rate
        clip_bits = [None] * len(probs) if reading is None else reading.probabilities().numpy()
        clip_scores = [None] * len(probs) if reading is None else reading.scores().tolist()
        speeds = [1.0] * len(probs) if reading is None else reading.speed.tolist()
        results = [summarise(p, b, threshold=threshold, duration=duration, bit_probabilities=c, payload_score=s,
                             speed=f) for p, b, c, s, f in zip(probs, bit_logits, clip_bits, clip_scores, speeds)]
        return results[0] if single else results

    def analyse(self, audio: torch.Tensor | np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, PayloadReading | None]:
        """:meth:`frame_outputs` plus the payload channel's reading (None without one)."""
        config = getattr(self, "payload_channel", None)  # test doubles may skip __init__
        if config is None:
            return *self.frame_outputs(audio), None
        fold = PayloadFold(config, as_batch(audio)[0].shape[0], speed_search=getattr(self, "speed_search", True))
        probs, bit_logits = self.frame_outputs(audio, fold=fold)
        return probs, bit_logits, fold.decode()

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
        return cls(networks, card, payload=payload_from_card(card), **chunking)

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
        return cls(networks, card, payload=None, **chunking)

    def save_pretrained(self, folder: str | os.PathLike, card: dict | None = None) -> Path:
        """Write fp16 weights + model card into ``folder``; returns the weights path."""
        card = {**self.card, **(card or {}), "config": self.config.to_dict(),
                "detection_threshold": self.threshold,
                "payload": None if self.payload_channel is None else self.payload_channel.to_dict()}
        self.card = card
        return save_weights(folder, {"generator": self.networks.generator,
                                     "detector": self.networks.detector}, card)


def payload_from_card(card: dict) -> PayloadConfig | None:
    """The payload channel a model card describes (``payload``: its constants, or null for
    none); cards written before the channel existed have no such key: none."""
    data = card.get("payload")
    if data is None:
        return None
    if not isinstance(data, dict):
        raise InputError(f"the watermark model card's 'payload' must be an object or null, got {type(data).__name__}")
    return PayloadConfig.from_dict(data)
