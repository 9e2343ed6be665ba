"""Fixtures of the acoustic-model tests: a tiny corpus folder and a tiny config."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tts_moe.acoustic.config import AcousticConfig
from tts_moe.audio import SAMPLE_RATE, write_audio
from tts_moe.text.symbols import SymbolTable

PHRASES = ("həlˈoʊ wˈɜːld.", "ðɪs ɪz ɐ tˈɛst.", "ɡˈʊd mˈɔːɹnɪŋ!", "wˈʌn tˈuː θɹˈiː.")


def make_corpus(folder: Path, clips: int = 8, seed: int = 0) -> Path:
    """A corpus folder in the layout of ``tts-moe corpus build``: harmonic tones whose
    length follows the phoneme count, two speakers, two styles."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for index in range(clips):
        speaker, style = f"spk{index % 2}", ("neutral", "fast")[(index // 2) % 2]
        phonemes = PHRASES[index % len(PHRASES)]
        seconds = 0.06 * len(phonemes) * (0.8 if style == "fast" else 1.0) + 0.2
        t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        f0 = 120 + 60 * (index % 2) + 20 * np.sin(2 * np.pi * 2 * t)
        phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
        audio = sum(np.sin(k * phase) / k for k in range(1, 6)) * 0.2 + 0.01 * rng.standard_normal(t.size)
        path = f"audio/{speaker}/{style}/t{index:03d}.flac"
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        write_audio(folder / path, audio.astype(np.float32), format="flac")
        records.append({"id": f"{speaker}__{style}__t{index:03d}", "speaker": speaker, "style": style,
                        "path": path, "duration": seconds, "text_id": f"t{index:03d}", "text": "x",
                        "phonemes": phonemes, "language": "en-us"})
    (folder / "metadata.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                           encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps(
        {"kind": "training", "reserved": False, "texts": "train", "speakers": [],
         "hours_built": sum(r["duration"] for r in records) / 3600}))
    return folder


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("acoustic-corpus"))


TINY = dict(dim=16, heads=2, encoder_layers=2, decoder_layers=1, ffn_hidden=32, speaker_dim=4, style_dim=4,
            moe_layers=(1,), num_experts=4, top_k=2, expert_hidden=8, predictor_hidden=16, aligner_dim=8,
            dropout=0.0)


@pytest.fixture()
def tiny_config() -> AcousticConfig:
    return AcousticConfig(speakers=["spk0", "spk1"], styles=["neutral", "fast", "whisper"],
                          n_symbols=len(SymbolTable()), **TINY)
