"""Fixtures of the watermark tests: a tiny speech-like corpus and tiny networks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tts_moe.audio import SAMPLE_RATE, write_audio


def speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    """Harmonic tone with a wobbling pitch and a syllable-rate envelope, float32 (time,)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    f0 = 120 + 30 * rng.random() + 20 * np.sin(2 * np.pi * 3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    audio = sum(np.sin(k * phase) / k for k in range(1, 12)) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
    return (0.15 * audio + 0.005 * rng.standard_normal(t.size)).astype(np.float32)


def make_corpus(folder: Path, clips: int = 5, seconds: float = 0.8) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for index in range(clips):
        path = f"audio/spk{index % 2}/neutral/t{index:03d}.flac"
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        write_audio(folder / path, speechlike(seconds, index), format="flac")
        records.append({"id": f"spk{index % 2}__neutral__t{index:03d}", "speaker": f"spk{index % 2}",
                        "path": path, "duration": seconds})
    (folder / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "manifest.json").write_text(json.dumps(
        {"kind": "training", "reserved": False, "texts": "train", "speakers": [], "hours_built": 0.001}))
    return folder


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("watermark-corpus"))


@pytest.fixture(scope="session")
def speech():
    """``speech(seconds, seed=0)``: a speech-like float32 clip ``(time,)``."""
    return speechlike
