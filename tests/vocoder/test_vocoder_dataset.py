"""Corpus reading, held-out split, seeded batches and predicted-mel folders."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from tts_moe.audio import MelConfig, load_audio, log_mel
from tts_moe.errors import InputError
from vocoder.dataset import SegmentDataset, load_corpus_clips


def test_split_is_stable_and_disjoint(corpus):
    train, held, manifest = load_corpus_clips(corpus)
    again, held_again, _ = load_corpus_clips(corpus)
    assert [c.id for c in train] == [c.id for c in again] and held == held_again
    assert len(held) >= 1 and not {c.id for c in train} & {c.id for c in held}
    assert manifest["kind"] == "training"
    train, held, _ = load_corpus_clips(corpus, holdout_speakers=("spk1",))
    assert {c.speaker for c in train} == {"spk0"} and {c.speaker for c in held} >= {"spk1"}


def test_reserved_corpus_is_refused(tmp_path, corpus_factory):
    folder = corpus_factory(tmp_path / "c", clips=2)
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "kind": "reserved", "reserved": True}))
    with pytest.raises(InputError, match="reserved"):
        load_corpus_clips(folder)


def test_batches_are_a_function_of_seed_and_step(corpus):
    train, _, _ = load_corpus_clips(corpus)
    data = SegmentDataset(train, MelConfig(), 20)
    mel, audio = data.batch(seed=3, step=5, batch_size=4)
    assert mel.shape == (4, 80, 20) and audio.shape == (4, 20 * 256)
    fresh = SegmentDataset(train, MelConfig(), 20)
    assert torch.equal(fresh.batch(3, 5, 4)[1], audio)
    assert not torch.equal(data.batch(3, 6, 4)[1], audio)
    assert not torch.equal(data.batch(4, 5, 4)[1], audio)


def test_segments_are_aligned_slices_of_the_whole_clip(corpus):
    train, _, _ = load_corpus_clips(corpus)
    data = SegmentDataset(train[:1], MelConfig(), 16)
    mel, audio = data.batch(0, 0, 1)
    full = load_audio(train[0].path)
    whole_mel = log_mel(full)
    start = next(s for s in range(whole_mel.shape[1] - 15)
                 if torch.allclose(whole_mel[:, s:s + 16], mel[0], atol=1e-2))
    assert np.allclose(full[start * 256:(start + 16) * 256], audio[0].numpy())


def test_short_clips_are_padded(corpus):
    train, _, _ = load_corpus_clips(corpus)
    mel, audio = SegmentDataset(train, MelConfig(), 200).batch(0, 0, 2)
    assert mel.shape == (2, 80, 200) and audio.shape == (2, 200 * 256)
    assert float(mel[0, :, -1].max()) == pytest.approx(np.log(1e-5))
    assert float(audio[0, -256:].abs().max()) == 0.0


def test_predicted_mels_replace_computed_ones(corpus, tmp_path):
    train, _, _ = load_corpus_clips(corpus)
    for index, clip in enumerate(train):
        mel = log_mel(load_audio(clip.path)) + 1.0
        if index % 2:
            np.save(tmp_path / f"{clip.id}.npy", mel.numpy())
        else:
            save_file({"mel": mel.contiguous()}, str(tmp_path / f"{clip.id}.safetensors"))
    predicted = SegmentDataset(train, MelConfig(), 20, mel_dir=tmp_path)
    computed = SegmentDataset(train, MelConfig(), 20)
    (pm, pa), (cm, ca) = predicted.batch(0, 1, 3), computed.batch(0, 1, 3)
    assert torch.equal(pa, ca) and torch.allclose(pm, cm + 1.0, atol=2e-2)


def test_predicted_mel_problems(corpus, tmp_path):
    train, _, _ = load_corpus_clips(corpus)
    with pytest.raises(InputError, match="have no predicted mel"):
        SegmentDataset(train, MelConfig(), 20, mel_dir=tmp_path)
    np.save(tmp_path / f"{train[0].id}.npy", np.zeros((80, 5), np.float32))
    data = SegmentDataset(train[:1], MelConfig(), 20, mel_dir=tmp_path)
    with pytest.raises(InputError, match="not aligned"):
        data.batch(0, 0, 1)
    np.save(tmp_path / f"{train[0].id}.npy", np.zeros((40, 5), np.float32))
    with pytest.raises(InputError, match="n_mels=80"):
        SegmentDataset(train[:1], MelConfig(), 20, mel_dir=tmp_path).batch(0, 0, 1)
    mixed = SegmentDataset(train[1:], MelConfig(), 20, mel_dir=tmp_path, allow_missing_mels=True)
    assert mixed.batch(0, 0, 2)[0].shape == (2, 80, 20)


def test_pitch_batch_matches_the_segments_of_batch(corpus, monkeypatch):
    train, _, _ = load_corpus_clips(corpus)
    data = SegmentDataset(train, MelConfig(), 20)
    log_f0, voiced = data.pitch_batch(seed=3, step=5, batch_size=4)
    assert log_f0.shape == voiced.shape == (4, 20)
    for row, (clip, start) in enumerate(data.segments(seed=3, step=5, batch_size=4)):
        track, flags = data.clip_pitch(clip)
        assert torch.equal(log_f0[row], track[start : start + 20])
        assert torch.equal(voiced[row], flags[start : start + 20])


def test_a_clip_without_an_f0_track_gets_the_mean_f0_unvoiced(corpus, monkeypatch):
    """frame_pitch returns zeros when it finds fewer than two voiced F0 frames, even if one
    mel frame is flagged voiced: that must not become a 1 Hz training target."""
    import tts_moe.acoustic.features as features
    from vocoder.harmonic import LOG_F0_MEAN

    def one_voiced_frame(audio, frames, hop, sample_rate):
        voiced = np.zeros(frames, dtype=np.uint8)
        voiced[0] = 1
        return np.zeros(frames, dtype=np.float32), voiced

    monkeypatch.setattr(features, "frame_pitch", one_voiced_frame)
    train, _, _ = load_corpus_clips(corpus)
    log_f0, voiced = SegmentDataset(train, MelConfig(), 20).clip_pitch(train[0])
    assert torch.allclose(log_f0, torch.full_like(log_f0, LOG_F0_MEAN)) and not voiced.any()


def test_saved_pitch_tracks_are_reused_without_recomputing(corpus, tmp_path, monkeypatch):
    from dataclasses import replace

    import tts_moe.acoustic.features as features

    clips, _, _ = load_corpus_clips(corpus)
    first = SegmentDataset(clips, MelConfig(), 20)
    tracks = {clip.id: first.clip_pitch(clip) for clip in clips}
    assert first.save_pitch(tmp_path / "pitch.npz") == len(clips)

    def no_yin(*args, **kwargs):
        raise AssertionError("the YIN pass ran for a saved clip")

    monkeypatch.setattr(features, "frame_pitch", no_yin)
    again = SegmentDataset(clips[:3], MelConfig(), 20)  # only this dataset's clips are taken
    assert again.load_pitch(tmp_path / "pitch.npz") == 3
    for clip in clips[:3]:
        log_f0, voiced = again.clip_pitch(clip)
        assert torch.equal(log_f0, tracks[clip.id][0]) and torch.equal(voiced, tracks[clip.id][1])
    other_analysis = SegmentDataset(clips, replace(MelConfig(), f_max=7000.0), 20)
    assert other_analysis.load_pitch(tmp_path / "pitch.npz") == 0
    touched = clips[0].path
    os.utime(touched, ns=(os.stat(touched).st_atime_ns, os.stat(touched).st_mtime_ns + 10**9))
    assert SegmentDataset(clips[:3], MelConfig(), 20).load_pitch(tmp_path / "pitch.npz") == 2  # re-rendered audio
    (tmp_path / "broken.npz").write_bytes(b"not a zip file")
    assert again.load_pitch(tmp_path / "broken.npz") == 0 and again.load_pitch(tmp_path / "absent.npz") == 0


def test_a_saved_track_of_the_wrong_length_is_recomputed(corpus, tmp_path):
    clips, _, _ = load_corpus_clips(corpus)
    data = SegmentDataset(clips[:1], MelConfig(), 20)
    good = data.clip_pitch(clips[0])
    data._pitch[clips[0].id] = (good[0][:-2], good[1][:-2])  # e.g. the clip's audio was re-rendered
    data.save_pitch(tmp_path / "pitch.npz")
    fresh = SegmentDataset(clips[:1], MelConfig(), 20)
    assert fresh.load_pitch(tmp_path / "pitch.npz") == 1
    assert torch.equal(fresh.clip_pitch(clips[0])[0], good[0])


def test_a_shared_pitch_cache_keeps_the_tracks_of_other_runs_clips(corpus, tmp_path):
    clips, _, _ = load_corpus_clips(corpus)
    shared = tmp_path / "shared.npz"
    first = SegmentDataset(clips[:2], MelConfig(), 20)  # e.g. a run holding other clips out
    kept = first.clip_pitch(clips[0])
    first.clip_pitch(clips[1])
    assert first.save_pitch(shared, keep_others=True) == 2
    second = SegmentDataset(clips[1:4], MelConfig(), 20)
    for clip in clips[1:4]:
        second.clip_pitch(clip)
    assert second.save_pitch(shared, keep_others=True) == 4  # its own three + clips[0] from the first run
    assert second.save_pitch(tmp_path / "own.npz") == 3  # a run folder's copy holds only its clips
    reader = SegmentDataset(clips[:4], MelConfig(), 20)
    assert reader.load_pitch(shared) == 4
    assert torch.equal(reader.clip_pitch(clips[0])[0], kept[0])


def test_a_second_pitch_file_only_fills_gaps(corpus, tmp_path):
    clips, _, _ = load_corpus_clips(corpus)
    first = SegmentDataset(clips[:2], MelConfig(), 20)
    for clip in clips[:2]:
        first.clip_pitch(clip)
    first.save_pitch(tmp_path / "both.npz")
    only_first = SegmentDataset(clips[:1], MelConfig(), 20)
    only_first.clip_pitch(clips[0])
    only_first.save_pitch(tmp_path / "one.npz")
    reader = SegmentDataset(clips[:2], MelConfig(), 20)
    assert reader.load_pitch(tmp_path / "one.npz") == 1
    assert reader.load_pitch(tmp_path / "both.npz") == 1  # clips[0] is already held
