"""Ground-truth-aligned mels for vocoder fine-tuning (tts_moe/acoustic/predict_mels.py)."""

from __future__ import annotations

import numpy as np

from tests.acoustic.test_acoustic_train import options
from tts_moe.acoustic.export import export_run
from tts_moe.acoustic.predict_mels import predict_corpus_mels
from tts_moe.acoustic.train import train
from tts_moe.audio import MelConfig, load_audio
from tts_moe.corpus.metadata import load_metadata
from vocoder.dataset import load_predicted_mel


def test_mels_line_up_with_the_audio_and_the_vocoder_reads_them(corpus, tmp_path):
    train(options(corpus, tmp_path / "run", steps=2), log=lambda _: None)
    export_run(tmp_path / "run", tmp_path / "weights")
    out = tmp_path / "mels"
    summary = predict_corpus_mels(corpus, out, weights=tmp_path / "weights", max_frames=300,
                                  cache_dir=tmp_path / "cache", log=lambda _: None)
    records = load_metadata(corpus, repair=False)
    assert summary["written"] == len(records) and np.isfinite(summary["mean_l1"])
    hop = MelConfig().hop_length
    for clip_id, record in records.items():
        mel = np.load(out / f"{clip_id}.npy")
        assert mel.dtype == np.float16 and mel.shape == (80, len(load_audio(corpus / record["path"])) // hop + 1)
        assert load_predicted_mel(out, clip_id, 80).shape == mel.shape
    # a second run keeps what exists
    again = predict_corpus_mels(corpus, out, weights=tmp_path / "weights", cache_dir=tmp_path / "cache",
                                log=lambda _: None)
    assert again["written"] == 0
