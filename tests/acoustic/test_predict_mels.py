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


def test_the_folder_names_its_acoustic_weights_and_refuses_a_mix(corpus, tmp_path):
    import json

    import pytest

    from tts_moe.acoustic.loader import fingerprint, load_model
    from tts_moe.acoustic.mel_source import SOURCE_NAME, read_mel_source
    from tts_moe.errors import InputError

    for name, seed in (("a", 0), ("b", 1)):
        train(options(corpus, tmp_path / f"run-{name}", steps=1, seed=seed), log=lambda _: None)
        export_run(tmp_path / f"run-{name}", tmp_path / f"weights-{name}")
    out = tmp_path / "mels"
    kw = dict(cache_dir=tmp_path / "cache", limit=2, log=lambda _: None)
    predict_corpus_mels(corpus, out, weights=tmp_path / "weights-a", **kw)
    source = read_mel_source(out)
    assert source["acoustic_fingerprint"] == fingerprint(load_model(tmp_path / "weights-a"))
    assert source["acoustic_fingerprint"] != fingerprint(load_model(tmp_path / "weights-b"))
    before = sorted(p.name for p in out.glob("*.npy"))
    with pytest.raises(InputError, match="holds mels of other acoustic weights"):
        predict_corpus_mels(corpus, out, weights=tmp_path / "weights-b", **kw)
    assert sorted(p.name for p in out.glob("*.npy")) == before and read_mel_source(out) == source
    # --overwrite replaces the whole folder's mels, never leaving the other model's beside them
    predict_corpus_mels(corpus, out, weights=tmp_path / "weights-b", overwrite=True,
                        cache_dir=tmp_path / "cache", limit=1, log=lambda _: None)
    assert len(list(out.glob("*.npy"))) == 1
    assert read_mel_source(out)["acoustic_fingerprint"] == fingerprint(load_model(tmp_path / "weights-b"))
    # a folder of mels from before sources were recorded is refused too, unless adopted
    (out / SOURCE_NAME).unlink()
    (out / "notes.npy").write_bytes(b"not a clip of the corpus")
    with pytest.raises(InputError, match="unknown origin.*--adopt"):
        predict_corpus_mels(corpus, out, weights=tmp_path / "weights-b", **kw)
    adopted = predict_corpus_mels(corpus, out, weights=tmp_path / "weights-b", adopt=True, **kw)
    assert adopted["written"] == 1  # the adopted clip is kept, the second of limit=2 is added
    assert read_mel_source(out)["adopted_files"] == 1
    # overwriting for other weights deletes only the corpus' clips, never other files
    predict_corpus_mels(corpus, out, weights=tmp_path / "weights-a", overwrite=True, **kw)
    assert (out / "notes.npy").read_bytes() == b"not a clip of the corpus"
    assert len(list(out.glob("*.npy"))) == 3
    (out / SOURCE_NAME).write_text(json.dumps([1]), encoding="utf-8")
    with pytest.raises(InputError, match="not a JSON object"):
        read_mel_source(out)
