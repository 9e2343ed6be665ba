"""Fitting a cloned voice to its reference clips, with every shipped weight frozen.

Two stages, both on the acoustic model's teacher-forced training losses (mel, duration,
pitch, energy; durations from the shipped aligner + monotonic alignment search):

1. :func:`adapt_speaker`: one speaker vector ``(speaker_dim,)``, starting from the mean
   built-in speaker;
2. :func:`train_adapter`: a :class:`voices.adapter.VoiceAdapter` (low-rank changes to the
   decoder) together with the speaker vector.

Clips are the feature dicts of :func:`voices.enroll.load_references`; a step takes a run of
clips of neighbouring length (little padding) up to ``max_frames`` frames.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch

from voices.adapter import AdapterConfig, VoiceAdapter

Progress = Callable[[int, float], None]


def reference_batch(clips: list[dict], speaker: torch.Tensor, style: int):
    """A padded :class:`tts_moe.acoustic.dataset.Batch` whose speaker is the vector
    ``(1, speaker_dim)`` being learned."""
    from tts_moe.acoustic.dataset import Batch

    n, p_max, t_max = len(clips), max(len(c["ids"]) for c in clips), max(len(c["mel"]) for c in clips)
    ids = torch.zeros(n, p_max, dtype=torch.long)
    mel = torch.zeros(n, t_max, clips[0]["mel"].shape[1])
    frame = {k: torch.zeros(n, t_max) for k in ("log_f0", "voiced", "energy")}
    p_len, t_len = torch.tensor([len(c["ids"]) for c in clips]), torch.tensor([len(c["mel"]) for c in clips])
    for row, clip in enumerate(clips):
        ids[row, : p_len[row]] = torch.from_numpy(clip["ids"].astype(np.int64))
        mel[row, : t_len[row]] = torch.from_numpy(clip["mel"].astype(np.float32))
        for key, values in frame.items():
            values[row, : t_len[row]] = torch.from_numpy(clip[key].astype(np.float32))
    return Batch(ids=ids, id_mask=torch.arange(p_max)[None] < p_len[:, None], mel=mel,
                 mel_mask=torch.arange(t_max)[None] < t_len[:, None], log_f0=frame["log_f0"],
                 voiced=frame["voiced"], energy=frame["energy"], speaker=speaker.expand(n, -1),
                 style=torch.full((n,), style, dtype=torch.long), clips=list(range(n)))


def reference_batches(clips: list[dict], steps: int, *, max_frames: int = 3000, seed: int = 0) -> Iterator[list[dict]]:
    """``steps`` lists of clips: from a random start in length order, neighbours until
    ``max_frames`` frames (always at least one clip)."""
    rng = np.random.default_rng(seed)
    order = np.argsort([len(c["mel"]) for c in clips])
    for _ in range(steps):
        chosen, frames = [], 0
        for index in np.roll(order, -int(rng.integers(0, len(order)))):
            if chosen and frames + len(clips[index]["mel"]) > max_frames:
                break
            chosen.append(clips[index])
            frames += len(clips[index]["mel"])
        yield chosen


def _frozen(model) -> int:
    """Put ``model`` in eval mode with no gradients; the index of its neutral style."""
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model.config.styles.index("neutral") if "neutral" in model.config.styles else 0


def _loss(out, batch) -> tuple[torch.Tensor, float]:
    from tts_moe.acoustic.losses import loss_terms

    terms = loss_terms(out, batch, binarize=False)
    return terms["mel"] + terms["duration"] + terms["pitch"] + terms["energy"], float(terms["mel"].detach())


def adapt_speaker(model, clips: list[dict], *, steps: int = 150, lr: float = 0.05, max_frames: int = 3000,
                  seed: int = 0, progress: Progress | None = None) -> tuple[torch.Tensor, float]:
    """Learn a speaker vector ``(speaker_dim,)`` for ``clips`` with ``model`` frozen; returns
    it and the last step's mel L1."""
    neutral = _frozen(model)
    speaker = model.speaker_embedding.weight.detach().mean(0).clone().requires_grad_(True)
    optimizer = torch.optim.Adam([speaker], lr=lr)
    mel_loss = float("nan")
    for step, chosen in enumerate(reference_batches(clips, steps, max_frames=max_frames, seed=seed)):
        batch = reference_batch(chosen, speaker[None], neutral)
        loss, mel_loss = _loss(model(**batch.model_inputs()), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if progress is not None:
            progress(step, mel_loss)
    return speaker.detach(), mel_loss


def train_adapter(model, clips: list[dict], speaker: torch.Tensor, config: AdapterConfig = AdapterConfig(), *,
                  max_frames: int = 3000, seed: int = 0,
                  progress: Progress | None = None) -> tuple[VoiceAdapter, torch.Tensor, float]:
    """Learn a :class:`VoiceAdapter` for ``clips`` (and go on adapting ``speaker``
    ``(speaker_dim,)``) with ``model`` frozen; returns the adapter, the speaker vector and the
    last step's mel L1."""
    from torch.func import functional_call

    neutral = _frozen(model)
    adapter = VoiceAdapter.create(model, config, seed=seed).requires_grad_(True)
    speaker = speaker.detach().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([{"params": adapter.parameters(), "lr": config.lr},
                                  {"params": [speaker], "lr": config.speaker_lr}])
    mel_loss = float("nan")
    for step, chosen in enumerate(reference_batches(clips, config.steps, max_frames=max_frames, seed=seed + 1)):
        batch = reference_batch(chosen, speaker[None], neutral)
        out = functional_call(model, adapter.merged(model), kwargs=batch.model_inputs(), strict=False)
        loss, mel_loss = _loss(out, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if progress is not None:
            progress(step, mel_loss)
    return adapter.requires_grad_(False), speaker.detach(), mel_loss
