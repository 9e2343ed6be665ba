"""Length-bucketed training batches from a :class:`~tts_moe.acoustic.features.FeatureSet`.

Batches are a pure function of ``(seed, step)`` (resumable and reproducible): a random
anchor clip among those allowed by the curriculum, then its neighbours in length order
until the frame budget is used, so padding stays small. The curriculum starts with short
clips and reaches the longest ones at ``curriculum_steps``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import torch

from tts_moe.acoustic.features import FeatureSet
from tts_moe.errors import InputError


@dataclass
class Batch:
    """Padded tensors: ``ids``/``id_mask`` ``(batch, phonemes)``, ``mel`` ``(batch, frames,
    n_mels)``, ``mel_mask``/``log_f0``/``voiced``/``energy`` ``(batch, frames)``,
    ``speaker``/``style`` ``(batch,)``; ``clips`` are the clip indices."""

    ids: torch.Tensor
    id_mask: torch.Tensor
    mel: torch.Tensor
    mel_mask: torch.Tensor
    log_f0: torch.Tensor
    voiced: torch.Tensor
    energy: torch.Tensor
    speaker: torch.Tensor
    style: torch.Tensor
    clips: list[int]

    def to(self, device: str | torch.device) -> "Batch":
        """The same batch with every tensor on ``device``."""
        return Batch(**{k: v.to(device) for k, v in self.model_inputs().items()}, clips=self.clips)

    def model_inputs(self) -> dict[str, torch.Tensor]:
        return {k: getattr(self, k) for k in ("ids", "id_mask", "speaker", "style", "mel", "mel_mask",
                                               "log_f0", "voiced", "energy")}


def usable(features: FeatureSet, index: int) -> bool:
    """MAS needs at least one frame per phoneme."""
    return 0 < features.phonemes(index) <= features.frames(index)


def held_out_split(features: FeatureSet, fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """Clip indices for training and validation, split by text so no validation sentence is
    ever trained on (in any voice)."""
    threshold = int(fraction * 10_000)
    train, held = [], []
    for i, record in enumerate(features.records):
        if not usable(features, i):
            continue
        bucket = zlib.crc32(f"{seed}:{record['text_id']}".encode()) % 10_000
        (held if bucket < threshold else train).append(i)
    return train, held


def collate(features: FeatureSet, clips: list[int], speakers: dict[str, int], styles: dict[str, int]) -> Batch:
    parts = [features.clip(i) for i in clips]
    n, p_max, t_max = len(parts), max(len(p["ids"]) for p in parts), max(len(p["mel"]) for p in parts)
    n_mels = parts[0]["mel"].shape[1]
    ids = np.zeros((n, p_max), np.int64)
    mel = np.zeros((n, t_max, n_mels), np.float32)
    frame_values = {k: np.zeros((n, t_max), np.float32) for k in ("log_f0", "voiced", "energy")}
    p_len, t_len = np.zeros(n, np.int64), np.zeros(n, np.int64)
    for row, part in enumerate(parts):
        p_len[row], t_len[row] = len(part["ids"]), len(part["mel"])
        ids[row, : p_len[row]] = part["ids"]
        mel[row, : t_len[row]] = part["mel"]
        for key in frame_values:
            frame_values[key][row, : t_len[row]] = part[key]
    records = [features.records[i] for i in clips]
    try:
        speaker = torch.tensor([speakers[r["speaker"]] for r in records])
        style = torch.tensor([styles[r["style"]] for r in records])
    except KeyError as error:
        raise InputError(f"clip of speaker/style {error} that this model does not know") from None
    return Batch(
        ids=torch.from_numpy(ids), id_mask=torch.arange(p_max)[None] < torch.from_numpy(p_len)[:, None],
        mel=torch.from_numpy(mel), mel_mask=torch.arange(t_max)[None] < torch.from_numpy(t_len)[:, None],
        log_f0=torch.from_numpy(frame_values["log_f0"]), voiced=torch.from_numpy(frame_values["voiced"]),
        energy=torch.from_numpy(frame_values["energy"]), speaker=speaker, style=style, clips=list(clips))


class BatchSampler:
    """Deterministic length-bucketed batches of at most ``max_frames`` padded frames and at
    most ``max_clips`` clips."""

    def __init__(self, features: FeatureSet, clips: list[int], speakers: dict[str, int], styles: dict[str, int], *,
                 max_frames: int = 4000, max_clips: int = 32, curriculum_steps: int = 0,
                 curriculum_start: float = 0.3) -> None:
        if not clips:
            raise InputError("no usable training clips (each needs at least as many frames as phonemes)")
        self.features, self.speakers, self.styles = features, speakers, styles
        lengths = np.array([features.frames(i) for i in clips])
        order = np.argsort(lengths, kind="stable")
        self.sorted_clips = [clips[i] for i in order]
        self.sorted_lengths = lengths[order]
        self.max_frames, self.max_clips = max_frames, max_clips
        self.curriculum_steps, self.curriculum_start = curriculum_steps, curriculum_start

    def allowed(self, step: int) -> int:
        """How many of the shortest clips the curriculum allows at ``step``."""
        n = len(self.sorted_clips)
        if self.curriculum_steps <= 0 or step >= self.curriculum_steps:
            return n
        fraction = self.curriculum_start + (1 - self.curriculum_start) * step / self.curriculum_steps
        return max(1, int(n * fraction))

    def clips_for(self, seed: int, step: int) -> list[int]:
        rng = np.random.default_rng([seed, step])
        limit = self.allowed(step)
        anchor = int(rng.integers(limit))
        longest = int(self.sorted_lengths[anchor])
        count = max(1, min(self.max_clips, self.max_frames // max(longest, 1)))
        start = max(0, anchor - count + 1)
        return self.sorted_clips[start: anchor + 1]

    def batch(self, seed: int, step: int) -> Batch:
        return collate(self.features, self.clips_for(seed, step), self.speakers, self.styles)
