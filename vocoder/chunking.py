"""Chunked synthesis of long mels with context overlap and a raised-cosine crossfade.

The mel is cut into cores of ``chunk_frames`` frames. Each core is synthesised together
with ``overlap_frames`` of context on each side; around every core border, the two
neighbouring chunks are crossfaded over ``crossfade_frames * hop`` samples (sin^2/cos^2
weights that sum to one). Because the generator has a finite receptive field
(:attr:`VocoderConfig.receptive_field_frames`, R), every sample computed at least R frames
away from a chunk's cut edge is exactly what whole-utterance synthesis gives; with the
default ``overlap_frames = R + crossfade_frames // 2 + 1`` the crossfade region lies inside
that exact zone on both sides, so chunked output equals whole output to float precision and
the crossfade only matters if a caller picks a smaller overlap.

``generate`` also receives the chunk's :class:`ChunkSpan` (absolute frame indices), which a
stateful generator needs: the harmonic head anchors each chunk's source phase at its core's
first frame (:class:`vocoder.harmonic.PhaseChain`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import NamedTuple

import torch

from tts_moe.errors import InputError

DEFAULT_CHUNK_FRAMES = 1024  # 16.4 s at 16 kHz, hop 256: ~6 % recomputed context
DEFAULT_CROSSFADE_FRAMES = 4


class ChunkSpan(NamedTuple):
    """Absolute mel frames of one chunk: it covers ``[start, end)`` and owns ``[core_start,
    core_end)``."""

    start: int
    core_start: int
    core_end: int
    end: int


def default_overlap(receptive_field_frames: int, crossfade_frames: int) -> int:
    return receptive_field_frames + math.ceil(crossfade_frames / 2) + 1


def core_borders(frames: int, chunk_frames: int, crossfade_frames: int) -> list[int]:
    """Frame indices where cores start, plus ``frames`` at the end; a last core shorter than
    the crossfade is merged into the one before."""
    borders = list(range(0, frames, chunk_frames)) + [frames]
    if len(borders) > 2 and borders[-1] - borders[-2] < max(crossfade_frames, 1):
        del borders[-2]
    return borders


def iter_chunks(
    generate: Callable[[torch.Tensor, ChunkSpan], torch.Tensor],
    mel: torch.Tensor,
    hop: int,
    *,
    chunk_frames: int = DEFAULT_CHUNK_FRAMES,
    overlap_frames: int,
    crossfade_frames: int = DEFAULT_CROSSFADE_FRAMES,
) -> Iterator[torch.Tensor]:
    """Yield consecutive audio pieces ``(batch, samples)`` for mel ``(batch, n_mels, frames)``.

    ``generate`` maps a mel slice ``(batch, n_mels, f)`` and its :class:`ChunkSpan` to audio
    ``(batch, f * hop)``. The
    pieces concatenate to ``frames * hop`` samples, like whole-utterance synthesis.
    """
    if chunk_frames < 1 or overlap_frames < 0 or crossfade_frames < 0:
        raise InputError(
            f"chunk_frames must be >= 1 and overlap/crossfade >= 0 (got {chunk_frames}, "
            f"{overlap_frames}, {crossfade_frames})"
        )
    crossfade_frames = min(crossfade_frames, chunk_frames, 2 * overlap_frames)
    frames = mel.shape[-1]
    borders = core_borders(frames, chunk_frames, crossfade_frames)
    half = crossfade_frames * hop // 2
    width = 2 * half
    fade_in = torch.sin(0.5 * math.pi * (torch.arange(width) + 0.5) / max(width, 1)) ** 2
    tail = None  # previous chunk's samples over the next crossfade region
    for k in range(len(borders) - 1):
        core_start, core_end = borders[k], borders[k + 1]
        first, last = k == 0, k == len(borders) - 2
        start = max(0, core_start - overlap_frames)
        end = min(frames, core_end + overlap_frames)
        audio = generate(mel[..., start:end], ChunkSpan(start, core_start, core_end, end))
        offset = start * hop  # sample index of audio[..., 0]
        own_from = core_start * hop + (0 if first else half)
        own_to = core_end * hop - (0 if last else half)
        if not first:
            head = audio[..., own_from - width - offset : own_from - offset]
            yield tail * (1 - fade_in) + head * fade_in
        yield audio[..., own_from - offset : own_to - offset]
        if not last:
            tail = audio[..., own_to - offset : own_to + width - offset]
