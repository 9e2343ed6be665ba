"""bench.speech_metrics: MCD with DTW, F0 RMSE, durations, WER and the pretrained judges."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import _judges
from bench._dtw import dtw, edit_operations
from bench.speech_metrics import (
    align,
    compare,
    corpus_wer,
    duration_error,
    f0_rmse,
    mel_cepstral_distortion,
    phone_frames_from_timings,
    wer_words,
    word_error_rate,
)
from tts_moe import asr
from tts_moe.errors import AudioError, InputError, MissingDependencyError

SR = 16_000
# (seconds, F0 Hz, (F1, F2) Hz): vowel-like harmonic segments with distinct spectra
SEGMENTS = [(0.25, 120, (300, 2300)), (0.25, 160, (700, 1200)), (0.25, 200, (500, 900)),
            (0.25, 140, (400, 2000)), (0.25, 180, (800, 1500))]


def vowels(segments=SEGMENTS, stretch: float = 1.0) -> np.ndarray:
    """Concatenated harmonic segments, each ``stretch`` times its nominal length."""
    parts = []
    for seconds, f0, formants in segments:
        t = np.arange(int(round(seconds * stretch * SR))) / SR
        harmonics = np.arange(1, int(7000 / f0) + 1) * f0
        envelope = sum(np.exp(-(((harmonics - f) / 150.0) ** 2)) for f in formants) + 0.02
        parts.append((envelope[:, None] * np.sin(2 * np.pi * harmonics[:, None] * t)).sum(0))
    audio = np.concatenate(parts)
    return (0.5 * audio / np.abs(audio).max()).astype(np.float32)


def tone(hz: float, seconds: float = 1.0) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * hz * np.arange(int(seconds * SR)) / SR)).astype(np.float32)


def with_noise(audio: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(audio.size)
    noise *= np.sqrt(np.mean(audio**2) / np.mean(noise**2)) * 10 ** (-snr_db / 20)
    return (audio + noise).astype(np.float32)


# ---------------------------------------------------------------------------------- DTW
def naive_dtw_cost(cost: np.ndarray) -> float:
    total = np.full((cost.shape[0] + 1, cost.shape[1] + 1), np.inf)
    total[0, 0] = 0.0
    for i in range(cost.shape[0]):
        for j in range(cost.shape[1]):
            total[i + 1, j + 1] = cost[i, j] + min(total[i, j], total[i, j + 1], total[i + 1, j])
    return float(total[-1, -1])


@pytest.mark.parametrize("shape", [(1, 1), (1, 6), (7, 1), (9, 13), (20, 11)])
def test_dtw_matches_naive_programme(shape):
    cost = np.random.default_rng(sum(shape)).random(shape)
    path, total = dtw(cost)
    assert total == pytest.approx(naive_dtw_cost(cost))
    assert cost[path[:, 0], path[:, 1]].sum() == pytest.approx(total)
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (shape[0] - 1, shape[1] - 1)
    steps = np.diff(path, axis=0)
    assert ((steps >= 0) & (steps <= 1)).all() and (steps.sum(1) >= 1).all()


def test_dtw_recovers_a_known_time_stretch():
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.standard_normal((80, 5)), axis=0)  # smooth random trajectories
    positions = np.arange(96) / 1.2  # y[j] = x(j / 1.2): a 1.2x slower copy
    y = np.stack([np.interp(positions, np.arange(80), x[:, d]) for d in range(5)], axis=1)
    cost = np.linalg.norm(x[:, None, :] - y[None, :, :], axis=2)
    path, _ = dtw(cost)
    assert np.abs(path[:, 1] / 1.2 - path[:, 0]).max() <= 1.0


def test_dtw_refuses_huge_matrices():
    with pytest.raises(InputError, match="too large"):
        dtw(np.broadcast_to(np.float32(0), (6000, 6000)))  # a view: no memory used


# ---------------------------------------------------------------------------------- MCD
def test_mcd_of_a_clip_with_itself_is_zero():
    audio = vowels()
    result = mel_cepstral_distortion(audio, audio)
    assert result["mcd_db"] == pytest.approx(0.0, abs=1e-9)
    assert result["reference_frames"] == result["synthesized_frames"] == 1 + audio.size // 160
    assert result["length_ratio"] == 1.0 and result["path_ratio"] == 1.0


def test_mcd_ignores_level_and_rises_with_noise():
    audio = vowels()
    assert mel_cepstral_distortion(audio, 0.3 * audio)["mcd_db"] < 0.01
    noisy = [mel_cepstral_distortion(audio, with_noise(audio, snr))["mcd_db"] for snr in (30, 15, 5)]
    assert 0.1 < noisy[0] < noisy[1] < noisy[2]


def test_mcd_trims_silence_at_the_ends():
    audio = vowels()
    padded = np.concatenate([np.zeros(8000, np.float32), audio, np.zeros(4000, np.float32)])
    result = mel_cepstral_distortion(audio, padded)
    # 0.75 s of padding is 75 frames; trimming keeps 30 ms a side (plus a frame's rounding)
    assert result["synthesized_frames"] <= result["reference_frames"] + 10
    assert result["mcd_db"] < 1.0  # the kept 30 ms ends cost ~0.5 dB; untrimmed ~1.6 dB


def test_alignment_follows_a_stretched_copy_and_f0_reuses_it():
    reference, stretched = vowels(), vowels(stretch=1.2)
    alignment = align(reference, stretched)
    ref_frames = len(alignment.reference_mcep)
    # frames well inside segment s of the reference map into segment s of the copy
    bounds = np.cumsum([0] + [int(seconds * 100) for seconds, *_ in SEGMENTS])
    for start, end in zip(bounds[:-1], bounds[1:]):
        inside = (alignment.path[:, 0] >= start + 3) & (alignment.path[:, 0] < min(end, ref_frames) - 3)
        matched = alignment.path[inside, 1]
        assert matched.min() >= 1.2 * start and matched.max() < 1.2 * end
    figures = compare(reference, stretched)
    assert figures["length_ratio"] == pytest.approx(1.2, abs=0.01)
    assert figures["f0_rmse_cents"] < 20 and figures["voiced_pairs"] > 100
    # the same segments in another order: F0 no longer matches along the best path
    shuffled = vowels([SEGMENTS[i] for i in (2, 4, 0, 3, 1)])
    assert f0_rmse(reference, shuffled)["f0_rmse_cents"] > 100


def test_f0_rmse_of_200_and_210_hz_tones():
    result = f0_rmse(tone(200.0), tone(210.0))
    assert result["f0_rmse_cents"] == pytest.approx(1200 * np.log2(1.05), abs=2.0)  # 84.5
    assert result["f0_rmse_hz"] == pytest.approx(10.0, abs=0.3)
    assert result["f0_bias_cents"] > 80 and result["gross_pitch_error"] == 0.0
    assert result["voicing_decision_error"] == 0.0


def test_f0_counts_voicing_disagreement():
    noise = (0.3 * np.random.default_rng(1).standard_normal(SR)).astype(np.float32)
    result = f0_rmse(tone(150.0), noise)
    assert result["voicing_decision_error"] > 0.8
    assert result["voiced_pairs"] < 0.2 * result["path_steps"]


def test_other_sample_rates_are_resampled():
    from tts_moe.audio import resample

    # band-limited content (< 7 kHz) survives the round trip 16 -> 22.05 -> 16 kHz
    audio = vowels()
    other = vowels([(s, f0 * 1.1, (f1 + 100, f2 - 200)) for s, f0, (f1, f2) in SEGMENTS])
    at_16k = mel_cepstral_distortion(audio, other)["mcd_db"]
    at_22k = mel_cepstral_distortion(resample(audio, SR, 22050), resample(other, SR, 22050), 22050)
    assert at_16k > 1.0
    assert at_22k["mcd_db"] == pytest.approx(at_16k, abs=0.3)
    assert at_22k["reference_frames"] == 1 + audio.size // 160


@pytest.mark.parametrize("bad", [np.zeros(SR, np.float32), np.zeros(0, np.float32),
                                 np.full(SR, np.nan, np.float32), np.ones((2, SR), np.float32)])
def test_bad_audio_is_an_audio_error(bad):
    with pytest.raises(AudioError):
        mel_cepstral_distortion(vowels(), bad)


# ------------------------------------------------------------------------------ durations
def test_duration_error_figures():
    result = duration_error([2, 4, 6], [3, 4, 8])
    assert result["mae_frames"] == pytest.approx(1.0) and result["mae_ms"] == pytest.approx(16.0)
    assert result["rmse_frames"] == pytest.approx(np.sqrt(5 / 3))
    assert result["bias_frames"] == pytest.approx(-1.0) and result["total_ratio"] == pytest.approx(0.8)
    assert result["correlation"] == pytest.approx(np.corrcoef([2, 4, 6], [3, 4, 8])[0, 1])
    assert duration_error([1, 1], [2, 3])["correlation"] is None
    with pytest.raises(InputError, match="equal length"):
        duration_error([1, 2], [1, 2, 3])
    with pytest.raises(InputError, match="negative"):
        duration_error([1, -2], [1, 2])


def test_phone_frames_from_timings_keep_the_total():
    phones, frames = phone_frames_from_timings([("pau", 0.044), ("ae", 0.174), ("f", 0.24)])
    assert phones == ["pau", "ae", "f"] and frames.tolist() == [3, 8, 4]
    with pytest.raises(InputError):
        phone_frames_from_timings([("a", 0.3), ("b", 0.2)])


# ------------------------------------------------------------------------------------ WER
def naive_edits(a: list, b: list) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row = row, [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x != y))
    return row[-1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from("abcd"), max_size=12), st.lists(st.sampled_from("abcd"), max_size=12))
def test_edit_operations_match_levenshtein(reference, hypothesis):
    counts = edit_operations(reference, hypothesis)
    assert counts["edits"] == naive_edits(reference, hypothesis)
    assert counts["substitutions"] + counts["deletions"] + counts["insertions"] == counts["edits"]
    assert counts["hits"] + counts["substitutions"] + counts["deletions"] == len(reference)
    assert counts["hits"] + counts["substitutions"] + counts["insertions"] == len(hypothesis)


def test_word_error_rate_counts_each_kind_of_edit():
    # the only 3-edit alignment: sat->sit, "the" deleted, "please" inserted
    result = word_error_rate("The cat sat on the mat today.", "the cat sit on mat today please")
    assert (result["substitutions"], result["deletions"], result["insertions"]) == (1, 1, 1)
    assert result["wer"] == pytest.approx(3 / 7) and result["hits"] == 5
    assert word_error_rate("one two", "")["wer"] == 1.0
    assert word_error_rate("a b", "x y z w")["wer"] == 2.0  # 2 substitutions + 2 insertions


def test_wer_normalises_numbers_case_and_punctuation():
    assert word_error_rate("I have 3 dogs!", "i have three dogs")["edits"] == 0
    assert word_error_rate("In 1850, Mr. Smith paid $5.", "in eighteen fifty mister smith paid five dollars")["edits"] == 0
    assert word_error_rate("twenty-one don't", "twenty one don't")["edits"] == 0
    assert wer_words("Chapter IV — the end") == ["chapter", "four", "the", "end"]
    assert word_error_rate("I have 3 dogs", "i have four dogs")["substitutions"] == 1
    with pytest.raises(InputError, match="no words"):
        word_error_rate("!!!", "hello")


def test_corpus_wer_pools_words():
    result = corpus_wer([("a b c d", "a b c d"), ("the cat sat", "the bat sat")])
    assert result["wer"] == pytest.approx(1 / 7) and result["sentence_error_rate"] == 0.5
    with pytest.raises(InputError):
        corpus_wer([])


# -------------------------------------------------------------------------------- judges
@pytest.mark.parametrize("module, call", [
    ("pocketsphinx", lambda: _judges.recognize(tone(200.0))),
    ("speechmos", lambda: _judges.dnsmos(tone(200.0))),
    ("resemblyzer", lambda: _judges.speaker_embedding(tone(200.0))),
])
def test_missing_judges_say_what_to_install(monkeypatch, module, call):
    for cached in (asr._decoder, _judges._dnsmos_model, _judges._voice_encoder):
        cached.cache_clear()
    monkeypatch.setitem(sys.modules, module, None)  # import now fails
    try:
        with pytest.raises(MissingDependencyError, match=f"pip install {module}"):
            call()
    finally:
        for cached in (asr._decoder, _judges._dnsmos_model, _judges._voice_encoder):
            cached.cache_clear()


def flite(text: str, voice: str, tmp_path, name: str = "clip") -> np.ndarray:
    if shutil.which("flite") is None:
        pytest.skip("flite is not installed")
    import soundfile

    path = tmp_path / f"{voice}-{name}.wav"
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(path)], check=True)
    audio, rate = soundfile.read(path, dtype="float32")
    assert rate == SR
    return audio


SENTENCE = "Please call Stella and ask her to bring these things with her from the store."


@pytest.mark.slow
def test_pocketsphinx_transcribes_a_clear_sentence(tmp_path):
    pytest.importorskip("pocketsphinx")
    hypothesis = _judges.recognize(flite(SENTENCE, "slt", tmp_path), SR)
    assert word_error_rate(SENTENCE, hypothesis)["wer"] <= 0.35, hypothesis


@pytest.mark.slow
def test_dnsmos_prefers_clean_speech(tmp_path):
    pytest.importorskip("speechmos")
    audio = flite(SENTENCE, "slt", tmp_path)
    clean, noisy = _judges.dnsmos(audio, SR), _judges.dnsmos(with_noise(audio, 5.0), SR)
    assert all(1.0 <= clean[key] <= 5.0 for key in ("ovrl", "sig", "bak", "p808"))
    assert noisy["bak"] < clean["bak"] - 1.0 and noisy["ovrl"] < clean["ovrl"]


@pytest.mark.slow
def test_speaker_similarity_separates_voices(tmp_path):
    pytest.importorskip("resemblyzer")
    slt = flite(SENTENCE, "slt", tmp_path)
    slt_other = flite("The birch canoe slid on the smooth planks.", "slt", tmp_path, "other")
    rms = flite(SENTENCE, "rms", tmp_path)
    embedding = _judges.speaker_embedding(slt, SR)
    assert embedding.shape == (256,) and np.linalg.norm(embedding) == pytest.approx(1.0, abs=1e-4)
    same = _judges.speaker_similarity(slt, slt_other, SR)
    assert same > _judges.speaker_similarity(slt, rms, SR) + 0.1
