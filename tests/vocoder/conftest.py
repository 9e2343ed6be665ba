"""Fixtures of the vocoder tests: a tiny synthetic corpus folder and a tiny config."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tts_moe.audio import SAMPLE_RATE, write_audio
from vocoder.config import VocoderConfig


def make_corpus(folder: Path, clips: int = 6, seconds: float = 1.2, seed: int = 0) -> Path:
    """A corpus folder in the layout of ``tts-moe corpus build`` with harmonic test tones."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for index in range(clips):
        speaker = f"spk{index % 2}"
        clip_id = f"{speaker}__neutral__t{index:03d}"
        path = f"audio/{speaker}/neutral/t{index:03d}.flac"
        t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        f0 = 110 + 40 * index + 20 * np.sin(2 * np.pi * 3 * t)
        phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
        audio = sum(np.sin(k * phase) / k for k in range(1, 8)) * 0.2
        audio = audio + 0.01 * rng.standard_normal(t.size)
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        write_audio(folder / path, audio.astype(np.float32), format="flac")
        records.append({"id": clip_id, "speaker": speaker, "style": "neutral", "path": path,
                        "duration": seconds})
    (folder / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "manifest.json").write_text(json.dumps(
        {"kind": "training", "reserved": False, "texts": "train", "speakers": [],
         "hours_built": clips * seconds / 3600}))
    return folder


@pytest.fixture(scope="session")
def corpus_factory():
    """``corpus_factory(folder, clips=6, seconds=1.2)`` writes another corpus folder."""
    return make_corpus


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("vocoder-corpus"))


@pytest.fixture()
def tiny_config() -> VocoderConfig:
    return VocoderConfig(dim=16, intermediate_dim=32, num_layers=2)
