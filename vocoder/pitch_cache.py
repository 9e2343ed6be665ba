"""Fill a corpus' pitch-track cache (``--pitch-cache``) before training, in parallel.

The harmonic head trains against each clip's YIN track (:meth:`SegmentDataset.clip_pitch`),
computed on first use: on a fresh machine the first ~1,500 steps of a 10-hour corpus run at
about half speed while the tracks fill. ``tts-moe vocoder pitch CORPUS --cache FILE --jobs 2``
computes every missing track up front, one process per job, and writes the same file
``tts-moe vocoder train --pitch-cache FILE`` reads (tracks already in it are kept and skipped).
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

from tts_moe.audio import MelConfig
from tts_moe.errors import InputError
from vocoder.dataset import Clip, SegmentDataset, load_corpus_clips

_SEGMENT_FRAMES = 64  # unused by the pitch pass; a dataset needs one


def _pitch_dataset(clips: list[Clip], mel_config: MelConfig) -> SegmentDataset:
    """A dataset used only for its pitch tracks (a small feature cache: each clip is read once)."""
    return SegmentDataset(clips, mel_config, _SEGMENT_FRAMES, cache_mb=64)


def corpus_dataset(corpus: str | os.PathLike, mel_config: MelConfig) -> SegmentDataset:
    """Every clip of a training corpus (no held-out split: a shared cache serves all runs)."""
    clips, _, _ = load_corpus_clips(corpus, holdout_fraction=0.0, minimum_holdout=0)
    return _pitch_dataset(clips, mel_config)


def _track_part(clips: list[Clip], mel_config: MelConfig, out: str) -> int:
    """Worker: compute the tracks of ``clips`` and save them to ``out`` (one thread)."""
    import torch

    torch.set_num_threads(1)
    data = _pitch_dataset(clips, mel_config)
    for clip in clips:
        data.clip_pitch(clip)
    return data.save_pitch(out)


def fill_pitch_cache(corpus: str | os.PathLike, cache: str | os.PathLike, *, jobs: int = 2,
                     mel_config: MelConfig | None = None, log: Callable[[str], None] = print) -> dict:
    """Compute the YIN track of every clip of ``corpus`` missing from ``cache`` with ``jobs``
    processes and write ``cache`` (atomically; other clips' tracks in it are kept). Returns
    ``{"clips", "reused", "computed", "seconds", "cache"}``."""
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}")
    mel_config = mel_config or MelConfig()
    cache = Path(cache)
    if not cache.parent.is_dir():
        raise InputError(f"folder of the pitch cache not found: {cache.parent}")
    start = time.perf_counter()
    data = corpus_dataset(corpus, mel_config)
    reused = data.load_pitch(cache) if cache.is_file() else 0
    missing = data.clips_without_pitch()
    log(f"{len(data.clips)} clips: {reused} tracks already in {cache}, {len(missing)} to compute with {jobs} job(s)")
    if missing:
        with tempfile.TemporaryDirectory(prefix=".pitch-", dir=cache.parent) as scratch:
            parts = [(missing[k::jobs], mel_config, str(Path(scratch) / f"part{k}.npz")) for k in range(jobs)]
            parts = [part for part in parts if part[0]]
            if len(parts) == 1:
                _track_part(*parts[0])
            else:
                with multiprocessing.get_context("spawn").Pool(len(parts)) as pool:
                    pool.starmap(_track_part, parts)
            for _, _, path in parts:
                data.load_pitch(path)
    data.save_pitch(cache, keep_others=True)
    return {"clips": len(data.clips), "reused": reused, "computed": len(missing),
            "seconds": round(time.perf_counter() - start, 1), "cache": str(cache)}
