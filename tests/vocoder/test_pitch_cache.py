"""vocoder/pitch_cache.py and `tts-moe vocoder pitch`: a corpus' pitch tracks filled up front."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tts_moe.audio import MelConfig
from tts_moe.errors import InputError
from vocoder.dataset import SegmentDataset, load_corpus_clips
from vocoder.pitch_cache import fill_pitch_cache


def test_two_jobs_compute_every_track_a_training_dataset_then_reuses(corpus, tmp_path, monkeypatch):
    cache = tmp_path / "pitch.npz"
    summary = fill_pitch_cache(corpus, cache, jobs=2, log=lambda _: None)
    clips, held, _ = load_corpus_clips(corpus)
    assert summary["clips"] == len(clips) + len(held) and summary["computed"] == summary["clips"]
    assert summary["reused"] == 0 and cache.is_file()
    data = SegmentDataset(clips, MelConfig(), 20)  # what a training run on the corpus builds
    assert data.load_pitch(cache) == len(clips)
    fresh = SegmentDataset(clips, MelConfig(), 20)
    for clip in clips:  # the same tracks as computing them in the run
        assert torch.equal(data.clip_pitch(clip)[0], fresh.clip_pitch(clip)[0])
        assert torch.equal(data.clip_pitch(clip)[1], fresh.clip_pitch(clip)[1])

    import tts_moe.acoustic.features as features

    monkeypatch.setattr(features, "frame_pitch", lambda *a, **k: pytest.fail("a cached clip was analysed again"))
    again = fill_pitch_cache(corpus, cache, jobs=2, log=lambda _: None)
    assert (again["computed"], again["reused"]) == (0, summary["clips"])


def test_tracks_of_another_corpus_in_the_cache_are_kept(corpus, corpus_factory, tmp_path):
    other = corpus_factory(tmp_path / "other", clips=2, seed=3)
    metadata = other / "metadata.jsonl"
    metadata.write_text(metadata.read_text().replace('"id": "', '"id": "other-'))
    cache = tmp_path / "shared.npz"
    fill_pitch_cache(other, cache, jobs=1, log=lambda _: None)
    summary = fill_pitch_cache(corpus, cache, jobs=1, log=lambda _: None)
    with np.load(cache) as saved:
        ids = set(saved["ids"].tolist())
    assert len(ids) == summary["clips"] + 2 and {"other-spk0__neutral__t000", "other-spk1__neutral__t001"} <= ids
    assert not list(tmp_path.glob(".pitch-*"))  # no scratch folder left behind


def test_bad_arguments_are_refused(corpus, tmp_path):
    with pytest.raises(InputError, match="--jobs"):
        fill_pitch_cache(corpus, tmp_path / "p.npz", jobs=0)
    with pytest.raises(InputError, match="folder of the pitch cache"):
        fill_pitch_cache(corpus, tmp_path / "absent" / "p.npz")


def test_cli_writes_the_cache(corpus, tmp_path, capsys):
    from tts_moe.cli import main

    assert main(["vocoder", "pitch", str(corpus), "--cache", str(tmp_path / "c.npz"), "--jobs", "1", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["computed"] == summary["clips"] > 0 and (tmp_path / "c.npz").is_file()
