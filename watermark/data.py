"""Training audio: random fixed-length segments from a corpus folder.

A corpus folder is what ``tts-moe corpus build`` writes (``manifest.json``,
``metadata.jsonl`` with ``id``/``speaker``/``path`` per clip); reserved or test-text corpora
are refused. Clips are split into train and held-out by a stable hash of their id. A batch
is a pure function of ``(seed, step)``, so a resumed run sees the batches an uninterrupted
run would have seen.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

from tts_moe.audio import SAMPLE_RATE, load_audio
from tts_moe.corpus.metadata import load_metadata, require_training_corpus
from tts_moe.errors import InputError

PCM_SCALE = 32768


def _bucket(clip_id: str) -> float:
    return int(hashlib.sha1(clip_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def corpus_paths(corpus: str | os.PathLike, holdout_fraction: float = 0.02) -> tuple[list[Path], list[Path], dict]:
    """(train audio paths, held-out audio paths, manifest) of a training corpus."""
    corpus = Path(corpus)
    if not corpus.is_dir():
        raise InputError(f"corpus folder not found: {corpus}")
    manifest = require_training_corpus(corpus)
    records = load_metadata(corpus, repair=False)
    if not records:
        raise InputError(f"{corpus} holds no clips (metadata.jsonl missing or empty)")
    ordered = sorted(records.values(), key=lambda r: r["id"])
    held = [corpus / r["path"] for r in ordered if _bucket(r["id"]) < holdout_fraction]
    if not held and len(ordered) > 1:
        held = [corpus / min(ordered, key=lambda r: _bucket(r["id"]))["path"]]
    held_set = set(held)
    train = [corpus / r["path"] for r in ordered if corpus / r["path"] not in held_set]
    if not train:
        raise InputError(f"{corpus}: no training clips left after holding out {len(held)}")
    return train, held, manifest


class Segments:
    """Random segments ``(batch, samples)`` of the clips at ``paths``; loaded clips are
    cached as 16-bit audio up to ``cache_mb``."""

    def __init__(self, paths: list[Path], samples: int, *, cache_mb: float = 1024.0) -> None:
        if not paths:
            raise InputError("no clips to train on")
        self.paths, self.samples = paths, samples
        self._cache: OrderedDict[Path, torch.Tensor] = OrderedDict()
        self._bytes, self._limit = 0, int(cache_mb * 2**20)

    def clip(self, path: Path) -> torch.Tensor:
        """The whole clip ``(time,)`` float32 (through the 16-bit cache, so it never depends
        on cache state)."""
        if path not in self._cache:
            audio = torch.from_numpy(load_audio(path, SAMPLE_RATE, allow_silent=True))
            stored = (audio * PCM_SCALE).round().clamp(-PCM_SCALE, PCM_SCALE - 1).short()
            self._cache[path] = stored
            self._bytes += 2 * stored.numel()
            while self._bytes > self._limit and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._bytes -= 2 * old.numel()
        self._cache.move_to_end(path)
        return self._cache[path].float() / PCM_SCALE

    def batch(self, seed: int, step: int, batch_size: int) -> torch.Tensor:
        """The batch of ``(seed, step)``: ``(batch_size, samples)``; short clips are zero-padded."""
        rng = np.random.default_rng([seed, step])
        picks = rng.integers(0, len(self.paths), size=batch_size)
        draws = rng.random(batch_size)
        out = torch.zeros(batch_size, self.samples)
        for row, (index, draw) in enumerate(zip(picks, draws)):
            audio = self.clip(self.paths[int(index)])
            start = int(draw * max(0, audio.numel() - self.samples + 1))
            piece = audio[start : start + self.samples]
            out[row, : piece.numel()] = piece
        return out
